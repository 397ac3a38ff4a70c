"""Read the release's label table, box list and split lists, with all their known quirks.

`read_entries` and `read_boxes` either return every row of the file or raise a ValueError
that names the file and what is wrong: nothing is silently dropped.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .classes import CLASSES, LABEL_ALIASES, NO_FINDING

ENTRY_COLUMNS = ["image", "patient_id", "follow_up", "age", "sex", "view"]
BOX_COLUMNS = ["image", "label", "x", "y", "w", "h"]

_RENAME = {
    "Image Index": "image",
    "Finding Labels": "labels",
    "Follow-up #": "follow_up",
    "Patient ID": "patient_id",
    "Patient Age": "age",
    "Patient Gender": "sex",
    "Patient Sex": "sex",  # some copies of the v2020 table
    "View Position": "view",
}
_REQUIRED = ["image", "labels", "follow_up", "patient_id", "age", "sex", "view"]
_KNOWN_LABELS = set(CLASSES) | {NO_FINDING}


def read_entries(path: str | os.PathLike) -> pd.DataFrame:
    """One row per image: image, patient_id, follow_up, age, sex, view, the 14 classes, No Finding.

    Reads the 2017 table (trailing comma in its header) and the v2020 one, plain or gzip'd.
    """
    path = Path(path)
    raw = _read_csv(path)
    raw = raw.rename(columns={c: _RENAME.get(c.strip(), c.strip()) for c in raw.columns})
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        names = {v: k for k, v in _RENAME.items() if k != "Patient Sex"}
        wanted = ", ".join(repr(names[c]) for c in missing)
        raise ValueError(f"{path}: missing required column(s) {wanted}")
    if raw["image"].isna().any():
        raise ValueError(f"{path}: {int(raw['image'].isna().sum())} row(s) have no image name")
    duplicated = raw["image"][raw["image"].duplicated()]
    if len(duplicated):
        raise ValueError(f"{path}: image(s) listed twice: {_some(duplicated)}")

    labels = raw["labels"].fillna("").astype(str).str.strip()
    empty = raw["image"][labels == ""]
    if len(empty):
        raise ValueError(f"{path}: image(s) without a label (not even {NO_FINDING!r}): {_some(empty)}")
    onehot = labels.str.get_dummies(sep="|")
    onehot.columns = [c.strip() for c in onehot.columns]
    onehot = onehot.T.groupby(level=0).max().T  # ' Effusion' and 'Effusion' are one label
    unknown = sorted(set(onehot.columns) - _KNOWN_LABELS)
    if unknown:
        where = {u: _some(raw["image"][onehot[u] > 0], 2) for u in unknown}
        listed = "; ".join(f"{u!r} (e.g. {w})" for u, w in where.items())
        raise ValueError(f"{path}: label(s) not among the 14 classes nor {NO_FINDING!r}: {listed}")
    onehot = onehot.reindex(columns=[*CLASSES, NO_FINDING], fill_value=0).astype(np.uint8)
    clash = raw["image"][(onehot[NO_FINDING] == 1) & (onehot[list(CLASSES)].sum(axis=1) > 0)]
    if len(clash):
        raise ValueError(f"{path}: {NO_FINDING!r} together with a disease label in {_some(clash)}")

    out = pd.DataFrame(
        {
            "image": raw["image"].astype(str).str.strip(),
            "patient_id": _integers(raw["patient_id"], "Patient ID", path, raw["image"]),
            "follow_up": _integers(raw["follow_up"], "Follow-up #", path, raw["image"]),
            "age": _ages(raw["age"], path, raw["image"]),
            "sex": raw["sex"].astype(str).str.strip(),
            "view": raw["view"].astype(str).str.strip(),
        }
    )
    return pd.concat([out, onehot.reset_index(drop=True)], axis=1)


def read_boxes(path: str | os.PathLike) -> pd.DataFrame:
    """The box list: image, label (normalised to CLASSES), x, y, w, h in pixels of the image."""
    path = Path(path)
    raw = _read_csv(path)
    if raw.shape[1] < 6:
        raise ValueError(
            f"{path}: expected 6 columns 'Image Index, Finding Label, Bbox [x, y, w, h]', "
            f"found {raw.shape[1]}: {list(raw.columns)}"
        )
    out = raw.iloc[:, :6].copy()
    out.columns = BOX_COLUMNS
    out["image"] = out["image"].astype(str).str.strip()
    out["label"] = out["label"].astype(str).str.strip().replace(LABEL_ALIASES)
    unknown = sorted(set(out["label"]) - set(CLASSES))
    if unknown:
        raise ValueError(f"{path}: box label(s) not among the 14 classes: {', '.join(map(repr, unknown))}")
    for c in "xywh":
        values = pd.to_numeric(out[c], errors="coerce")
        if values.isna().any():
            raise ValueError(f"{path}: non-numeric {c} for {_some(out['image'][values.isna()])}")
        out[c] = values.astype(float)
    bad = out["image"][(out["w"] <= 0) | (out["h"] <= 0)]
    if len(bad):
        raise ValueError(f"{path}: box(es) with zero or negative size for {_some(bad)}")
    return out.reset_index(drop=True)


def read_image_list(path_or_names: str | os.PathLike | Iterable[str]) -> list[str]:
    """An official split list (.txt or .txt.gz, one name a line), or an iterable of names as is."""
    if isinstance(path_or_names, (str, os.PathLike)):
        path = Path(path_or_names)
        if not path.is_file():
            raise ValueError(f"{path}: no such image list")
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt") as f:
            return [line.strip() for line in f if line.strip()]
    return [str(n).strip() for n in path_or_names]


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as err:
        raise ValueError(f"{path}: not a readable CSV table ({err})") from None
    # The 2017 table's trailing comma and the box list's empty columns come out as 'Unnamed: k'.
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:") and frame[c].isna().all()]
    return frame.drop(columns=unnamed)


def _integers(values: pd.Series, column: str, path: Path, images: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = images[numbers.isna()]
    if len(bad):
        raise ValueError(f"{path}: non-integer {column!r} for {_some(bad)}")
    return numbers.astype(np.int64)


def _ages(values: pd.Series, path: Path, images: pd.Series) -> pd.Series:
    # Early copies write ages as '058Y'; the years are what the papers use.
    text = values.astype(str).str.strip().str.rstrip("Yy")
    return _integers(text, "Patient Age", path, images)


def _some(names: pd.Series, k: int = 5) -> str:
    names = list(names)
    shown = ", ".join(map(str, names[:k]))
    return shown + (f" and {len(names) - k} more" if len(names) > k else "")
