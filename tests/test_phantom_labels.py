"""PhantomCXR-14 labels: derived from the real label table, floored, raked, sampled."""

import numpy as np
import pytest

from agcnn_lab.data import CLASSES, NO_FINDING
from agcnn_lab.data.phantom import LabelDistribution, Patient
from agcnn_lab.data.phantom.difficulty import Difficulty
from agcnn_lab.data.phantom.labels import (
    DEFAULT_FLOOR,
    REAL_LABEL_SETS,
    committed_statistics,
    derive_real_statistics,
    format_statistics,
    rake,
    read_statistics,
)


@pytest.fixture(scope="module")
def labels():
    return LabelDistribution.build()


def test_committed_table_equals_the_real_file(nih_sample):
    real = derive_real_statistics(nih_sample / "Data_Entry_2017_v2020.csv.gz")
    committed = committed_statistics()
    assert committed == real
    assert sum(n for n, _ in committed.label_sets) == 112_120
    assert sum(committed.images_per_patient) == 30_805


def test_committed_file_is_the_formatted_statistics():
    """The data file is format_statistics's output, so a recount regenerates it byte for byte."""
    from importlib import resources

    text = resources.files("agcnn_lab.data.phantom").joinpath(REAL_LABEL_SETS).read_text(encoding="utf-8")
    assert format_statistics(committed_statistics()) == text
    assert read_statistics(text) == committed_statistics()


def test_targets_are_the_real_prevalences_floored(labels, real_entries):
    real = real_entries[list(CLASSES)].mean()
    for c in CLASSES:
        assert labels.targets[c] == pytest.approx(max(real[c], DEFAULT_FLOOR), abs=1e-12)
    assert labels.targets["Hernia"] == DEFAULT_FLOOR  # 0.2% real
    assert labels.targets["Infiltration"] == pytest.approx(0.1774, abs=1e-4)  # above the floor: real


def test_raking_meets_every_target_exactly(labels):
    achieved = labels.prevalence()
    for c in CLASSES:
        assert achieved[c] == pytest.approx(labels.targets[c], abs=1e-9)
    assert 0.40 < achieved[NO_FINDING] < 0.50  # 53.8% real, less after the floors


def test_raking_keeps_the_real_co_occurrences(labels, real_entries):
    """Lift P(a, b) / (P(a) P(b)) of clinically linked pairs stays well above 1, near the real."""
    p = labels.probabilities
    sets = labels.sets
    y = real_entries[list(CLASSES)].to_numpy(bool)
    for a, b in [("Effusion", "Atelectasis"), ("Cardiomegaly", "Effusion"), ("Edema", "Effusion")]:
        i, j = CLASSES.index(a), CLASSES.index(b)
        lift = (p @ (sets[:, i] & sets[:, j])) / ((p @ sets[:, i]) * (p @ sets[:, j]))
        real_lift = (y[:, i] & y[:, j]).mean() / (y[:, i].mean() * y[:, j].mean())
        assert lift > 1.5 and real_lift > 1.5
        assert 0.5 < lift / real_lift < 2.0


def test_sampled_prevalences_within_four_sigma(labels):
    n = 200_000
    sample = labels.sample(np.random.default_rng(0), n)
    for k, c in enumerate(CLASSES):
        t = labels.targets[c]
        assert abs(sample[:, k].mean() - t) < 4 * np.sqrt(t * (1 - t) / n), c


def test_patient_series_prevalence_and_persistence(labels):
    """3,000 patients' label series (no pixels drawn): marginals and follow-up persistence."""
    series = [s for pid in range(1, 3001) for s in [Patient(pid, 0, 64, labels, Difficulty()).label_series]]
    images = [labels_ for s in series for labels_ in s]
    n = len(images)
    assert 2.6 < n / 3000 < 3.1  # 2.86 images per patient on average
    for c in CLASSES:
        t = labels.targets[c]
        observed = np.mean([c in s for s in images])
        # Images of a patient are correlated: allow for an effective sample half the size.
        assert abs(observed - t) < 4 * np.sqrt(t * (1 - t) / (n / 2)), c
    pairs = [(a, b) for s in series for a, b in zip(s[:-1], s[1:], strict=True)]
    same = np.mean([a == b for a, b in pairs])
    stats = committed_statistics()
    assert abs(same - stats.same_as_previous[0] / stats.same_as_previous[1]) < 0.05


def test_overrides_zero_and_one():
    labels = LabelDistribution.build(prevalence={"Nodule": 0.0, "Cardiomegaly": 1.0})
    p = labels.prevalence()
    assert p["Nodule"] == 0.0 and p["Cardiomegaly"] == pytest.approx(1.0)
    assert p[NO_FINDING] == 0.0


@pytest.mark.parametrize(
    "prevalence, message",
    [
        ({"Nodules": 0.3}, "unknown class 'Nodules'"),
        ({"No Finding": 0.3}, "unknown class 'No Finding'"),
        ({"Nodule": 1.5}, "prevalence of 'Nodule'"),
        ({"Nodule": -0.1}, "prevalence of 'Nodule'"),
        ({"Nodule": "0.3"}, "prevalence of 'Nodule'"),
    ],
)
def test_bad_overrides_raise_clear_errors(prevalence, message):
    with pytest.raises(ValueError, match=message):
        LabelDistribution.build(prevalence=prevalence)


def test_bad_floor_and_infeasible_targets_raise():
    with pytest.raises(ValueError, match="floor"):
        LabelDistribution.build(floor=1.0)
    # Every image with both Hernia and Pneumothorax, yet no image with Nodule: no real set has all.
    with pytest.raises(ValueError, match="cannot be met"):
        LabelDistribution.build(prevalence={"Hernia": 1.0, "Pneumothorax": 1.0, "Edema": 1.0})


def test_rake_is_the_identity_at_the_real_prevalences():
    stats = committed_statistics()
    counts = np.array([n for n, _ in stats.label_sets], float)
    sets = np.array([[c in s.split("|") for c in CLASSES] for _, s in stats.label_sets])
    real = counts @ sets / counts.sum()
    weights = rake(counts, sets, real)
    assert np.allclose(weights, counts / counts.sum(), rtol=1e-6)
