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

    data = ci_profile.data
    return generate(tmp_path_factory.mktemp("phantom-ci"), data.phantom_patients, size=data.phantom_size, seed=data.seed)


@pytest.fixture(scope="session")
def ci_data(ci_phantom, ci_profile):
    from agcnn_lab.experiment import load_data

    return load_data(ci_profile.with_changes(**{"data.root": str(ci_phantom)}), progress=False)


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory, ci_profile, ci_data):
    """A whole ci experiment (three stages, tau chosen on val, test evaluation) on the CPU."""
    import torch

    from agcnn_lab.experiment import run_experiment

    out = tmp_path_factory.mktemp("run-ci")
    return run_experiment(ci_profile, ci_data, out, device=torch.device("cpu"), progress=False)


@pytest.fixture(scope="session")
def ci_explorer(ci_run, ci_data, ci_profile):
    """The attention explorer over the ci run's validation films (the trace tests and the widget's)."""
    from agcnn_lab.attention import AttentionExplorer

    dataset = ci_data.dataset("val", ci_profile.data, with_source=True)
    return AttentionExplorer(ci_run.model.cpu(), dataset, ci_data.boxes)


@pytest.fixture
def no_download_waits(monkeypatch):
    """Downloads retry at once: the tests' servers fail on purpose, nothing is gained by waiting."""
    from agcnn_lab.data import download

    monkeypatch.setattr(download, "RETRY_WAIT_S", 0.0)


# Fixtures that generate data or train: a test that uses one is slow by construction.
HEAVY_FIXTURES = {"ci_phantom", "ci_data", "ci_run", "ci_explorer"}


def pytest_collection_modifyitems(config, items):
    """Mark as `slow` every test that needs the generated phantom or a trained run, and the
    browser tests, so that `pytest -m "not slow"` is the quick loop and `make test` runs all."""
    for item in items:
        if HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
