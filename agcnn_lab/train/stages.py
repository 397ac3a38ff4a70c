"""The paper's three training stages, and the joint variant it compares against.

    result = train_stage(Stage.LOCAL, model, data, profile, "runs/demo-cpu", device, score=mean_auc)

- Stage I (`global`): fine-tune the global branch on whole images.
- Stage II (`local`): the global branch frozen (eval mode, no grad); every batch its heatmap
  gives a box, the box is cut from the high-resolution source, and the local branch learns
  from these crops.
- Stage III (`fusion`): both branches frozen; only the fusion layer over the concatenated
  pooled vectors learns.
- `joint` trains all three at once (the paper's "all jointly" row), crops from the
  global branch as it learns.

Each stage keeps its epoch with the best validation score (`score(labels, probs)`, the mean
AUC in every caller: the metric is the evaluation layer's, handed in), and the next stage
starts from those weights.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..config import THREE_STAGES, Stage
from ..data.bundle import train_subset
from .distributed import data_parallel
from .loader import make_loader
from .loop import StageResult, fit_stage, load_best
from .predict import predict_split

STAGES = tuple(s.value for s in THREE_STAGES)
Score = Callable[[np.ndarray, np.ndarray], float]


def bce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy averaged over outputs (14 diseases, +No Finding when on)."""
    return F.binary_cross_entropy_with_logits(logits.float(), labels)


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


def train_stage(
    name: str,
    model,
    data,
    profile,
    run_dir: str | Path,
    device: torch.device,
    progress: bool = True,
    *,
    score: Score,
) -> StageResult:
    """Train one stage (global, local, fusion or joint) of `model` under `profile.training`;
    validation picks the best epoch by `score(labels, probs)` of the stage's branch."""
    name = Stage(name)
    training = profile.training
    settings = training.stage(name)
    stage_dir = Path(run_dir) / f"stage_{name.value}"
    to = lambda t: t.to(device, non_blocking=True)  # noqa: E731
    if name == Stage.GLOBAL:
        trainable = {"global_branch": model.global_branch}

        def loss_fn(batch):
            return bce(model.global_branch(to(batch.image)).logits, to(batch.labels))

    elif name == Stage.LOCAL:
        _freeze(model.global_branch)
        trainable = {"local_branch": model.local_branch}
        if training.local_from_global and not (stage_dir / "last.pt").is_file():
            # Without ImageNet weights, the trained global branch is the best start we have:
            # the local branch begins as a copy and then learns its own weights on the crops.
            model.local_branch.load_state_dict(model.global_branch.state_dict())

        def loss_fn(batch):
            with torch.no_grad():
                crops, _, _ = model.attend(to(batch.image), to(batch.source), to(batch.frame))
            return bce(model.local_branch(crops).logits, to(batch.labels))

    elif name == Stage.FUSION:
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

    else:  # Stage.JOINT
        trainable = {"global_branch": model.global_branch, "local_branch": model.local_branch, "fusion": model.fusion}

        def loss_fn(batch):
            images, labels = to(batch.image), to(batch.labels)
            glob = model.global_branch(images)
            crops, _, _ = model.attend(images, to(batch.source), to(batch.frame), features=glob.features.detach())
            local = model.local_branch(crops)
            fused = model.fuse(glob, local)
            return bce(glob.logits, labels) + bce(local.logits, labels) + bce(fused, labels)

    branch = "fusion" if name == Stage.JOINT else name.value

    def validate() -> float:
        result = predict_split(model, data, profile, "val", device, branches=(branch,), progress=False)
        return score(result.labels, result.probs[branch])

    # Stage I sees every training film; the later stages the share training.train_fraction names.
    films = data if name == Stage.GLOBAL else train_subset(data, training.train_fraction, profile.data.seed)
    train_set = films.dataset("train", profile.data, with_no_finding=model.with_no_finding, train=True,
                             with_source=name != Stage.GLOBAL)
    # Under torchrun the trainable modules are DistributedDataParallel for the stage (the loss
    # functions above reach them through the model's attributes); alone, nothing changes.
    with data_parallel(model, tuple(trainable)):
        result = fit_stage(
            stage_dir,
            trainable=trainable,
            loss_fn=loss_fn,
            validate=validate,
            make_loader=lambda epoch: make_loader(train_set, settings.batch_size, training, shuffle=True, epoch=epoch),
            settings=settings,
            device=device,
            amp=training.amp,
            seed=training.seed,
            progress=progress,
            # Stage III starts as the ensemble of the two branches; on small data a layer fit on
            # the training films, where the frozen branches are more confident than on new ones,
            # can end below that start, so validation may keep it (epoch 0).
            validate_start=name == Stage.FUSION,
        )
    load_best(stage_dir, trainable, device)
    return result
