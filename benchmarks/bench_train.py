"""Where the time of a training step goes, per stage, and the attention crop's share of stage II.

    .venv/bin/python benchmarks/bench_train.py [--profile cpu] [--steps 20] [--device cpu]
    .venv/bin/python benchmarks/bench_train.py --run runs/demo-cpu     # seconds per epoch of a finished run
    .venv/bin/python benchmarks/bench_train.py --profile gpu --data-profile cpu --steps 3 --warmup 1   # the paper's recipe

The network starts from random weights (the timing does not depend on them, and no download is
needed); --data-profile takes the batches from another profile's phantom set (its 512-px sources
rendered with this profile's geometry), e.g. the cpu set for the gpu profile.

Stage II's step = global forward (frozen, no grad) + heatmap -> boxes -> crop from the source
+ local forward/backward/SGD. The goal (issue 5): the crop's share <= 5% of the step. Batches
come from the profile's phantom data (generated and cached on first use), one batch reused so
the loader's speed does not enter the figures. On CUDA the timings synchronise the device.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pandas as pd
import torch

from agcnn_lab.attention import crop
from agcnn_lab.device import describe_device, pick_device
from agcnn_lab.experiment import CONTROL_DIR, build_model, load_data
from agcnn_lab.profiles import get_profile
from agcnn_lab.train.loader import make_loader
from agcnn_lab.train.precision import autocast, grad_scaler, prepare_model
from agcnn_lab.train.stages import bce


def timer(device):
    def now():
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter()

    return now


def epoch_seconds(run: Path) -> None:
    """Seconds per epoch of each stage, from the log.csv files a run wrote (median, min, max)."""
    print(f"Seconds per epoch, {run}:\n")
    print("| stage | epochs | median s/epoch | min | max | total s |")
    print("| --- | --- | --- | --- | --- | --- |")
    # The whole-film control's stages II and III, when the run trained them.
    stages = [(stage, run / f"stage_{stage}", True) for stage in ("global", "local", "fusion")]
    stages += [(f"{stage}, whole-film control", run / CONTROL_DIR / f"stage_{stage}", False) for stage in ("local", "fusion")]
    for stage, folder, always in stages:
        log = folder / "log.csv"
        if not log.is_file():
            if always:
                print(f"| {stage} | (no {log}) | | | | |")
            continue
        epochs = pd.read_csv(log)
        seconds = epochs.loc[epochs["epoch"] > 0, "seconds"]  # epoch 0: the start, validated, not trained
        print(
            f"| {stage} | {len(seconds)} | {seconds.median():.1f} | {seconds.min():.1f} | {seconds.max():.1f} | {seconds.sum():.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--device", default=None)
    parser.add_argument("--warmup", type=int, default=3, help="steps run first and not counted")
    parser.add_argument("--data-profile", default=None, help="the profile whose phantom set gives the batches (default: --profile)")
    parser.add_argument(
        "--run", type=Path, default=None, help="only summarise the epoch times of this run folder"
    )
    args = parser.parse_args()
    if args.run is not None:
        epoch_seconds(args.run)
        return
    profile = get_profile(args.profile)
    # Random weights (timing does not depend on them); no more loader workers than cores.
    profile = profile.with_changes(**{"model.pretrained": False,
                                      "training.workers": min(profile.training.workers, os.cpu_count() or 1)})
    device = pick_device(args.device)
    data = load_data(get_profile(args.data_profile or args.profile), progress=False)
    # The model exactly as train_run builds and places it (AMP and channels_last on CUDA).
    model = prepare_model(build_model(profile), device, profile.training.amp)
    settings = profile.training.stage("local")
    loader = make_loader(
        data.dataset("train", profile.data, train=True, with_source=True),
        settings.batch_size,
        profile.training,
        shuffle=True,
    )
    batch = next(iter(loader))
    images, sources, frames, labels = (
        t.to(device) for t in (batch.image, batch.source, batch.frame, batch.labels)
    )
    attention = model.attention
    optimiser = torch.optim.SGD(model.local_branch.parameters(), lr=0.001, momentum=0.9)
    model.global_branch.eval()
    amp = profile.training.amp  # the stage's own precision rule (train.precision), as fit_stage applies it
    scaler = grad_scaler(device, amp)
    now = timer(device)
    parts = {
        "global forward": [],
        "heatmap + boxes": [],
        "crop": [],
        "local forward + backward + step": [],
    }
    for step in range(args.steps + args.warmup):
        t0 = now()
        with torch.no_grad(), autocast(device, amp):
            features = model.global_branch(images).features
        t1 = now()
        maps = model.heatmaps(features)
        boxes = attention.boxes(maps, tuple(images.shape[-2:]))  # the AttentionCrop's own box step
        t2 = now()
        crops = crop(
            sources,
            boxes,
            attention.crop_size or images.shape[-1],
            frames=frames,
            input_size=tuple(images.shape[-2:]),
            sampling_ratio=attention.sampling_ratio,
        )
        t3 = now()
        with autocast(device, amp):
            loss = bce(model.local_branch(crops).logits, labels)
        optimiser.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimiser)
        scaler.update()
        t4 = now()
        if step >= args.warmup:  # warm-up steps are not counted
            for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                parts[key].append(value * 1000)
    total = sum(statistics.median(v) for v in parts.values())
    print(
        f"Stage II step, profile {profile.name}, batch {settings.batch_size}, device {describe_device(device)}, median of {args.steps} steps:\n"
    )
    print("| part | ms | share |")
    print("| --- | --- | --- |")
    for key, values in parts.items():
        ms = statistics.median(values)
        print(f"| {key} | {ms:.1f} | {ms / total:.1%} |")
    share = (statistics.median(parts["heatmap + boxes"]) + statistics.median(parts["crop"])) / total
    print(f"| **attention crop (heatmap + boxes + crop)** | | **{share:.1%}** (goal on a GPU, the paper's recipe: <= 2%) |")


if __name__ == "__main__":
    main()
