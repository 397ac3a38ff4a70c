"""Choose tau on validation: the attention box's size and its pointing game for each tau.

    maps = global_heatmaps(model, loader, device)              # heatmaps once, every tau after
    sweep = tau_sweep(maps, data.boxes, entries, taus=TAUS, crop=model.attention)  # tau, area, hit, ...
    tau = choose_tau(sweep, min_hit=0.85)                      # or on="hit_single"

A high tau keeps only the hottest cells: a small box, a strong zoom, but the lesion may fall
outside. A low tau keeps much of the image: the lesion is inside, but the local branch sees
little more than the global one. `choose_tau` takes the highest tau whose box still holds the
lesion centre for `min_hit` of the validation lesions: of every lesion (`hit`, the default: the
local branch classifies every finding of the film, so its box should hold them all), or of the
lesions alone on their film (`hit_single`: does the box find THE lesion; one box cannot hold
lesions in both lungs, evaluate.localisation says more).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..attention import AttentionCrop
from ..data.geometry import input_boxes_to_source
from .localisation import box_scores, single_lesion

TAUS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass
class HeatmapSet:
    indices: np.ndarray  # (N,) rows of the entries
    heatmaps: torch.Tensor  # (N, h, w) in [0, 1]
    frames: torch.Tensor  # (N, 5)
    input_size: int


def heatmap_set(loader, device: torch.device, maps_of: Callable[[torch.Tensor], torch.Tensor]) -> HeatmapSet:
    """`maps_of(images)` ((B, h, w) heatmaps of a batch on `device`) for every sample of `loader`,
    gathered on the CPU with the samples' positions and frames."""
    indices, maps, frames, size = [], [], [], None
    for batch in loader:
        images = batch.image.to(device)
        maps.append(maps_of(images).float().cpu())
        frames.append(batch.frame)
        indices.append(batch.index)
        size = images.shape[-1]
    return HeatmapSet(torch.cat(indices).numpy(), torch.cat(maps), torch.cat(frames), size)


@torch.no_grad()
def global_heatmaps(model, loader, device: torch.device, reduce: str | None = None) -> HeatmapSet:
    """The global branch's heatmaps for every sample of `loader` (on the CPU)."""
    model.eval()
    reduce = reduce or model.attention.reduce
    return heatmap_set(loader, device, lambda images: model.heatmaps(model.global_branch(images).features, reduce))


def window_share(boxes: np.ndarray, frames) -> np.ndarray:
    """Each box's area (normalised source coordinates) as a share of its film's window, the part
    of the source the global input shows (frames: (N, 5)): the sweep's `area`."""
    frames = np.asarray(frames)
    window = (frames[:, 2] - frames[:, 0]) * (frames[:, 3] - frames[:, 1])
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) / window


def source_boxes(maps: HeatmapSet, crop: AttentionCrop) -> np.ndarray:
    """(N, 4) attention boxes in normalised source coordinates: the boxes `crop` cuts from
    these heatmaps (its tau, box rule and sizes)."""
    boxes = crop.boxes(maps.heatmaps, maps.input_size)
    return input_boxes_to_source(boxes, maps.frames, maps.input_size).numpy()


def tau_sweep(
    maps: HeatmapSet,
    truth: pd.DataFrame,
    entries: pd.DataFrame,
    taus=TAUS,
    crop: AttentionCrop | None = None,
) -> pd.DataFrame:
    """Per tau: mean box area (fraction of the input), pointing game and IoBB over the lesions,
    and the pointing game over the lesions alone on their image (`hit_single`, of `single`).
    The boxes are `crop`'s at each tau (default: AttentionCrop()'s, the paper's box): pass the
    model's own crop (`model.attention`) so that the sweep scores the boxes the model cuts; with
    a `box_area`, tau draws the region and the box's area is fixed."""
    crop = AttentionCrop() if crop is None else crop
    if crop.threshold is not None:
        raise ValueError(f"a tau sweep needs a crop thresholded at tau; this one thresholds by {crop.threshold!r}, "
                         "which no tau moves")
    names = entries["image"].to_numpy()[maps.indices]
    lesions = truth[truth["image"].isin(set(names))]
    if lesions.empty:
        raise ValueError("no ground-truth box falls on these images: the sweep needs lesions")
    row_of = {name: i for i, name in enumerate(names)}
    rows = lesions["image"].map(row_of).to_numpy()
    gt = lesions[["x0", "y0", "x1", "y1"]].to_numpy()
    alone = single_lesion(lesions["image"])
    records = []
    for tau in taus:
        boxes = source_boxes(maps, crop.replace(tau=tau))
        area = window_share(boxes, maps.frames.numpy())
        scores = box_scores(boxes[rows], gt)
        records.append(
            {
                "tau": tau,
                "area": float(area.mean()),
                "hit": float(scores["hit"].mean()),
                "iobb": float(scores["iobb"].mean()),
                "lesions": len(gt),
                "hit_single": float(scores["hit"][alone].mean()) if alone.any() else float("nan"),
                "single": int(alone.sum()),
            }
        )
    return pd.DataFrame(records)


def choose_tau(sweep: pd.DataFrame, min_hit: float = 0.85, on: str = "hit") -> float:
    """The highest tau whose pointing game `on` (a column of the sweep) reaches `min_hit`
    (the lowest tau if none does)."""
    if on not in sweep:
        raise ValueError(f"the tau sweep has no column {on!r} (columns: {', '.join(sweep.columns)})")
    good = sweep[sweep[on] >= min_hit]
    return float(good["tau"].max() if len(good) else sweep["tau"].min())
