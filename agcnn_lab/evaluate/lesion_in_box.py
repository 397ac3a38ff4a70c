"""What does the crop gain on the lesions it holds, and lose on those it cuts away? The attention
effect, AUC(crop) - AUC(whole film), split by whether the lesion lies in the film's crop.

    predictions = pd.read_csv("runs/demo-cpu/predictions.csv")
    attention = pd.read_csv("runs/demo-cpu/attention_boxes.csv")     # where each film was cut
    boxes = load_data(Profile.read("runs/demo-cpu/config.json"), progress=False).boxes
    table = effect_by_lesion_in_box(predictions, boxes, attention)  # bins "in the box", "cut away"
    effect_by_lesion_in_box(tables, boxes, attentions)   # several seeds: one table and one box file each
    box_effect_summary(predictions, boxes, attention)    # both branches, as metrics.json keeps it

AG-CNN cuts one box per film. A finding the box holds is seen at a finer scale than the whole
film shows it; a finding outside it reaches the local branch not at all, and the fusion only
through the global branch. The mean attention effect adds both. This module splits them, by the
pointing game's rule (attention.boxes.pointing_hits): a positive (film, class) is "in the box"
when the centre of a ground-truth box of its class lies in the film's attention box, "cut away"
when none does. Positives without a ground-truth box of their class are in neither bin (on the
phantom: the diffuse findings, which have no box; on NIH's release, most films).

Pooling several runs (one per training seed), each run has its own boxes: a positive is in the
box, or cut away, when every run agrees, and in a third bin, "in some runs' boxes", otherwise.
AUCs, weights and the paired bootstrap interval are evaluate.strata's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..attention.boxes import pointing_hits
from ..train.predict import CONTROLS
from .predict import ATTENTION_BOX_COLUMNS
from .strata import COLUMNS, check_bootstrap, effect_by_stratum, lesions_on_films, pooled_scores

__all__ = ["BINS", "BOX_AXIS", "COLUMNS", "box_effect_summary", "effect_by_lesion_in_box", "lesion_in_box"]

BINS = ("in the box", "cut away", "in some runs' boxes")
CORNERS = ["x0", "y0", "x1", "y1"]
BOX_AXIS = "the positive's lesion and the film's attention box"


def effect_by_lesion_in_box(
    predictions: pd.DataFrame | Sequence[pd.DataFrame],
    boxes: pd.DataFrame,
    attention: pd.DataFrame | Sequence[pd.DataFrame],
    split: str = "test",
    branch: str = "local",
    control: str = "local_whole_film",
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per bin ("in the box", "cut away"; with several runs also "in some runs' boxes")
    with evaluate.strata's columns: bin, positives, classes, effect with ci_lo and ci_hi,
    auc_branch, auc_control.

    `predictions`: predictions.csv's table, or a list of them (one per run of one setting);
    `attention`: the matching attention_boxes.csv table(s), one per run in the same order (refused
    when a film of the split has none); `boxes`: the ground-truth lesions, image, label, x0, y0,
    x1, y1 normalised to the film.
    """
    check_bootstrap(n_boot, level)
    tables = [predictions] if isinstance(predictions, pd.DataFrame) else list(predictions)
    attentions = [attention] if isinstance(attention, pd.DataFrame) else list(attention)
    if len(attentions) != len(tables):
        raise ValueError(f"{len(tables)} run(s) of predictions but {len(attentions)} attention box table(s); "
                         "pass one attention_boxes.csv per run, in the same order")
    labels, score_branch, score_control, images = pooled_scores(tables, split, branch, control)
    inside = np.stack([lesion_in_box(labels, images, boxes, table, split, run)
                       for run, table in enumerate(attentions)])  # (R, N, C): 1 in, 0 cut away, NaN no box
    known = np.isfinite(inside).all(axis=0)
    every = known & (inside == 1).all(axis=0)
    none = known & (inside == 0).all(axis=0)
    stratum = np.where(every, 0, np.where(none, 1, np.where(known, 2, -1)))
    names = list(BINS if len(attentions) > 1 else BINS[:2])
    return effect_by_stratum(labels, score_branch, score_control, stratum, names, n_boot=n_boot, seed=seed,
                             level=level)


def box_effect_summary(predictions: pd.DataFrame, boxes: pd.DataFrame, attention: pd.DataFrame, split: str = "test",
                       n_boot: int = 1000, seed: int = 0) -> dict:
    """effect_by_lesion_in_box of one run for each crop branch against its whole-film control, as
    metrics.json's "attention_effect_by_box" keeps it: {"local": {"in the box": {"positives": n,
    "effect": d, "ci95": [lo, hi]}, "cut away": {...}}, "fusion": {...}}; effect and ci95 are None
    where a bin has no class with enough positives."""
    out = {}
    for branch, control in CONTROLS.items():
        table = effect_by_lesion_in_box(predictions, boxes, attention, split, str(branch), str(control),
                                        n_boot=n_boot, seed=seed)
        out[str(branch)] = {
            row.bin: {"positives": int(row.positives),
                      "effect": None if np.isnan(row.effect) else float(row.effect),
                      "ci95": None if np.isnan(row.effect) else [float(row.ci_lo), float(row.ci_hi)]}
            for row in table.itertuples()
        }
    return out


def lesion_in_box(labels: np.ndarray, images: np.ndarray, boxes: pd.DataFrame, attention: pd.DataFrame,
                  split: str = "test", run: int = 0) -> np.ndarray:
    """(N, C) for the films `images` (labels (N, C) their labels): 1.0 where a ground-truth box of
    the class has its centre in the film's attention box, 0.0 where the film is positive for the
    class and none has, NaN where the film is negative or has no box of the class."""
    missing = [c for c in ATTENTION_BOX_COLUMNS if c not in attention.columns]
    if missing:
        raise ValueError(f"attention boxes of run {run} lack the column(s) {', '.join(missing)}; "
                         "pass a run's attention_boxes.csv")
    crops = attention[attention["split"] == split].set_index("image")
    if crops.index.duplicated().any():
        raise ValueError(f"run {run}'s attention boxes name film {crops.index[crops.index.duplicated()][0]!r} "
                         f"twice on split {split!r}")
    absent = [image for image in images if image not in crops.index]
    if absent:
        raise ValueError(f"run {run} has no attention box for {len(absent)} {split} film(s), e.g. {absent[0]!r}; "
                         "its attention_boxes.csv belongs to another run or data")
    if not np.isfinite(crops.loc[list(images), CORNERS].to_numpy(dtype=np.float64)).all():
        raise ValueError(f"run {run}'s attention boxes hold NaN on split {split!r}: it cut no crop there "
                         "(a run without the local branch)")
    corners, r, c = lesions_on_films(boxes, images, split, "the effect by the lesion's place in the box")
    crop = crops.loc[np.asarray(images)[r], CORNERS].to_numpy(dtype=np.float64)
    hit = pointing_hits(crop, corners)
    positive = labels[r, c] == 1  # a box of a class the film is not labelled with says nothing here
    out = np.full(labels.shape, np.nan)
    out[r[positive], c[positive]] = 0.0
    np.fmax.at(out, (r[positive], c[positive]), hit[positive].astype(np.float64))  # any lesion in the box
    return out
