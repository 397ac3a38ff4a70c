"""Shared fixtures: the real NIH sample shipped in data/nih-sample."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NIH_SAMPLE = ROOT / "data" / "nih-sample"


@pytest.fixture(scope="session")
def nih_sample() -> Path:
    return NIH_SAMPLE


@pytest.fixture(scope="session")
def real_entries():
    from agcnn_lab.data import read_entries

    return read_entries(NIH_SAMPLE / "Data_Entry_2017_v2020.csv.gz")
