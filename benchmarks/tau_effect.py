"""The paper's tau sweep, with the control: the attention effect against the mask threshold tau.

    .venv/bin/python benchmarks/tau_effect.py                     # runs/demo-cpu at tau 0.4 ... 0.9
    .venv/bin/python benchmarks/tau_effect.py --base runs/tau0.7-demo-cpu runs/exp-v4-seed1 runs/exp-v4-seed2
    .venv/bin/python benchmarks/tau_effect.py --taus 0.6 0.7 --no-train   # table and figure of finished twins
    .venv/bin/python benchmarks/tau_effect.py --taus 0.6 --box-area 0.45 --out docs/figures/box_area_effect.png

The paper sweeps tau from 0.1 to 0.9 on its test set: the local branch falls as the box shrinks
(0.828 at tau 0.1, 0.751 at 0.9) while the fusion stays within 0.858-0.868, and it keeps 0.7. It has
no control, so whether a smaller box (a stronger zoom) helps the fusion more than a whole film
would cannot be read from it. Here each tau is a twin of a finished run (`--base`): its stage I
copied, stages II and III trained on the box at that tau (`model.attention.choose_tau` off), in the
folder `<base>-tau<tau>` (the base itself at the tau it chose). The whole-film control does not
depend on tau, so every twin is compared with its base run's own control: the same start, epochs,
seed and augmentation. A twin is checked to hold its base's global branch (the same predictions)
before it is compared. Each twin reads its test split once, as `agcnn-lab demo` does.

`--box-area A` trains the twins with `model.attention.box_area` A instead of the region's bounding
box (attention.centred_boxes: tau draws the region, the box of A of the window is centred on it),
in `<base>-tau<tau>-box<A>`; the box columns are then the twins' own validation sweeps, and each
row also compares the centred box head to head with the paper's box at the same tau (the base
itself, or its finished twin at that tau): centred crop minus the paper's crop, pooled over the
seeds with the same paired interval.

Printed, per tau: the box (mean share of the window on the validation split, from the base's
tau sweep, and the single-lesion pointing game there), the validation mean AUCs of the crop's
local and fusion branches (mean over the bases; the controls' do not move), and the effect (crop
minus whole film) averaged over the bases with its paired 95% interval over the films
(evaluate.seeds_attention_effect), on validation (where a choice would be made) and on test.
Several bases must differ in their training seed alone. The figure: validation AUCs against tau
beside the controls', and each branch's effect against tau.
"""

from __future__ import annotations

import argparse
import json
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
from agcnn_lab.evaluate.twins import CONTROL_BRANCHES, rival_predictions, twin_predictions  # noqa: E402
from agcnn_lab.experiment import run_from_global_stage  # noqa: E402
from agcnn_lab.figures.lesion_size import verdict_colour  # noqa: E402
from agcnn_lab.figures.save import DRAFT_FIGURES, OUT_HELP, save_figure  # noqa: E402
from agcnn_lab.report import markdown_table  # noqa: E402
from agcnn_lab.run_folder import CONFIG_FILE, RunFolderError, seed_replicates  # noqa: E402

BASES = ("runs/demo-cpu",)  # BENCHMARKS.md's table: three bases, one per training seed
# What a twin may differ from its base in: the tau (fixed instead of chosen), the box's area and the
# control it skips.
TWIN_FIELDS = ("name", "model.attention.tau", "model.attention.choose_tau", "model.attention.box_area",
               "training.control")


def chosen_tau(base: Path) -> float:
    return float(json.loads((base / "run.json").read_text())["tau"])


def twin_folder(base: Path, tau: float, box_area: float | None = None) -> Path:
    """The base itself when it ran at this tau and box; else `<base>-tau<tau>[-box<A>]`."""
    base_area = Profile.read(base / CONFIG_FILE).model.attention.box_area
    same_box = (base_area is None) if box_area is None else (base_area is not None and np.isclose(box_area, base_area))
    if np.isclose(tau, chosen_tau(base)) and same_box:
        return base
    return base.with_name(f"{base.name}-tau{tau:g}" + ("" if box_area is None else f"-box{box_area:g}"))


def check_base(base: Path) -> Profile:
    for needed in (CONFIG_FILE, "run.json", "metrics.json", "predictions.csv", "tau_sweep.csv"):
        if not (base / needed).is_file():
            raise SystemExit(f"{base}: no {needed}; the base must be a finished run (agcnn-lab demo --out {base})")
    profile = Profile.read(base / CONFIG_FILE)
    if not profile.training.control:
        raise SystemExit(f"{base}: trained without the whole-film control; its twins would have nothing to be compared with")
    return profile


