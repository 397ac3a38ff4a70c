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

Its 95% interval comes from a paired bootstrap over films, as in agcnn_lab.evaluate.auc.paired_bootstrap_difference:
each replicate resamples the films once and scores both sides on that resample, so a film's
difficulty moves both AUCs together and cancels in the difference.

One run's bins move with its training seed about as much as the effect itself (BENCHMARKS.md), so
several runs that differ in their seed alone can be pooled: pass their tables as a list. Each
side's AUC in a cell is then the mean over the runs, and each bootstrap replicate scores every run
on the same resample of the films: the interval is the films' sampling error for these trained
models (as evaluate.seeds_attention_effect's), not the seeds' spread.

"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.classes import CLASSES, LABEL_ALIASES
from .attention_effect import runs_paired_scores
from .auc import bootstrap_rows, percentile_interval

__all__ = ["COLUMNS", "DEFAULT_EDGES", "MIN_POSITIVES", "effect_by_lesion_size", "lesion_side", "weighted_auc"]

DEFAULT_EDGES = (0, 0.03, 0.06, 0.12, 1.0)
MIN_POSITIVES = 3  # a class needs this many positives in a bin to enter the bin's effect
BOX_COLUMNS = ("image", "label", "x0", "y0", "x1", "y1")

COLUMNS = [
    "bin",
    "size_lo",
    "size_hi",
    "positives",
    "classes",
    "effect",
    "ci_lo",
    "ci_hi",
    "auc_branch",
    "auc_control",
]


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
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    labels, score_branch, score_control, images = _pooled_scores(predictions, split, branch, control)
    sizes = _lesion_sizes(
        boxes, images, split
    )  # (N, C): largest lesion side per film and class; NaN: none
    localised = [k for k in range(len(CLASSES)) if np.isfinite(sizes[:, k]).any()]

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

    # The (bin, class) cells that enter an effect, fixed on the full sample; the bootstrap
    # recomputes their AUCs and weights on each resample but not the choice of classes.
    cells = []  # (bin, class index, positives mask, kept mask)
    for b in range(len(edges) - 1):
        for k in localised:
            positive = (labels[:, k] == 1) & (bin_of[:, k] == b)
            if positive.sum() >= MIN_POSITIVES:
                # Negatives: every film without the class, lesions of other classes included;
                # positives of the class in other bins (or without a box) are left out.
                cells.append((b, k, positive, positive | (labels[:, k] == 0)))

    # Per cell a (3, replicates) array: AUC(branch), AUC(control), positives; the point
    # estimate is the same computation with every film counted once.
    point = {
        (b, k): _cell(
            score_branch[..., k], score_control[..., k], positive, kept, np.ones((1, len(labels)))
        )[:, 0]
        for b, k, positive, kept in cells
    }
    boot = {key: [] for key in point}
    # 100 replicates per chunk keep the (chunk, N) weight matrix small on NIH's 25k test films.
    for rows in bootstrap_rows(len(labels), n_boot, seed, chunk=100):
        size = len(rows)
        # A resample as integer weights (how often each film was drawn): the films' order by
        # score never changes, so each AUC is a weighted rank sum over one fixed sorting.
        offsets = (np.arange(size) * len(labels))[:, None]
        weights = np.bincount((rows + offsets).ravel(), minlength=size * len(labels)).reshape(
            size, -1
        )
        for b, k, positive, kept in cells:
            boot[(b, k)].append(
                _cell(score_branch[..., k], score_control[..., k], positive, kept, weights)
            )

    rows_out = []
    tail = (1 - level) / 2 * 100
    for b in range(len(edges) - 1):
        keys = [(bb, k) for bb, k, _, _ in cells if bb == b]
        lo, hi = float(edges[b]), float(edges[b + 1])
        row = {
            "bin": _bin_label(lo, hi),
            "size_lo": lo,
            "size_hi": hi,
            "positives": 0,
            "classes": "",
        }
        row.update(effect=np.nan, ci_lo=np.nan, ci_hi=np.nan, auc_branch=np.nan, auc_control=np.nan)
        if keys:
            auc_a, auc_b, n_pos = np.stack([point[key] for key in keys], axis=-1)  # each (classes,)
            row["positives"] = int(n_pos.sum())
            row["classes"] = ", ".join(CLASSES[k] for _, k in keys)
            row["auc_branch"] = float(_weighted_mean(auc_a, n_pos))
            row["auc_control"] = float(_weighted_mean(auc_b, n_pos))
            row["effect"] = row["auc_branch"] - row["auc_control"]
            # (3, n_boot, classes); each replicate weights its classes by its own positives.
            rep_a, rep_b, rep_pos = np.stack(
                [np.concatenate(boot[key], axis=1) for key in keys], axis=-1
            )
            row["ci_lo"], row["ci_hi"] = percentile_interval(
                _weighted_mean(rep_a - rep_b, rep_pos, axis=1), tail
            )
        rows_out.append(row)
    return pd.DataFrame(rows_out, columns=COLUMNS)


def weighted_auc(
    score: np.ndarray, positive: np.ndarray, negative: np.ndarray, weights: np.ndarray
) -> np.ndarray:
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
    """(3, B): AUC of each side on one (bin, class) cell, the mean over the runs (the scores'
    first axis, one row per run), and its weighted positives."""
    negative = kept & ~positive
    n_pos = (weights * positive).sum(axis=1)
    auc_a = np.mean([weighted_auc(run, positive, negative, weights) for run in score_a], axis=0)
    auc_b = np.mean([weighted_auc(run, positive, negative, weights) for run in score_b], axis=0)
    return np.stack([auc_a, auc_b, n_pos])


def _pooled_scores(predictions, split: str, branch: str, control: str):
    """Labels (N, C), both sides' scores (R, N, C) for R runs (one table or several), the images (N,)."""
    tables = [predictions] if isinstance(predictions, pd.DataFrame) else list(predictions)
    if not tables:
        raise ValueError("no predictions given: pass predictions.csv's table, or one table per run")
    return runs_paired_scores(tables, split, branch, control)


def _weighted_mean(values, weights, axis=None):
    values, weights = np.asarray(values, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    weights = np.where(
        np.isfinite(values), weights, 0.0
    )  # a class undefined on a resample drops out
    total = weights.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            total > 0, (np.nan_to_num(values) * weights).sum(axis=axis) / total, np.nan
        )[()]


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
    if boxes is None or len(boxes) == 0:
        raise ValueError(
            "no boxes: the effect by lesion size needs ground-truth boxes (PhantomCXR-14 boxes every "
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
        # Pixel boxes would put every lesion in the last bin without a word: refuse them.
        raise ValueError(
            "box corners lie outside 0..1; pass boxes normalised to the image (localisation.normalise_boxes)"
        )
    side = lesion_side(np.clip(corners, 0, 1))
    position = pd.Series(np.arange(len(images)), index=images)
    row = boxes["image"].map(position)
    on_split = row.notna().to_numpy()
    if not on_split.any():
        raise ValueError(
            f"no box lies on a film of split {split!r} ({len(boxes)} boxes on other films)"
        )
    sizes = np.full((len(images), len(CLASSES)), np.nan)
    column = boxes["label"].map({c: k for k, c in enumerate(CLASSES)}).to_numpy()
    r, c, s = row.to_numpy()[on_split].astype(int), column[on_split].astype(int), side[on_split]
    np.fmax.at(sizes, (r, c), s)  # the largest lesion of a class on a film decides its bin
    return sizes


# ---- the figure
