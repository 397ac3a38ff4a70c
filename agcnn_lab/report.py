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

from .config import TAU_RULES, write_text_atomic
from .data.classes import CLASSES
from .evaluate.attention_effect import CONTROLS, effect_table
from .evaluate.paper import BRANCHES, comparison_table, paper_table
from .evaluate.tau_sweep import choose_tau

# The attention's own effect (crop minus whole film, test split; metrics["attention_effect"]).
LOCAL_EFFECT_GOAL = 0.02  # mean AUC, with the paired 95% interval above 0
NODULE_EFFECT_GOAL = 0.05  # the small finding the zoom exists for
FUSION_EFFECT_GOAL = 0.01
# The attention box (test split; metrics["pointing"]).
POINTING_GOAL = 0.85  # share of the single-lesion films whose lesion centre lies in the box
BOX_AREA_GOAL = 0.35  # ... with a mean box no larger than this share of the film
# Branch comparisons: what the paper reports, which mixes the attention with everything else
# that differs between the branches (the local branch's start, epochs and input).
FUSION_GAIN_GOAL = 0.03  # fusion mean AUC - global mean AUC
SMALL_FINDINGS = ("Nodule", "Mass")  # the localised findings the zoom-in exists for


@dataclass
class Check:
    name: str
    passed: bool
    detail: str
    isolates_attention: bool = True  # False: passing it says nothing about the attention alone

    @property
    def line(self) -> str:
        caveat = "" if self.isolates_attention else " [branch comparison: not the attention's alone]"
        return f"{'PASS' if self.passed else 'FAIL'}: {self.name} ({self.detail}){caveat}"


def result_checks(metrics: dict, localisation: pd.DataFrame | None = None) -> list[Check]:
    """The results the method must show: first the attention's own effect against the
    whole-film control and the box against the best fixed box, then the paper's branch
    comparisons, labelled as not isolating the attention."""
    checks = []
    effect = metrics.get("attention_effect")
    if effect:
        local, fusion = effect["local"], effect["fusion"]
        low, high = local["ci95"]
        checks.append(Check(
            f"attention effect, local: crop - whole film >= +{LOCAL_EFFECT_GOAL} mean AUC, 95% CI above 0",
            local["mean"] >= LOCAL_EFFECT_GOAL and low > 0,
            f"{local['mean']:+.3f} [{low:+.3f}, {high:+.3f}]",
        ))
        nodule = local["auc"].get("Nodule", float("nan"))
        n_low, n_high = local["ci95_auc"].get("Nodule", [float("nan")] * 2)
        checks.append(Check(
            f"attention effect on Nodule, local: >= +{NODULE_EFFECT_GOAL}",
            bool(nodule >= NODULE_EFFECT_GOAL),
            f"{nodule:+.3f} [{n_low:+.3f}, {n_high:+.3f}]",
        ))
        f_low, f_high = fusion["ci95"]
        checks.append(Check(
            f"attention effect, fusion: fusion(crop) >= fusion(whole film) + {FUSION_EFFECT_GOAL}",
            fusion["mean"] >= FUSION_EFFECT_GOAL,
            f"{fusion['mean']:+.3f} [{f_low:+.3f}, {f_high:+.3f}]",
        ))
    pointing = metrics.get("pointing")
    if pointing:
        fixed = pointing["fixed_box"]
        checks.append(Check(
            f"the box finds the lesion: >= {POINTING_GOAL:.0%} of single-lesion films at a mean box <= "
            f"{BOX_AREA_GOAL:.0%} of the film, and more than the best fixed box of that area",
            pointing["hit_single"] >= POINTING_GOAL and pointing["area"] <= BOX_AREA_GOAL
            and pointing["hit_single"] > fixed["hit_single"],
            f"{pointing['hit_single']:.1%} of {pointing['single']} at {pointing['area']:.0%} of the film; "
            f"fixed box {fixed['hit_single']:.1%}; all {pointing['lesions']} lesions {pointing['hit']:.1%}",
        ))
    elif localisation is not None and "all" in localisation.index:
        row = localisation.loc["all"]
        checks.append(Check(
            f"the box finds the lesion: >= {POINTING_GOAL:.0%} of single-lesion films",
            bool(row["hit_single"] >= POINTING_GOAL),
            f"{row['hit_single']:.1%} of {int(row['single'])}; all {int(row['lesions'])} lesions {row['hit']:.1%}",
        ))
    if {"global", "fusion"} <= set(metrics):
        gain = metrics["fusion"]["mean_auc"] - metrics["global"]["mean_auc"]
        checks.append(Check(
            f"fusion mean AUC >= global + {FUSION_GAIN_GOAL} (the paper's comparison)",
            gain >= FUSION_GAIN_GOAL,
            f"fusion {metrics['fusion']['mean_auc']:.3f} - global {metrics['global']['mean_auc']:.3f} = {gain:+.3f}",
            isolates_attention=False,
        ))
    if {"global", "local"} <= set(metrics):
        pairs = [(c, metrics["local"]["auc"][c], metrics["global"]["auc"][c]) for c in SMALL_FINDINGS]
        checks.append(Check(
            f"local beats global on the small findings ({', '.join(SMALL_FINDINGS)})",
            all(local > glob for _, local, glob in pairs),
            "; ".join(f"{c}: local {local:.3f} vs global {glob:.3f}" for c, local, glob in pairs),
            isolates_attention=False,
        ))
    return checks


