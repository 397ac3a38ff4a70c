"""report.md for a run: the AUC table beside the paper's, the checks, the figures.

    write_report(experiment, data, profile)     # -> experiment.out / "report.md" (+ PNGs)

Numbers come from the files the experiment wrote (metrics.json, localisation.csv,
tau_sweep.csv), so the report says nothing those files do not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

from .data.classes import CLASSES
from .evaluate.paper import comparison_table, paper_table
from .profiles import TAU_RULES

FUSION_GAIN_GOAL = 0.03  # fusion mean AUC - global mean AUC on the test split
POINTING_GOAL = 0.80  # share of localised test lesions whose centre lies in the attention box
SMALL_FINDINGS = ("Nodule", "Mass")  # the localised findings the zoom-in exists for


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


def result_checks(metrics: dict, localisation: pd.DataFrame | None) -> list[Check]:
    """The three results the method must show on the phantom (issue: "the result that matters")."""
    checks = []
    if {"global", "fusion"} <= set(metrics):
        gain = metrics["fusion"]["mean_auc"] - metrics["global"]["mean_auc"]
        checks.append(
            Check(
                f"fusion mean AUC >= global + {FUSION_GAIN_GOAL}",
                gain >= FUSION_GAIN_GOAL,
                f"fusion {metrics['fusion']['mean_auc']:.3f} - global {metrics['global']['mean_auc']:.3f} = {gain:+.3f}",
            )
        )
    if {"global", "local"} <= set(metrics):
        pairs = [(c, metrics["local"]["auc"][c], metrics["global"]["auc"][c]) for c in SMALL_FINDINGS]
        checks.append(
            Check(
                f"local beats global on the small findings ({', '.join(SMALL_FINDINGS)})",
                all(local > glob for _, local, glob in pairs),
                "; ".join(f"{c}: local {local:.3f} vs global {glob:.3f}" for c, local, glob in pairs),
            )
        )
    if localisation is not None and "all" in localisation.index:
        hit = float(localisation.loc["all", "hit"])
        lesions = int(localisation.loc["all", "lesions"])
        detail = f"{hit:.1%} of {lesions} localised test lesions"
        if "hit_single" in localisation and localisation.loc["all", "single"] > 0:
            single = localisation.loc["all"]
            detail += f"; {single['hit_single']:.1%} of the {int(single['single'])} alone on their film"
        checks.append(Check(f"attention box holds the lesion (pointing game) >= {POINTING_GOAL:.0%}", hit >= POINTING_GOAL, detail))
    return checks


def class_table(metrics: dict, backbone: str = "resnet50") -> pd.DataFrame:
    """Per-class test AUC of each branch, with the paper's fusion row for the same class."""
    paper = paper_table().query("model == 'AG-CNN' and branch == 'fusion' and backbone == @backbone").iloc[0]
    table = pd.DataFrame({b: [m["auc"][c] for c in CLASSES] for b, m in metrics.items()}, index=list(CLASSES))
    table[f"paper fusion ({backbone})"] = [paper[c] for c in CLASSES]
    return table


