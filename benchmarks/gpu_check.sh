#!/usr/bin/env bash
# Every GPU figure the project promises, in one prepared command (a lent GPU may be lent for minutes).
#
#   bash benchmarks/gpu_check.sh                 # on a CUDA machine: at most about 8 minutes
#   bash benchmarks/gpu_check.sh --dry-run       # on a CPU: the same code paths on tiny sizes (< 1 min)
#   OUT=gpu_check.md bash benchmarks/gpu_check.sh   # where the Markdown block goes (default: stdout only)
#
# It prints the card and driver, then:
#   1. the batched attention crop against the per-image loop of the re-implementations, on CUDA
#      (goal: >= 20x, the same boxes): benchmarks/bench_attention.py;
#   2. the stage-II step of the paper's recipe (ResNet-50, 224 px, AMP and channels_last, the model
#      train_run builds), split into its parts (goal: the attention crop <= 2% of the step):
#      benchmarks/bench_train.py;
#   3. images per second of stage I at 224 px with the loader, the share of time spent waiting for
#      data and the card's busy share: benchmarks/bench_epoch.py;
#   4. with two or more GPUs: the same epoch under torchrun on 2 processes (goal: >= 1.8x the one
#      GPU's images per second), and a 2-process torchrun training smoke run of the ci profile.
# and writes one Markdown block ready to paste into BENCHMARKS.md.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
DRY=0
[ "${1:-}" = "--dry-run" ] && DRY=1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BLOCK="$WORK/block.md"

section() {  # title, command...: run the command, keep its Markdown under the title
    local title=$1
    shift
    echo "== $title" >&2
    {
        echo
        echo "### $title"
        echo
        echo '```'
        echo "$*"
        echo '```'
        echo
    } >>"$BLOCK"
    "$@" | tee -a "$BLOCK"
}

{
    echo "## GPU check, $(date -u +%Y-%m-%d)"
    echo
    if [ "$DRY" = 1 ]; then
        echo "Dry run on $(uname -m) without a GPU: tiny sizes, the figures mean nothing; the code paths are the GPU run's."
    else
        echo "Card and driver: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | paste -sd ';' -)"
    fi
    echo
    "$PYTHON" -c "import torch; print(f'torch {torch.__version__}, CUDA build {torch.version.cuda}, GPUs {torch.cuda.device_count()}')"
} >"$BLOCK"
cat "$BLOCK"

if [ "$DRY" = 1 ]; then
    DEVICE=cpu GPUS=2
    section "Attention crop: batched against the per-image loop" \
        "$PYTHON" benchmarks/bench_attention.py --device cpu --batch 4 --input 64 --source 128 --channels 16 --repeat 1
    section "Stage II step of the recipe, by part" \
        "$PYTHON" benchmarks/bench_train.py --profile ci --data-profile ci --device cpu --steps 2 --warmup 1
    section "Stage I: images per second, waiting for data, GPU busy" \
        "$PYTHON" benchmarks/bench_epoch.py --profile ci --data-profile ci --device cpu --steps 3 --warmup 1 --workers 0
    EPOCH_ARGS=(--profile ci --data-profile ci --device cpu --steps 3 --warmup 1 --workers 0)
    SMOKE_DEVICE=cpu
else
    DEVICE=cuda
    GPUS=$("$PYTHON" -c "import torch; print(torch.cuda.device_count())")
    section "Attention crop: batched against the per-image loop (goal >= 20x, same boxes)" \
        "$PYTHON" benchmarks/bench_attention.py --device cuda --batch 64
    section "Stage II step of the recipe, by part (goal: attention crop <= 2%)" \
        "$PYTHON" benchmarks/bench_train.py --profile gpu --data-profile cpu --device cuda --steps 20
    section "Stage I: images per second, waiting for data, GPU busy (one GPU)" \
        "$PYTHON" benchmarks/bench_epoch.py --profile gpu --data-profile cpu --device cuda
    EPOCH_ARGS=(--profile gpu --data-profile cpu --device cuda)
    SMOKE_DEVICE=cuda
fi

if [ "$GPUS" -ge 2 ]; then
    section "Stage I under torchrun, 2 processes (goal >= 1.8x one GPU's images per second)" \
        "$PYTHON" -m torch.distributed.run --standalone --nproc_per_node=2 benchmarks/bench_epoch.py "${EPOCH_ARGS[@]}"
    echo "== torchrun smoke run: the ci profile's three stages on 2 processes" >&2
    SMOKE=$WORK/ddp
    OMP_NUM_THREADS=1 "$PYTHON" -m torch.distributed.run --standalone --nproc_per_node=2 -m agcnn_lab train \
        --profile ci --out "$SMOKE" --no-control --device "$SMOKE_DEVICE" >"$WORK/smoke.log" 2>&1
    echo "- torchrun smoke run (ci profile, 2 processes, $SMOKE_DEVICE): $(tail -n 1 "$WORK/smoke.log" | cut -c1-80); world_size $("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['world_size'])" "$SMOKE/run.json")" | tee -a "$BLOCK"
else
    echo "- one GPU: no torchrun figures" | tee -a "$BLOCK"
fi

if [ -n "${OUT:-}" ]; then
    cp "$BLOCK" "$OUT"
    echo "== the Markdown block: $OUT" >&2
fi
