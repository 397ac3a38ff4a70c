"""The paper's three training stages, and the joint variant it compares against.

    results = train_agcnn(model, data, profile, run_dir="runs/demo")

- Stage I (`global`): fine-tune the global branch on whole images.
- Stage II (`local`): the global branch frozen (eval mode, no grad); every batch its heatmap
  gives a box, the box is cut from the high-resolution source, and the local branch learns
  from these crops.
- Stage III (`fusion`): both branches frozen; only the fusion layer over the concatenated
  pooled vectors learns.
- `joint=True` trains all three at once (the paper's "all jointly" row), crops from the
  global branch as it learns.

Each stage keeps its epoch with the best validation mean AUC, and the next stage starts
from those weights.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from ..evaluate.auc import mean_auc
from ..evaluate.predict import predict
from ..profiles import Profile
from .loop import StageResult, fit_stage, load_best

STAGES = ("global", "local", "fusion")


def bce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy averaged over outputs (14 diseases, +No Finding when on)."""
    return F.binary_cross_entropy_with_logits(logits.float(), labels)


def make_loader(dataset, batch_size: int, profile: Profile, shuffle: bool, epoch: int = 0) -> DataLoader:
    """A loader whose shuffling and augmentation are fixed by (seed, epoch)."""
    generator = torch.Generator().manual_seed(profile.seed * 100_003 + epoch)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=profile.workers,
        generator=generator,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=False,
        drop_last=shuffle and len(dataset) > batch_size,
    )


@torch.no_grad()
def init_fusion_as_average(model) -> None:
    """Start the fusion layer as the mean of the two branches' classifiers: its first logits are
    the average of the global and local logits (an ensemble), which SGD then improves. The
    paper does not say how the layer starts; from random weights it must first relearn what
    both classifiers already know, and on small data it ends below the global branch."""
    glob, local = model.global_branch.classifier, model.local_branch.classifier
    model.fusion.weight.copy_(torch.cat([glob.weight, local.weight], dim=1) / 2)
    model.fusion.bias.copy_((glob.bias + local.bias) / 2)


def _freeze(*modules: nn.Module) -> None:
    for module in modules:
        module.eval()
        module.requires_grad_(False)


def _validator(model, data, profile: Profile, branch: str, device: torch.device):
    loader = make_loader(data.dataset("val", profile, with_source=branch != "global"), profile.eval_batch_size, profile, shuffle=False)

    def validate() -> float:
        result = predict(model, loader, device, branches=(branch,), amp=profile.amp, progress=False)
        return mean_auc(result.labels, result.probs[branch])

    return validate


def train_stage(name: str, model, data, profile: Profile, run_dir: str | Path, device: torch.device, progress: bool = True) -> StageResult:
    """Train one stage (global, local, fusion or joint) of `model` under `profile`."""
    settings = profile.stage("global" if name == "joint" else name)
    stage_dir = Path(run_dir) / f"stage_{name}"
    to = lambda t: t.to(device, non_blocking=True)  # noqa: E731
    if name == "global":
        trainable = {"global_branch": model.global_branch}

        def loss_fn(batch):
            return bce(model.global_branch(to(batch.image)).logits, to(batch.labels))

    elif name == "local":
        _freeze(model.global_branch)
        trainable = {"local_branch": model.local_branch}
        if profile.local_from_global and not (stage_dir / "last.pt").is_file():
            # Without ImageNet weights, the trained global branch is the best start we have:
            # the local branch begins as a copy and then learns its own weights on the crops.
            model.local_branch.load_state_dict(model.global_branch.state_dict())

        def loss_fn(batch):
            with torch.no_grad():
                crops, _, _ = model.attend(to(batch.image), to(batch.source), to(batch.frame))
            return bce(model.local_branch(crops).logits, to(batch.labels))

    elif name == "fusion":
        _freeze(model.global_branch, model.local_branch)
        trainable = {"fusion": model.fusion}
        if not (stage_dir / "last.pt").is_file():
            init_fusion_as_average(model)

        def loss_fn(batch):
            with torch.no_grad():
                images = to(batch.image)
                glob = model.global_branch(images)
                crops, _, _ = model.attend(images, to(batch.source), to(batch.frame), features=glob.features)
                local = model.local_branch(crops)
            return bce(model.fuse(glob, local), to(batch.labels))

    elif name == "joint":
        trainable = {"global_branch": model.global_branch, "local_branch": model.local_branch, "fusion": model.fusion}

        def loss_fn(batch):
            images, labels = to(batch.image), to(batch.labels)
            glob = model.global_branch(images)
            crops, _, _ = model.attend(images, to(batch.source), to(batch.frame), features=glob.features.detach())
            local = model.local_branch(crops)
            fused = model.fuse(glob, local)
            return bce(glob.logits, labels) + bce(local.logits, labels) + bce(fused, labels)

    else:
        raise ValueError(f"unknown stage {name!r}; choose from {(*STAGES, 'joint')}")

    with_source = name != "global"
    train_set = data.dataset("train", profile, train=True, with_source=with_source)
    validate = _validator(model, data, profile, "fusion" if name == "joint" else name, device)
    result = fit_stage(
        stage_dir,
        trainable=trainable,
        loss_fn=loss_fn,
        validate=validate,
        make_loader=lambda epoch: make_loader(train_set, settings.batch_size, profile, shuffle=True, epoch=epoch),
        settings=settings,
        device=device,
        amp=profile.amp,
        seed=profile.seed,
        progress=progress,
    )
    load_best(stage_dir, trainable, device)
    return result


def train_agcnn(model, data, profile: Profile, run_dir: str | Path, device: torch.device, joint: bool = False, progress: bool = True) -> dict[str, StageResult]:
    """Stages I, II, III in order (or the joint variant); the model ends with the best weights."""
    model.to(device)
    if profile.amp and device.type == "cuda":
        model.to(memory_format=torch.channels_last)
    names = ("joint",) if joint else STAGES
    return {name: train_stage(name, model, data, profile, run_dir, device, progress) for name in names}
