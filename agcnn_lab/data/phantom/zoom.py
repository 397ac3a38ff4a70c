"""The point of the data set, measured: small findings need the zoom, diffuse ones do not.

Two views of every image, fed to the same small classifier:
- global: the whole image downsampled by `factor` (512 -> 128 px: the global branch's view);
- crop: a window of side/`factor` cut from the full-resolution source (1:1 pixels, the same
  input size) around the ground-truth box of `box_label` in the positive images, and around
  a box drawn from those same boxes in the negative images, so that where a crop sits says
  nothing about its label.

For Nodule the crop wins by far; for Cardiomegaly, a finding of the whole heart, the global
view is at least as good. tests/test_phantom_zoom.py asserts it with logistic regression;
benchmarks/bench_phantom.py --zoom measures it with a tiny CNN as well.

    aucs = global_vs_crop_auc(root, ("Nodule", "Cardiomegaly"))   # {label: (global, crop)}
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..images import read_image
from ..tables import read_boxes, read_entries, read_image_list


def load_views(root: str | os.PathLike, box_label: str = "Nodule", factor: int = 4, seed: int = 0):
    """(entries, global views, crop views, is_test) for a generated set at `root`."""
    root = Path(root)
    entries = read_entries(root / "Data_Entry_2017_v2020.csv")
    boxes = read_boxes(root / "BBox_List_2017.csv")
    images = np.stack([read_image(root / "images" / name) for name in entries["image"]])
    size = images.shape[1]
    side = size // factor
    centres = lesion_centres(entries["image"].tolist(), boxes, box_label, seed)
    global_views = np.stack([cv2.resize(im, (side, side), interpolation=cv2.INTER_AREA) for im in images])
    crops = np.stack([_crop(im, c, side) for im, c in zip(images, centres, strict=True)])
    test = set(read_image_list(root / "test_list.txt"))
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