def attention_effect_summary(metrics: dict) -> str:
    """The bottom line of a run in plain sentences: the crop against the whole film (local and
    fusion, paired 95% intervals), what that says, and what the branch comparisons do not."""
    if "attention_effect" not in metrics:
        return ("This run skipped the whole-film control, so nothing in it isolates the attention: "
                "the branch comparisons mix the box with the local branch's extra training and pixels.")
    lines = []
    for branch in ("local", "fusion"):
        effect = metrics["attention_effect"][branch]
        low, high = effect["ci95"]
        crop, whole = metrics[branch]["mean_auc"], metrics[CONTROLS[branch]]["mean_auc"]
        if low > 0:
            verdict = "the crop beats the whole film: the attention earns its own gain here"
        elif high < 0:
            verdict = "the crop loses to the whole film: on this run the box costs more than its zoom brings"
        else:
            verdict = "no difference this test split can tell (the interval holds 0)"
        lines.append(f"{branch}: crop {crop:.3f} vs whole film {whole:.3f}, d = {effect['mean']:+.3f} "
                     f"[{low:+.3f}, {high:+.3f}] (paired 95% interval): {verdict}.")
    gain = metrics["fusion"]["mean_auc"] - metrics["global"]["mean_auc"]
    lines.append(f"fusion - global = {gain:+.3f}: a branch comparison, which mixes the box with the local "
                 "branch's start, its extra epochs and its pixels; the two lines above are the attention's alone.")
    return "\n".join(lines)


def branch_metrics_only(metrics: dict) -> dict:
    """metrics.json's branches (the entries with a mean AUC), without attention_effect and pointing."""
    return {name: value for name, value in metrics.items() if isinstance(value, dict) and "mean_auc" in value}


def class_table(metrics: dict, backbone: str = "resnet50") -> pd.DataFrame:
    """Per-class test AUC of each branch, with the paper's fusion row for the same class."""
    paper = paper_table().query("model == 'AG-CNN' and branch == 'fusion' and backbone == @backbone").iloc[0]
    table = pd.DataFrame({b: [m["auc"][c] for c in CLASSES] for b, m in branch_metrics_only(metrics).items()}, index=list(CLASSES))
    table[f"paper fusion ({backbone})"] = [paper[c] for c in CLASSES]
    return table


