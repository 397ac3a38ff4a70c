"""Where the real ChestX-ray14 is: a prepare-nih folder, a Kaggle dataset mounted read-only, or nowhere yet.

    found = locate_real_data("data/nih", "data/chestmnist_224.npz")
    found.kind, found.root, found.message          # "nih", the folder load_data reads, a sentence
    if found.read_only:                            # Kaggle: the images are mounted read-only
        root = link_release(found.root, "/kaggle/working/nih")   # a writable folder that points at them
        prepare_nih(root, cache_size=384, download=False)         # the cache goes there

Kaggle notebooks mount the NIH mirror (the `images_0XX/images/` layout, `Data_Entry_2017.csv`,
`BBox_List_2017.csv`, the two lists) under /kaggle/input/<dataset>/, read-only, beside free GPUs.
The cache must be written elsewhere: `link_release` builds a folder of symbolic links to the
image folders (nothing is copied) in which prepare-nih writes its cache. The working folder
/kaggle/working keeps 20 GB: a cache of the 112,120 images at 512 px (512 x 512 bytes each,
29 GB) does not fit there, one at 384 px (16.5 GB) does (KAGGLE_CACHE_SIZE).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .nih import present_images
from .nih_release import BOX_LIST, ENTRY_TABLE, TEST_LIST, TRAIN_VAL_LIST

KAGGLE_INPUT = Path("/kaggle/input")
KAGGLE_WORKING = Path("/kaggle/working")
KAGGLE_CACHE_SIZE = 384  # the largest common side whose cache of the whole release fits in 20 GB


def _image_count(root: Path) -> int:
    """Images in root/images/ and root/images_0XX/images/, as prepare-nih finds them."""
    return len(present_images(root))


@dataclass(frozen=True)
class RealData:
    kind: str | None  # "nih", "chestmnist", or None when neither is found
    root: Path | None  # what load_data wants as data.root (for Kaggle: the read-only release)
    message: str  # a plain sentence for the notebook
    read_only: bool = False  # the release cannot be written to: link_release first


def find_release(folder: Path, depth: int = 2) -> Path | None:
    """The first folder at most `depth` levels below `folder` that holds a label table and images."""
    if not folder.is_dir():
        return None
    candidates = [folder]
    for _ in range(depth):
        candidates += [p for c in list(candidates) for p in sorted(c.iterdir()) if p.is_dir() and p not in candidates
                       and not p.name.startswith("images")]
    for candidate in candidates:
        if ENTRY_TABLE.find_in(candidate) is not None and _image_count(candidate):
            return candidate
    return None


def locate_real_data(nih_root: str | os.PathLike, chestmnist: str | os.PathLike,
                     kaggle_input: str | os.PathLike = KAGGLE_INPUT) -> RealData:
    """ChestX-ray14 as prepare-nih left it in `nih_root`, else mounted on Kaggle under
    `kaggle_input`, else the ChestMNIST npz `chestmnist`, else nothing, with what to run."""
    nih_root, chestmnist, kaggle_input = Path(nih_root), Path(chestmnist), Path(kaggle_input)
    if ENTRY_TABLE.find_in(nih_root) is not None and (count := _image_count(nih_root)):
        return RealData("nih", nih_root, f"ChestX-ray14 found in {nih_root}: {count:,} images.")
    mounted = find_release(kaggle_input)
    if mounted is not None:
        return RealData("nih", mounted, f"ChestX-ray14 mounted read-only in {mounted} (Kaggle): "
                        f"{_image_count(mounted):,} images; link it into a writable folder to cache it.", read_only=True)
    if chestmnist.is_file():
        return RealData("chestmnist", chestmnist, f"ChestMNIST found: {chestmnist} (no lesion boxes: no localisation scores).")
    return RealData(None, None, f"No real data here: neither ChestX-ray14 in {nih_root} (or mounted under "
                    f"{kaggle_input}) nor ChestMNIST at {chestmnist}.")


def link_release(source: str | os.PathLike, working: str | os.PathLike) -> Path:
    """A writable folder `working` that shows the read-only release `source`: a symbolic link per
    image folder, the label files copied (they are small). prepare_nih(working, download=False)
    then caches the images into working/cache-<size>. Run again, it changes nothing."""
    source, working = Path(source), Path(working)
    if ENTRY_TABLE.find_in(source) is None:
        raise FileNotFoundError(f"{source}: no {ENTRY_TABLE.name} (or its alias): not a ChestX-ray14 release")
    working.mkdir(parents=True, exist_ok=True)
    folders = [p for p in [source / "images", *sorted(source.glob("images_*"))] if p.is_dir()]
    if not folders:
        raise FileNotFoundError(f"{source}: no images/ or images_0XX/ folder")
    for folder in folders:
        link = working / folder.name
        if link.is_symlink() and link.resolve() == folder.resolve():
            continue
        if link.exists() or link.is_symlink():
            raise FileExistsError(f"{link}: is in the way of the link to {folder}; remove it or choose another folder")
        link.symlink_to(folder.resolve(), target_is_directory=True)
    for label_file in (ENTRY_TABLE, BOX_LIST, TRAIN_VAL_LIST, TEST_LIST):
        found = label_file.find_in(source)
        if found is not None and label_file.find_in(working) is None:
            shutil.copyfile(found, working / found.name)
    return working
