"""The fixed-box control for the pointing game: the best box that never looks at the image.

    box = best_fixed_box(train_truth, area=0.25)           # (x0, y0, x1, y1), placed on training lesions
    fixed_box_scores(box, test_truth)                      # {"hit", "hit_single", "lesions", "single"}
    sweep = fixed_box_sweep(train_truth, test_truth, areas=tau_sweep_frame["area"])
    sweep[["area", "hit", "hit_single"]]                   # beside the tau sweep's columns

Lesions are not spread evenly over a chest film (nodules and masses sit in the lungs, not on
the shoulders), so a big enough box in the right place "finds" many lesions without looking.
An attention box earns its pointing game only by beating the best FIXED box of the same area:
one box, placed once from the training lesions, the same for every film.

Boxes are (x0, y0, x1, y1) normalised to the source image, as in evaluate.localisation; `truth`
frames have columns image, label, x0, y0, x1, y1. The tau sweep's `area` is a fraction of the
network's input window: when the input is a crop of the source (resize then centre crop), the
same box covers `area` times the window's area of the source, which is the area to give here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .localisation import box_scores, localisation_table, single_lesion

ASPECT_RATIOS = (0.5, 0.75, 1.0, 1.33, 2.0)  # width / height
_FIT = 1e-9  # slack for w or h computed as 1 + rounding error


def best_fixed_box(
    train_truth: pd.DataFrame,
    area: float,
    aspect_ratios: Sequence[float] = ASPECT_RATIOS,
    step: float = 0.02,
    single_only: bool = True,
) -> tuple[float, float, float, float]:
    """The box of `area` (w * h, with w / h one of `aspect_ratios`, inside the unit square, its
    corner on a grid of `step`) that holds the most lesion centres of `train_truth`; with
    `single_only`, of the lesions alone on their image only (the ones a single box can find).
    Ties go to the box whose centre is nearest the mean lesion centre."""
    if not 0 < area <= 1 + _FIT:
        raise ValueError(f"a box area is a fraction of the image in (0, 1], got {area}")
    if step <= 0:
        raise ValueError(f"the grid step must be positive, got {step}")
    centres = _centres(train_truth[single_lesion(train_truth["image"])] if single_only else train_truth)
    if len(centres) == 0:
        raise ValueError(f"no {'single-lesion ' if single_only else ''}training lesions to place the box on")
    counts, boxes = [], []
    for ratio in aspect_ratios:
        width, height = math.sqrt(area * ratio), math.sqrt(area / ratio)
        if width > 1 + _FIT or height > 1 + _FIT:
            continue  # this shape does not fit in the image at this area
        width, height = min(width, 1.0), min(height, 1.0)
        shape_counts, shape_boxes = _count_centres(centres, width, height, step)
        counts.append(shape_counts)
        boxes.append(shape_boxes)
    if not boxes:
        raise ValueError(f"no aspect ratio of {tuple(aspect_ratios)} fits a box of area {area} in the image")
    counts, boxes = np.concatenate(counts), np.concatenate(boxes)
    best = np.flatnonzero(counts == counts.max())
    box_centres = (boxes[best, :2] + boxes[best, 2:]) / 2
    nearest = best[np.argmin(((box_centres - centres.mean(axis=0)) ** 2).sum(axis=1))]
    return tuple(float(v) for v in boxes[nearest])


def fixed_box_scores(box, truth: pd.DataFrame) -> dict:
    """The pointing game of one box on every lesion of `truth`: hit over all lesions, and
    hit_single over the lesions alone on their image (columns as in tau_sweep)."""
    truth_boxes = truth[["x0", "y0", "x1", "y1"]].to_numpy(dtype=np.float64)
    if len(truth_boxes) == 0:
        raise ValueError("no ground-truth box to score the fixed box on")
    attention = np.broadcast_to(np.asarray(box, dtype=np.float64), truth_boxes.shape)
    hit = box_scores(attention, truth_boxes)["hit"]
    alone = single_lesion(truth["image"])
    return {
        "hit": float(hit.mean()),
        "hit_single": float(hit[alone].mean()) if alone.any() else float("nan"),
        "lesions": len(truth_boxes),
        "single": int(alone.sum()),
    }


def fixed_box_sweep(
    train_truth: pd.DataFrame,
    truth: pd.DataFrame,
    areas: Iterable[float],
    aspect_ratios: Sequence[float] = ASPECT_RATIOS,
    step: float = 0.02,
    single_only: bool = True,
) -> pd.DataFrame:
    """Per area: the best fixed box chosen on `train_truth` and its pointing game on `truth`
    (columns area, x0, y0, x1, y1, hit, hit_single, lesions, single)."""
    records = []
    for area in areas:
        box = best_fixed_box(train_truth, float(area), aspect_ratios, step, single_only)
        records.append({"area": float(area), **dict(zip(("x0", "y0", "x1", "y1"), box, strict=True)), **fixed_box_scores(box, truth)})
    columns = ["area", "x0", "y0", "x1", "y1", "hit", "hit_single", "lesions", "single"]
    return pd.DataFrame(records, columns=columns)


def _centres(truth: pd.DataFrame) -> np.ndarray:
    """(L, 2) lesion centres (x, y)."""
    boxes = truth[["x0", "y0", "x1", "y1"]].to_numpy(dtype=np.float64)
    return np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2])


def _count_centres(centres: np.ndarray, width: float, height: float, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Lesion centres inside every box of one shape on the grid: (K,) counts, (K, 4) boxes.

    A centre is inside a box when it is inside the box's x range AND its y range, so the
    counts of all nx * ny positions are one product of two 0/1 matrices: (nx, L) @ (L, ny).
    Edges count as inside, as in box_scores."""
    left, top = _positions(width, step), _positions(height, step)
    right, bottom = np.minimum(left + width, 1.0), np.minimum(top + height, 1.0)  # rounding past 1
    in_x = (left[:, None] <= centres[:, 0]) & (centres[:, 0] <= right[:, None])  # (nx, L)
    in_y = (top[:, None] <= centres[:, 1]) & (centres[:, 1] <= bottom[:, None])  # (ny, L)
    counts = in_x.astype(np.float64) @ in_y.T.astype(np.float64)  # (nx, ny), exact small integers
    x0, y0 = np.meshgrid(left, top, indexing="ij")
    x1, y1 = np.meshgrid(right, bottom, indexing="ij")
    boxes = np.stack([x0, y0, x1, y1], axis=-1).reshape(-1, 4)
    return np.rint(counts).astype(np.int64).ravel(), boxes


