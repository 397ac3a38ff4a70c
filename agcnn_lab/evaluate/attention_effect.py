"""The attention's own effect: the local branch on its attention crop against the same branch
on the whole film.

    probs = {b: result.probs[b] for b in ("local", "fusion", "local_whole_film", "fusion_whole_film")}
    effect = attention_effect(result.labels, probs, n_boot=1000)   # crop minus whole film
    effect["local"]["mean"], effect["local"]["ci95"]               # d and its paired 95% CI
    markdown_table(effect_table(effect))                           # one row per class, and "mean"

AG-CNN's local branch beats or trails the global branch for many reasons at once: another
input size, more epochs, a second start. The control removes them: the same local branch,
from the same start, for the same epochs, fed the WHOLE film at the crop's input size
("local_whole_film"), with its own fusion head ("fusion_whole_film"). What is left between
the two is the crop, so AUC(crop) - AUC(whole film) is the attention's effect. Both are
scored on the same test images, hence the paired bootstrap (auc.paired_bootstrap_difference).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..train.predict import CONTROLS  # each compared branch and its whole-film control
from .auc import paired_bootstrap_difference


def attention_effect(labels, probs: dict[str, np.ndarray], n_boot: int = 1000, seed: int = 0) -> dict:
    """{"local": ..., "fusion": ...}: paired_bootstrap_difference of each branch on the
    attention crop minus its whole-film control (d > 0: the crop helps)."""
    missing = [b for pair in CONTROLS.items() for b in pair if b not in probs]
    if missing:
        raise ValueError(
            f"the attention effect needs the branch(es) {', '.join(missing)}; got {', '.join(probs) or 'none'}"
        )
    return {
        branch: paired_bootstrap_difference(labels, probs[branch], probs[control], n_boot=n_boot, seed=seed)
        for branch, control in CONTROLS.items()
    }


def effect_table(effect: dict) -> pd.DataFrame:
    """One row per class and a "mean" row; per branch the difference d (a float) and its
    interval as a signed "[lo, hi]" string (empty where undefined), ready for a markdown table."""
    classes = list(dict.fromkeys(c for result in effect.values() for c in result["auc"]))
    columns = {}
    for branch, result in effect.items():
        columns[branch] = [result["auc"].get(c, np.nan) for c in classes] + [result["mean"]]
        intervals = [result["ci95_auc"].get(c, [np.nan, np.nan]) for c in classes] + [result["ci95"]]
        columns[f"{branch} ci95"] = [_interval_text(*interval) for interval in intervals]
    return pd.DataFrame(columns, index=pd.Index([*classes, "mean"], name="class"))


def _interval_text(low: float, high: float) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    return f"[{low:+.3f}, {high:+.3f}]"
