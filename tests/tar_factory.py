"""Small tar.gz archives shaped like the NIH ones (`images/*.png`), built in memory for tests."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterable

import numpy as np
from PIL import Image


def png_bytes(seed: int, size: int = 16) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def tar_gz(files: dict[str, bytes], special: Iterable[tarfile.TarInfo] = ()) -> bytes:
    """A tar.gz of `files` (member name -> content), then the `special` members (links, devices...)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in special:
            tar.addfile(info)
    return out.getvalue()


def member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    """A data-less member: a symlink, hard link, device, FIFO (or an empty file)."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
