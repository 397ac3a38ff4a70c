"""Write a PhantomCXR-14 set in the layout of the NIH release, in parallel, reproducibly.

    out/
      images/00000001_000.png ...     8-bit grayscale, size x size
      Data_Entry_2017_v2020.csv       the release's columns and header
      BBox_List_2017.csv              one box per localised finding instance (all 10 classes)
      train_val_list.txt, test_list.txt   split by patient
      phantom.json                    the arguments, so a second call with the same ones is free,
                                      and a checksum of the images, so a cache of older ones is
                                      seen to be stale (recorded_checksum)

`read_entries`, `read_boxes`, `official_split` and the cache read it as they read the
release. Same arguments give the same bytes, whatever the number of workers.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import re
import sys
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from ..nih_release import BOX_LIST, ENTRY_TABLE, TEST_LIST, TRAIN_VAL_LIST
from .difficulty import Difficulty
from .labels import DEFAULT_FLOOR, LabelDistribution
from .patient import Film, Patient

FORMAT = "PhantomCXR-14"
FORMAT_VERSION = 1
MIN_SIZE = 64
MAX_SIZE = 4096
MANIFEST = "phantom.json"
ENTRIES = ENTRY_TABLE.name
BOXES = BOX_LIST.name
TRAIN_VAL = TRAIN_VAL_LIST.name
TEST = TEST_LIST.name
PNG_COMPRESSION = 1  # zlib level: fast to write, and still well below the raw size
FIELD_OF_VIEW_MM = 400.0  # a 1024-px release image spans about 40 cm

_ENTRY_HEADER = (
    "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,"
    "View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]"
)
_BOX_HEADER = "Image Index,Finding Label,Bbox [x,y,w,h],,,"
_BOX_LABEL = {"Infiltration": "Infiltrate"}  # the release's box list spells it so
_IMAGE_NAME = re.compile(r"^\d{8}_\d{3}\.png$")
_SPLIT_TAG = 1_000_005


def generate(
    out_dir: str | os.PathLike,
    n_patients: int,
    size: int = 512,
    seed: int = 0,
    *,
    workers: int | None = None,
    difficulty: Difficulty | None = None,
    prevalence: Mapping[str, float] | None = None,
    prevalence_floor: float = DEFAULT_FLOOR,
    test_fraction: float = 0.2,
    overwrite: bool = False,
) -> Path:
    """Generate (or find, already generated) a PhantomCXR-14 set; returns `out_dir` as a Path.

    n_patients: patients 1..n, with 1-12 images each (2.86 on average, as in the release).
    size: image side in pixels (>= 64); sizes and contrasts scale with it.
    seed: any integer >= 0. Same arguments => byte-identical files, for any `workers`.
    workers: processes (None: all cores). difficulty: sizes and contrasts of the findings.
    prevalence: per-class target prevalences replacing the defaults (real, floored at
    `prevalence_floor`), e.g. {"Nodule": 0.3}; see `labels.py`.
    test_fraction: share of patients in test_list.txt.

    A folder that already holds a complete set made with the same arguments is returned as
    is. A folder holding another phantom set is refused unless `overwrite` (then only the
    phantom's own files are replaced); a non-empty folder that is not a phantom set is
    always refused, so nothing of value is ever deleted.
    """
    settings = _settings(n_patients, size, seed, difficulty, prevalence, prevalence_floor, test_fraction)
    workers = _check_workers(workers)
    labels = LabelDistribution.build(prevalence, prevalence_floor)  # raises on bad overrides
    out = Path(out_dir)
    if _prepare_folder(out, settings, overwrite):
        return out

    _write_manifest(out, settings, complete=False)
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    patients = list(range(1, n_patients + 1))
    chunks = _chunks(patients, workers)
    job = dict(settings=settings, images=str(images))
    with _opencv_single_threaded():
        if workers == 1 or len(chunks) == 1:
            results = [_make_patients(job, chunk, labels) for chunk in chunks]
        else:
            with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=_context(),
                                     initializer=_init_worker) as pool:
                results = list(pool.map(_make_patients, [job] * len(chunks), chunks))

    entries = [row for rows, _, _ in results for row in rows]
    boxes = [row for _, rows, _ in results for row in rows]
    digests = [pair for _, _, pairs in results for pair in pairs]
    _write_tables(out, entries, boxes, settings)
    _write_manifest(out, settings, complete=True, images=len(entries), checksum=_checksum(digests))
    return out


def recorded_checksum(folder: str | os.PathLike) -> str | None:
    """What `folder`'s images are, as generate() recorded it; None for a folder it did not write.

    The image cache keeps this beside its pixels and rebuilds when it changes: a set
    regenerated over an older one (overwrite=True) has other images under the same names.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"{path}: unreadable ({err}); run generate() on {folder} again") from None
    if not found.get("complete"):
        raise ValueError(f"{folder}: an unfinished {FORMAT} set; run generate() on it again")
    if "checksum" in found:
        return found["checksum"]
    # A set from before checksums were recorded: its arguments fix its images.
    settings = json.dumps(found.get("settings"), sort_keys=True)
    return "settings-sha1:" + hashlib.sha1(settings.encode()).hexdigest()


