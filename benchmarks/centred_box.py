"""Which box finds the lesion in the least film? The pointing game against the box's area (no training).

    .venv/bin/python benchmarks/centred_box.py                                   # runs/demo-cpu
    .venv/bin/python benchmarks/centred_box.py --run runs/demo-cpu runs/exp-seed1 runs/exp-seed2 \\
        --out docs/figures/centred_box.png

The goal asks the attention box to hold 85% of the single lesions in at most 35% of the film AND
more than the best fixed box of the same area (evaluate.fixed_box: one box placed from the training
lesions, the same for every film). Three ways to draw the box, each at several areas, on the
validation split of each run (its global branch's max |f| heatmaps; the test split is not read):

- the paper's: the bounding box of the largest region above tau, for tau 0.1 ... 0.9 (its area
  follows tau, and varies from film to film);
- centred: a box of a fixed share of the window (`model.attention.box_area`) centred on the
  heatmap-weighted centre of that region at the run's tau (attention.centred_boxes), for areas
  0.2 ... 0.9; and the same centred on the region at tau 0.1, nearly the whole heatmap, which tells
  how much of it is finding the lesion and how much finding the chest;
- the fixed box of the same share of the film.

Printed: one table per run (box as a share of the film, the single-lesion pointing game of each
kind), then the runs' mean. The figure: the single-lesion pointing game against the box's share
of the film, the runs' mean, with the goal's corner shaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from agcnn_lab.attention import AttentionCrop  # noqa: E402
from agcnn_lab.evaluate.fixed_box import fixed_box_sweep  # noqa: E402
from agcnn_lab.evaluate.tau_sweep import TAUS, HeatmapSet, global_heatmaps, tau_sweep  # noqa: E402
from agcnn_lab.experiment import load_data, load_run  # noqa: E402
from agcnn_lab.figures.save import DRAFT_FIGURES, OUT_HELP, save_figure  # noqa: E402
from agcnn_lab.report import markdown_table  # noqa: E402
from agcnn_lab.train.loader import make_loader  # noqa: E402

AREAS = (0.2, 0.3, 0.35, 0.45, 0.55, 0.7, 0.9)  # shares of the window
WHOLE_HEATMAP_TAU = 0.1  # the region at this tau is nearly the whole heatmap: the chest, not the lesion
GOAL_AREA, GOAL_HIT = 0.35, 0.85


def box_curves(maps: HeatmapSet, truth: pd.DataFrame, entries: pd.DataFrame, train_truth: pd.DataFrame,
               window: float, tau: float, crop: AttentionCrop, areas=AREAS, taus=TAUS) -> pd.DataFrame:
    """One row per (kind, setting): `film` (the mean box as a share of the source film; `window`
    is the window's share of it) and `hit_single` (the single-lesion pointing game), for the
    paper's box at each tau, the box of each area centred on the region at `tau` and at the
    whole-heatmap tau, and the best fixed box of each of those film areas. `crop`: the run's
    own (model.attention), whose upsample and sizes every box keeps; only its box rule varies."""
    val_truth = truth[truth["image"].isin(set(entries["image"]))]
    rows = []
    paper = tau_sweep(maps, truth, entries, taus=taus, crop=crop.replace(box_area=None))
    rows += [{"kind": "paper's box", "setting": f"tau {t:g}", "film": a * window, "hit_single": h}
             for t, a, h in zip(paper["tau"], paper["area"], paper["hit_single"], strict=True)]
    for kind, at in ((f"centred on the region at tau {tau:g}", tau),
                     (f"centred on the whole heatmap (tau {WHOLE_HEATMAP_TAU:g})", WHOLE_HEATMAP_TAU)):
        for area in areas:
            row = tau_sweep(maps, truth, entries, taus=(at,), crop=crop.replace(box_area=area)).iloc[0]
            rows.append({"kind": kind, "setting": f"area {area:g}", "film": row["area"] * window,
                         "hit_single": row["hit_single"]})
    fixed = fixed_box_sweep(train_truth, val_truth, [area * window for area in areas])
    rows += [{"kind": "fixed box", "setting": f"area {area:g}", "film": area * window, "hit_single": h}
             for area, h in zip(areas, fixed["hit_single"], strict=True)]
    return pd.DataFrame(rows)


def run_curves(run_dir: Path) -> pd.DataFrame:
    """box_curves on the validation split of a finished run, at its own tau."""
    device = torch.device("cpu")
    run = load_run(run_dir, device)
    profile, model = run.profile, run.model
    data = load_data(profile, progress=False)
    if data.boxes is None:
        raise SystemExit(f"{run_dir}: its data has no lesion boxes, so no pointing game can be played")
    if profile.model.attention.box_area is not None:
        raise SystemExit(f"{run_dir}: its box is already centred (box_area {profile.model.attention.box_area}); "
                         "give a run of the paper's box, whose tau draws the region")
    dataset = data.dataset("val", profile.data, with_no_finding=model.with_no_finding)
    loader = make_loader(dataset, profile.training.eval_batch_size, profile.training, shuffle=False)
    maps = global_heatmaps(model, loader, device)
    geometry = profile.data.geometry
    window = (geometry.crop / geometry.resize) ** 2
    train_truth = data.boxes[data.boxes["image"].isin(set(data.entries("train")["image"]))]
    return box_curves(maps, data.boxes, data.entries("val"), train_truth, window, run.tau, model.attention)


def mean_curves(curves: list[pd.DataFrame]) -> pd.DataFrame:
    """The runs' mean film share and pointing game per (kind, setting), in the first run's order."""
    order = curves[0][["kind", "setting"]]
    mean = pd.concat(curves).groupby(["kind", "setting"], sort=False)[["film", "hit_single"]].mean()
    return order.merge(mean.reset_index(), on=["kind", "setting"], how="left")


def plot_box_curves(curves: pd.DataFrame, title: str) -> Figure:
    """The single-lesion pointing game against the box's share of the film, one line per kind;
    the goal's corner (<= 35% of the film, >= 85% of the lesions) shaded."""
    fig, ax = plt.subplots(figsize=(7, 4.6), layout="constrained")
    ax.fill_between([0, GOAL_AREA], GOAL_HIT, 1.02, color="#2ca02c", alpha=0.12, label="the goal's corner")
    # box_curves' order: the paper's box, centred at the run's tau, centred on the whole heatmap, fixed.
    styles = iter([("#1f77b4", "o", "-"), ("#d62728", "^", "-"), ("#ff7f0e", "v", ":"), ("#7f7f7f", "s", "--")])
    for kind, part in curves.groupby("kind", sort=False):
        colour, marker, line = next(styles)
        part = part.sort_values("film")
        ax.plot(part["film"], part["hit_single"], marker=marker, linestyle=line, color=colour, label=kind)
    ax.set_xlabel("mean box, share of the film")
    ax.set_ylabel("single lesions whose centre is in the box")
    ax.set_xlim(0, 1)
    ax.set_ylim(0.3, 1.02)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, nargs="+", default=[Path("runs/demo-cpu")], help="finished runs (the paper's box)")
    parser.add_argument("--out", type=Path, default=DRAFT_FIGURES / "centred_box.png", help=OUT_HELP)
    args = parser.parse_args()
    for run in args.run:  # every folder checked before any heatmap is computed
        if not (run / "config.json").is_file() or not (run / "run.json").is_file():
            raise SystemExit(f"{run}: not a finished run folder (no config.json or run.json)")
    curves = []
    for run in args.run:
        curve = run_curves(run)
        curves.append(curve)
        print(f"\n{run}, validation\n")
        print(markdown_table(curve.round(3).set_index("kind")))
    mean = mean_curves(curves)
    if len(curves) > 1:
        print(f"\nthe mean of {len(curves)} runs\n")
        print(markdown_table(mean.round(3).set_index("kind")))
    fig = plot_box_curves(mean, f"validation, single lesions ({len(curves)} run{'s' if len(curves) > 1 else ''})")
    print()
    save_figure(fig, args.out)


if __name__ == "__main__":
    main()
