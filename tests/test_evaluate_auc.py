import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from agcnn_lab.data import CLASSES
from agcnn_lab.evaluate import (
    bootstrap_ci,
    mean_auc,
    paired_bootstrap_difference,
    per_class_auc,
    rank_auc,
    seeds_paired_difference,
)


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 14)) < 0.3).astype(int)
    strength = np.linspace(0, 2, 14)  # class k is separable by strength k
    scores = rng.normal(size=(n, 14)) + y * strength
    return y, scores


def test_per_class_auc_is_sklearn_and_mean_skips_undefined_classes():
    y, s = _data()
    aucs = per_class_auc(y, s)
    assert list(aucs) == list(CLASSES)
    assert aucs["Hernia"] == pytest.approx(roc_auc_score(y[:, 13], s[:, 13]))
    assert aucs["Atelectasis"] == pytest.approx(0.5, abs=0.1) and aucs["Hernia"] > 0.85
    y[:, 0] = 0
    assert np.isnan(per_class_auc(y, s)["Atelectasis"])
    assert mean_auc(y, s) == pytest.approx(np.mean([per_class_auc(y, s)[c] for c in CLASSES[1:]]))


def test_rank_auc_equals_sklearn_with_ties():
    y, s = _data(n=120, seed=1)
    s = np.round(s, 1)  # plenty of ties
    expected = [roc_auc_score(y[:, k], s[:, k]) for k in range(14)]
    assert np.allclose(rank_auc(y, s), expected)


def test_bootstrap_interval_contains_the_estimate_and_is_deterministic():
    y, s = _data(n=400)
    ci = bootstrap_ci(y, s, n_boot=200, seed=3)
    again = bootstrap_ci(y, s, n_boot=200, seed=3)
    assert ci == again
    estimate = mean_auc(y, s)
    low, high = ci["mean_auc"]
    assert low < estimate < high and high - low < 0.05
    low, high = ci["Hernia"]
    assert low < per_class_auc(y, s)["Hernia"] < high


def test_shape_and_label_errors():
    y, s = _data(n=10)
    with pytest.raises(ValueError, match="same .N, C. shape"):
        per_class_auc(y, s[:, :5])
    with pytest.raises(ValueError, match="0 or 1"):
        per_class_auc(y * 2, s)


