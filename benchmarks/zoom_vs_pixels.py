"""When does zooming pay, by pixel budget: the attention effect against the local input size.

    .venv/bin/python benchmarks/zoom_vs_pixels.py                  # runs/demo-cpu and its 64, 96 px twins
    .venv/bin/python benchmarks/zoom_vs_pixels.py --base runs/demo-cpu runs/exp-seed1 --sizes 64 96 128 \\
        --out docs/figures/zoom_vs_pixels.png                      # the same for a second seed beside it
    .venv/bin/python benchmarks/zoom_vs_pixels.py --base runs/demo-cpu runs/exp-seed1 --sizes 64 96 128 160 \\
        --no-train                                                 # draw the finished twins only

The paper's zoom is a way to spend a fixed input size well: the local branch sees the box at the
same number of pixels the whole film would get, so the fewer pixels it has, the more the crop's
detail should matter. For each size, a run identical to `--base` but for
`model.attention.crop_size` (the local branch's input, crop and whole-film control alike): its
folder is `<base>-local<size>` (the base run itself for its own size), trained here when it has no
metrics.json yet, starting from the base run's stage I (copied: the global branch does not depend
on the local input size), so only stages II and III are trained (BENCHMARKS.md has the minutes
each took). Each run reads its test split once, as `agcnn-lab demo` does, and writes its report.md.

Printed: one row per size and branch, the test effect (crop minus whole film) with its paired 95%
interval, and the validation AUCs of the two sides' kept epochs (where the choice is made).
The figure: the effect against the input size, one panel per branch, green where the interval
lies above 0, red below, grey across it; the validation difference as a hollow marker. Several
`--base` runs (another training seed, say) are drawn side by side, one line style each.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from agcnn_lab.config import Profile  # noqa: E402
from agcnn_lab.experiment import CONTROL_DIR, run_from_global_stage  # noqa: E402
from agcnn_lab.figures.lesion_size import verdict_colour  # noqa: E402
from agcnn_lab.figures.save import DRAFT_FIGURES, OUT_HELP, save_figure  # noqa: E402
from agcnn_lab.report import markdown_table  # noqa: E402
from agcnn_lab.run_folder import CONFIG_FILE, RunFolderError  # noqa: E402

CROP_SIZE = "model.attention.crop_size"
PAIRS = {"local": "local_whole_film", "fusion": "fusion_whole_film"}
STAGE_LOGS = {  # the kept (best) validation AUC of each side, from the stage logs
    "local": "stage_local/log.json",
    "local_whole_film": f"{CONTROL_DIR}/stage_local/log.json",
    "fusion": "stage_fusion/log.json",
    "fusion_whole_film": f"{CONTROL_DIR}/stage_fusion/log.json",
}


def twin_folder(base: Path, base_profile: Profile, size: int) -> Path:
    return base if size == base_profile.model.attention.crop_size else base.with_name(f"{base.name}-local{size}")


def ensure_run(base: Path, size: int, data=None) -> Path:
    """The run of `base`'s configuration with the local input at `size` px, trained (stages II and
    III on the base run's stage I) and evaluated if its folder has no metrics.json yet. `data`:
    the base run's data bundle (default: load_data of its configuration)."""
    base_profile = Profile.read(base / CONFIG_FILE)
    out = twin_folder(base, base_profile, size)
    if (out / "metrics.json").is_file():
        return out
    if out == base:
        raise SystemExit(f"{base}: no metrics.json; finish the base run first (agcnn-lab demo --out {base})")
    profile = base_profile.with_changes(**{CROP_SIZE: size})
    try:  # refuses an unfinished stage I or a folder of another configuration, before any work
        return run_from_global_stage(base, out, profile, data)
    except RunFolderError as err:
        raise SystemExit(str(err)) from None


def finished_runs(base: Path, sizes: list[int]) -> list[Path]:
    """The twins of `base` at `sizes` that have their metrics.json, training none (--no-train)."""
    base_profile = Profile.read(base / CONFIG_FILE)
    twins = [twin_folder(base, base_profile, size) for size in sorted(set(sizes))]
    return [twin for twin in twins if (twin / "metrics.json").is_file()]


def kept_validation_auc(run: Path, branch: str) -> float:
    log = json.loads((run / STAGE_LOGS[branch]).read_text())
    return max(row["val_mean_auc"] for row in log if row.get("val_mean_auc") is not None)


