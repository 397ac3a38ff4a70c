"""Read one radiograph as an 8-bit grayscale array, whatever the PNG flavour in circulation."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError


class ImageReadError(ValueError):
    """A file that is missing, empty, truncated or not an image. The message names the file."""


_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}

# The most pixels a header may declare. A PNG of a few kilobytes can declare a frame that
# takes gigabytes to decode; this bound lies far above any radiograph and far below that.
# It is ours, not PIL's global Image.MAX_IMAGE_PIXELS, which other code may change or lift.
MAX_PIXELS = 8192 * 8192


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Return the image at `path` as a uint8 array of shape (H, W).

    Accepts 8-bit grayscale, RGB, RGBA, palette and 16-bit PNGs of any size. 16-bit
    images are rescaled from the full 16-bit range (v / 257), never clipped at 255,
    so an 8-bit image saved as 16-bit reads back exactly.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such image file")
    if path.stat().st_size == 0:
        raise ImageReadError(f"{path}: the file is empty")
    try:
        # PIL only warns between its limit and twice that; here every bomb is an error.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                _check_declared_size(path, im.size)  # before decoding: the header alone
                im.load()  # decode now, so a truncated file fails here and not later
                return _to_gray_uint8(im)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError(f"{path}: not an image file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageReadError(f"{path}: refused as a decompression bomb ({err})") from None
    except MemoryError:
        raise ImageReadError(f"{path}: too large to decode in the memory available") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageReadError(f"{path}: cannot decode ({err})") from None


def _check_declared_size(path: Path, size: tuple[int, int]) -> None:
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageReadError(
            f"{path}: refused as a decompression bomb: its header declares {width} x {height} "
            f"pixels, more than the {MAX_PIXELS:,} accepted (images.MAX_PIXELS)"
        )


def _to_gray_uint8(im: Image.Image) -> np.ndarray:
    if im.mode in _SIXTEEN_BIT_MODES:
        wide = np.asarray(im, dtype=np.int64)
        return np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8)
    if im.mode in ("RGBA", "LA", "PA"):
        im = im.convert("RGB")  # alpha carries nothing in the release's RGBA files
    if im.mode != "L":
        im = im.convert("L")
    return np.asarray(im, dtype=np.uint8).copy()
