"""Read the release's label table, box list and split lists, with all their known quirks.

`read_entries` and `read_boxes` either return every row of the file or raise a TableError
(a ValueError) that names the file and what is wrong: nothing is silently dropped.
"""

from __future__ import annotations

import gzip
import os
import re
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
# Whole numbers as the release writes them ('58'), or as a spreadsheet re-saves them ('58.0').
_WHOLE_NUMBER = re.compile(r"\d{1,18}(?:\.0*)?")
# Editors on Windows open a UTF-8 file with a byte-order mark; it is no part of the first name.
_ENCODING = "utf-8-sig"


class TableError(ValueError):
    """A label table, box list or split list that cannot be read as it is. The message names the file."""


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
        raise TableError(f"{path}: missing required column(s) {wanted}")
    if raw.empty:
        raise TableError(f"{path}: the label table has a header but no rows")
    raw["image"] = _image_names(raw["image"], path)

    labels = raw["labels"].fillna("").astype(str).str.strip()
    empty = raw["image"][labels == ""]
    if len(empty):
        raise TableError(f"{path}: image(s) without a label (not even {NO_FINDING!r}): {_some(empty)}")
    onehot = labels.str.get_dummies(sep="|")
    onehot.columns = [c.strip() for c in onehot.columns]
    onehot = onehot.T.groupby(level=0).max().T  # ' Effusion' and 'Effusion' are one label
    unknown = sorted(set(onehot.columns) - _KNOWN_LABELS)
    if unknown:
        where = {u: _some(raw["image"][onehot[u] > 0], 2) for u in unknown}
        listed = "; ".join(f"{u!r} (e.g. {w})" for u, w in where.items())
        raise TableError(f"{path}: label(s) not among the 14 classes nor {NO_FINDING!r}: {listed}")
    onehot = onehot.reindex(columns=[*CLASSES, NO_FINDING], fill_value=0).astype(np.uint8)
    clash = raw["image"][(onehot[NO_FINDING] == 1) & (onehot[list(CLASSES)].sum(axis=1) > 0)]
    if len(clash):
        raise TableError(f"{path}: {NO_FINDING!r} together with a disease label in {_some(clash)}")

    out = pd.DataFrame(
        {
            "image": raw["image"],
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
        raise TableError(
            f"{path}: expected 6 columns 'Image Index, Finding Label, Bbox [x, y, w, h]', "
            f"found {raw.shape[1]}: {list(raw.columns)}"
        )
    out = raw.iloc[:, :6].copy()
    out.columns = BOX_COLUMNS
    out["image"] = out["image"].fillna("").astype(str).str.strip()
    if (out["image"] == "").any():
        raise TableError(f"{path}: {int((out['image'] == '').sum())} box(es) have no image name")
    out["label"] = out["label"].astype(str).str.strip().replace(LABEL_ALIASES)
    unknown = sorted(set(out["label"]) - set(CLASSES))
    if unknown:
        raise TableError(f"{path}: box label(s) not among the 14 classes: {', '.join(map(repr, unknown))}")
    for c in "xywh":
        values = pd.to_numeric(out[c], errors="coerce")
        if values.isna().any():
            raise TableError(f"{path}: non-numeric {c} for {_some(out['image'][values.isna()])}")
        out[c] = values.astype(float)
    bad = out["image"][(out["w"] <= 0) | (out["h"] <= 0)]
    if len(bad):
        raise TableError(f"{path}: box(es) with zero or negative size for {_some(bad)}")
    return out.reset_index(drop=True)


def read_image_list(path_or_names: str | os.PathLike | Iterable[str]) -> list[str]:
    """An official split list (.txt or .txt.gz, one name a line), or an iterable of names as is.

    A byte-order mark before the first name is dropped: the name would otherwise match no image.
    """
    if isinstance(path_or_names, (str, os.PathLike)):
        path = Path(path_or_names)
        if not path.is_file():
            raise TableError(f"{path}: no such image list")
        opener = gzip.open if path.suffix == ".gz" else open
        try:
            with opener(path, "rt", encoding=_ENCODING) as f:
                return [line.strip() for line in f if line.strip()]
        except (UnicodeDecodeError, OSError, EOFError) as err:
            raise TableError(f"{path}: not a readable image list ({err})") from None
    return [str(n).strip() for n in path_or_names]


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding=_ENCODING)
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: the file is empty or blank (no header, no rows)") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as err:
        raise TableError(f"{path}: not a readable CSV table ({err})") from None
    # The 2017 table's trailing comma and the box list's empty columns come out as 'Unnamed: k'.
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed:") and frame[c].isna().all()]
    return frame.drop(columns=unnamed)


def _image_names(names: pd.Series, path: Path) -> pd.Series:
    """The names trimmed, each once: ' a.png ' and 'a.png' would be two rows of one image."""
    names = names.fillna("").astype(str).str.strip()
    if (names == "").any():
        raise TableError(f"{path}: {int((names == '').sum())} row(s) have no image name")
    duplicated = names[names.duplicated()]
    if len(duplicated):
        raise TableError(f"{path}: image(s) listed twice: {_some(duplicated.drop_duplicates())}")
    return names


def _integers(values: pd.Series, column: str, path: Path, images: pd.Series) -> pd.Series:
    """Whole numbers, or an error naming the rows: a cast would turn '12.5' into 12 unseen."""
    text = values.fillna("").astype(str).str.strip()
    bad = ~text.str.fullmatch(_WHOLE_NUMBER)
    if bad.any():
        shown = [f"{image} ({value!r})" for image, value in zip(images[bad], text[bad], strict=True)]
        raise TableError(f"{path}: non-integer {column!r} for {_some(shown)}")
    return text.str.replace(r"\.0*$", "", regex=True).astype(np.int64)


def _ages(values: pd.Series, path: Path, images: pd.Series) -> pd.Series:
    # Early copies write ages as '058Y'; the years are what the papers use.
    text = values.fillna("").astype(str).str.strip().str.rstrip("Yy")
    return _integers(text, "Patient Age", path, images)


def _some(names: Iterable, k: int = 5) -> str:
    names = list(names)
    shown = ", ".join(map(str, names[:k]))
    return shown + (f" and {len(names) - k} more" if len(names) > k else "")
