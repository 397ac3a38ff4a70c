"""The phantom's premise, measured without AG-CNN: small findings need the zoom, diffuse ones do not.

An experiment on the data set, not part of the library: it lives beside the benchmark that runs
it (bench_phantom.py --zoom, which adds a tiny CNN) and is tested in
tests/test_benchmarks_zoom_experiment.py (logistic regression).

Two views of every image, fed to the same small classifier:
- global: the whole image downsampled by `factor` (512 -> 128 px: the global branch's view);
- crop: a window of side/`factor` cut from the full-resolution source (1:1 pixels, the same
  input size) around the ground-truth box of `box_label` in the positive images, and around
  a box drawn from those same boxes in the negative images, so that where a crop sits says
  nothing about its label.

If the phantom is built right, the crop wins for Nodule, and for Cardiomegaly, a finding of the
whole heart, the global view is at least as good.

    from zoom_experiment import global_vs_crop_auc, lookalike_auc, lookalike_patches  # benchmarks/
    aucs = global_vs_crop_auc(root, ("Nodule", "Cardiomegaly"))   # {label: (global, crop)}

And v2's premise: a nodule and its look-alikes (granuloma, nipple shadow, end-on vessel) are
told apart on patches of the 512-px source, hardly on the same patches as the 128-px view
keeps them (4x area-downsampled, brought back to the source's grid for the same features):

    patches, is_nodule, kinds = lookalike_patches(40)
    source_auc, downsampled_auc = lookalike_auc(patches, is_nodule)
    lookalike_auc_by_reduction(patches, is_nodule)   # {1: ..., 2: ..., 2.67: ..., 3.2: ..., 4: ...}
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from agcnn_lab.data.images import read_image
from agcnn_lab.data.nih_release import BOX_LIST, ENTRY_TABLE, TEST_LIST
from agcnn_lab.data.phantom.difficulty import Difficulty
from agcnn_lab.data.phantom.labels import LabelDistribution
from agcnn_lab.data.phantom.lookalikes import ROUND_KINDS
from agcnn_lab.data.phantom.patient import Patient
from agcnn_lab.data.tables import read_boxes, read_entries, read_image_list


def load_views(root: str | os.PathLike, box_label: str = "Nodule", factor: int = 4, seed: int = 0):
    """(entries, global views, crop views, is_test) for a generated set at `root`."""
    root = Path(root)
    entries = read_entries(ENTRY_TABLE.require_in(root))
    boxes = read_boxes(BOX_LIST.require_in(root))
    images = np.stack([read_image(root / "images" / name) for name in entries["image"]])
    size = images.shape[1]
    side = size // factor
    centres = lesion_centres(entries["image"].tolist(), boxes, box_label, seed)
    global_views = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA) for im in images])
    crops = np.stack([_crop(im, c, side) for im, c in zip(images, centres, strict=True)])
    test = set(read_image_list(TEST_LIST.require_in(root)))
    is_test = entries["image"].isin(test).to_numpy().copy()  # writable: torch indexes with it
    return entries, global_views, crops, is_test


def lesion_centres(names: list[str], boxes, label: str, seed: int = 0) -> np.ndarray:
    """(N, 2) crop centres: the image's first `label` box, else a random one of those boxes."""
    own = boxes[boxes["label"] == label].drop_duplicates("image").set_index("image")
    if not len(own):
        raise ValueError(f"no {label} boxes to centre crops on")
    pool = np.stack([own["x"] + own["w"] / 2, own["y"] + own["h"] / 2], -1)
    rng = np.random.default_rng(seed)
    out = np.empty((len(names), 2))
    for i, name in enumerate(names):
        if name in own.index:
            b = own.loc[name]
            out[i] = (b["x"] + b["w"] / 2, b["y"] + b["h"] / 2)
        else:
            out[i] = pool[rng.integers(len(pool))]
    return out


def _crop(image: np.ndarray, centre, side: int) -> np.ndarray:
    size = image.shape[0]
    x0 = int(np.clip(round(centre[0] - side / 2), 0, size - side))
    y0 = int(np.clip(round(centre[1] - side / 2), 0, size - side))
    return image[y0 : y0 + side, x0 : x0 + side]


