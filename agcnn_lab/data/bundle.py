"""A data set ready for training: its train/val/test entries, their image source, its boxes.

    config = get_profile("cpu").data
    data = phantom_data(config, label="cpu")     # generated and cached on first use
    data = nih_data("data/nih", config)          # after `agcnn-lab prepare-nih --root data/nih`
    data = chestmnist_data("chestmnist_224.npz", config)
    train_set = data.dataset("train", config, with_no_finding=True, train=True, with_source=True)
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .boxes import normalise_boxes
from .cache import build_cache
from .chestmnist import SPLITS, chestmnist_entries, read_chestmnist_arrays
from .dataset import ChestXrayDataset
from .nih_release import BOX_LIST, ENTRY_TABLE, TEST_LIST, TRAIN_VAL_LIST
from .sources import ArraySource, ImageSource
from .splits import official_split
from .tables import read_boxes, read_entries

if TYPE_CHECKING:
    from ..config import DataConfig

PARTS = ("train", "val", "test")


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

    def dataset(
        self, part: str, config: DataConfig, *, with_no_finding: bool = True, train: bool = False, with_source: bool = False
    ) -> ChestXrayDataset:
        """One split as the network sees it: config.geometry's transforms; labels with the
        15th output ("No Finding", the paper's) unless the model lacks it."""
        entries, source = self._part(part)
        return ChestXrayDataset(
            entries,
            source,
            geometry=config.geometry,
            train=train,
            with_no_finding=with_no_finding,
            with_source=with_source,
        )

    def _part(self, part: str):
        if part not in self.parts:
            raise ValueError(f"unknown part {part!r}; {self.name} has {', '.join(self.parts)}")
        return self.parts[part]


def train_subset(data: DataBundle, fraction: float, seed: int = 0) -> DataBundle:
    """`data` with a random `fraction` of its training images (val and test untouched); the same
    films for the same seed, so a resumed run and every process of a distributed one agree."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    if fraction == 1:
        return data
    entries, source = data.parts["train"]
    kept = entries.sample(frac=fraction, random_state=seed).sort_index().reset_index(drop=True)
    return dataclasses.replace(data, parts={**data.parts, "train": (kept, source)})


def phantom_root(label: str, preset: str) -> Path:
    """Where a profile's PhantomCXR-14 lives by default: data/phantom-<profile>-<preset>."""
    from ..paths import data_dir

    return data_dir() / f"phantom-{label}-{preset}"


def phantom_data(config: DataConfig, root: str | os.PathLike | None = None, progress: bool = True, label: str = "custom") -> DataBundle:
    """The embedded default: PhantomCXR-14 as `config` sizes it, generated and cached on first
    use; `label` (the profile's name) names its default folder."""
    from .phantom import difficulty_preset, generate

    difficulty = difficulty_preset(config.phantom_preset)
    if root is None:
        # The profile's own folder: generate() returns at once when it holds this profile's
        # set, and refuses (naming the folder) when it holds one made with other settings.
        root = generate(
            phantom_root(label, config.phantom_preset),
            config.phantom_patients,
            size=config.phantom_size,
            seed=config.seed,
            difficulty=difficulty,
        )
    elif ENTRY_TABLE.find_in(root) is None:
        root = generate(
            root, config.phantom_patients, size=config.phantom_size, seed=config.seed, difficulty=difficulty
        )
    root = Path(root)
    return release_data(root, config, name=f"PhantomCXR-14 ({label})", progress=progress)


def nih_data(root: str | os.PathLike, config: DataConfig, progress: bool = True) -> DataBundle:
    """ChestX-ray14 as `agcnn-lab prepare-nih --root ROOT` left it; images missing from ROOT
    are left out with a message (a partial download still trains)."""
    return release_data(Path(root), config, name="ChestX-ray14", progress=progress, only_present=True)


def release_data(root: Path, config: DataConfig, name: str, progress: bool = True, only_present: bool = False) -> DataBundle:
    """Any folder in the NIH layout: label table, box list, the two lists, images/."""
    from .nih import present_images
    from .phantom.generate import recorded_checksum

    entries = read_entries(ENTRY_TABLE.require_in(root))
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
        TRAIN_VAL_LIST.require_in(root),
        TEST_LIST.require_in(root),
        val_fraction=0.125,
        seed=config.seed,
    )
    cache = build_cache(
        entries, root, root / f"cache-{config.cache_size}", size=config.cache_size, workers=None,
        progress=progress, fingerprint=recorded_checksum(root),  # a regenerated phantom: rebuilt
    )
    sizes = pd.DataFrame({"image": cache.names, "height": cache.original_sizes[:, 0], "width": cache.original_sizes[:, 1]})
    boxes = None
    box_file = BOX_LIST.find_in(root)
    if box_file is not None:
        raw = read_boxes(box_file)
        boxes = normalise_boxes(raw[raw["image"].isin(cache.names)], sizes)
    parts = {p: (getattr(split, p), cache) for p in PARTS}
    return DataBundle(name, parts, boxes, source_size=config.cache_size)


def chestmnist_data(npz_path: str | os.PathLike, config: DataConfig | None = None) -> DataBundle:
    """ChestMNIST's own train/val/test (the CheXNet lists): no boxes, the images are the source."""
    parts = {}
    for split in SPLITS:
        images, labels = read_chestmnist_arrays(npz_path, split)
        entries = chestmnist_entries(labels, split)
        parts[split] = (entries, ArraySource(images, entries["image"].tolist()))
    return DataBundle("ChestMNIST", parts, None, source_size=int(np.asarray(parts["train"][1].images).shape[-1]))
