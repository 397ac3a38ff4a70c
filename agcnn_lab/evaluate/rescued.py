"""Which findings the crop rescued: positives the global branch ranked low and the local high.

AUC is the mean, over the positive images of a class, of each positive's *rank*: the share of
the class's negative images scored below it (ties count one half). That rank says, image by
image, how well a branch found a finding, on the same scale as the AUC:

    ranks = positive_ranks(labels, {"global": p_g, "local": p_l}, names)   # one row per finding
    rescued = rescued_cases(ranks)            # global rank < 0.5 <= local rank, best gain first
    rescue_counts(ranks)                      # per class: findings rescued, and lost

A finding is *rescued* when the global branch ranked it below the median negative (a miss at
any sensible operating point) and the local branch at or above it; *lost* is the reverse.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.classes import CLASSES


def positive_ranks(
    labels: np.ndarray,
    probs: dict[str, np.ndarray],
    names: Sequence[str],
    classes: Sequence[str] = CLASSES,
) -> pd.DataFrame:
    """One row per (image, class) with label 1: image, class, and each branch's rank in [0, 1].

    labels: (N, C) 0/1; probs: branch -> (N, C) scores (extra columns, e.g. No Finding, are
    ignored beyond len(classes)); names: the N image names. Classes without a negative image
    have no rank and are left out. The mean of a branch's ranks over a class is its AUC.
    """
    labels = np.asarray(labels)
    if labels.ndim != 2 or len(names) != len(labels):
        raise ValueError(f"labels {labels.shape} and {len(names)} names do not match")
    names = np.asarray(names)
    rows = []
    for k, name in enumerate(classes):
        positive = labels[:, k] > 0.5
        if not positive.any() or positive.all():
            continue
        part = {"image": names[positive], "class": name}
        for branch, scores in probs.items():
            scores = np.asarray(scores)
            if scores.shape[0] != len(labels):
                raise ValueError(f"{branch}: {scores.shape[0]} rows of scores for {len(labels)} images")
            negatives = np.sort(scores[~positive, k])
            ours = scores[positive, k]
            below = np.searchsorted(negatives, ours, side="left")
            ties = np.searchsorted(negatives, ours, side="right") - below
            part[branch] = (below + 0.5 * ties) / len(negatives)
        rows.append(pd.DataFrame(part))
    columns = ["image", "class", *probs]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)


def rescued_cases(ranks: pd.DataFrame, by: str = "local", against: str = "global", cut: float = 0.5) -> pd.DataFrame:
    """The findings `against` ranked below `cut` and `by` at or above it, largest gain first."""
    chosen = ranks[(ranks[against] < cut) & (ranks[by] >= cut)]
    out = chosen.assign(gain=chosen[by] - chosen[against])
    return out.sort_values(["gain", "image", "class"], ascending=[False, True, True]).reset_index(drop=True)


def rescue_counts(ranks: pd.DataFrame, by: str = "local", against: str = "global", cut: float = 0.5) -> pd.DataFrame:
    """Per class (and "all"): findings, rescued (missed by `against`, found by `by`), lost
    (the reverse), and the two branches' mean ranks (= their AUCs on these images)."""
    rescued = (ranks[against] < cut) & (ranks[by] >= cut)
    lost = (ranks[by] < cut) & (ranks[against] >= cut)
    frame = ranks.assign(rescued=rescued, lost=lost)
    rows = []
    present = [c for c in CLASSES if c in set(frame["class"])]
    for name in [*present, "all"]:
        part = frame if name == "all" else frame[frame["class"] == name]
        rows.append(
            {
                "class": name,
                "findings": len(part),
                "rescued": int(part["rescued"].sum()),
                "lost": int(part["lost"].sum()),
                f"{against} AUC": part[against].mean() if name != "all" else np.nan,
                f"{by} AUC": part[by].mean() if name != "all" else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("class")