def _two_models(n=400, seed=0, noise_a=1.0, noise_b=1.0):
    """Labels and two score sets with the same signal (strength 1) and their own noise."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 14)) < 0.3).astype(int)
    return y, y + rng.normal(scale=noise_a, size=y.shape), y + rng.normal(scale=noise_b, size=y.shape)


def test_paired_difference_finds_a_planted_difference():
    y, a, _ = _two_models()
    b = a.copy()
    b[:, :4] += np.random.default_rng(1).normal(scale=3, size=(len(b), 4))  # B drowns four classes
    diff = paired_bootstrap_difference(y, a, b, n_boot=200)
    assert diff["mean"] > 0 and diff["ci95"][0] > 0
    for name in CLASSES[:4]:
        assert diff["auc"][name] > 0 and diff["ci95_auc"][name][0] > 0
    assert diff["auc"]["Hernia"] == 0.0 and diff["ci95_auc"]["Hernia"] == [0.0, 0.0]  # untouched class


def test_paired_difference_of_two_equal_models_covers_zero():
    # Ten independent data sets: a 95% interval may miss 0 by chance, so ask for most, not all.
    covered, class_covered = 0, 0
    for seed in range(10):
        y, a, b = _two_models(n=300, seed=seed)
        diff = paired_bootstrap_difference(y, a, b, n_boot=100, seed=seed)
        low, high = diff["ci95"]
        covered += low <= 0 <= high
        class_covered += sum(lo <= 0 <= hi for lo, hi in diff["ci95_auc"].values())
    assert covered >= 8
    assert class_covered >= 0.85 * 10 * 14


def test_paired_difference_of_a_model_with_itself_is_exactly_zero():
    y, a, _ = _two_models(n=200)
    diff = paired_bootstrap_difference(y, a, a.copy(), n_boot=100)
    assert diff["mean"] == 0.0 and diff["ci95"] == [0.0, 0.0]
    assert set(diff["auc"].values()) == {0.0}
    assert all(interval == [0.0, 0.0] for interval in diff["ci95_auc"].values())


def test_paired_difference_point_estimate_is_sklearn_and_json_ready():
    y, a, b = _two_models(n=200, seed=2)
    y[:, 5] = 0  # an undefined class: NaN, and left out of the mean
    diff = paired_bootstrap_difference(y, a, b, n_boot=50)
    for k, name in enumerate(CLASSES):
        if k == 5:
            assert np.isnan(diff["auc"][name]) and np.isnan(diff["ci95_auc"][name]).all()
            continue
        assert diff["auc"][name] == pytest.approx(roc_auc_score(y[:, k], a[:, k]) - roc_auc_score(y[:, k], b[:, k]))
    assert diff["mean"] == pytest.approx(mean_auc(y, a) - mean_auc(y, b))
    text = json.dumps(diff)  # plain floats and lists (NaN as JSON's NaN)
    assert text == json.dumps(paired_bootstrap_difference(y, a, b, n_boot=50))  # seeded: the same
    assert all(type(v) is float for v in [diff["mean"], *diff["ci95"], *diff["auc"].values()])


def test_pairing_narrows_the_interval_of_correlated_models():
    # A and B share most of their noise (same backbone, say) and differ a little in signal: the
    # shared part cancels in a paired replicate, not between two separate bootstraps.
    rng = np.random.default_rng(1)
    y = (rng.random((400, 14)) < 0.3).astype(int)
    shared = y + rng.normal(size=y.shape)
    a = shared + 0.3 * y + rng.normal(scale=0.3, size=y.shape)
    b = shared + rng.normal(scale=0.3, size=y.shape)
    diff = paired_bootstrap_difference(y, a, b, n_boot=200)
    own_low, own_high = bootstrap_ci(y, a, n_boot=200)["mean_auc"]
    low, high = diff["ci95"]
    assert low > 0  # the small true difference is found
    assert high - low < own_high - own_low


def test_paired_difference_shape_errors():
    y, a, b = _two_models(n=20)
    with pytest.raises(ValueError, match=r"scores A \(20, 14\) and B \(20, 5\)"):
        paired_bootstrap_difference(y, a, b[:, :5])
    with pytest.raises(ValueError, match="same .N, C. shape"):
        paired_bootstrap_difference(y[:10], a, b)


def test_seeds_difference_of_one_pair_is_the_paired_difference():
    y, a, b = _two_models(n=200, seed=3)
    one = seeds_paired_difference(y, [a], [b], n_boot=100, seed=5)
    assert one.pop("pairs") == 1
    assert one.pop("each") == [one["mean"]]
    assert json.dumps(one) == json.dumps(paired_bootstrap_difference(y, a, b, n_boot=100, seed=5))


def test_seeds_difference_averages_the_pairs_and_narrows_with_them():
    rng = np.random.default_rng(4)
    y = (rng.random((300, 14)) < 0.3).astype(int)
    pairs = [(y + rng.normal(scale=1.0, size=y.shape), y + rng.normal(scale=1.3, size=y.shape)) for _ in range(3)]
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    pooled = seeds_paired_difference(y, a, b, n_boot=200)
    each = [paired_bootstrap_difference(y, x, z, n_boot=200) for x, z in pairs]
    assert pooled["pairs"] == 3
    assert pooled["each"] == pytest.approx([e["mean"] for e in each])
    assert pooled["mean"] == pytest.approx(np.mean([e["mean"] for e in each]))
    assert pooled["auc"]["Mass"] == pytest.approx(np.mean([e["auc"]["Mass"] for e in each]))
    assert pooled["ci95"][0] > 0  # the planted gain (less noise on A)
    width = pooled["ci95"][1] - pooled["ci95"][0]
    assert width < np.mean([e["ci95"][1] - e["ci95"][0] for e in each])  # three models' noise averages out


def test_seeds_difference_of_equal_models_covers_zero_and_refuses_unpaired_input():
    covered = 0
    for seed in range(10):
        y, a, b = _two_models(n=300, seed=seed)
        rng = np.random.default_rng(seed + 100)
        c, d = (y + rng.normal(size=y.shape) for _ in range(2))
        low, high = seeds_paired_difference(y, [a, c], [b, d], n_boot=100, seed=seed)["ci95"]
        covered += low <= 0 <= high
    assert covered >= 8
    with pytest.raises(ValueError, match="one B for each A: got 2 A and 1 B"):
        seeds_paired_difference(y, [a, c], [b])
    with pytest.raises(ValueError, match="same .N, C. shape"):
        seeds_paired_difference(y, [a, c], [b, d[:10]])
