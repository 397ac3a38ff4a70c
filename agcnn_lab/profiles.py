"""Profiles: one switch that sizes everything for the machine at hand.

    profile = get_profile("cpu")        # "ci" (seconds), "cpu" (make demo), "gpu" (the paper)

Only `gpu` is the paper's recipe (ResNet-50, 224 px, ImageNet start, 50 epochs a stage). The
small profiles keep the method and the three stages, and shrink the data, the images and the
network so that a laptop shows the same effect in minutes; each departure is named here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from .data.geometry import InputGeometry
from .data.phantom.difficulty import PRESETS

# The columns of the tau sweep that choose_tau may read (evaluate.tau_sweep), and what each counts.
TAU_RULES = {"hit": "every lesion counted", "hit_single": "counted on the films with a single lesion"}


@dataclass(frozen=True)
class StageSettings:
    """One training stage: the paper's SGD recipe (momentum 0.9, wd 1e-4, lr 0.01 / 10 later)."""

    epochs: int
    batch_size: int
    lr: float = 0.01
    lr_drop_epoch: int = 20  # lr is divided by 10 from this epoch on
    momentum: float = 0.9
    weight_decay: float = 1e-4


@dataclass(frozen=True)
class Profile:
    name: str
    # data
    phantom_patients: int  # the embedded default data set
    phantom_size: int  # side of the generated images = the high-resolution source
    cache_size: int  # side of the cached images the crops are cut from
    geometry: InputGeometry  # the global branch's input
    # model
    backbone: str
    pretrained: bool
    with_no_finding: bool  # the paper's 15th output
    # attention
    tau: float  # the paper's 0.7; with choose_tau, only the start of the search
    reduce: str
    crop_size: int  # the local branch's input
    choose_tau: bool = False  # pick tau on validation from the tau sweep (needs lesion boxes)
    min_hit: float = 0.85  # ... as the highest tau whose box holds this share of lesions
    # ... counted over every lesion ("hit": the box must hold all of a film's findings, which the
    # local branch classifies) or over the lesions alone on their film ("hit_single": does the
    # box find THE lesion; evaluate.localisation explains the difference)
    tau_on: str = "hit"
    upsample: bool = False  # threshold the heatmap upsampled to the input (else on its grid)
    backbone_options: dict = field(default_factory=dict)  # e.g. {"width": 16} for "tiny"
    local_from_global: bool = False  # start the local branch as a copy of the trained global one
    # training
    stages: dict[str, StageSettings] = field(default_factory=dict)
    seed: int = 0
    workers: int = 2
    amp: bool = False  # autocast + channels_last, on CUDA only
    eval_batch_size: int = 128
    phantom_preset: str = "v2"  # PhantomCXR-14's settings (data.phantom.PRESETS)

    def __post_init__(self):
        if self.tau_on not in TAU_RULES:
            raise ValueError(f"Profile {self.name!r}: tau_on must be one of {', '.join(TAU_RULES)}, got {self.tau_on!r}")
        if self.phantom_preset not in PRESETS:
            raise ValueError(f"Profile {self.name!r}: phantom_preset must be one of {', '.join(PRESETS)}, got {self.phantom_preset!r}")

    def stage(self, name: str) -> StageSettings:
        return self.stages[name]

    def with_changes(self, **changes) -> Profile:
        return replace(self, **changes)


