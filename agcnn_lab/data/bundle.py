"""A data set ready for training: its train/val/test entries, their image source, its boxes.

    data = phantom_data(get_profile("cpu"))      # generated and cached on first use
    data = nih_data("data/nih", profile)         # after `agcnn-lab prepare-nih --root data/nih`
    data = chestmnist_data("chestmnist_224.npz", profile)
    train_set = data.dataset("train", profile, train=True, with_source=True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .cache import build_cache
from .chestmnist import SPLITS, chestmnist_entries, read_chestmnist_arrays
from .dataset import ChestXrayDataset
from .sources import ArraySource, ImageSource
from .splits import official_split
from .tables import read_boxes, read_entries

if TYPE_CHECKING:
    from ..profiles import Profile

PARTS = ("train", "val", "test")
ENTRIES_FILE = "Data_Entry_2017_v2020.csv"
BOXES_FILE = "BBox_List_2017.csv"


@dataclass
class DataBundle:
    name: str
    parts: dict[str, tuple[pd.DataFrame, ImageSource]]  # part -> (entries, source)
    boxes: pd.DataFrame | None = None  # ground truth: image, label, x0, y0, x1, y1 (normalised)
    source_size: int | None = None  # the side the sources are served at

    def entries(self, part: str) -> pd.DataFrame:
        return self._part(part)[0]

    def source(self, part: str) -> ImageSource:
        return self._part(part)[1]

    def dataset(self, part: str, profile: Profile, train: bool = False, with_source: bool = False) -> ChestXrayDataset:
        entries, source = self._part(part)
        return ChestXrayDataset(
            entries,
            source,
            geometry=profile.geometry,
            train=train,
            with_no_finding=profile.with_no_finding,
            with_source=with_source,
        )

    def _part(self, part: str):
        if part not in self.parts:
            raise ValueError(f"unknown part {part!r}; {self.name} has {', '.join(self.parts)}")
        return self.parts[part]


def phantom_root(profile: Profile) -> Path:
    """Where the profile's PhantomCXR-14 lives by default: data/phantom-<profile>-<preset>."""
    from ..paths import data_dir

    return data_dir() / f"phantom-{profile.name}-{profile.phantom_preset}"


def phantom_data(profile: Profile, root: str | os.PathLike | None = None, progress: bool = True) -> DataBundle:
    """The embedded default: PhantomCXR-14 for this profile, generated and cached on first use."""
    from .phantom import difficulty_preset, generate

    difficulty = difficulty_preset(profile.phantom_preset)
    if root is None:
        # The profile's own folder: generate() returns at once when it holds this profile's
        # set, and refuses (naming the folder) when it holds one made with other settings.
        root = generate(
            phantom_root(profile),
            profile.phantom_patients,
            size=profile.phantom_size,
            seed=profile.seed,
            difficulty=difficulty,
        )
    elif not (Path(root) / ENTRIES_FILE).is_file():
        root = generate(
            root, profile.phantom_patients, size=profile.phantom_size, seed=profile.seed, difficulty=difficulty
        )
    root = Path(root)
    return release_data(root, profile, name=f"PhantomCXR-14 ({profile.name})", progress=progress)


def nih_data(root: str | os.PathLike, profile: Profile, progress: bool = True) -> DataBundle:
    """ChestX-ray14 as `agcnn-lab prepare-nih --root ROOT` left it; images missing from ROOT
    are left out with a message (a partial download still trains)."""
    return release_data(Path(root), profile, name="ChestX-ray14", progress=progress, only_present=True)


def release_data(root: Path, profile: Profile, name: str, progress: bool = True, only_present: bool = False) -> DataBundle:
    """Any folder in the NIH layout: label table, box list, the two lists, images/."""
    from .nih import present_images

    entries = read_entries(_one_of(root, ENTRIES_FILE))
    if only_present:
        present = present_images(root)
        kept = entries["image"].isin(present)
        if not kept.any():
            raise ValueError(f"{root}: none of the {len(entries)} images of the label table is present")
        if not kept.all() and progress:
            print(f"{name}: {int(kept.sum())} of {len(entries)} images present; training on those")
        entries = entries[kept].reset_index(drop=True)
    split = official_split(
        entries,
        [n for n in _lines(_one_of(root, "train_val_list.txt")) if n],
        _lines(_one_of(root, "test_list.txt")),
        val_fraction=0.125,
        seed=profile.seed,
    )
    cache = build_cache(entries, root, root / f"cache-{profile.cache_size}", size=profile.cache_size, workers=None, progress=progress)
    sizes = pd.DataFrame({"image": cache.names, "height": cache.original_sizes[:, 0], "width": cache.original_sizes[:, 1]})
    boxes = None
    box_file = _maybe(root, BOXES_FILE)
    if box_file is not None:
        from ..evaluate.localisation import normalise_boxes

        raw = read_boxes(box_file)
        boxes = normalise_boxes(raw[raw["image"].isin(cache.names)], sizes)
    parts = {p: (getattr(split, p), cache) for p in PARTS}
    return DataBundle(name, parts, boxes, source_size=profile.cache_size)


def chestmnist_data(npz_path: str | os.PathLike, profile: Profile) -> DataBundle:
    """ChestMNIST's own train/val/test (the CheXNet lists): no boxes, the images are the source."""
    parts = {}
    for split in SPLITS:
        images, labels = read_chestmnist_arrays(npz_path, split)
        entries = chestmnist_entries(labels, split)
        parts[split] = (entries, ArraySource(images, entries["image"].tolist()))
    return DataBundle("ChestMNIST", parts, None, source_size=int(np.asarray(parts["train"][1].images).shape[-1]))


def _one_of(root: Path, name: str) -> Path:
    found = _maybe(root, name)
    if found is None:
        raise ValueError(f"{root}: missing {name} (or {name}.gz)")
    return found


def _maybe(root: Path, name: str) -> Path | None:
    for candidate in (root / name, root / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _lines(path: Path) -> list[str]:
    from .tables import read_image_list

    return read_image_list(path)
