"""Deterministic train/val/test splits: official, by patient, and by image (to teach leakage)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

from .tables import read_image_list


class Split(NamedTuple):
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


def official_split(
    entries: pd.DataFrame,
    train_val_list: str | os.PathLike | Iterable[str],
    test_list: str | os.PathLike | Iterable[str],
    val_fraction: float = 0.1,
    seed: int = 0,
) -> Split:
    """The release's train_val/test lists; val is carved out of train_val BY PATIENT.

    Names in the lists that `entries` lacks are ignored (entries may be a subset of the
    release), but every entry must be in exactly one list.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction!r}")
    train_val = set(read_image_list(train_val_list))
    test = set(read_image_list(test_list))
    both = sorted(train_val & test)
    if both:
        raise ValueError(f"{len(both)} image(s) are in both lists, e.g. {', '.join(both[:3])}")
    in_train_val = entries["image"].isin(train_val)
    in_test = entries["image"].isin(test)
    orphans = entries["image"][~in_train_val & ~in_test]
    if len(orphans):
        raise ValueError(
            f"{len(orphans)} image(s) are in neither list, e.g. {', '.join(orphans.iloc[:3])}"
        )
    pool = entries[in_train_val]
    train, val = _carve_by_patient(pool, (1.0 - val_fraction, val_fraction), seed)
    return Split(train, val, _reset(entries[in_test]))


def patient_split(
    entries: pd.DataFrame, fractions: tuple[float, float, float] = (0.7, 0.1, 0.2), seed: int = 0
) -> Split:
    """Train/val/test with every patient in exactly one part; fractions count images."""
    return Split(*_carve_by_patient(entries, _check_fractions(fractions), seed))


def image_split(
    entries: pd.DataFrame, fractions: tuple[float, float, float] = (0.7, 0.1, 0.2), seed: int = 0
) -> Split:
    """The paper's random split of IMAGES: kept to show how many patients it leaks."""
    fractions = _check_fractions(fractions)
    order = np.random.default_rng(seed).permutation(len(entries))
    cuts = _cuts(np.ones(len(entries)), fractions)
    return Split(*(_reset(entries.iloc[np.sort(order[a:b])]) for a, b in cuts))


def half_of_patients(images: Iterable[str], seed: int = 0) -> np.ndarray:
    """True for the images of a random half of the patients, read from ChestX-ray14's names
    (PATIENT_FOLLOWUP.png, as the phantom names its films too): two halves for a cross-fit or a
    place-then-score check, no patient on both sides. The same seed gives the same halves."""
    patients = np.array([str(name).split("_")[0] for name in images])
    unique = np.unique(patients)
    np.random.default_rng(seed).shuffle(unique)
    return np.isin(patients, unique[: len(unique) // 2])


def patient_overlap(a: pd.DataFrame, b: pd.DataFrame) -> int:
    """How many patients have images in both frames."""
    return len(set(a["patient_id"]) & set(b["patient_id"]))


def _carve_by_patient(entries: pd.DataFrame, fractions, seed: int) -> list[pd.DataFrame]:
    patients, counts = np.unique(entries["patient_id"].to_numpy(), return_counts=True)
    order = np.random.default_rng(seed).permutation(len(patients))
    parts = []
    for a, b in _cuts(counts[order], fractions):
        chosen = entries["patient_id"].isin(patients[order[a:b]])
        parts.append(_reset(entries[chosen]))
    return parts


def _cuts(weights: np.ndarray, fractions) -> list[tuple[int, int]]:
    """Cut a sequence into consecutive parts whose summed weights approach the fractions."""
    cumulative = np.cumsum(weights)
    total = cumulative[-1] if len(cumulative) else 0
    targets = np.cumsum(fractions)[:-1] * total
    inner = np.searchsorted(cumulative, targets + 1e-9, side="right").tolist()
    bounds = [0, *inner, len(weights)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def _check_fractions(fractions) -> tuple[float, ...]:
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    return fractions


def _reset(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index(drop=True)