PROFILES: dict[str, Profile] = {
    # Seconds: a 40-patient phantom at 128 px, two epochs a stage. For tests and CI only.
    "ci": Profile(
        name="ci",
        phantom_patients=40,
        phantom_size=128,
        cache_size=128,
        geometry=InputGeometry(resize=73, crop=64, scale=(0.6, 1.0)),
        backbone="tiny",
        pretrained=False,
        with_no_finding=True,
        tau=0.7,
        reduce="max",
        crop_size=80,
        choose_tau=True,
        upsample=True,
        local_from_global=True,
        stages={
            "global": StageSettings(epochs=2, batch_size=32, lr_drop_epoch=1),
            "local": StageSettings(epochs=2, batch_size=32, lr_drop_epoch=1),
            "fusion": StageSettings(epochs=2, batch_size=32, lr_drop_epoch=1),
        },
        workers=0,
        eval_batch_size=64,
    ),
    # `make demo`: the paper's method on two CPU cores, with the whole-film control.
    # What differs from the paper, and why (BENCHMARKS.md has the measurements behind it):
    # - MobileNetV2 from ImageNet instead of ResNet-50 (a CPU); the ImageNet start is what
    #   lets the heatmap find lesions at all (cpu-scratch shows the contrast). Its last stage
    #   runs at stride 16, which doubles the heatmap's grid at almost no training cost, and
    #   its first four blocks stay as ImageNet left them (generic filters; the dearest
    #   backward pass on a CPU);
    # - 128 px for both branches, as the paper feeds both the same size, cut from the 512-px
    #   source; the whole-film control gets the same 128 px;
    # - tau is the highest one whose box holds 85% of the validation lesions that are alone
    #   on their film (hit_single): one box a film cannot hold lesions in both lungs;
    # - 3 / 3 / 1 epochs, batch 32, lr 0.01 (no drop in stage I: dropping it for the third
    #   epoch cost validation AUC); fine-tuning from ImageNet plateaus within a few passes.
    "cpu": Profile(
        name="cpu",
        phantom_patients=1000,
        phantom_size=512,
        cache_size=512,
        geometry=InputGeometry(resize=146, crop=128, scale=(0.6, 1.0)),
        backbone="mobilenet_v2",
        pretrained=True,
        with_no_finding=True,
        tau=0.7,
        reduce="max",
        crop_size=128,
        choose_tau=True,
        min_hit=0.85,
        tau_on="hit_single",
        upsample=True,
        backbone_options={"output_stride": 16, "frozen_blocks": 4},
        local_from_global=True,
        stages={
            "global": StageSettings(epochs=3, batch_size=32, lr=0.01, lr_drop_epoch=3),
            "local": StageSettings(epochs=3, batch_size=32, lr=0.01, lr_drop_epoch=2),
            "fusion": StageSettings(epochs=1, batch_size=32, lr=0.01, lr_drop_epoch=1),
        },
        workers=2,
    ),
    # The first edition's `make demo`, kept for the lesson it teaches (why the paper starts
    # from ImageNet): a tiny CNN from scratch on PhantomCXR-14 v1. What differs, and why:
    # - the tiny CNN from scratch instead of ResNet-50 from ImageNet (no download, a CPU);
    #   without ImageNet weights the local branch starts as a copy of the trained global one;
    # - the global input is 96 px cut from the 512-px source (4.7x smaller, as the paper's
    #   224 px is of the 1024-px film); the local input is 160 px (the paper: the same size
    #   for both), because the heatmaps of a small net trained from scratch mark lesions
    #   loosely and the validation rule keeps boxes of most of the image (tau 0.2, 83% of
    #   the film): without the larger crop the local branch would see nothing finer. The
    #   local gain on this profile is not the box's: benchmarks/control_no_attention.py
    #   takes it apart (BENCHMARKS.md): most of it is the local branch's 20 more epochs
    #   from the global branch's weights (which is still learning when its 40 stop), a
    #   little the larger crop, and the box itself costs AUC;
    # - tau is the highest one whose box holds 85% of the validation lesions (the phantom
    #   has boxes for every lesion), the mask thresholded on the upsampled heatmap;
    # - 40 / 20 / 5 epochs (global / local / fusion) with the lr divided by 10 after 30 / 15 / 4.
    "cpu-scratch": Profile(
        name="cpu-scratch",
        phantom_patients=1000,
        phantom_size=512,
        cache_size=512,
        geometry=InputGeometry(resize=110, crop=96, scale=(0.6, 1.0)),
        backbone="tiny",
        pretrained=False,
        with_no_finding=True,
        tau=0.7,
        reduce="max",
        crop_size=160,
        choose_tau=True,
        min_hit=0.85,
        upsample=True,
        local_from_global=True,
        stages={
            "global": StageSettings(epochs=40, batch_size=64, lr=0.05, lr_drop_epoch=30),
            "local": StageSettings(epochs=20, batch_size=64, lr=0.05, lr_drop_epoch=15),
            "fusion": StageSettings(epochs=5, batch_size=64, lr=0.05, lr_drop_epoch=4),
        },
        workers=2,
        phantom_preset="v1",
    ),
    # The paper's recipe: ResNet-50 from ImageNet, 224 px, 15 outputs, tau 0.7 (the paper's
    # choice on its validation set: the real data has boxes for 984 test images only), SGD
    # lr 0.01 / 10 after 20 epochs, 50 epochs a stage, batch 128 / 64 / 64, AMP on CUDA.
    "gpu": Profile(
        name="gpu",
        phantom_patients=3000,
        phantom_size=512,
        cache_size=512,
        geometry=InputGeometry(resize=256, crop=224),
        backbone="resnet50",
        pretrained=True,
        with_no_finding=True,
        tau=0.7,
        reduce="max",
        crop_size=224,
        stages={
            "global": StageSettings(epochs=50, batch_size=128),
            "local": StageSettings(epochs=50, batch_size=64),
            "fusion": StageSettings(epochs=50, batch_size=64),
        },
        workers=8,
        amp=True,
        eval_batch_size=256,
    ),
}


def get_profile(name: str | None = None) -> Profile:
    """The named profile, or $AGCNN_PROFILE, or "cpu"."""
    name = name or os.environ.get("AGCNN_PROFILE", "cpu")
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None
