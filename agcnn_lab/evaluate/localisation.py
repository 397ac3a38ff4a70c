"""How well an attention box finds the lesion: IoU, IoBB and the pointing game, per class.

All boxes are (x0, y0, x1, y1) in coordinates normalised to the image (0..1), so attention
boxes (mapped from the input through the frame) and ground-truth boxes (in the pixels of
the original image) meet in one frame.

    scores = localisation_table(attention, ground_truth)   # one row per class, and "all"

- IoU: intersection over union of the two boxes.
- IoBB: intersection over the ground-truth box's area (the ChestX-ray8 paper's measure):
  1.0 when the attention box contains the whole lesion.
- hit (pointing game): the ground-truth box's centre lies inside the attention box.
- hit_single: the pointing game over the lesions that are alone on their image. AG-CNN cuts
  ONE box per image, with no class: on a film with lesions in both lungs no box smaller than
  the chest can hold them all, so the per-lesion hit rate mixes "the heatmap missed" with
  "there was more than one target". NIH's BBox_List_2017 is nearly one box per image (984
  boxes, 880 images); the phantom boxes every lesion (about 1.7 a lesion image), so its
  single-lesion images are the ones comparable with the paper's setting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..attention.boxes import pointing_hits
from ..data.boxes import normalise_boxes
from ..data.classes import CLASSES

__all__ = ["box_scores", "localisation_table", "normalise_boxes"]


def box_scores(attention: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """IoU, IoBB and hit for paired (N, 4) box arrays."""
    attention = np.asarray(attention, dtype=np.float64).reshape(-1, 4)
    truth = np.asarray(truth, dtype=np.float64).reshape(-1, 4)
    inter_w = np.clip(np.minimum(attention[:, 2], truth[:, 2]) - np.maximum(attention[:, 0], truth[:, 0]), 0, None)
    inter_h = np.clip(np.minimum(attention[:, 3], truth[:, 3]) - np.maximum(attention[:, 1], truth[:, 1]), 0, None)
    inter = inter_w * inter_h
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    union = area(attention) + area(truth) - inter
    hit = pointing_hits(attention, truth)
    return {"iou": inter / np.maximum(union, 1e-12), "iobb": inter / np.maximum(area(truth), 1e-12), "hit": hit}


def localisation_table(attention: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per class: number of lesions, mean IoU, mean IoBB, pointing-game hit rate, and the number
    and hit rate of the lesions alone on their image (`single`, `hit_single`); plus 'all'.

    `attention`: image, x0, y0, x1, y1 (one box per image); `truth`: image, label, x0, y0, x1, y1
    (one row per lesion; images without an attention box are an error, not a silent miss).
    """
    pairs = truth.merge(attention, on="image", how="left", suffixes=("", "_att"), validate="many_to_one")
    missing = pairs["image"][pairs["x0_att"].isna()]
    if len(missing):
        raise ValueError(f"no attention box for {len(missing)} lesion image(s), e.g. {missing.iloc[0]}")
    scores = box_scores(
        pairs[["x0_att", "y0_att", "x1_att", "y1_att"]].to_numpy(), pairs[["x0", "y0", "x1", "y1"]].to_numpy()
    )
    per_lesion = pairs[["image", "label"]].assign(**scores, single=single_lesion(pairs["image"]))
    rows = []
    for name in [c for c in CLASSES if c in set(per_lesion["label"])] + ["all"]:
        part = per_lesion if name == "all" else per_lesion[per_lesion["label"] == name]
        alone = part[part["single"]]
        rows.append(
            {
                "class": name,
                "lesions": len(part),
                "iou": part["iou"].mean(),
                "iobb": part["iobb"].mean(),
                "hit": part["hit"].mean(),
                "single": len(alone),
                "hit_single": alone["hit"].mean() if len(alone) else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("class")


def single_lesion(images: pd.Series) -> np.ndarray:
    """For each lesion (one row per ground-truth box, named by its image): is it the only
    lesion of its image?"""
    images = pd.Series(np.asarray(images))
    return (images.map(images.value_counts()) == 1).to_numpy()
