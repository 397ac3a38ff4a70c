"""The paper's ablations, next to a finished run: training order, tau, where the crop is cut.

    plan = ablation_plan(profile)                 # which variants, how long each trains
    table = run_ablations(profile, data, base="runs/notebooks-cpu", device=device)
    table[["global", "local", "fusion", "paper fusion"]]
    differences = ablation_differences("runs/notebooks-cpu", plan)   # each variant - the reference,
    differences.loc["crop from the input"]                           # paired 95% CIs, from the files
    print("\n".join(ablation_answers(differences)))                  # notebook 05's questions

Every variant but the joint one starts from the base run's stage I (the global branch is
frozen after it, so it is the same for all of them) and trains stages II and III again with
one change; the joint variant trains all three branches from scratch at once (its crops use
the profile's tau: there is no trained global branch to choose one with). Each variant lives
in base/ablations/<name>/ (resumed like any run) and is tested on the full test split; its
test predictions go to test_predictions.npz there, so that each variant can be set against the
plan's reference row on the same films (paired_differences: a paired bootstrap).

On a CPU a plan may shorten stages II/III and train them on a share of the training images
(`training.train_fraction`; each variant's config.json records both, and the profile's stage I it
holds, copied from the base run after run_folder.start_from_global_stage's check);
the plan's first variant, the paper's recipe, is then trained the same short way, so the
variants are compared with a like-for-like baseline rather than with the full run.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .config import CropFrom, Profile, Stage, write_text_atomic
from .data.bundle import DataBundle
from .data.classes import CLASSES
from .evaluate.auc import paired_bootstrap_difference
from .evaluate.predict import branch_metrics
from .experiment import train_run
from .paper import ABLATIONS
from .report import SMALL_FINDINGS
from .run_folder import CONFIG_FILE, claim_run_folder, start_from_global_stage
from .train.predict import BRANCHES, Predictions, predict_split

PREDICTIONS_FILE = "test_predictions.npz"  # a variant's test predictions, beside its metrics.json


@dataclass(frozen=True)
class Variant:
    """A named change of the configuration: dotted field paths -> values (config.Profile.with_changes)."""

    name: str
    changes: dict = field(default_factory=dict)  # e.g. {"model.attention.crop_from": "input"}
    paper: tuple[float, float, float] | None = None  # the paper's global/local/fusion mean AUC

    @property
    def folder(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    def __hash__(self) -> int:  # changes is a dict: hash its items (variants go in sets)
        return hash((self.name, tuple(sorted((k, repr(v)) for k, v in self.changes.items())), self.paper))

    @property
    def joint(self) -> bool:
        return bool(self.changes.get("training.joint", False))

    @property
    def crop_from(self) -> str:
        return str(self.changes.get("model.attention.crop_from", CropFrom.SOURCE))


PAPER = Variant("paper: G -> L -> F", paper=ABLATIONS["G -> L -> F"])
JOINT = Variant("all jointly", {"training.joint": True}, paper=ABLATIONS["all jointly"])
CROP_FROM_INPUT = Variant("crop from the input", {"model.attention.crop_from": "input"})
# Not in the paper: the local branch sees the whole film at the crop's resolution. What the
# paper's local branch gains over this is the attention's own share of the gain; the rest is
# what stage II brings without a box: the extra resolution, and the extra epochs of a local
# branch that starts from the trained global one.
NO_ATTENTION = Variant("no attention: the whole film", {"model.attention.crop_from": "whole"})
# The equal-budget control (benchmarks/control_no_attention.py): the paper feeds both branches
# the same number of pixels, so the attention's share shows against a whole film at that size.
TIGHT_BOX = "tight box: tau on single-lesion films"


def attention_controls(profile: Profile) -> tuple[Variant, ...]:
    """The attention crop against the whole film, at the profile's crop size and at the global
    input's size (the paper's setting), with the box of the profile's tau rule and the tighter
    box of the rule on single-lesion films."""
    same = profile.data.geometry.crop
    tight = {"model.attention.tau_on": "hit_single", "model.attention.choose_tau": True}  # the rule, even where the profile fixes tau
    return (
        NO_ATTENTION,
        Variant(TIGHT_BOX, tight),
        Variant(f"{TIGHT_BOX}, crop {same} px", {**tight, "model.attention.crop_size": same}),
        Variant(f"no attention: the whole film at {same} px",
                {"model.attention.crop_from": "whole", "model.attention.crop_size": same}),
    )


def _fixed_tau(tau: float) -> dict:
    return {"model.attention.tau": tau, "model.attention.choose_tau": False}


TAU_LOW = Variant("tau = 0.3", _fixed_tau(0.3), paper=ABLATIONS["tau = 0.3"])
TAU_HIGH = Variant("tau = 0.9", _fixed_tau(0.9), paper=ABLATIONS["tau = 0.9"])
VARIANTS = (PAPER, JOINT, CROP_FROM_INPUT, NO_ATTENTION, TAU_LOW, TAU_HIGH)



@dataclass(frozen=True)
class AblationPlan:
    variants: tuple[Variant, ...]
    epochs: dict[str, int] | None = None  # per stage; None: the profile's own
    train_fraction: float = 1.0  # share of the training images stages II/III (and joint) see

    @property
    def shortened(self) -> bool:
        return self.epochs is not None or self.train_fraction < 1.0


# ci: everything, as the profile trains it (seconds). cpu: every variant, shortened (2 epochs of
# stage II, 1 of stage III, 2 joint epochs, on a quarter of the training images) so that the
# five fit in a few minutes of a laptop; noisy, and the notebook says so. gpu: the full recipe.
PLANS = {
    "ci": AblationPlan(VARIANTS),
    "cpu": AblationPlan(VARIANTS, epochs={"global": 2, "local": 2, "fusion": 1}, train_fraction=0.25),
    "gpu": AblationPlan(VARIANTS),
}


def ablation_plan(profile: Profile) -> AblationPlan:
    """The plan for `profile` (PLANS), the full recipe for a profile PLANS does not name."""
    return PLANS.get(profile.name, AblationPlan(VARIANTS))


def variant_profile(profile: Profile, variant: Variant, plan: AblationPlan) -> Profile:
    """`profile` with the variant's changes, no whole-film control (a variant is a row of a
    table), and the plan's stage lengths (the lr drop scaled along) and share of the training
    films. Stage I keeps the profile's recipe unless the variant trains jointly: every other
    variant holds a copy of the base run's stage I, and its config.json says how that was trained."""
    changes: dict = {**variant.changes, "training.control": False, "training.train_fraction": plan.train_fraction}
    if plan.epochs:
        stages = dict(profile.training.stages)
        for name, settings in profile.training.stages.items():
            if name == Stage.GLOBAL and not variant.joint:
                continue
            epochs = plan.epochs.get(name, settings.epochs)
            drop = max(1, round(settings.lr_drop_epoch * epochs / max(settings.epochs, 1)))
            stages[name] = dataclasses.replace(settings, epochs=epochs, lr_drop_epoch=drop)
        changes["training.stages"] = stages
    return profile.with_changes(**changes)


