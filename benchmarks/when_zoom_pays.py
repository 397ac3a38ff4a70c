"""When does zooming pay? The attention's effect on the AUC by lesion size, by the film's number of
findings, or by whether the lesion lies in the crop; from one run or several.

    .venv/bin/python benchmarks/when_zoom_pays.py --run runs/demo-cpu [--out docs/figures/when_zoom_pays.png]
    .venv/bin/python benchmarks/when_zoom_pays.py --run runs/demo-cpu runs/exp-v4-seed1 runs/exp-v4-seed2
    .venv/bin/python benchmarks/when_zoom_pays.py --by findings --run ...   # evaluate.finding_count
    .venv/bin/python benchmarks/when_zoom_pays.py --by box --run ...        # evaluate.lesion_in_box
    .venv/bin/python benchmarks/when_zoom_pays.py --by box --run runs/demo-cpu-tau0.6-box0.45 --controls runs/demo-cpu

--by size (the default) splits the positives by the size of their lesion; --by findings by how
many findings their film holds (no boxes needed: NIH runs too); --by box by whether the film's
attention box holds their lesion (the run's attention_boxes.csv; a run older than that file
writes it with `agcnn-lab evaluate --out RUN`). --controls reads the whole-film control from other
runs, one per --run in order: for the twins of tau_effect.py, which train the crop alone on
their base's stage I (evaluate.twins: refused unless each differs from its control in
model.attention alone, and in not training a control of its own, and predicts with its control
run's global branch).

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
from agcnn_lab.evaluate.finding_count import FINDINGS_AXIS, effect_by_finding_count  # noqa: E402
from agcnn_lab.evaluate.lesion_in_box import BOX_AXIS, effect_by_lesion_in_box  # noqa: E402
from agcnn_lab.evaluate.lesion_size import effect_by_lesion_size  # noqa: E402
from agcnn_lab.evaluate.twins import twin_predictions  # noqa: E402
from agcnn_lab.experiment import load_data  # noqa: E402
from agcnn_lab.figures.lesion_size import SIZE_AXIS, plot_when_zoom_pays  # noqa: E402
from agcnn_lab.figures.save import DRAFT_FIGURES, OUT_HELP, save_figure  # noqa: E402
from agcnn_lab.report import markdown_table  # noqa: E402
from agcnn_lab.run_folder import RunFolderError, seed_replicates  # noqa: E402
from agcnn_lab.train.predict import CONTROLS  # noqa: E402

PAIRS = {str(branch): str(control) for branch, control in CONTROLS.items()}  # each crop branch, its control
AXES = {"size": SIZE_AXIS, "findings": FINDINGS_AXIS, "box": BOX_AXIS}
FIGURES = {"size": DRAFT_FIGURES / "when_zoom_pays.png", "findings": DRAFT_FIGURES / "when_zoom_pays_findings.png",
           "box": DRAFT_FIGURES / "when_zoom_pays_box.png"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, nargs="+", default=[Path("runs/demo-cpu")],
                        help="a finished run folder, or several that differ in their training seed alone")
    parser.add_argument("--controls", type=Path, nargs="+", default=None,
                        help="the runs holding the whole-film control, one per --run (default: the runs themselves)")
    parser.add_argument("--by", default="size", choices=tuple(AXES), help="what the positives are split by")
    parser.add_argument("--out", type=Path, default=None, help=f"{OUT_HELP}; its name by --by")
    parser.add_argument("--split", default="test", choices=("test", "val"))
    parser.add_argument(
        "--edges",
        type=float,
        nargs="+",
        default=[0, 0.06, 0.12, 0.25, 1.0],  # the phantom's lesions: none below 3% of the film
        help="bin edges, fractions of the film (--by size)",
    )
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = args.out or FIGURES[args.by]

    controls = args.controls or args.run
    if len(controls) != len(args.run):
        raise SystemExit(f"{len(args.run)} run(s) but {len(controls)} control run(s); give one control per run")
    files = ("run.json", "predictions.csv")
    crops = ("attention_boxes.csv",) if args.by == "box" else ()  # only the crop's runs cut boxes
    for folder, names in [*((run_dir, files + crops) for run_dir in args.run), *((c, files) for c in controls)]:
        for name in names:
            if not (folder / name).is_file():
                hint = (f"re-run `agcnn-lab evaluate --out {folder}` to write it (a run older than the file)"
                        if name == "attention_boxes.csv" else "point --run at a finished run (agcnn-lab demo --out ...)")
                raise SystemExit(f"{folder}: no {name}; {hint}")
    try:
        seed_replicates(args.run, "the runs to pool")
        runs = [twin_predictions(run_dir, control_dir) for run_dir, control_dir in zip(args.run, controls, strict=True)]
    except RunFolderError as err:
        raise SystemExit(str(err)) from None
    run = json.loads((args.run[0] / "run.json").read_text())
    boxes = None
    if args.by != "findings":
        if "Phantom" not in str(run.get("data", "Phantom")) and args.by == "size":
            raise SystemExit(
                f"{args.run[0]} was trained on {run['data']}; the lesion sizes come from the phantom's boxes"
            )
        profile = Profile.read(args.run[0] / "config.json")
        if profile.data.kind == "phantom":
            root = phantom_root(profile.name, profile.data.phantom_preset)
            if profile.data.root is None and not root.is_dir():
                # load_data would generate the set: refuse, a benchmark should only read.
                raise SystemExit(f"no phantom set at {root}; the run's data is missing")
        boxes = load_data(profile, progress=False).boxes
        if boxes is None:
            raise SystemExit(f"{args.run[0]}: its data has no lesion boxes; --by findings needs none")
    attention = [pd.read_csv(folder / "attention_boxes.csv") for folder in args.run] if args.by == "box" else None

    present = set(runs[0]["branch"])
    tables = {}
    for branch, control in PAIRS.items():
        if branch in present and control in present:
            common = dict(split=args.split, branch=branch, control=control, n_boot=args.n_boot, seed=args.seed)
            if args.by == "size":
                tables[branch] = effect_by_lesion_size(runs, boxes, edges=args.edges, **common)
            elif args.by == "findings":
                tables[branch] = effect_by_finding_count(runs, **common)
            else:
                tables[branch] = effect_by_lesion_in_box(runs, boxes, attention, **common)
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
            f"### {branch} on the crop - {PAIRS[branch]} by {args.by} ({args.split}, {run['profile']} profile, "
            f"{f'{len(runs)} runs pooled' if len(runs) > 1 else 'one run'})\n"
        )
        print(markdown_table(table.drop(columns=[c for c in table.columns if c.endswith(("_lo", "_hi"))
                                                 and not c.startswith("ci")]).set_index("bin")))
        print()

    fig = plot_when_zoom_pays(tables, split=args.split, runs=len(runs), xlabel=AXES[args.by])
    save_figure(fig, out)


if __name__ == "__main__":
    main()