def global_vs_crop_auc(root: str | os.PathLike, labels=("Nodule", "Cardiomegaly"), box_label: str = "Nodule",
                       factor: int = 4, classifier: str = "logistic", seed: int = 0) -> dict[str, tuple[float, float]]:
    """{label: (AUC of the global view, AUC of the crops)} on the set's test list."""
    entries, global_views, crops, is_test = load_views(root, box_label, factor, seed)
    fit = {"logistic": logistic_auc, "cnn": cnn_auc}[classifier]
    out = {}
    for label in labels:
        y = entries[label].to_numpy().astype(int)
        if len(set(y[~is_test])) < 2 or len(set(y[is_test])) < 2:
            raise ValueError(f"{label}: need positives and negatives in both lists")
        out[label] = (fit(global_views, y, is_test, seed), fit(crops, y, is_test, seed))
    return out


def _standardise(views: np.ndarray) -> np.ndarray:
    """Per image: zero mean, unit variance (exposure differs from film to film)."""
    x = views.reshape(len(views), -1).astype(np.float32)
    return (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + 1e-3)


def logistic_auc(views: np.ndarray, y: np.ndarray, is_test: np.ndarray, seed: int = 0) -> float:
    """L2 logistic regression on the standardised pixels."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    x = _standardise(views)
    mean, std = x[~is_test].mean(0), x[~is_test].std(0) + 1e-3
    x = (x - mean) / std
    model = LogisticRegression(C=0.01, max_iter=3000, random_state=seed).fit(x[~is_test], y[~is_test])
    return float(roc_auc_score(y[is_test], model.decision_function(x[is_test])))


def cnn_auc(views: np.ndarray, y: np.ndarray, is_test: np.ndarray, seed: int = 0, epochs: int = 30) -> float:
    """A three-layer CNN with global max pooling (finds a small thing anywhere), Adam."""
    import torch
    from sklearn.metrics import roc_auc_score
    from torch import nn

    torch.manual_seed(seed)
    side = views.shape[1]
    x = torch.from_numpy(_standardise(views).reshape(-1, 1, side, side))
    target = torch.from_numpy(y.astype(np.float32))
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1),
        nn.Flatten(), nn.Linear(32, 1),
    )
    optimiser = torch.optim.Adam(net.parameters(), 3e-3)
    train = np.flatnonzero(~is_test)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = train[torch.randperm(len(train), generator=order).numpy()]
        for k in range(0, len(perm), 32):
            idx = perm[k : k + 32]
            optimiser.zero_grad()
            loss = nn.functional.binary_cross_entropy_with_logits(net(x[idx]).squeeze(1), target[idx])
            loss.backward()
            optimiser.step()
    with torch.no_grad():
        scores = net(x[torch.from_numpy(np.flatnonzero(is_test))]).squeeze(1).numpy()
    return float(roc_auc_score(y[is_test], scores))


# ---- v2: a nodule vs its look-alikes, at the source's and at the global view's resolution ---
def lookalike_patches(n_patients: int = 40, size: int = 512, seed: int = 0, side: int = 32,
                      factor: int = 4, difficulty: Difficulty | None = None):
    """(patches (N, side, side) uint8, is_nodule (N,) bool, kinds (N,) str) cut from the source
    around every nodule and round look-alike of the first film of `n_patients` patients.

    Films have a Nodule in 60% and every round look-alike planned (probability 1), so that a
    few dozen patients give both kinds; a patch's corner sits on the `factor` grid, so its
    downsampled version is exactly what the whole downsampled film shows there.
    """
    difficulty = replace(difficulty or Difficulty(), granuloma_probability=1.0, nipple_probability=1.0,
                         end_on_vessel_probability=1.0, skin_fold_probability=0.0)
    labels = LabelDistribution.build(prevalence={"Nodule": 0.6})
    patches, kinds = [], []
    for pid in range(1, n_patients + 1):
        film = Patient(pid, seed, size, labels, difficulty).film(0)
        centres = [("Nodule", c) for lesion, c in zip(film.lesions, film.centres, strict=True) if lesion.label == "Nodule"]
        centres += [(item.kind, item.centre) for item in film.lookalikes if item.kind in ROUND_KINDS]
        for kind, (x, y) in centres:
            x0, y0 = (int(round((v - side / 2) / factor)) * factor for v in (x, y))
            if 0 <= x0 <= size - side and 0 <= y0 <= size - side:
                patches.append(film.pixels[y0 : y0 + side, x0 : x0 + side])
                kinds.append(kind)
    kinds = np.array(kinds)
    return np.stack(patches), kinds == "Nodule", kinds


def downsampled(patches: np.ndarray, factor: float = 4) -> np.ndarray:
    """What a view reduced `factor` times keeps of each patch (area-downsampled to side / factor
    px, rounded; 4: the global view), brought back to the source's grid (bilinear) so that the
    same features apply."""
    side = patches.shape[1]
    small_side = int(round(side / factor))
    if not 1 <= small_side <= side:
        raise ValueError(f"factor {factor}: a {side}-px patch would become {small_side} px")
    small = [cv2.resize(p, (small_side,) * 2, interpolation=cv2.INTER_AREA) for p in patches]
    return np.stack([cv2.resize(p, (side, side), interpolation=cv2.INTER_LINEAR) for p in small])


def margin_features(patches: np.ndarray, radii: int = 8, angles: int = 64) -> np.ndarray:
    """Rotation-invariant margin features of patches centred on a round opacity.

    The high-passed patch (fine detail only), in units of the patch's own contrast, resampled
    on `radii` rings x `angles` rays round the centre: per ring, its mean (the radial profile)
    and its energy at low, middle and high angular frequencies: a corona of spicules is many
    peaks round a ring, a crossing vessel two, a smooth margin none.
    """
    side = patches.shape[1]
    out = []
    for patch in patches.astype(np.float32):
        fine = patch - cv2.GaussianBlur(patch, (0, 0), 2.0)
        fine /= patch.std() + 1.0
        polar = cv2.warpPolar(fine, (radii, angles), (side / 2, side / 2), side / 2,
                              cv2.INTER_LINEAR + cv2.WARP_POLAR_LINEAR)  # (angles, radii)
        spectrum = np.abs(np.fft.rfft(polar, axis=0)) / angles
        bands = [spectrum[1:4].mean(0), spectrum[4:9].mean(0), spectrum[9:17].mean(0)]
        out.append(np.concatenate([polar.mean(0), *bands]))
    return np.array(out, np.float32)


def lookalike_auc(patches: np.ndarray, is_nodule: np.ndarray, factor: int = 4, seed: int = 0,
                  folds: int = 5) -> tuple[float, float]:
    """(AUC on the source patches, AUC on the same patches downsampled by `factor`): logistic
    regression on `margin_features`, cross-validated over `folds` folds."""
    aucs = lookalike_auc_by_reduction(patches, is_nodule, (1, factor), seed, folds)
    return aucs[1], aucs[factor]


def lookalike_auc_by_reduction(patches: np.ndarray, is_nodule: np.ndarray,
                               factors: tuple[float, ...] = (1, 2, 8 / 3, 3.2, 4), seed: int = 0,
                               folds: int = 5) -> dict[float, float]:
    """{factor: AUC} of `lookalike_auc`'s classifier on the patches reduced `factor` times (1: the
    source). Between the source and the global view's 4x lie the crop's own reductions: the local
    branch gets the box at 128 px, so a box of a share a of the window is reduced 4 * sqrt(a) times
    (the profile's box, 70% of the window: 3.3x; the centred 45% box: 2.7x)."""
    return {factor: _cross_validated_auc(margin_features(patches if factor == 1 else downsampled(patches, factor)),
                                         is_nodule, seed, folds)
            for factor in factors}


def _cross_validated_auc(x: np.ndarray, y: np.ndarray, seed: int, folds: int) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=2000, random_state=seed))
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(model, x, y, cv=split, method="decision_function")
    return float(roc_auc_score(y, scores))
