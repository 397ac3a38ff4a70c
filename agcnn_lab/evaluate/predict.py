"""Run a trained AG-CNN over a loader: probabilities of every branch, the attention boxes.

    result = predict(model, loader, device)           # loader yields SampleWithSource batches
    result.probs["fusion"]                            # (N, C) sigmoid outputs
    frame = predictions_frame(result, entries, split="test")   # predictions.csv's rows
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ..data.classes import CLASSES
from ..data.dataset import label_columns
from ..data.geometry import input_boxes_to_source
from .attention_effect import CONTROLS
from .auc import bootstrap_ci, mean_auc, per_class_auc
from .paper import BRANCHES


@dataclass
class Predictions:
    indices: np.ndarray  # (N,) rows of the split's entries
    labels: np.ndarray  # (N, C) 0/1
    probs: dict[str, np.ndarray]  # branch -> (N, C)
    boxes: np.ndarray  # (N, 4) attention boxes in normalised source coordinates (NaN without)


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
        raise ValueError(f"unknown branch(es) {sorted(unknown)}; choose from {BRANCHES}")
    for module in (model, control):
        if module is not None:
            module.eval()
    needs_crop = bool({"local", "fusion"} & set(branches))
    context = torch.autocast("cuda") if amp and device.type == "cuda" else nullcontext()
    indices, labels, boxes = [], [], []
    probs: dict[str, list] = {b: [] for b in (*branches, *(CONTROLS.values() if control is not None else ()))}
    # Not tqdm(loader): tqdm.auto calls iter(loader) an extra time (a second set of workers).
    bar = tqdm(total=len(loader), desc="predict", leave=False, disable=not progress)
    for batch in loader:
        bar.update(1)
        images = batch.image.to(device, non_blocking=True)
        with context:
            glob = model.global_branch(images)
            if needs_crop:
                crops, box, _ = model.attend(images, batch.source.to(device), batch.frame.to(device), features=glob.features)
                local = model.local_branch(crops)
                boxes.append(input_boxes_to_source(box.float(), batch.frame.to(device), images.shape[-1]).cpu())
            if "global" in branches:
                probs["global"].append(torch.sigmoid(glob.logits.float()).cpu())
            if "local" in branches:
                probs["local"].append(torch.sigmoid(local.logits.float()).cpu())
            if "fusion" in branches:
                fused = model.fuse(glob, local)
                probs["fusion"].append(torch.sigmoid(fused.float()).cpu())
            if control is not None:
                whole = control.local_branch(control.attend(images, batch.source.to(device), batch.frame.to(device)).crops)
                probs[CONTROLS["local"]].append(torch.sigmoid(whole.logits.float()).cpu())
                probs[CONTROLS["fusion"]].append(torch.sigmoid(control.fuse(glob, whole).float()).cpu())
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


def branch_metrics(result: Predictions, n_boot: int = 1000, seed: int = 0) -> dict:
    """metrics.json's mapping: branch -> {"mean_auc", "auc": {class: ...}, "ci95": {...}}."""
    out = {}
    for branch, probs in result.probs.items():
        out[branch] = {
            "mean_auc": mean_auc(result.labels, probs),
            "auc": per_class_auc(result.labels, probs),
            "ci95": bootstrap_ci(result.labels, probs, n_boot=n_boot, seed=seed),
        }
    return out


def predictions_frame(result: Predictions, entries: pd.DataFrame, split: str) -> pd.DataFrame:
    """Long table: image, split, branch, one probability column per class, true_<class> columns."""
    images = entries["image"].to_numpy()[result.indices]
    truth = {f"true_{c}": result.labels[:, k].astype(int) for k, c in enumerate(CLASSES)}
    frames = []
    for branch, probs in result.probs.items():
        columns = {"image": images, "split": split, "branch": branch}
        columns.update({c: probs[:, k] for k, c in enumerate(label_columns(probs.shape[1] > len(CLASSES)))})
        frames.append(pd.DataFrame({**columns, **truth}))
    return pd.concat(frames, ignore_index=True)


def attention_frame(result: Predictions, entries: pd.DataFrame) -> pd.DataFrame:
    """image, x0, y0, x1, y1: the attention box of each image in normalised source coordinates."""
    images = entries["image"].to_numpy()[result.indices]
    x0, y0, x1, y1 = result.boxes.T
    return pd.DataFrame({"image": images, "x0": x0, "y0": y0, "x1": x1, "y1": y1})
