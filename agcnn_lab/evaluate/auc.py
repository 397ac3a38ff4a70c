"""ROC AUC per class (scikit-learn), the mean over the 14 diseases, and bootstrap 95% intervals.

    aucs = per_class_auc(y_true, y_score)            # {class: auc}, NaN where a class has one label
    mean = mean_auc(y_true, y_score)
    ci = bootstrap_ci(y_true, y_score, n_boot=1000)  # {"mean_auc": (lo, hi), class: (lo, hi)}
    diff = paired_bootstrap_difference(y_true, score_a, score_b)  # AUC(A) - AUC(B), with CIs
    over_seeds = seeds_paired_difference(y_true, [a0, a1, a2], [b0, b1, b2])  # its mean over 3 seeds

The bootstrap resamples images with replacement. Its thousand AUCs per class come from the
rank-sum (Mann-Whitney) form of the AUC, vectorised over replicates; the tests check that
it equals scikit-learn's roc_auc_score.

Two models scored on the same test images are compared by a PAIRED bootstrap: each replicate
draws one resample of the images and scores both models on it. The images' difficulty then
moves both AUCs together and cancels in the difference, so the interval of the difference is
much narrower than two separate intervals would suggest (and the overlap of two separate
intervals is no test of the difference).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from ..data.classes import CLASSES


def per_class_auc(y_true, y_score, classes: Sequence[str] = CLASSES) -> dict[str, float]:
    """AUC of each class (the first len(classes) columns); NaN when only one label value occurs."""
    y_true, y_score = _check(y_true, y_score, classes)
    out = {}
    for k, name in enumerate(classes):
        labels = y_true[:, k]
        out[name] = float(roc_auc_score(labels, y_score[:, k])) if 0 < labels.sum() < len(labels) else float("nan")
    return out


def mean_auc(y_true, y_score, classes: Sequence[str] = CLASSES) -> float:
    """Mean AUC over the classes that have both labels (the paper's mean over 14 diseases)."""
    return _mean_of(per_class_auc(y_true, y_score, classes))


def _mean_of(aucs: dict[str, float]) -> float:
    """mean_auc from per_class_auc's mapping: the mean of the defined AUCs (NaN when none is)."""
    values = np.array(list(aucs.values()))
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def rank_auc(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """AUC along axis -2 of (..., N, C) arrays via average ranks (ties count one half)."""
    ranks = rankdata(y_score, axis=-2)
    positives = y_true.sum(axis=-2)
    negatives = y_true.shape[-2] - positives
    rank_sum = (ranks * y_true).sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
    return np.where((positives > 0) & (negatives > 0), auc, np.nan)


def bootstrap_ci(
    y_true,
    y_score,
    classes: Sequence[str] = CLASSES,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    chunk: int = 50,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of each class's AUC and of the mean AUC over resampled images."""
    y_true, y_score = _check(y_true, y_score, classes)
    resamples = bootstrap_rows(len(y_true), n_boot, seed, chunk)
    aucs = np.concatenate([rank_auc(y_true[rows], y_score[rows]) for rows in resamples])  # (n_boot, C)
    tail = (1 - level) / 2 * 100
    with np.errstate(all="ignore"):
        means = np.nanmean(aucs, axis=1)
    out = {"mean_auc": percentile_interval(means, tail)}
    for k, name in enumerate(classes):
        out[name] = percentile_interval(aucs[:, k], tail)
    return out


def bootstrap_rows(n: int, n_boot: int, seed: int = 0, chunk: int = 50) -> Iterator[np.ndarray]:
    """The bootstrap's resamples of n items, `chunk` replicates at a time: (<= chunk, n) row
    indices drawn with replacement, n_boot rows in all. Chunks keep memory flat on the
    25k-image test set; the same seed gives the same resamples whatever the caller."""
    rng = np.random.default_rng(seed)
    for start in range(0, n_boot, chunk):
        yield rng.integers(0, n, size=(min(chunk, n_boot - start), n))


def paired_bootstrap_difference(
    y_true,
    score_a,
    score_b,
    classes: Sequence[str] = CLASSES,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    chunk: int = 50,
) -> dict:
    """AUC of A minus AUC of B on the same images, per class and for the mean AUC, with
    percentile intervals from a paired bootstrap (one resample per replicate scores both).

    Returns {"mean": d, "ci95": [lo, hi], "auc": {class: d}, "ci95_auc": {class: [lo, hi]}}
    in plain floats; NaN where a class has a single label value. `mean` is the difference of
    the two `mean_auc`s ("ci95" is the `level` interval whatever `level` is).
    """
    score_a, score_b = np.asarray(score_a), np.asarray(score_b)
    if score_a.shape != score_b.shape:
        raise ValueError(f"scores A {score_a.shape} and B {score_b.shape} must be the same (N, C) shape")
    return _paired_difference(y_true, [score_a], [score_b], classes, n_boot, seed, level, chunk)[0]


def seeds_paired_difference(
    y_true,
    scores_a: Sequence,
    scores_b: Sequence,
    classes: Sequence[str] = CLASSES,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    chunk: int = 50,
) -> dict:
    """paired_bootstrap_difference averaged over several trainings of A and of B (one pair per
    training seed), all scored on the same images: d = the mean over pairs of AUC(A_s) - AUC(B_s),
    and each replicate scores every pair on one resample of the images. The interval is the
    images' sampling error of that mean for these trained models; how far another seed would
    move them is not in it (the pairs' own differences show that spread).

    Returns the keys of paired_bootstrap_difference, "pairs": the number of pairs, and "each":
    each pair's own difference of mean AUCs (their mean is "mean")."""
    if len(scores_a) != len(scores_b) or not len(scores_a):
        raise ValueError(f"one B for each A: got {len(scores_a)} A and {len(scores_b)} B score sets")
    shapes = {np.shape(s) for s in (*scores_a, *scores_b)}
    if len(shapes) != 1:
        raise ValueError(f"every score set must have the same (N, C) shape, got {sorted(shapes)}")
    out, each = _paired_difference(y_true, scores_a, scores_b, classes, n_boot, seed, level, max(1, chunk // len(scores_a)))
    return {**out, "pairs": len(scores_a), "each": each}


def _paired_difference(y_true, scores_a, scores_b, classes, n_boot, seed, level, chunk) -> tuple[dict, list[float]]:
    """paired_bootstrap_difference's mapping, averaged over the pairs, and each pair's difference."""
    checked = [_check(y_true, s, classes) for s in (*scores_a, *scores_b)]
    y_true, pairs = checked[0][0], len(scores_a)
    stacked = np.stack([score for _, score in checked])  # (2 x pairs, N, C): the A's, then the B's
    a, b = stacked[:pairs], stacked[pairs:]
    differences = [  # (chunk, C): the mean over pairs of each replicate's per-class differences
        (rank_auc(y_true[rows], a[:, rows]) - rank_auc(y_true[rows], b[:, rows])).mean(axis=0)
        for rows in bootstrap_rows(len(y_true), n_boot, seed, chunk)
    ]
    per_class = np.concatenate(differences)  # (n_boot, C); NaN where the resample lacks a label
    # Both AUCs of a replicate are undefined on the same classes (same labels), so the
    # difference of the two nan-means is the nan-mean of the differences.
    with np.errstate(all="ignore"):
        means = np.nanmean(per_class, axis=1)
    tail = (1 - level) / 2 * 100
    auc_pairs = [(per_class_auc(y_true, sa, classes), per_class_auc(y_true, sb, classes)) for sa, sb in zip(a, b, strict=True)]
    each = [_mean_of(x) - _mean_of(z) for x, z in auc_pairs]
    return {
        "mean": float(np.mean(each)),
        "ci95": list(percentile_interval(means, tail)),
        "auc": {name: float(np.mean([x[name] - z[name] for x, z in auc_pairs])) for name in classes},
        "ci95_auc": {name: list(percentile_interval(per_class[:, k], tail)) for k, name in enumerate(classes)},
    }, each


def percentile_interval(values: np.ndarray, tail: float) -> tuple[float, float]:
    """The (tail, 100 - tail) percentiles of the finite values; NaNs when there are none."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return (float("nan"), float("nan"))
    low, high = np.percentile(values, [tail, 100 - tail])
    return (float(low), float(high))


def _check(y_true, y_score, classes):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_true.shape != y_score.shape or y_true.ndim != 2:
        raise ValueError(f"labels {y_true.shape} and scores {y_score.shape} must be the same (N, C) shape")
    if y_true.shape[1] < len(classes):
        raise ValueError(f"{y_true.shape[1]} columns for {len(classes)} classes")
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return y_true[:, : len(classes)], y_score[:, : len(classes)]