def _copy_stages(base: Path, out: Path, stages: tuple[str, ...]) -> None:
    """Copy the base run's finished stages II and III into `out`, so that training skips them:
    for the variant whose configuration is the base run's own, less the control (the paper's
    variant of a full plan)."""
    for stage in stages:
        source, target = base / f"stage_{stage}", out / f"stage_{stage}"
        if not (source / "best.pt").is_file():
            raise ValueError(f"{base}: stage {stage} is not trained yet; train the base run first")
        if not target.exists():
            shutil.copytree(source, target)


def run_variant(
    variant: Variant,
    profile: Profile,
    data: DataBundle,
    base: str | Path,
    device: torch.device,
    plan: AblationPlan | None = None,
    progress: bool = True,
):
    """Train (or resume) one variant in base/ablations/<folder>; returns the trained run and
    its test metrics (metrics.json's mapping, also written to the folder)."""
    plan = plan or ablation_plan(profile)
    base = Path(base)
    vprofile = variant_profile(profile, variant, plan)
    folder = base / "ablations" / variant.folder
    if variant.joint:
        out = claim_run_folder(folder, vprofile)
    else:  # refused, naming the fields, unless the base's stage I is what this variant's config says
        out = start_from_global_stage(base, folder, vprofile)
        if not Profile.read(base / CONFIG_FILE).differences(vprofile, ignoring=("name", "training.control")):
            _copy_stages(base, out, ("local", "fusion"))  # the base run itself, less its control
    run = train_run(vprofile, data, out, device, progress=progress)
    # The test split only (no validation predictions, no predictions.csv): a variant is a row of
    # a table, and on a CPU every pass over the data counts.
    test = predict_split(run.model, data, vprofile, "test", device, progress=progress)
    metrics = branch_metrics(test, seed=profile.training.seed)
    save_predictions(out / PREDICTIONS_FILE, test)
    write_text_atomic(out / "metrics.json", json.dumps(metrics, indent=1))
    return run, metrics


