"""What the label table says: prevalence, co-occurrence, images per patient, views, leakage.

    entries = read_entries("data/nih-sample/Data_Entry_2017_v2020.csv.gz")
    prevalence(entries)                    # count and % of each of the 14 + No Finding
    cooccurrence(entries)                  # 14 x 14 image counts
    leakage_table(entries, train_val, test)  # patients each split puts in two parts
    print(sample_summary("data/nih-sample"))
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .classes import CLASSES, NO_FINDING
from .nih_release import ENTRY_TABLE, TEST_LIST, TRAIN_VAL_LIST
from .splits import image_split, official_split, patient_overlap, patient_split
from .tables import read_entries


def prevalence(entries: pd.DataFrame) -> pd.DataFrame:
    """Images with each label, most frequent first, as a count and a percentage."""
    counts = entries[[*CLASSES, NO_FINDING]].sum().sort_values(ascending=False)
    return pd.DataFrame({"images": counts.astype(int), "percent": (100 * counts / len(entries)).round(2)})


def cooccurrence(entries: pd.DataFrame, normalise: bool = False) -> pd.DataFrame:
    """Images carrying both labels (diagonal: the label's count). With normalise, row i gives
    P(column | row i): how often a finding comes with another."""
    labels = entries[list(CLASSES)].astype(int)
    both = labels.T @ labels
    if normalise:
        both = both.div(pd.Series(both.values.diagonal(), index=both.index).clip(lower=1), axis=0)
    return both


def images_per_patient(entries: pd.DataFrame) -> pd.Series:
    """Number of images of each patient."""
    return entries.groupby("patient_id").size().rename("images")


def labels_per_image(entries: pd.DataFrame) -> pd.Series:
    """How many of the 14 diseases each image carries (0 = No Finding)."""
    return entries[list(CLASSES)].sum(axis=1).value_counts().sort_index().rename("images")


def leakage_table(entries: pd.DataFrame, train_val_list, test_list, seed: int = 0) -> pd.DataFrame:
    """For the paper's image-level split, a patient-level split and the official lists: the
    size of each part and the number of patients that appear in two parts."""
    splits = {
        "image-level 70/10/20 (the paper's)": image_split(entries, (0.7, 0.1, 0.2), seed),
        "patient-level 70/10/20": patient_split(entries, (0.7, 0.1, 0.2), seed),
        "official lists (+ val by patient)": official_split(entries, train_val_list, test_list, 0.125, seed),
    }
    rows = []
    for name, split in splits.items():
        rows.append(
            {
                "split": name,
                "train": len(split.train),
                "val": len(split.val),
                "test": len(split.test),
                "patients in train and test": patient_overlap(split.train, split.test),
                "patients in train and val": patient_overlap(split.train, split.val),
            }
        )
    return pd.DataFrame(rows).set_index("split")


def sample_summary(sample_dir: str | os.PathLike) -> str:
    """A printable overview of the real label table in `sample_dir` (data/nih-sample)."""
    sample_dir = Path(sample_dir)
    entries = read_entries(ENTRY_TABLE.require_in(sample_dir))
    per_patient = images_per_patient(entries)
    lines = [
        f"ChestX-ray14 label table ({sample_dir}): {len(entries):,} images of {entries['patient_id'].nunique():,} patients",
        f"images per patient: median {per_patient.median():.0f}, mean {per_patient.mean():.2f}, max {per_patient.max()}",
        f"views: {entries['view'].value_counts().to_dict()}",
        "",
        prevalence(entries).to_string(),
        "",
        leakage_table(
            entries, TRAIN_VAL_LIST.require_in(sample_dir), TEST_LIST.require_in(sample_dir)
        ).to_string(),
        "",
        f"{len(list((sample_dir / 'images').glob('*.png')))} real radiographs in {sample_dir / 'images'}",
    ]
    return "\n".join(lines)


def box_sizes(boxes: pd.DataFrame) -> pd.DataFrame:
    """Per label (most lesions first): the number of ground-truth boxes and their median width,
    height and area, as percentages of the image. `boxes` are normalised (x0, y0, x1, y1)."""
    sizes = boxes.assign(
        width=100 * (boxes["x1"] - boxes["x0"]),
        height=100 * (boxes["y1"] - boxes["y0"]),
        area=100 * (boxes["x1"] - boxes["x0"]) * (boxes["y1"] - boxes["y0"]),
    )
    table = sizes.groupby("label").agg(
        boxes=("image", "size"), **{"width %": ("width", "median"), "height %": ("height", "median"), "area %": ("area", "median")}
    )
    return table.sort_values(["boxes", "area %"], ascending=[False, True]).round(2)