def write_report(experiment, data, seconds_total: float | None = None) -> Path:
    """Write report.md and its figures into experiment.out; returns the report's path."""
    profile = experiment.profile
    model, attention = profile.model, profile.model.attention
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
        "roc.png": plot_roc_curves(experiment.test.labels, {b: p for b, p in experiment.test.probs.items() if b in BRANCHES}),
        "class_aucs.png": plot_class_aucs(metrics, backbone=_paper_backbone(model.backbone)),
    }
    if experiment.sweep is not None:
        figures["tau_sweep.png"] = plot_tau_sweep(experiment.sweep, chosen=experiment.tau)
    grid = attention_grid(experiment, data)
    if grid is not None:
        figures["attention.png"] = grid
    for name, fig in figures.items():
        fig.savefig(out / name, dpi=110)
        plt.close(fig)

    lines = [f"# AG-CNN on {data.name}: profile `{profile.name}`", ""]
    lines += [
        f"Backbone `{model.backbone}` ({'ImageNet start' if model.pretrained else 'trained from scratch'}), "
        f"global input {profile.data.geometry.crop} px (resize {profile.data.geometry.resize}), local input {attention.crop_size} px "
        f"cut from the {profile.data.cache_size}-px source, tau = {experiment.tau:g}"
        f"{tau_origin(attention, experiment.sweep is not None)}, heatmap `{attention.reduce}`, {box_kind(attention)}. "
        "The whole configuration: `config.json`. "
        f"Images: {settings['sizes']}{training_share(profile.training.train_fraction)}. Device: {settings['device']}.",
        "",
        "Wall time: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in experiment.seconds.items())
        + (f"; whole job {seconds_total / 60:.1f} min." if seconds_total else "."),
        "",
        kept_epochs_line(experiment.histories),
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
        lines += [f"- {c.line}" for c in checks]
        lines += ["", _attention_caveat(profile, "attention_effect" in metrics), ""]
    if "attention_effect" in metrics:
        lines += _attention_effect_section(metrics, profile)
    lines += ["## Per-class test AUC", "", markdown_table(class_table(metrics, _paper_backbone(model.backbone)).round(3)), ""]
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
            tau_choice_line(attention, experiment.tau, experiment.sweep),
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
        "`predictions.csv` (every test and val image, every branch), `attention_boxes.csv` (where each test and val "
        "film's crop was cut), `metrics.json` (test AUCs with 95% bootstrap intervals), `localisation.csv`, `tau_sweep.csv`, `config.json` (the whole configuration), `run.json`, and one folder per stage with "
        "`best.pt`, `last.pt` and `log.csv`.",
        "",
    ]
    path = out / "report.md"
    write_text_atomic(path, "\n".join(lines))
    return path


