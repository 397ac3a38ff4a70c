"""The attention effect within strata of the positives (evaluate.strata), the engine of the
effect by lesion size, by the film's number of findings and by the lesion's place in the box."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from agcnn_lab.evaluate.strata import COLUMNS, MIN_POSITIVES, effect_by_stratum


def planted(n=600, seed=0, classes=2):
    """Positives in stratum 0 are seen by the branch and not by its control; in stratum 1 both
    see them alike (one shared score)."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((n, classes), dtype=int)
    stratum = np.full((n, classes), -1)
    branch = rng.normal(0, 1, (n, classes))
    control = branch.copy()
    for k in range(classes):
        films = rng.permutation(n)[:120]
        labels[films, k] = 1
        stratum[films[:60], k] = 0
        stratum[films[60:], k] = 1
        branch[films[:60], k] = rng.normal(2.0, 1, 60)
        control[films[:60], k] = rng.normal(0.0, 1, 60)
        shared = rng.normal(1.5, 1, 60)
        branch[films[60:], k] = shared
        control[films[60:], k] = shared
    return labels, branch, control, stratum


def test_a_planted_gain_is_found_in_its_stratum_and_not_in_the_other():
    labels, branch, control, stratum = planted()
    table = effect_by_stratum(labels, branch, control, stratum, ["gain", "none"], n_boot=300, seed=1)
    assert list(table.columns) == COLUMNS
    gain, none = table.set_index("bin").loc["gain"], table.set_index("bin").loc["none"]
    assert gain["positives"] == 120 and none["positives"] == 120
    assert gain["effect"] > 0.3 and gain["ci_lo"] > 0
    assert none["effect"] == pytest.approx(0.0, abs=1e-12) and none["ci_lo"] <= 0 <= none["ci_hi"]
    # The stratum's AUC: its positives against every negative of the class, weighted by positives.
    k = 0
    keep = (labels[:, k] == 0) | (stratum[:, k] == 0)
    by_hand = roc_auc_score(labels[keep, k], branch[keep, k])
    other = roc_auc_score(labels[(labels[:, 1] == 0) | (stratum[:, 1] == 0), 1],
                          branch[(labels[:, 1] == 0) | (stratum[:, 1] == 0), 1])
    assert gain["auc_branch"] == pytest.approx((by_hand + other) / 2)


def test_runs_pooled_average_their_aucs():
    labels, branch, control, stratum = planted()
    one = effect_by_stratum(labels, branch, control, stratum, ["gain", "none"], n_boot=20)
    weaker = control + 0.0  # a second run whose branch sees nothing more than its control
    two = effect_by_stratum(labels, np.stack([branch, weaker]), np.stack([control, control]), stratum,
                            ["gain", "none"], n_boot=20)
    assert two.loc[0, "effect"] == pytest.approx(one.loc[0, "effect"] / 2)


def test_a_stratum_with_too_few_positives_is_empty_not_noise():
    labels, branch, control, stratum = planted()
    stratum = stratum.copy()
    for k in range(labels.shape[1]):
        rows = np.flatnonzero(stratum[:, k] == 1)
        stratum[rows[MIN_POSITIVES - 1:], k] = -1  # MIN_POSITIVES - 1 left in stratum 1
    table = effect_by_stratum(labels, branch, control, stratum, ["gain", "few"], n_boot=10)
    few = table.set_index("bin").loc["few"]
    assert few["positives"] == 0 and few["classes"] == "" and np.isnan(few["effect"])


def test_bad_inputs_are_refused():
    labels, branch, control, stratum = planted()
    with pytest.raises(ValueError, match="same films and classes"):
        effect_by_stratum(labels, branch[:-1], control, stratum, ["a", "b"])
    with pytest.raises(ValueError, match="reach 1, but 1 name"):
        effect_by_stratum(labels, branch, control, stratum, ["a"])
    with pytest.raises(ValueError, match="n_boot"):
        effect_by_stratum(labels, branch, control, stratum, ["a", "b"], n_boot=0)
    with pytest.raises(ValueError, match="level"):
        effect_by_stratum(labels, branch, control, stratum, ["a", "b"], level=1.0)


def test_columns_are_a_frame_even_without_cells():
    labels = np.zeros((10, 2), dtype=int)
    table = effect_by_stratum(labels, np.zeros((10, 2)), np.zeros((10, 2)), np.full((10, 2), -1), ["only"], n_boot=5)
    assert isinstance(table, pd.DataFrame) and table["positives"].tolist() == [0]
