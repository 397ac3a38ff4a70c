"""The paper's ablations, next to a finished run: training order, tau, where the crop is cut.

    plan = ablation_plan(profile)                 # which variants, how long each trains
    table = run_ablations(profile, data, base="runs/notebooks-cpu", device=device)
    table[["global", "local", "fusion", "paper fusion"]]

Every variant but the joint one starts from the base run's stage I (the global branch is
frozen after it, so it is the same for all of them) and trains stages II and III again with
one change; the joint variant trains all three branches from scratch at once (its crops use
the profile's tau: there is no trained global branch to choose one with). Each variant lives
in base/ablations/<name>/ (resumed like any run) and is tested on the full test split.

On a CPU a plan may shorten stages II/III and train them on a share of the training images;
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

import pandas as pd
import torch

from .config import CropFrom, Profile, write_text_atomic
from .data.bundle import DataBundle
from .evaluate.predict import branch_metrics
from .experiment import train_run
from .paper import ABLATIONS
from .run_folder import claim_run_folder
from .train.predict import predict_split


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
    tight = {"model.attention.tau_on": "hit_single"}
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
    table), and the plan's stage lengths (the lr drop scaled along)."""
    changes: dict = {**variant.changes, "training.control": False}
    if plan.epochs:
        stages = {}
        for name, settings in profile.training.stages.items():
            epochs = plan.epochs.get(name, settings.epochs)
            drop = max(1, round(settings.lr_drop_epoch * epochs / max(settings.epochs, 1)))
            stages[name] = dataclasses.replace(settings, epochs=epochs, lr_drop_epoch=drop)
        changes["training.stages"] = stages
    return profile.with_changes(**changes)


def train_subset(data: DataBundle, fraction: float, seed: int = 0) -> DataBundle:
    """`data` with a random `fraction` of its training images (val and test untouched)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    if fraction == 1:
        return data
    entries, source = data.parts["train"]
    kept = entries.sample(frac=fraction, random_state=seed).sort_index().reset_index(drop=True)
    return dataclasses.replace(data, parts={**data.parts, "train": (kept, source)})


def _reuse(base: Path, out: Path, stages: tuple[str, ...]) -> None:
    """Copy the base run's finished stages into `out`, so that training skips them."""
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
    out = claim_run_folder(base / "ablations" / variant.folder, vprofile)
    if not variant.joint:
        same_as_base = variant == PAPER and not plan.shortened
        _reuse(base, out, ("global", "local", "fusion") if same_as_base else ("global",))
    train_data = train_subset(data, plan.train_fraction, profile.data.seed)
    run = train_run(vprofile, train_data, out, device, progress=progress)
    # The test split only (no validation predictions, no predictions.csv): a variant is a row of
    # a table, and on a CPU every pass over the data counts.
    test = predict_split(run.model, data, vprofile, "test", device, progress=progress)
    metrics = branch_metrics(test, seed=profile.training.seed)
    write_text_atomic(out / "metrics.json", json.dumps(metrics, indent=1))
    return run, metrics


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
