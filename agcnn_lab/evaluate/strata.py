"""The attention effect within strata of the positive films: the engine behind the effect by
lesion size (evaluate.lesion_size) and by the film's number of findings (evaluate.finding_count).

    labels, branch, control, images = pooled_scores(tables, "test", "local", "local_whole_film")
    stratum = np.where(labels == 1, 0, -1)          # (N, C): each positive's stratum, -1: in none
    table = effect_by_stratum(labels, branch, control, stratum, names=["every positive"])

A stratum holds (film, class) positives: a film positive for a class falls in one stratum of
that class (or in none). For each stratum and each class with at least MIN_POSITIVES positives
in it, the AUC of that class is computed on those positives against ALL the negative films of
the class, once for the branch on the crop and once for its whole-film control. The stratum's
effect is the mean over those classes, weighted by their positives in the stratum, of
AUC(branch) - AUC(control). A stratum's positives are not its own films: a film positive for two
classes counts once in each class's stratum.

Its 95% interval comes from a paired bootstrap over films, as in
agcnn_lab.evaluate.auc.paired_bootstrap_difference: each replicate resamples the films once and
scores both sides on that resample, so a film's difficulty moves both AUCs together and cancels
in the difference. With several runs that differ in their training seed alone, each side's AUC
in a cell is the mean over the runs, and each replicate scores every run on the same resample:
the interval is the films' sampling error for these trained models, not the seeds' spread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.classes import CLASSES, LABEL_ALIASES
from .attention_effect import runs_paired_scores
from .auc import bootstrap_rows, percentile_interval

__all__ = ["BOX_COLUMNS", "COLUMNS", "MIN_POSITIVES", "check_bootstrap", "effect_by_stratum", "lesions_on_films",
           "pooled_scores", "weighted_auc"]

MIN_POSITIVES = 3  # a class needs this many positives in a stratum to enter its effect

BOX_COLUMNS = ("image", "label", "x0", "y0", "x1", "y1")  # ground-truth lesions, normalised to the film

COLUMNS = ["bin", "positives", "classes", "effect", "ci_lo", "ci_hi", "auc_branch", "auc_control"]


def effect_by_stratum(
    labels: np.ndarray,
    score_branch: np.ndarray,
    score_control: np.ndarray,
    stratum: np.ndarray,
    names: Sequence[str],
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per stratum, in the order of `names` (stratum s is names[s]):

    - bin: the stratum's name;
    - positives: the (film, class) positives that enter the stratum's effect;
    - classes: the classes that enter it, comma-separated ("" when none has MIN_POSITIVES);
    - effect: the positives-weighted mean over those classes of AUC(branch) - AUC(control),
      with its paired-bootstrap interval [ci_lo, ci_hi] (`level`, 95% by default);
    - auc_branch, auc_control: the same weighted means of each side's AUC (effect is their
      difference); NaN where no class has enough positives.

    labels (N, C) 0/1; score_branch and score_control (N, C), or (R, N, C) for R runs pooled;
    stratum (N, C) int: the stratum of each positive (film, class), -1 for none (negatives' entries
    are ignored).
    """
    check_bootstrap(n_boot, level)
    labels = np.asarray(labels)
    score_branch, score_control = (np.asarray(s, dtype=np.float64) for s in (score_branch, score_control))
    if score_branch.ndim == 2:
        score_branch, score_control = score_branch[None], score_control[None]
    stratum = np.asarray(stratum)
    if stratum.shape != labels.shape or score_branch.shape[1:] != labels.shape or score_control.shape != score_branch.shape:
        raise ValueError(f"labels {labels.shape}, stratum {stratum.shape} and the scores {score_branch.shape}, "
                         f"{score_control.shape} must describe the same films and classes")
    if len(names) == 0 or stratum.max(initial=-1) >= len(names):
        raise ValueError(f"stratum numbers reach {stratum.max(initial=-1)}, but {len(names)} name(s) were given")

    # The (stratum, class) cells that enter an effect, fixed on the full sample; the bootstrap
    # recomputes their AUCs and weights on each resample but not the choice of classes.
    cells = []  # (stratum, class index, positives mask, kept mask)
    for s in range(len(names)):
        for k in range(labels.shape[1]):
            positive = (labels[:, k] == 1) & (stratum[:, k] == s)
            if positive.sum() >= MIN_POSITIVES:
                # Negatives: every film without the class, other findings included; positives
                # of the class in other strata are left out.
                cells.append((s, k, positive, positive | (labels[:, k] == 0)))

    # Per cell a (3, replicates) array: AUC(branch), AUC(control), positives; the point
    # estimate is the same computation with every film counted once.
    n = len(labels)
    point = {(s, k): _cell(score_branch[..., k], score_control[..., k], positive, kept, np.ones((1, n)))[:, 0]
             for s, k, positive, kept in cells}
    boot = {key: [] for key in point}
    # 100 replicates per chunk keep the (chunk, N) weight matrix small on NIH's 25k test films.
    for rows in bootstrap_rows(n, n_boot, seed, chunk=100):
        size = len(rows)
        # A resample as integer weights (how often each film was drawn): the films' order by
        # score never changes, so each AUC is a weighted rank sum over one fixed sorting.
        offsets = (np.arange(size) * n)[:, None]
        weights = np.bincount((rows + offsets).ravel(), minlength=size * n).reshape(size, -1)
        for s, k, positive, kept in cells:
            boot[(s, k)].append(_cell(score_branch[..., k], score_control[..., k], positive, kept, weights))

    out = []
    tail = (1 - level) / 2 * 100
    for s, name in enumerate(names):
        keys = [(ss, k) for ss, k, _, _ in cells if ss == s]
        row = {"bin": name, "positives": 0, "classes": "", "effect": np.nan, "ci_lo": np.nan, "ci_hi": np.nan,
               "auc_branch": np.nan, "auc_control": np.nan}
        if keys:
            auc_a, auc_b, n_pos = np.stack([point[key] for key in keys], axis=-1)  # each (classes,)
            row["positives"] = int(n_pos.sum())
            row["classes"] = ", ".join(CLASSES[k] for _, k in keys)
            row["auc_branch"] = float(_weighted_mean(auc_a, n_pos))
            row["auc_control"] = float(_weighted_mean(auc_b, n_pos))
            row["effect"] = row["auc_branch"] - row["auc_control"]
            # (3, n_boot, classes); each replicate weights its classes by its own positives.
            rep_a, rep_b, rep_pos = np.stack([np.concatenate(boot[key], axis=1) for key in keys], axis=-1)
            row["ci_lo"], row["ci_hi"] = percentile_interval(_weighted_mean(rep_a - rep_b, rep_pos, axis=1), tail)
        out.append(row)
    return pd.DataFrame(out, columns=COLUMNS)


