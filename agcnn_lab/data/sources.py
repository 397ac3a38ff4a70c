"""Where images come from: a folder (flat or Kaggle layout), an in-memory array, or the cache.

Every source answers `read(name) -> uint8 array (H, W)`.

    source = FolderSource("data/nih-sample")      # finds images/NAME or images_0XX/images/NAME
    pixels = source.read("00000001_000.png")
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .images import ImageReadError, read_image


class ImageSource(Protocol):
    def read(self, name: str) -> np.ndarray: ...


class FolderSource:
    """PNG files under `root`: `root/images/NAME` (the NIH archives), `root/images_0XX/images/NAME`
    (the Kaggle mirror) or `root/NAME`."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        if not self.root.is_dir():
            raise ValueError(f"{self.root}: no such image folder")
        self._kaggle_index: dict[str, Path] | None = None

    def path(self, name: str) -> Path:
        for candidate in (self.root / "images" / name, self.root / name):
            if candidate.is_file():
                return candidate
        found = self._kaggle().get(name)
        if found is None:
            raise ImageReadError(f"{name}: not found under {self.root} (looked in images/, images_*/images/ and the folder itself)")
        return found

    def read(self, name: str) -> np.ndarray:
        return read_image(self.path(name))

    def _kaggle(self) -> dict[str, Path]:
        if self._kaggle_index is None:  # built once: listing 112,120 files takes a second
            self._kaggle_index = {
                p.name: p for folder in sorted(self.root.glob("images_*/images")) for p in folder.iterdir()
            }
        return self._kaggle_index


class ArraySource:
    """Images held in an array (N, H, W) of uint8, addressed by name (ChestMNIST, the cache)."""

    def __init__(self, images: np.ndarray, names: Sequence[str]):
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"images must be a uint8 array (N, H, W), got {images.dtype} {images.shape}")
        if len(names) != len(images):
            raise ValueError(f"{len(names)} names for {len(images)} images")
        self.images = images
        self.rows = {str(n): i for i, n in enumerate(names)}
        if len(self.rows) != len(names):
            raise ValueError("image names must be unique")

    def row(self, name: str) -> int:
        try:
            return self.rows[name]
        except KeyError:
            raise ImageReadError(f"{name}: not in this image array") from None

    def read(self, name: str) -> np.ndarray:
        return self.images[self.row(name)]
