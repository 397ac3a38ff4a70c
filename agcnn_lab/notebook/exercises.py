"""Self-checks for the notebooks' exercises: each prints a verdict (and a hint) and returns a bool.

    from agcnn_lab.notebook import check_box, EXAMPLE_HEATMAP
    check_box((64, 32, 160, 128))        # prints "Correct: ..." or what is off

A check never raises on a wrong or missing answer (None means "not answered yet"), so a
notebook runs top to bottom with the exercise cells left as they are. The reference answers
come from the library functions the notebooks teach (attention_boxes, image_split, choose_tau,
...), never from a second implementation of their own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from ..data.classes import CLASSES
from ..paper import MEAN_AUC

# The fixed example of notebooks 02 and 03: a 7x7 heatmap (already scaled to [0, 1]) of a
# 224-px input, so one cell is 32 x 32 pixels. Above 0.7: a blob of 7 cells, one more cell
# touching it only diagonally (8-connected, as the paper's "connected region" is read here: one
# region of 8 cells), and a separate pair of cells on the right.
EXAMPLE_HEATMAP = np.array(
    [
        [0.05, 0.10, 0.10, 0.20, 0.10, 0.05, 0.00],
        [0.10, 0.30, 0.75, 0.80, 0.40, 0.20, 0.10],
        [0.20, 0.72, 1.00, 0.90, 0.30, 0.10, 0.10],
        [0.10, 0.40, 0.85, 0.95, 0.50, 0.10, 0.71],
        [0.10, 0.20, 0.40, 0.30, 0.76, 0.10, 0.78],
        [0.00, 0.10, 0.20, 0.10, 0.20, 0.10, 0.30],
        [0.00, 0.00, 0.10, 0.10, 0.10, 0.00, 0.00],
    ],
    dtype=np.float32,
)
EXAMPLE_TAU = 0.7
EXAMPLE_INPUT = 224

# Notebook 02's feature maps: K = 3 channels on a 2 x 3 grid (post-ReLU maps are >= 0; the
# third channel is signed, as before a ReLU, to show why the paper takes |f_k|).
EXAMPLE_FEATURES = np.array(
    [
        [[0.0, 1.0, 2.0], [0.5, 0.0, 1.0]],
        [[3.0, 0.0, 1.0], [0.5, 4.0, 0.0]],
        [[-1.0, 0.0, 0.5], [-6.0, 1.0, 0.0]],
    ],
    dtype=np.float32,
)
EXAMPLE_CELL = (0, 2)  # row, column asked about

# Notebook 01: six images, one class; AUC by hand.
AUC_LABELS = np.array([1, 0, 1, 0, 0, 1])
AUC_SCORES = np.array([0.90, 0.80, 0.35, 0.30, 0.60, 0.70])

# Notebook 04: the paper's geometry: a 1024-px source, a 224-px input showing all of it, a
# 56-px-wide attention box, and a 224-px crop for the local branch.
ZOOM_SOURCE, ZOOM_INPUT, ZOOM_BOX, ZOOM_CROP = 1024, 224, 56, 224


def _verdict(ok: bool, good: str, bad: str) -> bool:
    print(("Correct: " + good) if ok else ("Not yet: " + bad))
    return ok


def _unanswered(answer) -> bool:
    if answer is None or answer is ...:
        print("No answer yet: replace None with your answer and run the cell again.")
        return True
    return False


def _number(answer) -> float | None:
    """`answer` as a finite float (a number, or a string holding one), else None; never raises."""
    try:
        value = float(answer)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
        return None
    return value if math.isfinite(value) else None


# --- 00_data -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _real_entries() -> pd.DataFrame:
    from ..data import read_entries
    from ..data.nih_release import ENTRY_TABLE
    from ..paths import nih_sample_dir

    return read_entries(ENTRY_TABLE.require_in(nih_sample_dir()))


def _image_split(entries: pd.DataFrame | None, seed: int):
    from ..data import image_split

    return image_split(_real_entries() if entries is None else entries, (0.7, 0.1, 0.2), seed)


def leaked_patients(entries: pd.DataFrame | None = None, seed: int = 0) -> int:
    """Patients with images in both train and test of the paper's random 70/10/20 image split."""
    from ..data import patient_overlap

    split = _image_split(entries, seed)
    return patient_overlap(split.train, split.test)