# ---- arguments ------------------------------------------------------------------------------
def _settings(n_patients, size, seed, difficulty, prevalence, floor, test_fraction) -> dict:
    if not _is_int(n_patients) or n_patients < 1:
        raise ValueError(f"n_patients must be a positive integer, got {n_patients!r}")
    if not _is_int(size) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be an integer in [{MIN_SIZE}, {MAX_SIZE}], got {size!r}")
    if not _is_int(seed) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if n_patients > 99_999_999:
        raise ValueError(f"n_patients must fit the 8-digit names of the release, got {n_patients!r}")
    if difficulty is None:
        difficulty = Difficulty()
    if not isinstance(difficulty, Difficulty):
        raise ValueError(f"difficulty must be a Difficulty, got {type(difficulty).__name__}")
    if not isinstance(test_fraction, (int, float)) or not 0 <= test_fraction < 1:
        raise ValueError(f"test_fraction must lie in [0, 1), got {test_fraction!r}")
    if prevalence is not None and not isinstance(prevalence, Mapping):
        raise ValueError(f"prevalence must be a mapping of class name to prevalence, got {prevalence!r}")
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "n_patients": int(n_patients),
        "size": int(size),
        "seed": int(seed),
        "difficulty": difficulty.to_dict(),
        "prevalence": {k: prevalence[k] for k in sorted(prevalence or {})},
        "prevalence_floor": floor,
        "test_fraction": test_fraction,
    }


def _check_workers(workers) -> int:
    if workers is None:
        return os.cpu_count() or 1
    if not _is_int(workers) or workers < 1:
        raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
    return int(workers)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


# ---- the folder -----------------------------------------------------------------------------
def _prepare_folder(out: Path, settings: dict, overwrite: bool) -> bool:
    """True when `out` already holds this very set. Otherwise make it ready, or refuse."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: exists and is not a folder")
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            found = json.loads(manifest.read_text())
        except (OSError, ValueError):
            found = {}
        same = found.get("settings") == json.loads(json.dumps(settings))
        tables = all((out / name).is_file() for name in (ENTRIES, BOXES, TRAIN_VAL, TEST))
        if same and found.get("complete") and tables and _image_count(out) == found.get("images"):
            return True
        if not same and not overwrite:
            raise ValueError(
                f"{out}: holds a phantom set made with other arguments; pass overwrite=True "
                f"to replace it, or choose another folder"
            )
        _remove_phantom_files(out)  # ours only: named as we name them
        return False
    if out.is_dir() and any(out.iterdir()):
        raise ValueError(f"{out}: not empty and not a phantom set (no {MANIFEST}); refusing to write into it")
    return False


def _image_count(out: Path) -> int:
    """How many of our images are on disk: a set whose images were deleted is made again."""
    images = out / "images"
    return sum(1 for entry in os.scandir(images) if _IMAGE_NAME.match(entry.name)) if images.is_dir() else 0


def _remove_phantom_files(out: Path) -> None:
    for name in (ENTRIES, BOXES, TRAIN_VAL, TEST, MANIFEST):
        (out / name).unlink(missing_ok=True)
    images = out / "images"
    if images.is_dir():
        for path in images.iterdir():
            if _IMAGE_NAME.match(path.name):
                path.unlink()


def _write_manifest(
    out: Path, settings: dict, complete: bool, images: int | None = None, checksum: str | None = None
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    body = {"settings": settings, "complete": complete}
    if images is not None:
        body["images"] = images
    if checksum is not None:
        body["checksum"] = checksum
    (out / MANIFEST).write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")


# ---- the work -------------------------------------------------------------------------------
def _chunks(patients: list[int], workers: int) -> list[list[int]]:
    """About four chunks per worker, so that long patients (12 images) balance out."""
    n = max(1, min(len(patients), 4 * workers))
    step = math.ceil(len(patients) / n)
    return [patients[i : i + step] for i in range(0, len(patients), step)]


def _context():
    """fork on Linux: works from scripts without a __main__ guard and starts in milliseconds;
    the workers run only NumPy and OpenCV (one thread), never torch, so a parent's torch
    threads do not matter. Elsewhere spawn, the platforms' safe default."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