def effect_table(runs: list[Path], series: str = "") -> pd.DataFrame:
    """One row per run and branch: input size, test effect and its ci95, validation AUCs;
    `series` names the runs' group in the figure (their base run)."""
    runs = {run: Profile.read(run / CONFIG_FILE).model.attention.crop_size for run in runs}
    effects = {}
    for run in runs:
        effects[run] = json.loads((run / "metrics.json").read_text()).get("attention_effect")
        if not effects[run]:
            raise SystemExit(f"{run}: metrics.json has no attention_effect; train it with the whole-film control")
    rows = []
    for branch, control in PAIRS.items():
        for run, size in sorted(runs.items(), key=lambda item: item[1]):
            crop_val, film_val = kept_validation_auc(run, branch), kept_validation_auc(run, control)
            effect = effects[run][branch]
            rows.append({
                "series": series, "input px": size, "branch": branch, "effect": effect["mean"],
                "ci_lo": effect["ci95"][0], "ci_hi": effect["ci95"][1],
                "val crop": crop_val, "val whole film": film_val, "val effect": crop_val - film_val,
                "run": str(run),
            })
    return pd.DataFrame(rows)


LINE_STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "v")


def plot_effect_by_input_size(table: pd.DataFrame) -> Figure:
    """One panel per branch: the test effect and its interval against the local input size, one
    series (line style and marker) per value of table["series"], shifted apart along x."""
    branches = list(dict.fromkeys(table["branch"]))
    series = list(dict.fromkeys(table["series"])) if "series" in table else [""]
    shift = 4.0 if len(series) > 1 else 0.0
    fig, axes = plt.subplots(1, len(branches), figsize=(5.6 * len(branches), 4.2), layout="constrained", squeeze=False)
    for ax, branch in zip(axes[0], branches, strict=True):
        ax.axhline(0, color="black", linewidth=0.8)
        for k, name in enumerate(series):
            rows = table[(table["branch"] == branch) & ((table["series"] == name) if "series" in table else True)]
            rows = rows.sort_values("input px")
            offset = (k - (len(series) - 1) / 2) * shift
            marker, style = MARKERS[k % len(MARKERS)], LINE_STYLES[k % len(LINE_STYLES)]
            ax.plot(rows["input px"] + offset, rows["effect"], color="#555555", linewidth=1, linestyle=style, zorder=1)
            for _, row in rows.iterrows():
                size, effect = row["input px"] + offset, row["effect"]
                ax.errorbar(size, effect, yerr=[[effect - row["ci_lo"]], [row["ci_hi"] - effect]], fmt=marker,
                            color=verdict_colour(row["ci_lo"], row["ci_hi"]), capsize=4, markersize=7, zorder=3)
                ax.plot(size + 1.5, row["val effect"], marker=marker, markerfacecolor="none",
                        markeredgecolor="#1f77b4", linestyle="none", zorder=2)
        ax.set_xticks(sorted(set(table["input px"])))
        ax.set_xlabel("local input size, px (crop and whole film alike)")
        ax.set_ylabel("AUC(crop) - AUC(whole film)")
        ax.set_title(f"{branch}: crop vs whole film")
    low = min(ax.get_ylim()[0] for ax in axes[0])
    high = max(ax.get_ylim()[1] for ax in axes[0])
    for ax in axes[0]:
        ax.set_ylim(low, high)
    handles = [
        Line2D([], [], marker="o", color="#7f7f7f", linestyle="none", label="test, paired 95% CI (green: crop wins)"),
        Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor="#1f77b4", linestyle="none",
               label="validation (kept epochs)"),
    ]
    if len(series) > 1:
        handles += [Line2D([], [], marker=MARKERS[k % len(MARKERS)], color="#555555", linestyle=LINE_STYLES[k % len(LINE_STYLES)],
                           label=name) for k, name in enumerate(series)]
    axes[0][0].legend(handles=handles, loc="upper right", fontsize=8)
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, nargs="+", default=[Path("runs/demo-cpu")],
                        help="finished runs with the whole-film control (several: one series each)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 96, 128], help="local input sizes, px")
    parser.add_argument("--out", type=Path, default=DRAFT_FIGURES / "zoom_vs_pixels.png", help=OUT_HELP)
    parser.add_argument("--no-train", action="store_true",
                        help="train nothing: table and draw only the sizes whose runs are finished")
    args = parser.parse_args()
    for base in args.base:
        if not (base / CONFIG_FILE).is_file():
            raise SystemExit(f"{base}: not a run folder (no {CONFIG_FILE}); run agcnn-lab demo first")
    if any(size < 32 for size in args.sizes):
        raise SystemExit(f"--sizes: every size must be at least 32 px, got {args.sizes}")
    tables = []
    for base in args.base:
        if args.no_train:
            runs = finished_runs(base, args.sizes)
            if not runs:
                raise SystemExit(f"{base}: no finished run at any of the sizes {args.sizes} (--no-train)")
        else:
            runs = [ensure_run(base, size) for size in sorted(set(args.sizes))]
        seed = Profile.read(base / CONFIG_FILE).training.seed
        tables.append(effect_table(runs, series=f"{base.name} (seed {seed})"))
    table = pd.concat(tables, ignore_index=True)
    print(markdown_table(table.drop(columns="run").round(3).set_index("series")))
    fig = plot_effect_by_input_size(table)
    print()
    save_figure(fig, args.out)


if __name__ == "__main__":
    main()