def leaked_test_images(entries: pd.DataFrame | None = None, seed: int = 0) -> int:
    """Test images of that split whose patient also has an image in train."""
    split = _image_split(entries, seed)
    return int(split.test["patient_id"].isin(set(split.train["patient_id"])).sum())


def check_leaked_images(answer, entries: pd.DataFrame | None = None, seed: int = 0) -> bool:
    """00: how many TEST images of the image-level split show a patient the model trained on?"""
    if _unanswered(answer):
        return False
    truth = leaked_test_images(entries, seed)
    value = _number(answer)
    if value is None:
        return _verdict(False, "", f"expected a number of images, got {answer!r}.")
    if value == truth:
        test = len(_image_split(entries, seed).test)
        return _verdict(True, f"{truth:,} of the {test:,} test images ({truth / test:.0%}) show a patient seen in training.", "")
    if value == leaked_patients(entries, seed):
        return _verdict(False, "", "that is the number of PATIENTS; count their test IMAGES.")
    return _verdict(
        False,
        "",
        f"split = image_split(entries, (0.7, 0.1, 0.2), seed={seed}); count the rows of split.test whose "
        "patient_id is among split.train's patient_ids.",
    )


def top_pair(entries: pd.DataFrame | None = None) -> tuple[str, str]:
    """The two different findings that occur together on the most images."""
    from ..data.summary import cooccurrence

    both = cooccurrence(_real_entries() if entries is None else entries).to_numpy().copy()
    np.fill_diagonal(both, -1)
    i, j = np.unravel_index(int(np.argmax(both)), both.shape)
    return tuple(sorted((CLASSES[i], CLASSES[j])))


def check_top_pair(answer, entries: pd.DataFrame | None = None) -> bool:
    """00: which two findings co-occur most often (two class names, any order)?"""
    if _unanswered(answer):
        return False
    truth = top_pair(entries)
    if isinstance(answer, str) or not isinstance(answer, Sequence) or len(answer) != 2:
        return _verdict(False, "", f"expected two class names, e.g. ('Mass', 'Nodule'), got {answer!r}.")
    unknown = [a for a in answer if a not in CLASSES]
    if unknown:
        return _verdict(False, "", f"{unknown} not among the 14 classes (spelling: {', '.join(CLASSES[:3])}, ...).")
    if tuple(sorted(answer)) == truth:
        return _verdict(True, f"{truth[0]} and {truth[1]}: read the largest off-diagonal cell of the co-occurrence matrix.", "")
    return _verdict(False, "", "look for the largest value OFF the diagonal of cooccurrence(entries) (the diagonal counts single labels).")


# --- 01_global_baseline --------------------------------------------------------------------


def check_auc_by_hand(answer) -> bool:
    """01: the AUC of AUC_SCORES for AUC_LABELS, as the share of (positive, negative) pairs
    ranked the right way round."""
    from ..evaluate.auc import rank_auc

    if _unanswered(answer):
        return False
    truth = float(rank_auc(AUC_LABELS[:, None].astype(float), AUC_SCORES[:, None])[0])
    value = _number(answer)
    if value is None:
        return _verdict(False, "", f"expected a number between 0 and 1, got {answer!r}.")
    if abs(value - truth) < 0.005:
        return _verdict(True, f"AUC = {truth:.3f}: 6 of the 9 (positive, negative) pairs are in the right order.", "")
    if abs(value - 0.5) < 1e-9:
        return _verdict(False, "", "0.5 is a coin's AUC; count, for each positive, the negatives scored below it.")
    return _verdict(False, "", f"{value:.3f} is off; there are 3 positives x 3 negatives = 9 pairs: which share has the positive scored higher?")


def check_extreme_classes(best, worst, metrics: dict, branch: str = "global") -> bool:
    """01: the classes with the highest and the lowest test AUC of `branch`."""
    if _unanswered(best) or _unanswered(worst):
        return False
    aucs = {c: v for c, v in metrics[branch]["auc"].items() if v == v}  # drop NaN
    top, bottom = max(aucs, key=aucs.get), min(aucs, key=aucs.get)
    ok = best == top and worst == bottom
    return _verdict(
        ok,
        f"{top} ({aucs[top]:.3f}) and {bottom} ({aucs[bottom]:.3f}).",
        f"sort metrics[{branch!r}]['auc'] by value (classes with one label only are NaN and do not count).",
    )