@contextmanager
def _opencv_single_threaded():
    """OpenCV on one thread while the films are made, its own setting restored after.

    In one process: a process per core is the parallelism, threads would only fight. Around
    the fork: OpenCV's thread pool does not survive it. Once the parent has used the pool, a
    forked worker that touches OpenCV waits forever on a lock held by a thread it did not
    inherit; with the parent's pool down to one thread while the workers are forked, they
    start clean."""
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(previous)


def _init_worker() -> None:
    cv2.setNumThreads(1)  # one process per core; no threads fighting inside each


def _make_patients(job: dict, patient_ids: list[int], labels: LabelDistribution | None = None):
    """Render and write these patients' films; return their table rows and (name, sha1) pairs."""
    s = job["settings"]
    if labels is None:
        labels = LabelDistribution.build(s["prevalence"], s["prevalence_floor"])
    difficulty = Difficulty.from_dict(s["difficulty"])
    images = Path(job["images"])
    entries, boxes, digests = [], [], []
    for pid in patient_ids:
        patient = Patient(pid, s["seed"], s["size"], labels, difficulty)
        for follow_up in range(patient.n_images):
            film = patient.film(follow_up)
            data = _write_png(images / film.name, film.pixels)
            digests.append((film.name, hashlib.sha1(data).hexdigest()))
            entries.append(_entry_row(film, s["size"]))
            boxes.extend(_box_rows(film))
    return entries, boxes, digests


def _png_parameters() -> list[int]:
    """zlib level 1 with run-length matching and one fixed row filter (average): 2-3x quicker
    than the default adaptive filter, and 10% smaller. Older OpenCVs lack the last two."""
    params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION]
    if hasattr(cv2, "IMWRITE_PNG_STRATEGY_RLE"):
        params += [cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
    if hasattr(cv2, "IMWRITE_PNG_FILTER_AVG"):
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_AVG]
    return params


_PNG_PARAMETERS = _png_parameters()


def _write_png(path: Path, pixels: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", pixels, _PNG_PARAMETERS)
    if not ok:
        raise RuntimeError(f"{path}: PNG encoding failed")
    data = data.tobytes()
    path.write_bytes(data)
    return data


def _checksum(digests: list[tuple[str, str]]) -> str:
    """One SHA-1 over every image's name and SHA-1, in name order: the same for any workers."""
    lines = "".join(f"{name} {digest}\n" for name, digest in sorted(digests))
    return "sha1:" + hashlib.sha1(lines.encode()).hexdigest()


def _entry_row(film: Film, size: int) -> str:
    labels = "|".join(sorted(film.labels)) or "No Finding"  # the release sorts them
    spacing = round(FIELD_OF_VIEW_MM / size, 6)
    return (f"{film.name},{labels},{film.follow_up},{film.patient_id},{film.age},{film.sex},"
            f"{film.view},{size},{size},{spacing},{spacing}")


def _box_rows(film: Film) -> list[str]:
    rows = []
    for lesion in film.lesions:
        x0, y0, x1, y1 = lesion.box
        label = _BOX_LABEL.get(lesion.label, lesion.label)
        rows.append(f"{film.name},{label},{x0:.2f},{y0:.2f},{x1 - x0:.2f},{y1 - y0:.2f}")
    return rows


def _write_tables(out: Path, entries: list[str], boxes: list[str], settings: dict) -> None:
    entries = sorted(entries)
    boxes = sorted(boxes)
    (out / ENTRIES).write_text("\n".join([_ENTRY_HEADER, *entries]) + "\n")
    (out / BOXES).write_text("\n".join([_BOX_HEADER, *boxes]) + "\n")
    rng = np.random.default_rng(np.random.SeedSequence([settings["seed"], _SPLIT_TAG]))
    n = settings["n_patients"]
    test_patients = set((rng.permutation(n)[: round(settings["test_fraction"] * n)] + 1).tolist())
    names = [row.split(",", 1)[0] for row in entries]
    test = [name for name in names if int(name[:8]) in test_patients]
    train_val = [name for name in names if int(name[:8]) not in test_patients]
    (out / TRAIN_VAL).write_text("".join(f"{name}\n" for name in train_val))
    (out / TEST).write_text("".join(f"{name}\n" for name in test))