def ensure_twin(base: Path, tau: float, data=None, box_area: float | None = None) -> Path:
    """The run of `base`'s configuration with the box at `tau` (and of `box_area`, None: the
    region's bounding box) and no control of its own, trained (stages II and III on the base's
    stage I) and evaluated if its folder has no metrics.json yet. `data`: the base run's data
    bundle (default: load_data of its configuration)."""
    out = twin_folder(base, tau, box_area)
    if (out / "metrics.json").is_file() or out == base:
        return out
    profile = check_base(base).with_changes(**{
        "model.attention.tau": tau, "model.attention.choose_tau": False, "model.attention.box_area": box_area,
        "training.control": False})
    try:  # refuses an unfinished stage I or a folder of another configuration, before any work
        return run_from_global_stage(base, out, profile, data)
    except RunFolderError as err:
        raise SystemExit(str(err)) from None


def twin_table(base: Path, twin: Path) -> pd.DataFrame:
    """The twin's crop branches with its base's whole-film control, as one predictions table;
    refused when the twin is not its base's at another tau, or does not hold its global branch."""
    try:
        return twin_predictions(twin, base, may_differ=TWIN_FIELDS)
    except RunFolderError as err:
        raise SystemExit(str(err)) from None


def head_to_head(bases: list[Path], twins: list[Path], tau: float, n_boot: int) -> dict | None:
    """Per split, the centred box's crop branches minus the paper's box's at the same `tau` (the
    bases' folders at that tau, their branches renamed `<branch>_paper_box`), pooled over the
    seeds; None when a base has no finished run of the paper's box at `tau`."""
    papers = [twin_folder(base, tau) for base in bases]
    if not all((paper / "predictions.csv").is_file() for paper in papers):
        return None
    try:
        tables = [rival_predictions(twin, paper, "_paper_box", may_differ=TWIN_FIELDS)
                  for paper, twin in zip(papers, twins, strict=True)]
    except RunFolderError as err:
        raise SystemExit(str(err)) from None
    controls = {branch: f"{branch}_paper_box" for branch in ("local", "fusion")}
    return {split: seeds_attention_effect(tables, split, n_boot=n_boot, controls=controls) for split in ("val", "test")}


def sweep_table(bases: list[Path], taus: list[float], train: bool = True, n_boot: int = 1000, data=None,
                box_area: float | None = None) -> pd.DataFrame:
    """One row per tau: the box, the validation AUCs and the pooled effect on each split. With
    `train`, the missing twins are trained (`data`: as ensure_twin's); without, a tau whose
    twins are not all finished is left out. `box_area`: the twins' (ensure_twin's)."""
    for base in bases:  # every check before any training
        check_base(base)
    try:
        seed_replicates(bases, "the bases")
    except RunFolderError as err:
        raise SystemExit(str(err)) from None
    rows = []
    for tau in sorted(set(taus)):
        twins = [ensure_twin(base, tau, data, box_area) if train else twin_folder(base, tau, box_area) for base in bases]
        if not all((twin / "predictions.csv").is_file() for twin in twins):
            continue
        tables = [twin_table(base, twin) for base, twin in zip(bases, twins, strict=True)]
        # The box's own sweep: the base's holds the twins' boxes unless they differ in area.
        sweeps = [pd.read_csv((base if box_area is None else twin) / "tau_sweep.csv").set_index("tau")
                  for base, twin in zip(bases, twins, strict=True)]
        box = [s.loc[s.index[np.isclose(s.index, tau)][0]] if np.isclose(s.index, tau).any() else None for s in sweeps]
        row = {"tau": tau, "seeds": len(bases),
               "box (val)": np.mean([b["area"] for b in box]) if all(b is not None for b in box) else np.nan,
               "hit_single (val)": np.mean([b["hit_single"] for b in box]) if all(b is not None for b in box) else np.nan}
        for branch in ("local", "fusion", *CONTROL_BRANCHES):
            row[f"val {branch}"] = np.mean([branch_mean_auc(t, "val", branch) for t in tables])
        for split in ("val", "test"):
            effect = seeds_attention_effect(tables, split, n_boot=n_boot)
            for branch in ("local", "fusion"):
                row[f"{split} {branch} effect"] = effect[branch]["mean"]
                row[f"{split} {branch} lo"], row[f"{split} {branch} hi"] = effect[branch]["ci95"]
                row[f"{split} {branch} each"] = " / ".join(f"{d:+.3f}" for d in effect["runs"][branch])
        versus = head_to_head(bases, twins, tau, n_boot) if box_area is not None else None
        for split in ("val", "test"):
            for branch in ("local", "fusion"):
                effect = versus[split][branch] if versus else {"mean": np.nan, "ci95": (np.nan, np.nan)}
                row[f"{split} {branch} vs paper"] = effect["mean"]
                row[f"{split} {branch} vs paper lo"], row[f"{split} {branch} vs paper hi"] = effect["ci95"]
        rows.append(row)
    if not rows:
        raise SystemExit(f"no tau of {taus} has finished twins for every base (--no-train trains none)")
    return pd.DataFrame(rows)