# --- 02_attention_maps ---------------------------------------------------------------------


def example_heatmap_value(reduce: str = "max", cell: tuple[int, int] = EXAMPLE_CELL) -> float:
    """The scaled heatmap of EXAMPLE_FEATURES at `cell`, by the library's `heatmap`."""
    from ..attention import heatmap

    maps = heatmap(torch.from_numpy(EXAMPLE_FEATURES)[None], reduce)[0]
    return float(maps[cell])


def check_heatmap_cell(answer, reduce: str = "l2") -> bool:
    """02: the heatmap value at EXAMPLE_CELL for the statistic `reduce`, after the min-max scaling."""
    if _unanswered(answer):
        return False
    truth = example_heatmap_value(reduce)
    value = _number(answer)
    if value is None:
        return _verdict(False, "", f"expected a number in [0, 1], got {answer!r}.")
    if abs(value - truth) < 0.005:
        return _verdict(True, f"{truth:.3f}: the statistic at every cell, then (h - min) / (max - min) over the map.", "")
    raw = _raw_statistic(reduce)
    if abs(value - raw[EXAMPLE_CELL]) < 0.005:
        return _verdict(False, "", "that is the raw value; scale it: (h - min) / (max - min), min and max over the whole map.")
    return _verdict(False, "", f"compute the {reduce} statistic over the 3 channels at EVERY cell, then scale the cell asked for with the map's min and max.")


def _raw_statistic(reduce: str) -> np.ndarray:
    f = EXAMPLE_FEATURES.astype(np.float64)
    return {"max": np.abs(f).max(0), "l1": np.abs(f).mean(0), "l2": np.sqrt((f**2).mean(0)), "sum": f.sum(0)}[reduce]


def example_box(tau: float = EXAMPLE_TAU) -> tuple[float, float, float, float]:
    """The attention box of EXAMPLE_HEATMAP at `tau` on a 224-px input, by attention_boxes."""
    from ..attention import attention_boxes

    box = attention_boxes(torch.from_numpy(EXAMPLE_HEATMAP)[None], tau, EXAMPLE_INPUT)[0]
    return tuple(float(v) for v in box)


def check_box(answer, tau: float = EXAMPLE_TAU) -> bool:
    """02: (x0, y0, x1, y1) in input pixels of the largest 8-connected region above tau."""
    if _unanswered(answer):
        return False
    truth = example_box(tau)
    try:
        values = [float(v) for v in answer]
    except (TypeError, ValueError):
        values = []
    if len(values) != 4:
        return _verdict(False, "", f"expected four numbers (x0, y0, x1, y1), got {answer!r}.")
    if np.allclose(values, truth, atol=0.5):
        return _verdict(True, f"{tuple(int(v) for v in truth)}: 8 cells above tau form one region (the cell at row 4, column 4 joins through a corner).", "")
    cell = EXAMPLE_INPUT / EXAMPLE_HEATMAP.shape[0]
    if np.allclose(np.array(values) * cell, truth, atol=0.5):
        return _verdict(False, "", f"right cells; now in pixels: one cell is {cell:g} px, and x1, y1 are the far edges.")
    return _verdict(
        False,
        "",
        "mark the cells > tau; neighbours include diagonals (8-connectivity); keep the biggest region; "
        "its box runs from the first cell's left/top edge to the last cell's right/bottom edge, in pixels.",
    )


# --- 03_crop_threshold ---------------------------------------------------------------------


