"""ChestMNIST (MedMNIST v2/v3): ChestX-ray14 shrunk to 28-224 px, as the same Dataset as the real data.

    train = read_chestmnist("data/chestmnist/chestmnist_64.npz", "train", geometry=InputGeometry(64, 56))
    sample = train[0]        # Sample(image (1, 56, 56), labels (14,), index, frame (5,))

The npz holds `{split}_images` (N x S x S uint8; some copies N x S x S x 1, or RGB) and
`{split}_labels` (N x 14, 0/1, in the paper's class order) for split in train/val/test.

What ChestMNIST lacks, and what the entries put in its place:
- image names: `chestmnist_{split}_{row:06d}.png` (row = position in the npz; no file exists);
- patient IDs: dropped by MedMNIST. `patient_id` is -1 ("unknown") on every row, so a
  patient-level re-split puts everything in one part instead of silently leaking patients.
  The three splits are already patient-disjoint (the CheXNet lists, NOT the official NIH
  test list: never compare numbers across the two);
- No Finding: 1 where none of the 14 labels is set.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .classes import CLASSES, NO_FINDING
from .sources import ArraySource

if TYPE_CHECKING:  # torch loads only when a dataset is made, not on `import agcnn_lab.data`
    from .dataset import ChestXrayDataset
    from .geometry import InputGeometry

SPLITS = ("train", "val", "test")
UNKNOWN_PATIENT = -1


def read_chestmnist(
    npz_path: str | os.PathLike,
    split: str,
    geometry: InputGeometry | None = None,
    train: bool | None = None,
    with_no_finding: bool = False,
    with_source: bool = False,
    source_size: int | None = None,
) -> ChestXrayDataset:
    """One split of a ChestMNIST npz as a ChestXrayDataset; `train` defaults to split == 'train'."""
    from .dataset import ChestXrayDataset

    images, labels = read_chestmnist_arrays(npz_path, split)
    entries = chestmnist_entries(labels, split)
    return ChestXrayDataset(
        entries,
        ArraySource(images, entries["image"].tolist()),
        geometry=geometry,
        train=(split == "train") if train is None else train,
        with_no_finding=with_no_finding,
        with_source=with_source,
        source_size=source_size,
    )


def read_chestmnist_arrays(npz_path: str | os.PathLike, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, S, S), labels uint8 (N, 14)) of one split, checked."""
    path = Path(npz_path)
    if split not in SPLITS:
        raise ValueError(f"{path}: unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if not path.is_file():
        raise ValueError(f"{path}: no such ChestMNIST file")
    with _open_npz(path) as npz:  # only the two arrays asked for are decompressed
        images = _array(npz, f"{split}_images", path)
        labels = _array(npz, f"{split}_labels", path)
    images = _gray_images(images, f"{path}: {split}_images")
    labels = _binary_labels(labels, f"{path}: {split}_labels")
    if len(images) != len(labels):
        raise ValueError(f"{path}: {len(images)} {split}_images but {len(labels)} {split}_labels")
    if len(images) == 0:
        raise ValueError(f"{path}: the {split} split holds no images")
    return images, labels


def chestmnist_entries(labels: np.ndarray, split: str) -> pd.DataFrame:
    """The entries frame for (N, 14) 0/1 labels: image, patient_id, the 14 classes, No Finding."""
    frame = pd.DataFrame(
        {
            "image": [f"chestmnist_{split}_{row:06d}.png" for row in range(len(labels))],
            "patient_id": np.full(len(labels), UNKNOWN_PATIENT, dtype=np.int64),
        }
    )
    classes = pd.DataFrame(labels.astype(np.uint8), columns=list(CLASSES))
    classes[NO_FINDING] = (labels.sum(axis=1) == 0).astype(np.uint8)
    return pd.concat([frame, classes], axis=1)


def _open_npz(path: Path):
    try:
        npz = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: not a readable npz archive ({err})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: a single .npy array, not an npz archive of {SPLITS} images and labels")
    return npz


def _array(npz, key: str, path: Path) -> np.ndarray:
    if key not in npz.files:
        raise ValueError(f"{path}: no array {key!r}; it holds {', '.join(sorted(npz.files)) or 'nothing'}")
    try:
        return npz[key]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:  # object array, damaged member
        raise ValueError(f"{path}: cannot read {key!r} ({err})") from None


def _gray_images(images: np.ndarray, what: str) -> np.ndarray:
    """(N, S, S) uint8 from (N, S, S), (N, S, S, 1), RGB (N, S, S, 3) or RGBA (N, S, S, 4)."""
    if images.dtype != np.uint8:
        raise ValueError(f"{what}: expected uint8 pixels, got {images.dtype}")
    if images.ndim == 4 and images.shape[-1] in (1, 3, 4):
        channels = images.shape[-1]
        images = images[..., 0] if channels == 1 else _luma(images[..., :3])  # alpha carries nothing
    if images.ndim != 3 or images.shape[1] != images.shape[2] or images.shape[1] == 0:
        raise ValueError(
            f"{what}: expected square images N x S x S (or N x S x S x 1/3/4), got shape {images.shape}"
        )
    return np.ascontiguousarray(images)


def _luma(rgb: np.ndarray) -> np.ndarray:
    """PIL's convert('L') (ITU-R 601-2 luma, its fixed-point rounding), so RGB copies match
    what read_image makes of an RGB PNG."""
    r, g, b = (rgb[..., i].astype(np.uint32) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


def _binary_labels(labels: np.ndarray, what: str) -> np.ndarray:
    if labels.ndim != 2 or labels.shape[1] != len(CLASSES):
        raise ValueError(f"{what}: expected N x {len(CLASSES)} labels (the 14 classes), got shape {labels.shape}")
    if not (labels.dtype == np.bool_ or np.issubdtype(labels.dtype, np.number)):
        raise ValueError(f"{what}: expected numeric 0/1 labels, got {labels.dtype}")
    bad = ~np.isin(labels, (0, 1))
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise ValueError(
            f"{what}: labels must be 0 or 1; {int(bad.sum())} are not, e.g. {labels[row, column].item()!r} "
            f"at row {row}, class {CLASSES[column]}"
        )
    return labels.astype(np.uint8)
