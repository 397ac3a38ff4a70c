"""A torch Dataset over label entries and an image source, with the paper's transforms.

    dataset = ChestXrayDataset(entries, CacheSource("data/phantom/cache-512"), InputGeometry(), train=True)
    sample = dataset[0]      # Sample(image (1, 224, 224), labels (14,), index, frame (5,))

Each sample carries its *frame* (see geometry.py): where the input sits in the source image,
so the attention crop can go back to the high-resolution source. With `with_source=True` the
source itself comes along (uint8, at the cache's resolution) for stage II of training.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .cache import resize_square
from .classes import CLASSES, NO_FINDING
from .geometry import InputGeometry, render_input
from .sources import ImageSource


class Sample(NamedTuple):
    image: torch.Tensor  # (1, S, S) float32 in [0, 1]
    labels: torch.Tensor  # (C,) float32 0/1, C = 14 (+1 with No Finding)
    index: int  # row of the entries frame
    frame: torch.Tensor  # (5,) where the image sits in its source


class SampleWithSource(NamedTuple):
    image: torch.Tensor
    labels: torch.Tensor
    index: int
    frame: torch.Tensor
    source: torch.Tensor  # (1, Hs, Ws) uint8: the high-resolution image the crop is cut from


def label_columns(with_no_finding: bool = False) -> list[str]:
    """The target columns: the 14 diseases, then No Finding when the paper's 15th output is on."""
    return [*CLASSES, NO_FINDING] if with_no_finding else list(CLASSES)


class ChestXrayDataset(Dataset):
    def __init__(
        self,
        entries: pd.DataFrame,
        source: ImageSource,
        geometry: InputGeometry | None = None,
        train: bool = False,
        with_no_finding: bool = False,
        with_source: bool = False,
        source_size: int | None = None,
    ):
        missing = [c for c in ["image", *label_columns(with_no_finding)] if c not in entries.columns]
        if missing:
            raise ValueError(f"entries lack column(s) {missing}; read them with read_entries()")
        self.entries = entries.reset_index(drop=True)
        self.names = self.entries["image"].astype(str).tolist()
        self.labels = torch.from_numpy(
            np.array(self.entries[label_columns(with_no_finding)], dtype=np.float32)
        )
        self.source = source
        self.geometry = geometry or InputGeometry()
        self.train = train
        self.with_source = with_source
        self.source_size = source_size

    def __len__(self) -> int:
        return len(self.names)

    def read_source(self, index: int) -> torch.Tensor:
        """The uint8 source image (1, H, W), resized to `source_size` when one is set."""
        pixels = self.source.read(self.names[index])
        if self.source_size is not None:
            pixels = resize_square(np.asarray(pixels), self.source_size)
        return torch.from_numpy(np.array(pixels, dtype=np.uint8, copy=True)).unsqueeze(0)

    def __getitem__(self, index: int) -> Sample | SampleWithSource:
        source = self.read_source(index)
        frame = self.geometry.train_frame() if self.train else self.geometry.eval_frame()
        image, frame = render_input(source, frame, self.geometry.crop)
        if self.with_source:
            return SampleWithSource(image, self.labels[index], index, frame, source)
        return Sample(image, self.labels[index], index, frame)
