"""The attention's own effect: the local branch on its attention crop against the same branch
on the whole film.

    probs = {b: result.probs[b] for b in ("local", "fusion", "local_whole_film", "fusion_whole_film")}
    effect = attention_effect(result.labels, probs, n_boot=1000)   # crop minus whole film
    effect["local"]["mean"], effect["local"]["ci95"]               # d and its paired 95% CI
    markdown_table(effect_table(effect))                           # one row per class, and "mean"
    tables = [pd.read_csv(f"{run}/predictions.csv") for run in runs]   # one run per training seed
    seeds_attention_effect(tables, split="val")["local"]["mean"]    # the effect's mean over seeds
    branch_mean_auc(tables[0], "val", "fusion_whole_film")          # one branch's own mean AUC

AG-CNN's local branch beats or trails the global branch for many reasons at once: another
input size, more epochs, a second start. The control removes them: the same local branch,
from the same start, for the same epochs, fed the WHOLE film at the crop's input size
("local_whole_film"), with its own fusion head ("fusion_whole_film"). What is left between
the two is the crop, so AUC(crop) - AUC(whole film) is the attention's effect. Both are
scored on the same test images, hence the paired bootstrap (auc.paired_bootstrap_difference).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.classes import CLASSES
from ..train.predict import CONTROLS  # each compared branch and its whole-film control
from .auc import mean_auc, paired_bootstrap_difference, seeds_paired_difference


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


def seeds_attention_effect(tables: Sequence[pd.DataFrame], split: str = "test", n_boot: int = 1000, seed: int = 0,
                           controls: dict[str, str] | None = None) -> dict:
    """attention_effect averaged over runs that differ in their training seed alone: each of
    `tables` is one run's predictions.csv, all on the same films of `split`. Returns
    {"local": ..., "fusion": ...} as auc.seeds_paired_difference does (its interval: the films'
    sampling, not the seeds'), and "runs": each run's own effect, {"local": [d, ...], ...}.
    `controls`: {branch: the branch it is compared with}; by default each crop branch and its
    whole-film control. Refused, naming the run (by its position), when the runs hold other films
    or other labels."""
    out, each = {}, {}
    for branch, control in (CONTROLS if controls is None else controls).items():
        labels, scores_a, scores_b, _ = runs_paired_scores(tables, split, branch, control)
        out[branch] = seeds_paired_difference(labels, list(scores_a), list(scores_b), n_boot=n_boot, seed=seed)
        each[branch] = out[branch]["each"]
    return {**out, "runs": each}


def runs_paired_scores(tables: Sequence[pd.DataFrame], split: str, branch: str, control: str):
    """paired_scores of several runs' predictions.csv tables on the same films: labels (N, C),
    each side's scores (R, N, C), every run in run 0's order of the films, and the images (N,).
    Refused, naming the run (by its position), when a run holds other films or other labels."""
    if not len(tables):
        raise ValueError("no runs given: pass one predictions.csv table per run")
    labels, first_a, first_b, images = paired_scores(tables[0], split, branch, control)
    order = pd.Index(images)
    scores_a, scores_b = [first_a], [first_b]
    for position, table in enumerate(tables[1:], start=1):
        other_labels, score_a, score_b, other_images = paired_scores(table, split, branch, control)
        if len(other_images) != len(images) or set(other_images) != set(images):
            only = sorted(set(other_images) ^ set(images)) or [images[0]]
            raise ValueError(f"run {position} was scored on other {split} films than run 0 (e.g. {only[0]!r}); "
                             "the runs must share their data and split")
        rows = pd.Index(other_images).get_indexer(order)
        if not np.array_equal(other_labels[rows], labels):
            raise ValueError(f"run {position} labels the {split} films otherwise than run 0; the runs must share their data")
        scores_a.append(score_a[rows])
        scores_b.append(score_b[rows])
    return labels, np.stack(scores_a), np.stack(scores_b), images


def paired_scores(predictions: pd.DataFrame, split: str, branch: str, control: str):
    """Labels (N, C), the two branches' scores (N, C) and the images (N,) of one split of
    predictions.csv's long table, the two sides in one order; refused (ValueError, naming the
    branch, split or film) unless both were scored on the same films with the same labels."""
    if not isinstance(predictions, pd.DataFrame) or predictions.empty:
        raise ValueError(
            "predictions is empty; pass predictions.csv's table (image, split, branch, ...)"
        )
    branch, control = str(branch), str(control)  # a config.Branch is named by its value in the file and the errors
    needed = ["image", "split", "branch", *CLASSES, *(f"true_{c}" for c in CLASSES)]
    missing = [c for c in needed if c not in predictions.columns]
    if missing:
        raise ValueError(
            f"predictions lack the column(s) {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
        )
    if branch == control:
        raise ValueError(
            f"branch and control are both {branch!r}; the effect compares two branches"
        )
    rows = predictions[predictions["split"] == split]
    if rows.empty:
        splits = sorted(map(str, predictions["split"].unique()))
        raise ValueError(f"no predictions on split {split!r}; the table has {', '.join(splits)}")
    present = set(rows["branch"])
    for name in (branch, control):
        if name not in present:
            raise ValueError(
                f"no predictions of branch {name!r} on split {split!r}; the table has {', '.join(sorted(present))}"
                + (
                    " (the whole-film control is trained only by runs that train it)"
                    if "whole_film" in name
                    else ""
                )
            )
    side_a = rows[rows["branch"] == branch].set_index("image")
    side_b = rows[rows["branch"] == control].set_index("image")
    for name, side in ((branch, side_a), (control, side_b)):
        if side.index.duplicated().any():
            raise ValueError(
                f"branch {name!r} has image {side.index[side.index.duplicated()][0]!r} twice on {split!r}"
            )
    if set(side_a.index) != set(side_b.index):
        only = sorted(set(side_a.index) ^ set(side_b.index))
        raise ValueError(
            f"{branch!r} and {control!r} were scored on different films (e.g. {only[0]!r}); the paired effect needs the same films"
        )
    side_b = side_b.loc[side_a.index]
    truth = [f"true_{c}" for c in CLASSES]
    labels = side_a[truth].to_numpy(dtype=np.float64)
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("true_<class> columns must be 0 or 1")
    if not np.array_equal(labels, side_b[truth].to_numpy(dtype=np.float64)):
        raise ValueError(f"{branch!r} and {control!r} disagree on the labels of the same films")
    score_a = side_a[list(CLASSES)].to_numpy(dtype=np.float64)
    score_b = side_b[list(CLASSES)].to_numpy(dtype=np.float64)
    if not (np.isfinite(score_a).all() and np.isfinite(score_b).all()):
        raise ValueError("predictions hold NaN or infinite probabilities")
    return labels, score_a, score_b, side_a.index.to_numpy()



def branch_mean_auc(predictions: pd.DataFrame, split: str, branch: str) -> float:
    """The mean AUC over the 14 diseases of one branch on one split of predictions.csv's long
    table; refused (ValueError, naming the branch and split) when the table has no such rows."""
    rows = predictions[(predictions["split"] == split) & (predictions["branch"] == branch)]
    if rows.empty:
        raise ValueError(f"no predictions of branch {branch!r} on split {split!r}")
    return mean_auc(rows[[f"true_{c}" for c in CLASSES]].to_numpy(), rows[list(CLASSES)].to_numpy())


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
