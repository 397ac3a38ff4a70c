"""Where does one box fall short? The attention effect, AUC(crop) - AUC(whole film), by how many
findings the film holds.

    predictions = pd.read_csv("runs/demo-cpu/predictions.csv")
    table = effect_by_finding_count(predictions, branch="local", control="local_whole_film")
    plot_effect_by_lesion_size(table, xlabel=FINDINGS_AXIS)        # agcnn_lab.figures.lesion_size
    tables = [pd.read_csv(f"{run}/predictions.csv") for run in runs]   # one run per training seed
    effect_by_finding_count(tables, split="val")   # each AUC the mean over the runs, one resample for all

AG-CNN cuts ONE box per film, around the largest region its heatmap marks. On a film whose only
finding is a nodule, the box can hold it all and the zoom has nothing to give up; on a film with
an effusion at one base and a pneumothorax at the other apex, a box that holds one finding cuts
the other away, and the local branch must classify it from what is left. Films with several
findings are common on ChestX-ray14 (its label table says how many; the phantom draws its label
sets from that table), so the mean attention effect mixes the two cases. This module splits it.

A positive (film, class) falls in the bin of its film's number of findings, its own included:
with the default bounds (1, 2, 3), "1" holds the findings that are alone on their film, "2"
those with one other, "3+" the rest. For each bin and each class with at least 3 positives in
it, the AUC of that class is computed on those positives against ALL the films without the
class; the bin's effect is the positives-weighted mean over classes of AUC(branch) -
AUC(control), with a paired bootstrap interval over films (evaluate.strata). Unlike the effect
by lesion size it needs no boxes, so it reads NIH's ChestX-ray14 runs as well as the phantom's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .strata import COLUMNS as STRATA_COLUMNS
from .strata import check_bootstrap, effect_by_stratum, pooled_scores

__all__ = ["COLUMNS", "DEFAULT_BOUNDS", "FINDINGS_AXIS", "effect_by_finding_count", "finding_bins"]

DEFAULT_BOUNDS = (1, 2, 3)  # bins 1, 2, 3+: a finding alone on its film, with one other, with more
FINDINGS_AXIS = "findings on the positive film (its own included)"

COLUMNS = ["bin", "findings_lo", "findings_hi", *STRATA_COLUMNS[1:]]


def effect_by_finding_count(
    predictions: pd.DataFrame | Sequence[pd.DataFrame],
    split: str = "test",
    branch: str = "local",
    control: str = "local_whole_film",
    bounds: Sequence[int] = DEFAULT_BOUNDS,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per bin of the film's number of findings, [findings_lo, findings_hi] (the last
    bin open: findings_hi is NaN), with the columns of evaluate.strata.effect_by_stratum: bin
    ("1", "2", "3+" for the default bounds; "2-3" for a bin of several counts), positives,
    classes, effect with ci_lo and ci_hi, auc_branch and auc_control.

    `predictions` is predictions.csv's long table, or a list of such tables, one per run of one
    setting (pooled as evaluate.strata says; refused, naming the run, when they hold other films
    or labels). bounds: the bins' lower ends, strictly increasing integers from 1.
    """
    bounds = _check_bounds(bounds)
    check_bootstrap(n_boot, level)
    labels, score_branch, score_control, _ = pooled_scores(predictions, split, branch, control)
    names, stratum = finding_bins(labels, bounds)
    table = effect_by_stratum(labels, score_branch, score_control, stratum, names, n_boot=n_boot, seed=seed,
                              level=level)
    highs = [float(b - 1) for b in bounds[1:]] + [np.nan]
    table.insert(1, "findings_lo", [float(b) for b in bounds])
    table.insert(2, "findings_hi", highs)
    return table[COLUMNS]


def finding_bins(labels: np.ndarray, bounds: Sequence[int] = DEFAULT_BOUNDS) -> tuple[list[str], np.ndarray]:
    """(the bins' names, (N, C) bin of each positive (film, class), -1 for negatives): a positive's
    bin is that of its film's number of findings, labels' row sum."""
    bounds = _check_bounds(bounds)
    labels = np.asarray(labels)
    count = labels.sum(axis=1).astype(int)
    film_bin = np.searchsorted(bounds, count, side="right") - 1  # count >= 1 on a positive film
    stratum = np.where(labels == 1, film_bin[:, None], -1)
    names = []
    for i, low in enumerate(bounds):
        if i == len(bounds) - 1:
            names.append(f"{low}+")
        else:
            high = bounds[i + 1] - 1
            names.append(str(low) if high == low else f"{low}-{high}")
    return names, stratum


def _check_bounds(bounds) -> np.ndarray:
    values = np.asarray(bounds)
    if values.ndim != 1 or len(values) < 1 or not np.issubdtype(values.dtype, np.integer):
        raise ValueError(f"bounds must list the bins' lower ends as integers, got {list(np.ravel(bounds))}")
    if values[0] != 1 or (np.diff(values) <= 0).any():
        raise ValueError(f"bounds must start at 1 (a positive film holds at least its own finding) and increase "
                         f"strictly, got {values.tolist()}")
    return values
