"""The image cache: every image resized once to size x size and kept in one memory-mapped file.

Decoding a 1024-px PNG costs milliseconds; reading a row of the cache is a memory copy, so a
GPU never waits for PNG decoding (benchmarks/bench_loader.py measures both). The default size (512) is above the network input (224) on
purpose: the local branch later crops from this higher-resolution source.

    cache = build_cache(entries, "data/nih", "data/nih/cache-512", size=512)
    pixels = cache.read("00000001_000.png")       # uint8 (512, 512)

Building is resumable: kill it, run it again, and it continues where it stopped; the result
is byte-identical to an uninterrupted run (each row is a pure function of its PNG).

Names alone do not say which pixels they stand for: a set generated again over an older one
has new images under the old names. A caller that knows what its images are passes that as
`fingerprint` (generate() records one for PhantomCXR-14); a cache made from other images is
then rebuilt, never served.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from tqdm.auto import tqdm

from .sources import ArraySource, FolderSource

_PIXELS = "images.u8"
_DONE = "done.u8"
_SIZES = "sizes.i32"
_INDEX = "index.csv"
_MANIFEST = "cache.json"
_CHUNK = 32


class CacheSource(ArraySource):
    """A finished cache, opened read-only. Pickles without its pixels (for DataLoader workers)."""

    def __init__(self, cache_dir: str | os.PathLike):
        self.dir = Path(cache_dir)
        manifest = _read_manifest(self.dir)
        if manifest is None or not manifest.get("complete"):
            raise ValueError(f"{self.dir}: not a finished image cache (run build_cache first)")
        self.size = int(manifest["size"])
        index = pd.read_csv(self.dir / _INDEX)
        self.names = index["image"].tolist()
        self.original_sizes = index[["height", "width"]].to_numpy()
        self.rows = {n: i for i, n in enumerate(self.names)}
        self._images: np.ndarray | None = None

    @property
    def images(self) -> np.ndarray:  # opened lazily, once per process
        if self._images is None:
            self._images = np.memmap(
                self.dir / _PIXELS, dtype=np.uint8, mode="r", shape=(len(self.names), self.size, self.size)
            )
        return self._images

    def __getstate__(self):
        return {**self.__dict__, "_images": None}


def build_cache(
    entries: pd.DataFrame,
    image_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    size: int = 512,
    workers: int | None = None,
    progress: bool = True,
    fingerprint: str | None = None,
) -> CacheSource:
    """Resize every image of `entries` (read from `image_dir`) to size x size into `out_dir`.

    fingerprint: what the images of `image_dir` are (a checksum of their content); a cache
    recorded with another one (or none) holds other pixels and is rebuilt. None: not checked.
    """
    if size < 8:
        raise ValueError(f"cache size must be at least 8 pixels, got {size}")
    names = entries["image"].astype(str).tolist()
    if not names:
        raise ValueError("no entries to cache")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    FolderSource(image_dir)  # fail now on a missing folder, not inside a worker
    key = {"size": size, "count": len(names), "names_sha1": _names_hash(names)}
    manifest = _read_manifest(out)
    if _stale(manifest, key, fingerprint):
        _say(f"{out}: made from other images than those now in {image_dir}; rebuilding it", progress)
        (out / _MANIFEST).unlink()  # first: a rebuild cut short must not look finished
        manifest = None
    if fingerprint is None and manifest is not None:
        fingerprint = manifest.get("fingerprint")  # kept for the callers that do check
    key = {**key, "fingerprint": fingerprint}
    if manifest is not None and {k: manifest.get(k) for k in key} != key:
        raise ValueError(
            f"{out}: holds a different cache ({manifest.get('count')} images at "
            f"{manifest.get('size')} px); remove it or choose another folder"
        )
    if manifest is None:
        _create(out, names, size, key)
    elif manifest.get("complete"):
        return CacheSource(out)

    done = np.memmap(out / _DONE, dtype=np.uint8, mode="r+", shape=(len(names),))
    todo = np.flatnonzero(done == 0)
    chunks = [todo[i : i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(chunks) or 1))
    job = (str(image_dir), str(out), names, size)
    bar = tqdm(total=len(names), initial=len(names) - len(todo), unit="img", desc="cache", disable=not progress)
    with multiprocessing.get_context().Pool(workers, initializer=_open_worker, initargs=job) as pool:
        for rows in pool.imap_unordered(_cache_rows, chunks):
            done[rows] = 1  # marked only after the worker flushed the pixels
            done.flush()
            bar.update(len(rows))
    bar.close()
    if not done.all():
        raise RuntimeError(f"{out}: {int((done == 0).sum())} image(s) were not cached")
    _write_manifest(out, {**key, "complete": True})
    return CacheSource(out)


def _stale(manifest: dict | None, key: dict, fingerprint: str | None) -> bool:
    """True for a cache of other images than `fingerprint` says, which is ours to rebuild.

    One recorded without a fingerprint is rebuilt only when it holds the very same names;
    holding others, it may be any cache pointed at by mistake, and is refused below instead.
    """
    if manifest is None or fingerprint is None or manifest.get("fingerprint") == fingerprint:
        return False
    return manifest.get("fingerprint") is not None or all(manifest.get(k) == v for k, v in key.items())


def _create(out: Path, names: list[str], size: int, key: dict) -> None:
    np.memmap(out / _PIXELS, dtype=np.uint8, mode="w+", shape=(len(names), size, size)).flush()
    np.memmap(out / _DONE, dtype=np.uint8, mode="w+", shape=(len(names),)).flush()
    np.memmap(out / _SIZES, dtype=np.int32, mode="w+", shape=(len(names), 2)).flush()
    pd.DataFrame({"image": names}).to_csv(out / _INDEX, index=False)
    _write_manifest(out, {**key, "complete": False})


_worker: dict = {}


def _open_worker(image_dir: str, out: str, names: list[str], size: int) -> None:
    _worker.update(
        source=FolderSource(image_dir),
        names=names,
        size=size,
        pixels=np.memmap(Path(out) / _PIXELS, dtype=np.uint8, mode="r+", shape=(len(names), size, size)),
        sizes=np.memmap(Path(out) / _SIZES, dtype=np.int32, mode="r+", shape=(len(names), 2)),
    )


def _cache_rows(rows: np.ndarray) -> np.ndarray:
    w = _worker
    for row in rows:
        pixels = w["source"].read(w["names"][row])
        w["sizes"][row] = pixels.shape
        w["pixels"][row] = resize_square(pixels, w["size"])
    w["pixels"].flush()
    w["sizes"].flush()
    return rows


def _say(message: str, progress: bool) -> None:
    if progress:
        tqdm.write(message)


def resize_square(pixels: np.ndarray, size: int) -> np.ndarray:
    """Resize a uint8 (H, W) image to (size, size), antialiased (PIL's bilinear filter)."""
    if pixels.shape == (size, size):
        return pixels
    return np.asarray(Image.fromarray(pixels).resize((size, size), Image.Resampling.BILINEAR))


def _names_hash(names: list[str]) -> str:
    return hashlib.sha1("\n".join(names).encode()).hexdigest()


def _read_manifest(out: Path) -> dict | None:
    path = out / _MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: damaged cache manifest ({err}); remove the folder and rebuild") from None


def _write_manifest(out: Path, manifest: dict) -> None:
    if manifest.get("complete"):  # the index gains the original sizes once every row is in
        count = manifest["count"]
        sizes = np.memmap(out / _SIZES, dtype=np.int32, mode="r", shape=(count, 2))
        index = pd.read_csv(out / _INDEX)
        index["height"], index["width"] = sizes[:, 0], sizes[:, 1]
        _atomic_write(out / _INDEX, index.to_csv(index=False))
    _atomic_write(out / _MANIFEST, json.dumps(manifest, indent=1))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