def check_bootstrap(n_boot: int, level: float) -> None:
    """Refuse a bootstrap that cannot run (n_boot < 1) or an interval level outside (0, 1), before any work."""
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")


def lesions_on_films(boxes: pd.DataFrame, images: np.ndarray, split: str, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ground-truth lesions on the films `images` of `split`, checked: (corners (M, 4)
    normalised and clipped to 0..1, film row (M,) in `images`, class index (M,)). Refused, naming
    `what` needs them, without boxes; refused for missing columns, unknown classes (NIH's aliases
    are read), corners out of order, and pixel boxes (which would be silently wrong); refused when
    no box lies on these films."""
    if boxes is None or len(boxes) == 0:
        raise ValueError(
            f"no boxes: {what} needs ground-truth boxes (PhantomCXR-14 boxes every "
            "lesion, NIH's BBox_List_2017 about 1k films; ChestMNIST has none)"
        )
    missing = [c for c in BOX_COLUMNS if c not in boxes.columns]
    if missing:
        raise ValueError(
            f"boxes lack the column(s) {', '.join(missing)}; expected {', '.join(BOX_COLUMNS)} (normalised)"
        )
    boxes = boxes.assign(label=boxes["label"].map(lambda name: LABEL_ALIASES.get(name, name)))
    unknown = sorted(set(boxes["label"]) - set(CLASSES))
    if unknown:
        raise ValueError(f"boxes name unknown class(es) {', '.join(map(str, unknown))}")
    corners = boxes[["x0", "y0", "x1", "y1"]].to_numpy(dtype=np.float64)
    if (
        not np.isfinite(corners).all()
        or (corners[:, 2] < corners[:, 0]).any()
        or (corners[:, 3] < corners[:, 1]).any()
    ):
        raise ValueError("boxes need finite corners with x1 >= x0 and y1 >= y0")
    if corners.min() < -0.01 or corners.max() > 1.01:
        # Pixel boxes would put every lesion in one bin without a word: refuse them.
        raise ValueError(
            "box corners lie outside 0..1; pass boxes normalised to the image (localisation.normalise_boxes)"
        )
    row = boxes["image"].map(pd.Series(np.arange(len(images)), index=images))
    on_split = row.notna().to_numpy()
    if not on_split.any():
        raise ValueError(
            f"no box lies on a film of split {split!r} ({len(boxes)} boxes on other films)"
        )
    column = boxes["label"].map({c: k for k, c in enumerate(CLASSES)}).to_numpy()
    return (np.clip(corners[on_split], 0, 1), row.to_numpy()[on_split].astype(int),
            column[on_split].astype(int))


def pooled_scores(predictions: pd.DataFrame | Sequence[pd.DataFrame], split: str, branch: str, control: str):
    """Labels (N, C), both sides' scores (R, N, C) for R runs (one predictions.csv table or a list
    of them, one per run; refused, naming the run, when they hold other films or labels), the images (N,)."""
    tables = [predictions] if isinstance(predictions, pd.DataFrame) else list(predictions)
    if not tables:
        raise ValueError("no predictions given: pass predictions.csv's table, or one table per run")
    return runs_paired_scores(tables, split, branch, control)


def weighted_auc(score: np.ndarray, positive: np.ndarray, negative: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUC of `score` for the films in `positive` against those in `negative`, each film
    counted `weights` times (weights: (B, N), one row per bootstrap replicate); ties count one
    half. Returns (B,), NaN where a replicate lacks positives or negatives. With unit weights
    this is scikit-learn's roc_auc_score on the positive and negative films."""
    score = np.asarray(score, dtype=np.float64)
    positive, negative = np.asarray(positive, dtype=bool), np.asarray(negative, dtype=bool)
    weights = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    keep = positive | negative
    order = np.argsort(score[keep], kind="stable")
    s = score[keep][order]
    is_pos = positive[keep][order]
    w = weights[:, keep][:, order]
    if len(s) == 0:
        return np.full(len(weights), np.nan)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])  # runs of tied scores
    pos_w = np.add.reduceat(w * is_pos, starts, axis=1)  # (B, groups)
    neg_w = np.add.reduceat(w * ~is_pos, starts, axis=1)
    below = np.cumsum(neg_w, axis=1) - neg_w  # weighted negatives strictly below each group
    wins = (pos_w * (below + 0.5 * neg_w)).sum(axis=1)
    pairs = pos_w.sum(axis=1) * neg_w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / pairs, np.nan)


def _cell(score_a, score_b, positive, kept, weights) -> np.ndarray:
    """(3, B): AUC of each side on one (stratum, class) cell, the mean over the runs (the scores'
    first axis, one row per run), and its weighted positives."""
    negative = kept & ~positive
    n_pos = (weights * positive).sum(axis=1)
    auc_a = np.mean([weighted_auc(run, positive, negative, weights) for run in score_a], axis=0)
    auc_b = np.mean([weighted_auc(run, positive, negative, weights) for run in score_b], axis=0)
    return np.stack([auc_a, auc_b, n_pos])


def _weighted_mean(values, weights, axis=None):
    values, weights = np.asarray(values, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    weights = np.where(np.isfinite(values), weights, 0.0)  # a class undefined on a resample drops out
    total = weights.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (np.nan_to_num(values) * weights).sum(axis=axis) / total, np.nan)[()]
