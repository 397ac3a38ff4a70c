import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from agcnn_lab.data import CLASSES
from agcnn_lab.evaluate import bootstrap_ci, mean_auc, per_class_auc, rank_auc


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
