"""When does zooming pay? The attention effect, AUC(crop) - AUC(whole film), by lesion size.

    predictions = pd.read_csv("runs/demo-cpu/predictions.csv")
    boxes = load_data(Profile.read("runs/demo-cpu/config.json"), progress=False).boxes
    table = effect_by_lesion_size(predictions, boxes, branch="local", control="local_whole_film")
    plot_effect_by_lesion_size(table, title="local branch")     # agcnn_lab.figures.lesion_size
    tables = [pd.read_csv(f"{run}/predictions.csv") for run in runs]   # one run per training seed
    effect_by_lesion_size(tables, boxes)    # each AUC the mean over the runs, one resample for all

The crop gives the local branch more pixels per lesion and less of the rest of the film. That
should matter most for small lesions (a nodule a few pixels wide at the global input's size)
and little for large ones (an effusion is plain at any size), so the mean attention effect of
`agcnn_lab.evaluate.attention_effect` can hide a gain on small lesions behind a wash on large
ones. This module splits it by lesion size.

A lesion's size is the side of its ground-truth box as a fraction of the film, the square root
of the normalised box area (0.05: a box about 5% of the film wide). For each size bin and each
class with boxes, the AUC of that class is computed on the positive films whose lesion of that
class falls in the bin, against ALL the negative films of that class; once for the branch on
the crop and once for its whole-film control. The bin's effect is the mean over classes,
weighted by the bin's positives per class, of AUC(branch) - AUC(control); classes with fewer
than 3 positives in the bin are skipped (an AUC over one or two positives is mostly noise).

Its 95% interval is a paired bootstrap over films, and several runs that differ in their training
seed alone can be pooled (pass their tables as a list): evaluate.strata, the engine this module
shares with the effect by the film's number of findings (evaluate.finding_count), says how.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.classes import CLASSES
from .strata import COLUMNS as STRATA_COLUMNS
from .strata import (
    MIN_POSITIVES,
    check_bootstrap,
    effect_by_stratum,
    lesions_on_films,
    pooled_scores,
    weighted_auc,
)

__all__ = ["COLUMNS", "DEFAULT_EDGES", "MIN_POSITIVES", "effect_by_lesion_size", "lesion_side", "weighted_auc"]

DEFAULT_EDGES = (0, 0.03, 0.06, 0.12, 1.0)
COLUMNS = ["bin", "size_lo", "size_hi", *STRATA_COLUMNS[1:]]


def effect_by_lesion_size(
    predictions: pd.DataFrame | Sequence[pd.DataFrame],
    boxes: pd.DataFrame,
    split: str = "test",
    branch: str = "local",
    control: str = "local_whole_film",
    edges: Sequence[float] = DEFAULT_EDGES,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per lesion-size bin [size_lo, size_hi) (the last bin includes size_hi):

    - bin: a label such as "3-6%" (lesion side as a percentage of the film);
    - positives: the (film, class) positives that enter the bin's effect (a film positive for
      two classes whose lesions both fall in the bin counts twice);
    - classes: the classes that enter it, comma-separated ("" when none has 3 positives);
    - effect: the positives-weighted mean over those classes of AUC(branch) - AUC(control),
      with its paired-bootstrap interval [ci_lo, ci_hi] (`level`, 95% by default);
    - auc_branch, auc_control: the same weighted means of each side's AUC (effect is their
      difference).

    `predictions` is predictions.csv's long table (image, split, branch, a probability column
    per class, true_<class>), or a list of such tables, one per run of one setting (pooled as the
    module says; refused, naming the run, when they hold other films or labels); `boxes` holds
    image, label, x0, y0, x1, y1 normalised to the film.
    Positive films without a box of their class are in no bin; a film with two lesions of one
    class counts in the bin of the larger. NaN where a bin has no class with enough positives.
    """
    edges = _check_edges(edges)
    check_bootstrap(n_boot, level)
    labels, score_branch, score_control, images = pooled_scores(predictions, split, branch, control)
    sizes = _lesion_sizes(boxes, images, split)  # (N, C): largest lesion side per film and class; NaN: none

    # Which bin each film's largest lesion of each class falls in (-1: no lesion of that class).
    # The largest lesion decides: it is the class's plainest evidence on that film, at any
    # resolution, so a film with a small and a large lesion is no "small lesion" film.
    # Lesions outside [edges[0], edges[-1]] are in no bin rather than clipped into an end bin.
    bin_of = np.full(sizes.shape, -1)
    finite = np.isfinite(sizes)
    found = np.searchsorted(edges, sizes[finite], side="right") - 1
    found[sizes[finite] == edges[-1]] = len(edges) - 2  # the last bin is closed on the right
    found[(sizes[finite] < edges[0]) | (sizes[finite] > edges[-1])] = -1
    bin_of[finite] = found

    names = [_bin_label(lo, hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
    table = effect_by_stratum(labels, score_branch, score_control, bin_of, names, n_boot=n_boot, seed=seed, level=level)
    table.insert(1, "size_lo", edges[:-1].astype(float))
    table.insert(2, "size_hi", edges[1:].astype(float))
    return table[COLUMNS]


def _bin_label(lo: float, hi: float) -> str:
    return f"{round(lo * 100, 1):g}-{round(hi * 100, 1):g}%"


def _check_edges(edges) -> np.ndarray:
    edges = np.asarray(edges, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2:
        raise ValueError(f"edges must list at least two bin edges, got {edges.tolist()}")
    if not np.isfinite(edges).all() or (np.diff(edges) <= 0).any() or edges[0] < 0:
        raise ValueError(
            f"edges must be finite, non-negative and strictly increasing, got {edges.tolist()}"
        )
    return edges


def lesion_side(corners: np.ndarray) -> np.ndarray:
    """The size of each box (N, 4: x0, y0, x1, y1, normalised): its side as a fraction of the film,
    the square root of its area (the module doc's lesion size)."""
    corners = np.asarray(corners, dtype=np.float64)
    return np.sqrt((corners[:, 2] - corners[:, 0]) * (corners[:, 3] - corners[:, 1]))


def _lesion_sizes(boxes: pd.DataFrame, images: np.ndarray, split: str) -> np.ndarray:
    """(N, C): the side of the largest box of each class on each film (NaN: no box)."""
    corners, r, c = lesions_on_films(boxes, images, split, "the effect by lesion size")
    sizes = np.full((len(images), len(CLASSES)), np.nan)
    np.fmax.at(sizes, (r, c), lesion_side(corners))  # the largest lesion of a class on a film decides its bin
    return sizes
