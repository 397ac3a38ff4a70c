"""Does the attention's gain grow with the training set? The effect against the number of patients (no training).

    .venv/bin/python benchmarks/data_size_effect.py                 # the runs of BENCHMARKS.md (500, 1,000, 2,000 patients)
    .venv/bin/python benchmarks/data_size_effect.py \\
        --setting runs/exp-p500-seed0 runs/exp-p500-seed1 runs/exp-p500-seed2 \\
        --setting runs/demo-cpu runs/exp-p1000-seed1 runs/exp-p1000-seed2 \\
        --out docs/figures/data_size_effect.png

The paper trains on 78,468 films, the `cpu` profile on a small phantom (each run.json has its
count). The crop must learn a scale the ImageNet start and stage I never showed it, the whole-film
control only trains the view it was copied from further, so a small training set may favour the control for a reason that has
nothing to do with the attention. Each `--setting` is one phantom size trained with several seeds
(`data.phantom_patients`, hence its `data.root`; the recipe is the same, epochs included, so a
larger set also takes more steps): the runs of one setting must differ in their seed alone, and
the settings in their number of patients alone (anything else is refused, naming the field).

Printed, per setting and split: the training films, each branch's mean AUC over the seeds, and
the attention effect (crop minus whole film) averaged over the seeds with its paired 95% interval
over the films (evaluate.seeds_attention_effect). Validation is where a choice would be made;
the test rows re-read predictions read once when each run finished. The figure: the effect
against the training films, one panel per branch, test filled (green where the interval lies
above 0, red below, grey across), validation hollow.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from agcnn_lab.config import Profile  # noqa: E402
from agcnn_lab.evaluate import branch_mean_auc, seeds_attention_effect  # noqa: E402
from agcnn_lab.figures.lesion_size import verdict_colour  # noqa: E402
from agcnn_lab.figures.save import DRAFT_FIGURES, OUT_HELP, save_figure  # noqa: E402
from agcnn_lab.report import markdown_table  # noqa: E402
from agcnn_lab.run_folder import SEED_FIELDS, RunFolderError, seed_replicates  # noqa: E402

# Seeds 0 / 1 / 2 at each size, the cpu profile (PhantomCXR-14 v4, tau 0.6) otherwise;
# runs/demo-cpu is `make demo`'s run. BENCHMARKS.md has the commands.
DEFAULT_SETTINGS = (
    ("runs/exp-p500-seed0", "runs/exp-p500-seed1", "runs/exp-p500-seed2"),
    ("runs/demo-cpu", "runs/exp-p1000-seed1", "runs/exp-p1000-seed2"),
    ("runs/exp-p2000-seed0", "runs/exp-p2000-seed1", "runs/exp-p2000-seed2"),
)
# What one phantom size may change besides the seed: its patients and the folder they live in.
SIZE_FIELDS = (*SEED_FIELDS, "data.phantom_patients", "data.root")
BRANCHES = ("global", "local", "local_whole_film", "fusion", "fusion_whole_film")


@dataclass(frozen=True)
class Setting:
    """One phantom size: its runs (one per training seed), their shared configuration, the
    phantom's patients, the training films of every run, and each run's predictions.csv."""

    runs: list[str]
    profile: Profile
    patients: int
    films: int
    tables: list[pd.DataFrame]


def read_setting(runs: list[str]) -> Setting:
    """One phantom size, its runs' configs checked (seed alone differs) and their training films
    (run.json) checked equal; refused when a file is missing or the runs disagree."""
    for run in runs:
        for needed in ("config.json", "run.json", "predictions.csv"):
            if not (Path(run) / needed).is_file():
                raise SystemExit(f"{run}: no {needed}; each --setting needs finished runs (BENCHMARKS.md has their commands)")
    try:
        profiles = seed_replicates(runs, f"the runs {', '.join(map(str, runs))}")
    except RunFolderError as err:
        raise SystemExit(str(err)) from None
    films = {run: json.loads((Path(run) / "run.json").read_text())["sizes"]["train"] for run in runs}
    if len(set(films.values())) != 1:
        raise SystemExit(f"the runs of one setting trained on different numbers of films: {films}")
    return Setting(runs=list(runs), profile=profiles[0], patients=profiles[0].data.phantom_patients,
                   films=films[runs[0]], tables=[pd.read_csv(Path(run) / "predictions.csv") for run in runs])


def check_one_axis(settings: list[Setting]) -> None:
    """Refuse settings that differ in anything but the number of patients, or share it."""
    first = settings[0]
    for other in settings[1:]:
        changed = first.profile.differences(other.profile, ignoring=SIZE_FIELDS)
        if changed:
            raise SystemExit(f"{other.runs[0]} differs from {first.runs[0]} beyond the phantom's size "
                             f"({'; '.join(changed)}); the settings must differ in data.phantom_patients alone")
    sizes = [s.patients for s in settings]
    if len(set(sizes)) != len(sizes):
        raise SystemExit(f"two settings have the same number of patients ({sizes}); one setting a size")


def size_rows(settings: list[Setting], splits: list[str], n_boot: int) -> pd.DataFrame:
    """One row per setting and split: patients, training films, each branch's mean AUC over
    the seeds, and the effect of each branch over the seeds with its paired 95% interval."""
    rows = []
    for setting in sorted(settings, key=lambda s: s.patients):
        for split in splits:
            row = {"patients": setting.patients, "training films": setting.films, "split": split,
                   "seeds": len(setting.tables)}
            for branch in BRANCHES:
                row[branch] = float(np.mean([branch_mean_auc(table, split, branch) for table in setting.tables]))
            effect = seeds_attention_effect(setting.tables, split, n_boot=n_boot)
            for branch in ("local", "fusion"):
                row[f"effect {branch}"] = effect[branch]["mean"]
                row[f"{branch} lo"], row[f"{branch} hi"] = effect[branch]["ci95"]
                row[f"{branch}, each seed"] = " / ".join(f"{d:+.3f}" for d in effect["runs"][branch])
            rows.append(row)
    return pd.DataFrame(rows)


def printable(table: pd.DataFrame) -> pd.DataFrame:
    """The table as printed: AUCs to 3 places, each effect with its interval in one cell."""
    out = table.copy()
    for branch in ("local", "fusion"):
        out[f"effect {branch}"] = [f"{d:+.4f} [{lo:+.4f}, {hi:+.4f}]" for d, lo, hi in
                                   zip(out[f"effect {branch}"], out[f"{branch} lo"], out[f"{branch} hi"], strict=True)]
        out = out.drop(columns=[f"{branch} lo", f"{branch} hi"])
    return out.round(3).set_index("patients")


def plot_effect_by_data_size(table: pd.DataFrame) -> Figure:
    """One panel per branch: the effect and its interval against the training films (log axis),
    test filled and coloured by its verdict, validation hollow and shifted right."""
    fig, axes = plt.subplots(1, 3, figsize=(16.4, 4.4), layout="constrained")
    films = sorted(set(table["training films"]))
    for ax, branch in zip(axes[:2], ("local", "fusion"), strict=True):
        ax.axhline(0, color="black", linewidth=0.8)
        for split, shift, hollow in (("test", 1.0, False), ("val", 1.06, True)):
            rows = table[table["split"] == split].sort_values("training films")
            if rows.empty:
                continue
            x = rows["training films"].to_numpy() * shift
            y = rows[f"effect {branch}"].to_numpy()
            ax.plot(x, y, color="#1f77b4" if hollow else "#555555", linewidth=1, linestyle="--" if hollow else "-")
            for xi, yi, lo, hi in zip(x, y, rows[f"{branch} lo"], rows[f"{branch} hi"], strict=True):
                colour = "#1f77b4" if hollow else verdict_colour(lo, hi)
                ax.errorbar(xi, yi, yerr=[[yi - lo], [hi - yi]], fmt="o", color=colour, capsize=4, markersize=7,
                            markerfacecolor="white" if hollow else colour)
        ax.set_xscale("log")
        ax.set_xticks(films, [f"{n:,}" for n in films])
        ax.minorticks_off()
        ax.set_xlabel("training films (log scale)")
        ax.set_ylabel("AUC(crop) - AUC(whole film), mean of the seeds")
        ax.set_title(f"{branch}: crop vs whole film, by training set")
    low = min(ax.get_ylim()[0] for ax in axes[:2])
    high = max(ax.get_ylim()[1] for ax in axes[:2])
    for ax in axes[:2]:
        ax.set_ylim(low, high)
    _plot_branch_aucs(axes[2], table, films)
    fig.legend(handles=[
        Line2D([], [], marker="o", color="#7f7f7f", linestyle="-", label="test, paired 95% CI (green: crop wins)"),
        Line2D([], [], marker="o", markerfacecolor="white", color="#1f77b4", linestyle="--", label="validation, paired 95% CI"),
    ], loc="outside lower left", ncols=2, fontsize=8)
    return fig


BRANCH_STYLES = {"global": ("#7f7f7f", ":"), "local": ("#2ca02c", "-"), "local_whole_film": ("#2ca02c", "--"),
                 "fusion": ("#d62728", "-"), "fusion_whole_film": ("#d62728", "--")}


def _plot_branch_aucs(ax, table: pd.DataFrame, films: list[int]) -> None:
    """Each branch's own mean AUC against the training films: does the crop or the whole film
    gain more from more data? The test split where present, else validation."""
    split = "test" if (table["split"] == "test").any() else "val"
    rows = table[table["split"] == split].sort_values("training films")
    for branch, (colour, style) in BRANCH_STYLES.items():
        ax.plot(rows["training films"], rows[branch], color=colour, linestyle=style, marker="o", markersize=5,
                label=branch.replace("_", " "))
    ax.set_xscale("log")
    ax.set_xticks(films, [f"{n:,}" for n in films])
    ax.minorticks_off()
    ax.set_xlabel("training films (log scale)")
    ax.set_ylabel(f"mean AUC ({split}), mean of the seeds")
    ax.set_title("each branch, by training set (dashed: whole film)")
    ax.legend(fontsize=8, loc="lower right")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", nargs="+", action="append", metavar="RUN",
                        help="the runs of one phantom size (one per seed); repeat for each size")
    parser.add_argument("--split", nargs="+", default=["val", "test"], choices=["val", "test"])
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=DRAFT_FIGURES / "data_size_effect.png", help=OUT_HELP)
    args = parser.parse_args(argv)
    given = args.setting or [list(runs) for runs in DEFAULT_SETTINGS]
    if len(given) < 2:
        raise SystemExit("give two or more --setting (phantom sizes); one size has no trend to show")
    settings = [read_setting(runs) for runs in given]  # every check before any bootstrap
    check_one_axis(settings)
    table = size_rows(settings, args.split, args.n_boot)
    print("crop minus whole film by the size of the training set: mean over the seeds [paired 95% "
          "interval over the films], each seed's own, and each branch's mean AUC\n")
    print(markdown_table(printable(table)))
    fig = plot_effect_by_data_size(table)
    print()
    save_figure(fig, args.out)


if __name__ == "__main__":
    main()