def save_predictions(path: str | Path, result: Predictions) -> Path:
    """A Predictions as an npz (indices, labels, boxes, one `probs_<branch>` array per branch),
    written atomically; load_predictions reads it back exactly."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.npz")
    arrays = {f"probs_{branch}": probs for branch, probs in result.probs.items()}
    np.savez_compressed(tmp, indices=result.indices, labels=result.labels, boxes=result.boxes, **arrays)
    tmp.replace(path)
    return path


def load_predictions(path: str | Path) -> Predictions:
    """The Predictions save_predictions wrote to `path`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no saved predictions; run the variant (run_variant) to write them")
    with np.load(path) as npz:
        probs = {key.removeprefix("probs_"): npz[key] for key in npz.files if key.startswith("probs_")}
        return Predictions(indices=npz["indices"], labels=npz["labels"], probs=probs, boxes=npz["boxes"])


def paired_differences(
    predictions: dict[str, Predictions],
    reference: str | None = None,
    branches: tuple[str, ...] = BRANCHES,
    classes: tuple[str, ...] = SMALL_FINDINGS,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Each variant's AUC minus the reference's on the same test films, with paired bootstrap
    95% intervals (evaluate.auc.paired_bootstrap_difference: one resample of the films scores
    both), per branch.

    predictions: variant name -> its test Predictions, all on the same films in the same order;
    reference: the row the others are compared with (default: the first, the plan's paper row).
    Returns one row per (variant, branch), the reference's own rows included (d = 0); columns
    `d`, `low`, `high` for the mean AUC over the 14 diseases, then `<class> d`, `<class> low`,
    `<class> high` for each of `classes` (the small findings by default).
    """
    if not predictions:
        raise ValueError("no predictions to compare")
    names = list(predictions)
    reference = names[0] if reference is None else reference
    if reference not in predictions:
        raise ValueError(f"the reference {reference!r} is not among the variants {names}")
    unknown = [c for c in classes if c not in CLASSES]
    if unknown:
        raise ValueError(f"unknown class(es) {unknown}; choose from {list(CLASSES)}")
    base = predictions[reference]
    for name, result in predictions.items():  # everything checked before the first resample
        if not (np.array_equal(result.indices, base.indices) and np.array_equal(result.labels, base.labels)):
            raise ValueError(f"{name!r} and the reference {reference!r} were not scored on the same films in the same order")
        missing = [b for b in branches if b not in result.probs]
        if missing:
            raise ValueError(f"{name!r} has no {', '.join(map(repr, missing))} predictions")
    rows = []
    for name, result in predictions.items():
        for branch in branches:
            diff = paired_bootstrap_difference(base.labels, result.probs[branch], base.probs[branch], n_boot=n_boot, seed=seed)
            row = {"variant": name, "branch": branch, "d": diff["mean"], "low": diff["ci95"][0], "high": diff["ci95"][1]}
            for c in classes:
                row.update({f"{c} d": diff["auc"][c], f"{c} low": diff["ci95_auc"][c][0], f"{c} high": diff["ci95_auc"][c][1]})
            rows.append(row)
    table = pd.DataFrame(rows).set_index(["variant", "branch"])
    table.attrs["reference"] = reference
    return table


def ablation_differences(
    base: str | Path,
    plan: AblationPlan | tuple[Variant, ...],
    reference: Variant | None = None,
    **options,
) -> pd.DataFrame:
    """paired_differences of the plan's variants, read from their folders in base/ablations/
    (the test_predictions.npz run_variant writes), against `reference` (default: the plan's
    first variant, the paper's recipe trained the plan's way). `options` go to paired_differences."""
    variants = plan.variants if isinstance(plan, AblationPlan) else tuple(plan)
    folder = Path(base) / "ablations"
    predictions = {v.name: load_predictions(folder / v.folder / PREDICTIONS_FILE) for v in variants}
    return paired_differences(predictions, reference=(reference or variants[0]).name, **options)


def verdict(low: float, high: float, short: bool = False) -> str:
    """What a paired 95% interval of a difference allows one to say (`short`: three words)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "undefined" if short else "undefined (a class with one label value)"
    if low > 0:
        return "interval above 0" if short else "higher: the interval lies above 0"
    if high < 0:
        return "interval below 0" if short else "lower: the interval lies below 0"
    return "interval holds 0" if short else "no difference this test split can tell (the interval holds 0)"


def _d(row, prefix: str = "") -> str:
    d, low, high = row[f"{prefix}d"], row[f"{prefix}low"], row[f"{prefix}high"]
    return f"{d:+.3f} [{low:+.3f}, {high:+.3f}] ({verdict(low, high, short=True)})"


def format_differences(differences: pd.DataFrame) -> pd.DataFrame:
    """A paired_differences table for reading: per column group (the mean AUC, then each class)
    one text column "d [low, high]", and the mean's verdict; the reference's own rows dropped."""
    reference = differences.attrs.get("reference")
    shown = differences.drop(index=reference, level="variant") if reference is not None else differences
    groups = [""] + [c.removesuffix(" d") + " " for c in shown.columns if c.endswith(" d")]
    out = pd.DataFrame(index=shown.index)
    for prefix in groups:
        name = f"{prefix.strip() or 'mean AUC'}: d [95% CI]"
        out[name] = [f"{r[f'{prefix}d']:+.3f} [{r[f'{prefix}low']:+.3f}, {r[f'{prefix}high']:+.3f}]" for _, r in shown.iterrows()]
    out["mean AUC: the interval says"] = [verdict(r["low"], r["high"], short=True) for _, r in shown.iterrows()]
    out.attrs["reference"] = reference
    return out


def ablation_answers(differences: pd.DataFrame) -> list[str]:
    """Notebook 05's four questions, answered from a paired_differences table (with the small
    findings' columns): one paragraph per question, each difference d [95% interval] with what
    the interval says: above 0 (higher than the reference), below 0 (lower), or holds 0 (no
    difference this test split can tell). A question whose variant the table lacks says so."""
    reference = differences.attrs.get("reference", differences.index.get_level_values("variant")[0])
    present = set(differences.index.get_level_values("variant"))
    small = [c for c in SMALL_FINDINGS if f"{c} d" in differences.columns]

    def row(variant: Variant, branch: str):
        return differences.loc[(variant.name, branch)]

    answers = []
    if CROP_FROM_INPUT.name in present:
        parts = []
        for branch in ("local", "fusion"):
            r = row(CROP_FROM_INPUT, branch)
            per_class = "; ".join(f"{c} {_d(r, f'{c} ')}" for c in small)
            worse = [c for c in small if r[f"{c} d"] < r["d"]]
            parts.append(
                f"{branch}: mean {_d(r)}" + (f"; {per_class}" if per_class else "")
                + (f". The d of {', '.join(worse)} lies below the mean's (each on a few positives: a wider interval)" if worse
                   else ". No small finding's d lies below the mean's" if small else "")
            )
        answers.append(f"(1) Crop from the input - {reference}: " + ". ".join(parts) + ".")
    else:
        answers.append("(1) The plan has no 'crop from the input' row.")
    if JOINT.name in present:
        g, f = row(JOINT, "global"), row(JOINT, "fusion")
        edge = g["d"] > 0 and f["d"] < 0
        answers.append(
            f"(2) All jointly - {reference}: global {_d(g)}; fusion {_d(f)}. "
            + ("The pattern of the paper's question (an edge for the global branch, less for the fusion) shows in the point estimates"
               if edge else "The point estimates do not show the paper's pattern (an edge for the global branch, less for the fusion)")
            + "; the joint row trains from the backbone's start, not from the base run's stage I."
        )
    else:
        answers.append("(2) The plan has no 'all jointly' row.")
    if TAU_HIGH.name in present:
        r = row(TAU_HIGH, "local")
        paper = TAU_HIGH.paper[1] - PAPER.paper[1]
        answers.append(f"(3) tau = 0.9 - {reference}, local branch: {_d(r)}; "
                       f"the paper: {PAPER.paper[1]:.3f} -> {TAU_HIGH.paper[1]:.3f}, {paper:+.3f}.")
    else:
        answers.append("(3) The plan has no 'tau = 0.9' row.")
    if NO_ATTENTION.name in present:
        parts = []
        for branch in ("local", "fusion"):
            r = row(NO_ATTENTION, branch)
            # The question is the reference minus the whole film: the sign of the row, turned.
            d, low, high = -r["d"], -r["high"], -r["low"]
            parts.append(f"{branch} {d:+.3f} [{low:+.3f}, {high:+.3f}] ({verdict(low, high, short=True)})")
        answers.append(f"(4) {reference} - the whole film (what the box adds beyond the sharper view and the extra epochs): "
                       + "; ".join(parts) + ".")
    else:
        answers.append("(4) The plan has no 'no attention: the whole film' row.")
    return answers


def _start(profile: Profile, variant: Variant) -> str:
    """Where a variant's training starts: the joint one from the backbone's own start (no trained
    global branch exists for it), every other one from the base run's stage I."""
    if variant.joint:
        return "ImageNet weights (all three)" if profile.model.pretrained else "random weights (all three)"
    return "the base run's stage I"


def run_ablations(
    profile: Profile,
    data: DataBundle,
    base: str | Path,
    device: torch.device,
    plan: AblationPlan | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Every variant of the plan: test mean AUC of each branch (and fusion's 95% interval),
    beside the paper's numbers for the same variant where the paper has them."""
    plan = plan or ablation_plan(profile)
    rows = []
    for variant in plan.variants:
        run, metrics = run_variant(variant, profile, data, base, device, plan, progress)
        low, high = metrics["fusion"]["ci95"]["mean_auc"]
        paper = variant.paper or (float("nan"),) * 3
        stages = variant_profile(profile, variant, plan).training.stages
        trained = ("global",) if variant.joint else ("local", "fusion")
        rows.append(
            {
                "variant": variant.name,
                "tau": run.tau,
                "crop from": variant.crop_from,
                "starts from": _start(profile, variant),
                "epochs": "+".join(str(stages[s].epochs) for s in trained) + (" (joint)" if variant.joint else ""),
                "global": metrics["global"]["mean_auc"],
                "local": metrics["local"]["mean_auc"],
                "fusion": metrics["fusion"]["mean_auc"],
                "fusion 95% CI": f"{low:.3f}-{high:.3f}",
                "paper global": paper[0],
                "paper local": paper[1],
                "paper fusion": paper[2],
            }
        )
    return pd.DataFrame(rows).set_index("variant")