def attention_grid(experiment, data, count: int = 6):
    """The attention steps for test images with lesions, first those of the small findings."""
    if data.boxes is None:
        return None
    from .attention.trace import AttentionExplorer, ExplorerState
    from .figures.attention import plot_attention_grid

    profile = experiment.profile
    dataset = data.dataset("test", profile.data, with_no_finding=experiment.model.with_no_finding, with_source=True)
    lesion_images = data.boxes[data.boxes["image"].isin(set(dataset.names))]
    if lesion_images.empty:
        return None
    small = lesion_images[lesion_images["label"].isin(SMALL_FINDINGS)]["image"].drop_duplicates()
    others = lesion_images["image"].drop_duplicates()
    names = list(dict.fromkeys([*small.iloc[: count // 2], *others]))[:count]
    position = {n: i for i, n in enumerate(dataset.names)}
    explorer = AttentionExplorer(experiment.model.cpu(), dataset, data.boxes)
    views = [explorer.view(ExplorerState(position[n], experiment.tau, profile.model.attention.reduce)) for n in names]
    return plot_attention_grid(views)


def _paper_backbone(backbone: str) -> str:
    return "densenet121" if backbone.startswith("densenet") else "resnet50"


def box_kind(attention) -> str:
    """How the box is drawn from the region above tau: the paper's bounding box, or a box of a
    fixed share of the input centred on it (model.attention.box_area)."""
    if attention.box_area is None:
        return "box: the region's bounding box"
    return f"box: {attention.box_area:.0%} of the input, centred on the region (`box_area`, a departure from the paper)"


def tau_origin(attention, swept: bool) -> str:
    """How the run's tau was set, for the report's first paragraph."""
    if attention.choose_tau:
        return " (chosen on validation)" if swept else ""
    return " (fixed by the configuration)"


def tau_choice_line(attention, tau: float, sweep: pd.DataFrame) -> str:
    """The tau section's verdict: the rule's choice, or the fixed tau beside what the rule would take."""
    rule = (f"the highest tau whose box still holds >= {attention.min_hit:.0%} of the validation lesions "
            f"({TAU_RULES[attention.tau_on]})")
    if attention.choose_tau:
        return f"{rule[0].upper()}{rule[1:]}: **{tau:g}**."
    would = choose_tau(sweep, attention.min_hit, on=attention.tau_on.value)
    return (f"The configuration fixes tau at **{tau:g}** (`model.attention.choose_tau` off); the table shows its box. "
            f"The rule `choose_tau`, {rule}, would take {would:g}.")


def training_share(fraction: float) -> str:
    """The report's note when stages II and III saw a share of the training images only."""
    return "" if fraction == 1 else f" (stages II and III: {fraction:.0%} of the training images, training.train_fraction)"


def kept_epochs_line(histories: dict[str, list[dict]]) -> str:
    """Which epoch each stage kept (its best on validation), of how many it trained; epoch 0 is
    a start that no trained epoch beat (stage III's ensemble of the two branches)."""
    parts = []
    for stage, history in histories.items():
        if not history:
            continue
        best = max(history, key=lambda h: h["val_mean_auc"])  # the first of equals, as fit_stage keeps
        trained = sum(1 for h in history if h["epoch"] > 0)
        kept = "0 (its start: the ensemble of the two branches)" if best["epoch"] == 0 else str(best["epoch"])
        parts.append(f"{stage} {kept} of {trained} (validation mean AUC {best['val_mean_auc']:.4f})")
    return "Kept epoch of each stage, chosen on validation: " + "; ".join(parts) + "." if parts else ""


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


def _attention_caveat(profile, with_control: bool) -> str:
    """The branch comparisons cannot tell the attention's share of the local branch's gain from
    what else differs between the branches; the whole-film control can. Say which is which."""
    global_side = profile.data.geometry.crop
    crop_side = profile.model.attention.crop_size or global_side
    start = (
        "starts as a copy of the trained global branch and trains further on its crops"
        if profile.training.local_from_global
        else "starts from the same ImageNet weights and trains further on its crops"
    )
    text = (
        f"The branch comparisons (fusion - global, local - global) do not isolate the attention: the local branch {start}, "
        f"at {crop_side} px cut from the {profile.data.cache_size}-px source, while the global branch sees the film at "
        f"{global_side} px, so its gain mixes the extra training, the extra pixels and the box. "
    )
    if with_control:
        return text + (
            "The attention-effect checks compare like with like: the same local branch, from the same start, for the same "
            f"epochs, fed the whole film at {crop_side} px instead of the box (the whole-film control below)."
        )
    return text + "This run skipped the whole-film control (--no-control), so nothing here isolates the attention."


def _attention_effect_section(metrics: dict, profile) -> list[str]:
    """The crop's branches beside their whole-film twins, and the paired differences per class."""
    rows = []
    for crop_branch, whole_branch in CONTROLS.items():
        for branch, sees in ((crop_branch, "the attention crop"), (whole_branch, "the whole film")):
            low, high = metrics[branch]["ci95"]["mean_auc"]
            rows.append({"branch": branch, "the local branch sees": sees, "test mean AUC": metrics[branch]["mean_auc"], "95% CI": f"{low:.3f}-{high:.3f}"})
    return [
        "## The attention's own effect: the crop against the whole film",
        "",
        f"Stages II and III were trained twice from the same stage I: once on the attention crop, once on the whole film "
        f"(the same window of the source, at the same {profile.model.attention.crop_size or profile.data.geometry.crop} px), from the same "
        "start weights, with the same epochs, seed and augmentation. d = AUC(crop) - AUC(whole film) on the test films; "
        "the 95% intervals are paired (each bootstrap resample scores both sides on the same films).",
        "",
        markdown_table(pd.DataFrame(rows).set_index("branch")),
        "",
        markdown_table(_signed(effect_table(metrics["attention_effect"]), metrics["attention_effect"])),
        "",
        *_box_effect_lines(metrics.get("attention_effect_by_box")),
    ]


def _signed(table: pd.DataFrame, branches) -> pd.DataFrame:
    """effect_table's differences (a column per branch) written with their sign, as their intervals
    are ("+0.006 [-0.001, +0.013]"), so that a gain and a loss read apart at a glance; empty where
    undefined."""
    return table.assign(**{branch: [("" if np.isnan(d) else f"{d:+.3f}") for d in table[branch]] for branch in branches})


def _box_effect_lines(by_box: dict | None) -> list[str]:
    """What the crop did with the lesions its box held and with those it cut away
    (metrics["attention_effect_by_box"], evaluate.lesion_in_box); nothing without boxes."""
    if not by_box:
        return []
    rows = []
    first = next(iter(by_box.values()))  # every branch is scored on the same positives
    for where in first:
        row = {"the positive's lesion": where, "positives": first[where]["positives"]}
        for branch, bins in by_box.items():
            cell = bins[where]
            row[branch] = "too few positives" if cell["effect"] is None else (
                f"{cell['effect']:+.3f} [{cell['ci95'][0]:+.3f}, {cell['ci95'][1]:+.3f}]")
        rows.append(row)
    return [
        "Where the box cut: the same d on the positives whose lesion has its centre in the film's box, and on those "
        "whose lesion it cut away (the pointing game's rule; diseases without lesion boxes are in neither; "
        "`benchmarks/when_zoom_pays.py --by box` draws it).",
        "",
        markdown_table(pd.DataFrame(rows).set_index("the positive's lesion")),
        "",
    ]
