"""When does zooming pay? The attention's effect on the AUC by lesion size, from one run or several.

    .venv/bin/python benchmarks/when_zoom_pays.py --run runs/demo-cpu [--out docs/figures/when_zoom_pays.png]
    .venv/bin/python benchmarks/when_zoom_pays.py --run runs/demo-cpu runs/exp-v4-seed1 runs/exp-v4-seed2

What it measures: for the local branch (and the fusion head), AUC on the attention crop minus
AUC of the same branch fed the whole film (`local_whole_film`, `fusion_whole_film`: same start,
same epochs, same input size; only the crop differs), split by the size of the lesion. A
lesion's size is the side of its ground-truth box as a % of the film; each bin scores the
positive films whose lesion falls in it against all the negative films of the class (see
agcnn_lab.evaluate.lesion_size). It needs a run trained with the whole-film control and the phantom
data (every lesion boxed); nothing is trained or generated here.

How to read it: one row (one point) per size bin. effect > 0 with ci_lo > 0: the crop beats the
whole film on lesions of that size; ci_hi < 0: the whole film wins (the crop cut the lesion
away, or the zoom does not help and the crop loses context); an interval around 0: no
difference shown at this test-set size. The hypothesis of the paper's zoom is a gain that
shrinks as lesions grow: small lesions gain pixels from the crop, large ones are plain at any
resolution. positives is the evidence behind a bin: few positives, wide interval.

One run's bins move with its training seed (BENCHMARKS.md), so several runs that differ in
their training seed alone (refused otherwise, naming the field) are pooled: each AUC is the mean
over the runs, scored on one resample of the films for all (evaluate.lesion_size).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from agcnn_lab.config import Profile  # noqa: E402
from agcnn_lab.data.bundle import phantom_root  # noqa: E402
from agcnn_lab.evaluate.lesion_size import effect_by_lesion_size  # noqa: E402
from agcnn_lab.experiment import load_data  # noqa: E402
from agcnn_lab.figures.lesion_size import plot_when_zoom_pays  # noqa: E402
from agcnn_lab.report import markdown_table  # noqa: E402
from agcnn_lab.run_folder import RunFolderError, seed_replicates  # noqa: E402

PAIRS = {"local": "local_whole_film", "fusion": "fusion_whole_film"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, nargs="+", default=[Path("runs/demo-cpu")],
                        help="a finished run folder, or several that differ in their training seed alone")
    parser.add_argument(
        "--out", type=Path, default=Path("docs/figures/when_zoom_pays.png"), help="the figure"
    )
    parser.add_argument("--split", default="test", choices=("test", "val"))
    parser.add_argument(
        "--edges",
        type=float,
        nargs="+",
        default=[0, 0.06, 0.12, 0.25, 1.0],  # the phantom's lesions: none below 3% of the film
        help="bin edges, fractions of the film",
    )
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    for folder in args.run:
        for name in ("run.json", "predictions.csv"):
            if not (folder / name).is_file():
                raise SystemExit(
                    f"{folder}: no {name}; point --run at a finished run (agcnn-lab demo --out ...)"
                )
    try:
        seed_replicates(args.run, "the runs to pool")
    except RunFolderError as err:
        raise SystemExit(str(err)) from None
    run = json.loads((args.run[0] / "run.json").read_text())
    if "Phantom" not in str(run.get("data", "Phantom")):
        raise SystemExit(
            f"{args.run[0]} was trained on {run['data']}; the lesion sizes come from the phantom's boxes"
        )
    profile = Profile.read(args.run[0] / "config.json")
    root = phantom_root(profile.name, profile.data.phantom_preset)
    if profile.data.root is None and not root.is_dir():
        # load_data would generate the set: refuse, a benchmark should only read.
        raise SystemExit(f"no phantom set at {root}; the run's data is missing")
    boxes = load_data(profile, progress=False).boxes
    runs = [pd.read_csv(folder / "predictions.csv") for folder in args.run]

    present = set(runs[0]["branch"])
    tables = {}
    for branch, control in PAIRS.items():
        if branch in present and control in present:
            tables[branch] = effect_by_lesion_size(
                runs,
                boxes,
                split=args.split,
                branch=branch,
                control=control,
                edges=args.edges,
                n_boot=args.n_boot,
                seed=args.seed,
            )
        else:
            print(
                f"(skipped {branch}: the run has no {control if branch in present else branch} predictions)\n"
            )
    if not tables:
        raise SystemExit(
            f"{args.run[0]}: no branch with its whole-film control; train a run with the control"
        )

    for branch, table in tables.items():
        print(
            f"### {branch} on the crop - {PAIRS[branch]} ({args.split}, {run['profile']} profile, "
            f"{f'{len(runs)} runs pooled' if len(runs) > 1 else 'one run'})\n"
        )
        print(markdown_table(table.drop(columns=["size_lo", "size_hi"]).set_index("bin")))
        print()

    fig = plot_when_zoom_pays(tables, split=args.split, runs=len(runs))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=150)
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
