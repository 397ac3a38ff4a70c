"""Run AG-CNN over a split: probabilities of every branch and the attention boxes, in one pass.

    test = predict_split(model, data, profile, "test", device)             # every branch
    test.probs["fusion"]                                                   # (N, C) sigmoid outputs
    val = predict_split(model, data, profile, "val", device, branches=("global",))
    both = predict_split(model, data, profile, "test", device, control=model.whole_film_control())

The one prediction loop of the package: the stages' validation, the evaluation, the notebooks
and the ablations all call it, under the same AMP rule as training (train.precision).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from ..config import Branch
from ..data.geometry import input_boxes_to_source
from .loader import make_loader
from .precision import autocast

BRANCHES = (Branch.GLOBAL, Branch.LOCAL, Branch.FUSION)
# The whole-film control's branch for each of the crop's.
CONTROLS = {Branch.LOCAL: Branch.LOCAL_WHOLE_FILM, Branch.FUSION: Branch.FUSION_WHOLE_FILM}


@dataclass
class Predictions:
    indices: np.ndarray  # (N,) rows of the split's entries
    labels: np.ndarray  # (N, C) 0/1
    probs: dict[str, np.ndarray]  # branch -> (N, C)
    boxes: np.ndarray  # (N, 4) attention boxes in normalised source coordinates (NaN without)


def predict_split(
    model,
    data,
    profile,
    part: str,
    device: torch.device,
    branches: Sequence[str] = BRANCHES,
    control=None,
    progress: bool = True,
) -> Predictions:
    """Predictions of `branches` on one split of `data` (evaluation transform; the sources ride
    along when a branch needs the crop); with `control`, also its two branches."""
    needs_source = control is not None or bool({Branch.LOCAL, Branch.FUSION} & set(branches))
    dataset = data.dataset(part, profile.data, with_no_finding=model.with_no_finding, with_source=needs_source)
    loader = make_loader(dataset, profile.training.eval_batch_size, profile.training, shuffle=False)
    return predict(model, loader, device, branches=branches, amp=profile.training.amp, progress=progress, control=control)


@torch.no_grad()
def predict(
    model,
    loader,
    device: torch.device,
    branches: Sequence[str] = BRANCHES,
    amp: bool = False,
    progress: bool = True,
    control=None,
) -> Predictions:
    """Sigmoid outputs of the requested branches for every sample of `loader`.

    `control`: the model's whole-film control (AGCNN.whole_film_control()), whose local and
    fusion branches are predicted in the same pass, from the same global features, as
    `local_whole_film` and `fusion_whole_film`."""
    unknown = set(branches) - set(BRANCHES)
    if unknown:
        raise ValueError(f"unknown branch(es) {sorted(unknown)}; choose from {[b.value for b in BRANCHES]}")
    branches = [Branch(b) for b in branches]
    for module in (model, control):
        if module is not None:
            module.eval()
    needs_crop = bool({Branch.LOCAL, Branch.FUSION} & set(branches))
    indices, labels, boxes = [], [], []
    names = (*branches, *(CONTROLS.values() if control is not None else ()))
    probs: dict[str, list] = {b.value: [] for b in names}
    # Not tqdm(loader): tqdm.auto calls iter(loader) an extra time (a second set of workers).
    bar = tqdm(total=len(loader), desc="predict", leave=False, disable=not progress)
    for batch in loader:
        bar.update(1)
        images = batch.image.to(device, non_blocking=True)
        with autocast(device, amp):
            glob = model.global_branch(images)
            if needs_crop:
                crops, box, _ = model.attend(images, batch.source.to(device), batch.frame.to(device), features=glob.features)
                local = model.local_branch(crops)
                boxes.append(input_boxes_to_source(box.float(), batch.frame.to(device), images.shape[-1]).cpu())
            if Branch.GLOBAL in branches:
                probs["global"].append(torch.sigmoid(glob.logits.float()).cpu())
            if Branch.LOCAL in branches:
                probs["local"].append(torch.sigmoid(local.logits.float()).cpu())
            if Branch.FUSION in branches:
                probs["fusion"].append(torch.sigmoid(model.fuse(glob, local).float()).cpu())
            if control is not None:
                whole = control.local_branch(control.attend(images, batch.source.to(device), batch.frame.to(device)).crops)
                probs[Branch.LOCAL_WHOLE_FILM.value].append(torch.sigmoid(whole.logits.float()).cpu())
                probs[Branch.FUSION_WHOLE_FILM.value].append(torch.sigmoid(control.fuse(glob, whole).float()).cpu())
        indices.append(batch.index.cpu())
        labels.append(batch.labels.cpu())
    bar.close()
    n = sum(len(i) for i in indices)
    return Predictions(
        indices=torch.cat(indices).numpy(),
        labels=torch.cat(labels).numpy(),
        probs={b: torch.cat(v).numpy() for b, v in probs.items()},
        boxes=torch.cat(boxes).numpy() if boxes else np.full((n, 4), np.nan),
    )