def _positions(size: float, step: float) -> np.ndarray:
    """Corner positions 0, step, 2 step, ... that keep a side of `size` inside [0, 1], and the
    position flush with the far edge (so the grid reaches it whatever the step)."""
    last = max(1.0 - size, 0.0)
    return np.unique(np.minimum(np.append(np.arange(0.0, last + _FIT, step), last), last))


def pointing_against_fixed_box(attention: pd.DataFrame, truth: pd.DataFrame, train_truth: pd.DataFrame) -> dict:
    """The attention boxes' pointing game beside the best fixed box of their mean area.

    `attention`: image, x0, y0, x1, y1 (one box per image, normalised source coordinates);
    `truth`: the lesions of those images; `train_truth`: the training lesions the fixed box is
    placed on. Returns {"area", "hit", "hit_single", "lesions", "single", "fixed_box": {"box",
    "hit", "hit_single"}}, plain floats: what the report's pointing check reads.
    """
    truth = truth[truth["image"].isin(set(attention["image"]))]
    if truth.empty:
        raise ValueError("no lesion lies on the images with attention boxes")
    area = float(((attention["x1"] - attention["x0"]) * (attention["y1"] - attention["y0"])).mean())
    found = localisation_table(attention, truth).loc["all"]
    box = best_fixed_box(train_truth, min(area, 1.0))
    fixed = fixed_box_scores(box, truth)
    return {
        "area": area,
        "hit": float(found["hit"]),
        "hit_single": float(found["hit_single"]),
        "lesions": int(found["lesions"]),
        "single": int(found["single"]),
        "fixed_box": {"box": [float(v) for v in box], "hit": float(fixed["hit"]), "hit_single": float(fixed["hit_single"])},
    }
