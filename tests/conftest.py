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


@pytest.fixture(scope="session")
def ci_profile():
    from agcnn_lab.profiles import get_profile

    return get_profile("ci")


@pytest.fixture(scope="session")
def ci_phantom(tmp_path_factory, ci_profile) -> Path:
    """The ci profile's phantom (40 patients at 128 px), generated once per test session."""
    from agcnn_lab.data.phantom import generate

    return generate(tmp_path_factory.mktemp("phantom-ci"), ci_profile.phantom_patients, size=ci_profile.phantom_size, seed=ci_profile.seed)


@pytest.fixture(scope="session")
def ci_data(ci_phantom, ci_profile):
    from agcnn_lab.experiment import load_data

    return load_data("phantom", ci_profile, root=ci_phantom, progress=False)


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory, ci_profile, ci_data):
    """A whole ci experiment (three stages, tau chosen on val, test evaluation) on the CPU."""
    import torch

    from agcnn_lab.experiment import run_experiment

    out = tmp_path_factory.mktemp("run-ci")
    return run_experiment(ci_profile, ci_data, out, device=torch.device("cpu"), progress=False)