def printable(table: pd.DataFrame) -> pd.DataFrame:
    out = table[["tau", "seeds", "box (val)", "hit_single (val)"]].copy()
    for branch in ("local", "fusion"):
        out[f"val AUC {branch}: crop / whole film"] = [
            f"{r[f'val {branch}']:.4f} / {r[f'val {branch}_whole_film']:.4f}" for _, r in table.iterrows()]
    for split in ("val", "test"):
        for branch in ("local", "fusion"):
            out[f"{split} effect, {branch}"] = [
                f"{r[f'{split} {branch} effect']:+.4f} [{r[f'{split} {branch} lo']:+.4f}, {r[f'{split} {branch} hi']:+.4f}] "
                f"({r[f'{split} {branch} each']})" for _, r in table.iterrows()]
    if "val local vs paper" in table and table["val local vs paper"].notna().any():
        for split in ("val", "test"):
            for branch in ("local", "fusion"):
                out[f"{split}, {branch}: centred - paper's box"] = [
                    f"{r[f'{split} {branch} vs paper']:+.4f} [{r[f'{split} {branch} vs paper lo']:+.4f}, "
                    f"{r[f'{split} {branch} vs paper hi']:+.4f}]" for _, r in table.iterrows()]
    return out.round(3).set_index("tau")


def plot_tau_effect(table: pd.DataFrame) -> Figure:
    """Left: the crop's validation AUCs against tau, the controls' as dashed lines. Then one panel
    per branch: the test effect with its interval (green above 0, red below, grey across), the
    validation effect as a hollow marker."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
    taus = table["tau"]
    ax = axes[0]
    for branch, colour in (("local", "#ff7f0e"), ("fusion", "#2ca02c")):
        ax.plot(taus, table[f"val {branch}"], marker="o", color=colour, label=f"{branch} (crop)")
        ax.axhline(table[f"val {branch}_whole_film"].mean(), color=colour, linestyle="--", linewidth=1,
                   label=f"{branch} (whole film)")
    ax.set_xlabel("tau")
    ax.set_ylabel("validation mean AUC")
    ax.set_title("validation AUC against tau")
    ax.legend(fontsize=8)
    if table["box (val)"].notna().all():
        top = ax.secondary_xaxis("top")
        top.set_xticks(list(taus), labels=[f"{a:.0%}" for a in table["box (val)"]])
        top.set_xlabel("box, share of the window (validation)")
    for ax, branch in zip(axes[1:], ("local", "fusion"), strict=True):
        ax.axhline(0, color="black", linewidth=0.8)
        ax.plot(taus, table[f"test {branch} effect"], color="#555555", linewidth=1, zorder=1)
        for _, row in table.iterrows():
            effect, low, high = row[f"test {branch} effect"], row[f"test {branch} lo"], row[f"test {branch} hi"]
            ax.errorbar(row["tau"], effect, yerr=[[effect - low], [high - effect]], fmt="o",
                        color=verdict_colour(low, high), capsize=4, markersize=7, zorder=3)
            ax.plot(row["tau"] + 0.012, row[f"val {branch} effect"], marker="o", markerfacecolor="none",
                    markeredgecolor="#1f77b4", linestyle="none", zorder=2)
        ax.set_xlabel("tau")
        ax.set_ylabel("AUC(crop) - AUC(whole film)")
        ax.set_title(f"{branch}: crop vs whole film")
    low = min(ax.get_ylim()[0] for ax in axes[1:])
    high = max(ax.get_ylim()[1] for ax in axes[1:])
    for ax in axes[1:]:
        ax.set_ylim(low, high)
    axes[1].legend(handles=[
        Line2D([], [], marker="o", color="#7f7f7f", linestyle="none", label="test, paired 95% CI (green: crop wins)"),
        Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor="#1f77b4", linestyle="none",
               label="validation"),
    ], loc="lower left", fontsize=8)
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, nargs="+", default=[Path(b) for b in BASES],
                        help="finished runs with the whole-film control, one per training seed")
    parser.add_argument("--taus", type=float, nargs="+", default=[0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    parser.add_argument("--out", type=Path, default=DRAFT_FIGURES / "tau_effect.png", help=OUT_HELP)
    parser.add_argument("--no-train", action="store_true", help="train nothing: the taus whose twins are finished")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--box-area", type=float, default=None,
                        help="twins cut a box of this share of the window centred on the region (default: its bounding box)")
    args = parser.parse_args()
    bad = [tau for tau in args.taus if not 0 < tau < 1]
    if bad:
        raise SystemExit(f"--taus: each must lie in (0, 1), got {bad[0]}")
    if args.box_area is not None and not 0 < args.box_area <= 1:
        raise SystemExit(f"--box-area: a share of the window in (0, 1], got {args.box_area}")
    table = sweep_table(args.base, args.taus, not args.no_train, args.n_boot, box_area=args.box_area)
    print("crop minus whole film, mean AUC over the 14 diseases: the mean over the seeds [paired 95% "
          "interval over the films] (each seed's own)\n")
    print(markdown_table(printable(table)))
    fig = plot_tau_effect(table)
    print()
    save_figure(fig, args.out)


if __name__ == "__main__":
    main()
