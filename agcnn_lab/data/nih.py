"""Prepare the NIH ChestX-ray14 release in one folder: download, verify, unpack, cache.

    prepared = prepare_nih("data/nih")          # ~42 GB of downloads, then a 512-px cache
    prepared.cache.read("00000001_000.png")     # uint8 (512, 512)

The folder it fills (or finds already filled):

    archives/images_001.tar.gz ...    the 12 downloads (images_01.tar.gz names are accepted too);
                                      delete them once unpacked if disk is short
    images/*.png                      the 112,120 radiographs (or the Kaggle layout:
                                      images_001/images/*.png ... images_012/images/*.png)
    images/.unpacked/images_001.tar.gz.json   one marker per archive fully unpacked
    Data_Entry_2017_v2020.csv[.gz], BBox_List_2017.csv[.gz], train_val_list.txt[.gz], test_list.txt[.gz]
    cache-512/                        the image cache (cache.py)

Every step is skipped when its result is already on disk, so running it again resumes where
an earlier run stopped: a half-downloaded archive continues with an HTTP Range request, an
archive without its marker is unpacked again, the cache continues row by row.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from tqdm.auto import tqdm

from . import nih_release
from .cache import CacheSource, build_cache
from .download import download as download_file
from .download import verify_md5
from .extract import extract_tar
from .nih_release import (
    BOX_FOLDER,
    ENTRY_TABLE,
    LABEL_FILES,
    Archive,
    LabelFile,
    archive_url,
    check_base_url,
)
from .tables import read_entries

log = logging.getLogger(__name__)

# The real label files and 23 images ship with the repository (data/nih-sample, next to the
# package); an installed wheel does not carry them.
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "nih-sample"
_MARKERS = Path("images") / ".unpacked"


class PreparedNih(NamedTuple):
    root: Path
    entries: pd.DataFrame  # the label table's rows whose image is on disk
    cache: CacheSource  # those images, resized
    label_files: dict[str, Path]  # Box name (e.g. 'test_list.txt') -> the file in root


def prepare_nih(
    root: str | os.PathLike,
    cache_size: int = 512,
    base_url: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    download: bool = True,
    timeout: float = 60.0,
    retries: int = 5,
) -> PreparedNih:
    """Fill `root` with the release (see the module's docstring) and cache its images.

    base_url:  fetch archive `images_001.tar.gz` from `{base_url}/images_001.tar.gz` instead of
               its NIH static link (a mirror, a local server).
    download:  False uses only what is on disk and caches the images found.
    timeout, retries: per request (seconds), and how often a dropped transfer is resumed.
    """
    # Bad arguments fail now, not after hours of downloading.
    if base_url is not None:
        check_base_url(base_url)
    if cache_size < 8:
        raise ValueError(f"cache_size must be at least 8 pixels, got {cache_size}")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    label_files = ensure_label_files(root, progress)
    entries = read_entries(label_files[ENTRY_TABLE.name])
    # A tree unpacked by other means is taken as is; once we have unpacked here, the markers
    # decide (an archive cut short while unpacking has every name, but its last file truncated).
    if not (root / _MARKERS).exists() and entries["image"].isin(present_images(root)).all():
        _say(f"{root}: all {len(entries):,} images already unpacked; nothing to download", progress)
    else:
        for archive in nih_release.ARCHIVES:  # looked up now, so tests can swap the table
            ensure_unpacked(root, archive, base_url, download, timeout, retries, progress)
    found = entries[entries["image"].isin(present_images(root))].reset_index(drop=True)
    _say(f"{root}: {len(found):,} of the {len(entries):,} images of the label table are present", progress)
    if found.empty:
        raise ValueError(
            f"{root}: none of the {len(entries):,} images of {label_files[ENTRY_TABLE.name].name} "
            f"is present (looked in images/ and images_0XX/images/); nothing to cache"
        )
    cache = build_cache(
        found, root, root / f"cache-{cache_size}", size=cache_size, workers=workers, progress=progress
    )
    return PreparedNih(root, found, cache, label_files)


def ensure_unpacked(
    root: Path,
    archive: Archive,
    base_url: str | None = None,
    download: bool = True,
    timeout: float = 60.0,
    retries: int = 5,
    progress: bool = True,
) -> None:
    """Make sure the images of `archive` are under `root`: find, or download, verify, unpack."""
    if is_unpacked(root, archive):
        return
    path = local_archive(root, archive)
    if path is not None:
        _say(f"{path}: on disk; checking its MD5", progress)
        verify_md5(path, archive.md5, progress=progress)
    elif not download:
        _say(f"{archive.name}: not on disk and download=False; its images are skipped", progress)
        return
    else:
        url = archive_url(archive, base_url)
        _say(f"{archive.name}: downloading {url}", progress)
        path = download_file(
            url, root / "archives" / archive.name, md5=archive.md5,
            timeout=timeout, retries=retries, progress=progress,
        )
    (root / _MARKERS).mkdir(parents=True, exist_ok=True)  # before unpacking: see prepare_nih
    files = extract_tar(path, root, inside="images", progress=progress)
    _write_marker(root, archive, path, files)
    _say(f"{path}: unpacked {files:,} files into {root / 'images'}", progress)


def is_unpacked(root: Path, archive: Archive) -> bool:
    """A marker says a run of ours unpacked it; a non-empty Kaggle folder says the mirror did."""
    if (root / _MARKERS / f"{archive.name}.json").is_file():
        return True
    kaggle = root / archive.kaggle_folder / "images"
    return kaggle.is_dir() and any(True for _ in os.scandir(kaggle))


def local_archive(root: Path, archive: Archive) -> Path | None:
    """The archive if it is on disk already, in root/archives/ or root/, under either name."""
    for folder in (root / "archives", root):
        for name in archive.file_names:
            if (folder / name).is_file():
                return folder / name
    return None


def present_images(root: Path) -> set[str]:
    """Names of the files in root/images/ and root/images_*/images/ (the two layouts)."""
    folders = [root / "images", *sorted(root.glob("images_*/images"))]
    return {
        entry.name
        for folder in folders
        if folder.is_dir()
        for entry in os.scandir(folder)
        if entry.is_file() and not entry.name.startswith(".")
    }


def ensure_label_files(root: Path, progress: bool = True) -> dict[str, Path]:
    """The four label files in `root` (plain or .gz), copied from the bundled sample if absent."""
    found = {}
    for label_file in LABEL_FILES:
        path = label_file.find_in(root)
        if path is None:
            path = _copy_from_sample(root, label_file)
            _say(f"{path}: copied from the bundled sample {SAMPLE_DIR}", progress)
        found[label_file.name] = path
    return found


def _copy_from_sample(root: Path, label_file: LabelFile) -> Path:
    source = label_file.find_in(SAMPLE_DIR)
    if source is None:
        raise ValueError(
            f"{root}: lacks {label_file.name} and there is no bundled copy in {SAMPLE_DIR}; "
            f"download it from the Box folder {BOX_FOLDER} and put it at "
            f"{root / label_file.name} (plain or gzip'd)"
        )
    target = root / source.name
    partial = target.with_name(target.name + ".part")
    shutil.copyfile(source, partial)  # copyfile, not copy: the sample's files are read-only
    os.replace(partial, target)
    return target


def _write_marker(root: Path, archive: Archive, path: Path, files: int) -> None:
    marker = root / _MARKERS / f"{archive.name}.json"
    record = {"archive": archive.name, "from": str(path), "md5": archive.md5, "files": files}
    marker.write_text(json.dumps(record, indent=1))


def _say(message: str, progress: bool) -> None:
    log.info(message)
    if progress:
        tqdm.write(message)