def write_report(experiment, data, profile, seconds_total: float | None = None) -> Path:
    """Write report.md and its figures into experiment.out; returns the report's path."""
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .figures.curves import plot_training_curves
    from .figures.roc import plot_class_aucs, plot_roc_curves
    from .figures.tau import plot_tau_sweep

    out = Path(experiment.out)
    settings = json.loads((out / "run.json").read_text())
    metrics = experiment.metrics
    figures = {
        "curves.png": plot_training_curves(experiment.histories),
        "roc.png": plot_roc_curves(experiment.test.labels, experiment.test.probs),
        "class_aucs.png": plot_class_aucs(metrics, backbone=_paper_backbone(profile)),
    }
    if experiment.sweep is not None:
        figures["tau_sweep.png"] = plot_tau_sweep(experiment.sweep, chosen=experiment.tau)
    grid = attention_grid(experiment, data, profile)
    if grid is not None:
        figures["attention.png"] = grid
    for name, fig in figures.items():
        fig.savefig(out / name, dpi=110)
        plt.close(fig)

    lines = [f"# AG-CNN on {data.name}: profile `{profile.name}`", ""]
    lines += [
        f"Backbone `{profile.backbone}` ({'ImageNet start' if profile.pretrained else 'trained from scratch'}), "
        f"global input {profile.geometry.crop} px (resize {profile.geometry.resize}), local input {profile.crop_size} px "
        f"cut from the {profile.cache_size}-px source, tau = {experiment.tau:g}"
        f"{' (chosen on validation)' if experiment.sweep is not None else ''}, heatmap `{profile.reduce}`. "
        f"Images: {settings['sizes']}. Device: {settings['device']}.",
        "",
        "Wall time: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in experiment.seconds.items())
        + (f"; whole job {seconds_total / 60:.1f} min." if seconds_total else "."),
        "",
        "## Test mean AUC over the 14 diseases, beside the paper",
        "",
        "The paper's numbers are on the real ChestX-ray14; they are a reference point, not a target for a phantom.",
        "",
        markdown_table(comparison_table(metrics, label="this run").round(3)),
        "",
    ]
    checks = result_checks(metrics, experiment.localisation)
    if checks:
        lines += ["## The result the method exists for", ""]
        lines += [f"- {'PASS' if c.passed else 'FAIL'}: {c.name} ({c.detail})" for c in checks]
        lines += ["", _attention_caveat(profile), ""]
    lines += ["## Per-class test AUC", "", markdown_table(class_table(metrics, _paper_backbone(profile)).round(3)), ""]
    lines += ["![per-class AUC](class_aucs.png)", "", "![ROC curves](roc.png)", ""]
    if experiment.localisation is not None:
        lines += [
            "## Where the attention box falls (test lesions)",
            "",
            "hit: the lesion's centre lies in the box (pointing game); IoBB: share of the lesion's box inside it; "
            "single, hit_single: the lesions alone on their film, and their pointing game (one box a film cannot "
            "hold findings in both lungs: hit_single is whether the box finds THE lesion).",
            "",
            markdown_table(experiment.localisation.round(3)),
            "",
        ]
    if "attention.png" in figures:
        lines += ["![heatmap, mask, region, box and crop](attention.png)", ""]
    if experiment.sweep is not None:
        lines += [
            "## Choosing tau on the validation split",
            "",
            f"The highest tau whose box still holds >= {profile.min_hit:.0%} of the validation lesions "
            f"({TAU_RULES[profile.tau_on]}): **{experiment.tau:g}**.",
            "",
            markdown_table(experiment.sweep.round(3).set_index("tau")),
            "",
            "![tau sweep](tau_sweep.png)",
            "",
        ]
    lines += ["## Training", "", "![training curves](curves.png)", ""]
    lines += [
        "## Files",
        "",
        "`predictions.csv` (every test and val image, every branch), `metrics.json` (test AUCs with 95% bootstrap "
        "intervals), `localisation.csv`, `tau_sweep.csv`, `run.json`, and one folder per stage with "
        "`best.pt`, `last.pt` and `log.csv`.",
        "",
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path


def attention_grid(experiment, data, profile, count: int = 6):
    """The attention steps for test images with lesions, first those of the small findings."""
    if data.boxes is None:
        return None
    from .figures.attention import plot_attention_grid
    from .widgets.explorer import AttentionExplorer, ExplorerState

    dataset = data.dataset("test", profile, with_source=True)
    lesion_images = data.boxes[data.boxes["image"].isin(set(dataset.names))]
    if lesion_images.empty:
        return None
    small = lesion_images[lesion_images["label"].isin(SMALL_FINDINGS)]["image"].drop_duplicates()
    others = lesion_images["image"].drop_duplicates()
    names = list(dict.fromkeys([*small.iloc[: count // 2], *others]))[:count]
    position = {n: i for i, n in enumerate(dataset.names)}
    explorer = AttentionExplorer(experiment.model.cpu(), dataset, data.boxes)
    views = [explorer.view(ExplorerState(position[n], experiment.tau, profile.reduce)) for n in names]
    return plot_attention_grid(views)


def _paper_backbone(profile) -> str:
    return "densenet121" if profile.backbone.startswith("densenet") else "resnet50"


def markdown_table(frame: pd.DataFrame) -> str:
    """A pipe table without the optional `tabulate` dependency."""
    frame = frame.reset_index()
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _cell(value) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.3f}"
    return str(value)


def _attention_caveat(profile) -> str:
    """These checks compare branches; they cannot tell the attention's share of the local
    branch's gain from what else differs between the branches. Say so, and name the control."""
    global_side = profile.geometry.crop
    crop_side = profile.crop_size or global_side
    start = (
        "starts as a copy of the trained global branch and trains further on its crops"
        if profile.local_from_global
        else "trains on its crops"
    )
    return (
        f"These checks compare the branches; they do not isolate the attention. The local branch {start}, "
        f"at {crop_side} px cut from the {profile.cache_size}-px source, while the global branch sees the film at "
        f"{global_side} px: its gain mixes the extra training, the extra pixels and the box (all of it is the first two, "
        "if the box is most of the film). `python benchmarks/control_no_attention.py --base <this folder>` trains the same "
        f"stage on the whole film at {crop_side} and at {global_side} px, and with a tighter box, to take them apart "
        "(BENCHMARKS.md has the result for the cpu profile)."
    )