def check_tau(answer, sweep: pd.DataFrame, min_hit: float, on: str = "hit") -> bool:
    """03: the highest tau whose box still holds `min_hit` of the validation lesions (the
    sweep's column `on`: "hit", every lesion, or "hit_single", the lesions alone on their film)."""
    from ..evaluate.tau_sweep import choose_tau

    if _unanswered(answer):
        return False
    truth = choose_tau(sweep, min_hit, on=on)
    value = _number(answer)
    if value is None:
        return _verdict(False, "", f"expected a tau between 0 and 1, got {answer!r}.")
    if abs(value - truth) < 1e-6:
        return _verdict(True, f"tau = {truth:g}: the smallest box (strongest zoom) that still keeps {min_hit:.0%} of the lesions.", "")
    row = sweep.loc[(sweep["tau"] - value).abs().idxmin()]
    if abs(row["tau"] - value) > 1e-6:
        return _verdict(False, "", f"choose one of the swept values {list(sweep['tau'])}.")
    if row[on] < min_hit:
        return _verdict(False, "", f"at tau = {value:g} the box holds only {row[on]:.0%} of the lesions (< {min_hit:.0%}).")
    return _verdict(False, "", f"tau = {value:g} keeps enough lesions, but a higher tau does too, with a smaller box.")


# --- 04_local_branch -----------------------------------------------------------------------


def check_zoom(from_source, from_input) -> bool:
    """04: how many times finer the local branch's detail is than the global input's, when the
    crop is cut from the 1024-px source, and when it is cut from the 224-px input itself."""
    if _unanswered(from_source) or _unanswered(from_input):
        return False
    # Input pixels per source pixel: ZOOM_INPUT / ZOOM_SOURCE. The crop spends ZOOM_CROP pixels
    # on ZOOM_BOX input pixels, i.e. on ZOOM_BOX * ZOOM_SOURCE / ZOOM_INPUT source pixels, but it
    # cannot hold detail finer than what it is cut from.
    source_pixels = ZOOM_BOX * ZOOM_SOURCE / ZOOM_INPUT
    truth_source = min(ZOOM_CROP / source_pixels, 1.0) / (ZOOM_INPUT / ZOOM_SOURCE)
    truth_input = min(ZOOM_CROP / ZOOM_BOX, 1.0)
    a, b = _number(from_source), _number(from_input)
    if a is None or b is None:
        return _verdict(False, "", f"expected two numbers, got {from_source!r} and {from_input!r}.")
    if abs(a - truth_source) < 0.05 and abs(b - truth_input) < 0.05:
        return _verdict(True, f"{truth_source:g}x from the source, {truth_input:g}x from the input: resizing a cut of the input adds pixels, not detail.", "")
    if abs(b - ZOOM_CROP / ZOOM_BOX) < 0.05:
        return _verdict(False, "", "cut from the input, the crop is an upsampled patch of the input: can it show finer detail than the input had?")
    return _verdict(False, "", f"the crop spends {ZOOM_CROP} px on a {ZOOM_BOX}-px-wide part of the input; how many source pixels lie under it?")


# --- 05_fusion ------------------------------------------------------------------------------


def check_gain(answer, metrics: dict) -> bool:
    """05: fusion mean AUC minus global mean AUC, to three decimals."""
    if _unanswered(answer):
        return False
    truth = metrics["fusion"]["mean_auc"] - metrics["global"]["mean_auc"]
    value = _number(answer)
    if value is None:
        return _verdict(False, "", f"expected a number, got {answer!r}.")
    if abs(value - truth) < 0.0015:
        return _verdict(True, f"{truth:+.3f} (the paper: {MEAN_AUC[('resnet50', 'fusion')] - MEAN_AUC[('resnet50', 'global')]:+.3f} with ResNet-50).", "")
    if abs(value + truth) < 0.0015:
        return _verdict(False, "", "the sign: fusion minus global.")
    return _verdict(False, "", "use metrics['fusion']['mean_auc'] and metrics['global']['mean_auc'].")


# --- 06_real_data_gpu -----------------------------------------------------------------------


def check_steps_per_epoch(answer, images: int, batch_size: int) -> bool:
    """06: optimizer steps in one epoch of `images` training images (the loader drops the last,
    incomplete batch)."""
    if _unanswered(answer):
        return False
    truth = images // batch_size if images > batch_size else 1
    value = _number(answer)
    if value is None:
        return _verdict(False, "", f"expected a whole number, got {answer!r}.")
    if value == truth:
        return _verdict(True, f"{truth:,} steps of {batch_size} images.", "")
    if value == math.ceil(images / batch_size):
        return _verdict(False, "", "close: the training loader uses drop_last=True, so the last incomplete batch is skipped.")
    return _verdict(False, "", f"divide the {images:,} training images by the batch size {batch_size}.")
