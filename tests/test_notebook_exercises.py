"""The notebooks' self-checks: right answers pass, typical mistakes get their hint, and nothing
a learner types makes a check raise."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from agcnn_lab.data import CLASSES, image_split, read_image_list
from agcnn_lab.data.summary import leakage_table
from agcnn_lab.notebook import exercises as ex


def _run(capsys, check, *args, **kwargs):
    result = check(*args, **kwargs)
    return result, capsys.readouterr().out


GARBAGE = [None, "seven", float("nan"), [1, 2], {"a": 1}, object()]


def test_leaked_patients_is_the_image_level_row_of_the_leakage_table(real_entries, nih_sample):
    table = leakage_table(real_entries, read_image_list(nih_sample / "train_val_list.txt.gz"), read_image_list(nih_sample / "test_list.txt.gz"))
    truth = int(table.loc["image-level 70/10/20 (the paper's)", "patients in train and test"])
    assert ex.leaked_patients(real_entries) == truth > 1000


def test_leaked_images(real_entries, capsys):
    split = image_split(real_entries, (0.7, 0.1, 0.2), 0)
    train_patients = set(split.train["patient_id"])
    truth = sum(p in train_patients for p in split.test["patient_id"])
    assert ex.leaked_test_images(real_entries) == truth > ex.leaked_patients(real_entries)
    ok, out = _run(capsys, ex.check_leaked_images, truth, real_entries)
    assert ok and out.startswith("Correct")
    ok, out = _run(capsys, ex.check_leaked_images, ex.leaked_patients(real_entries), real_entries)
    assert not ok and "PATIENTS" in out
    ok, out = _run(capsys, ex.check_leaked_images, truth + 1, real_entries)
    assert not ok and "split.test" in out


def test_top_pair_is_the_largest_off_diagonal_count(real_entries, capsys):
    labels = real_entries[list(CLASSES)].to_numpy(int)
    both = labels.T @ labels
    np.fill_diagonal(both, 0)
    i, j = np.unravel_index(both.argmax(), both.shape)
    assert ex.top_pair(real_entries) == tuple(sorted((CLASSES[i], CLASSES[j])))
    a, b = ex.top_pair(real_entries)
    assert _run(capsys, ex.check_top_pair, (b, a), real_entries)[0]
    ok, out = _run(capsys, ex.check_top_pair, ("Effusion", "Efusion"), real_entries)
    assert not ok and "Efusion" in out
    ok, out = _run(capsys, ex.check_top_pair, "Effusion", real_entries)
    assert not ok and "two class names" in out
    ok, out = _run(capsys, ex.check_top_pair, ("Hernia", "Mass"), real_entries)
    assert not ok and "diagonal" in out


def test_auc_by_hand(capsys):
    truth = roc_auc_score(ex.AUC_LABELS, ex.AUC_SCORES)
    assert truth == pytest.approx(6 / 9)
    assert _run(capsys, ex.check_auc_by_hand, 0.667)[0]
    assert _run(capsys, ex.check_auc_by_hand, "0.6667")[0]
    ok, out = _run(capsys, ex.check_auc_by_hand, 0.5)
    assert not ok and "coin" in out
    assert not _run(capsys, ex.check_auc_by_hand, 0.7)[0]


def test_extreme_classes(capsys):
    aucs = {c: 0.6 for c in CLASSES} | {"Mass": 0.9, "Hernia": float("nan"), "Nodule": 0.55}
    metrics = {"global": {"auc": aucs}}
    assert _run(capsys, ex.check_extreme_classes, "Mass", "Nodule", metrics)[0]
    ok, out = _run(capsys, ex.check_extreme_classes, "Mass", "Hernia", metrics)
    assert not ok and "NaN" in out


@pytest.mark.parametrize("reduce", ["max", "l1", "l2", "sum"])
def test_heatmap_cell(reduce, capsys):
    f = ex.EXAMPLE_FEATURES.astype(float)
    raw = {"max": np.abs(f).max(0), "l1": np.abs(f).mean(0), "l2": np.sqrt((f**2).mean(0)), "sum": f.sum(0)}[reduce]
    truth = (raw[ex.EXAMPLE_CELL] - raw.min()) / (raw.max() - raw.min())
    assert ex.example_heatmap_value(reduce) == pytest.approx(truth, abs=1e-6)
    assert _run(capsys, ex.check_heatmap_cell, truth, reduce)[0]
    if abs(raw[ex.EXAMPLE_CELL] - truth) > 0.01:
        ok, out = _run(capsys, ex.check_heatmap_cell, raw[ex.EXAMPLE_CELL], reduce)
        assert not ok and "raw value" in out


def test_example_box_is_the_eight_connected_region_in_pixels(capsys):
    # Cells above 0.7: rows 1-3 x columns 1-3 (7 of them), (4, 4) through a corner, and the
    # separate pair at column 6. One cell is 224 / 7 = 32 px.
    assert ex.example_box() == (32.0, 32.0, 160.0, 160.0)
    assert _run(capsys, ex.check_box, (32, 32, 160, 160))[0]
    assert _run(capsys, ex.check_box, np.array([32.2, 32, 160, 159.8]))[0]
    ok, out = _run(capsys, ex.check_box, (1, 1, 5, 5))
    assert not ok and "in pixels" in out
    ok, out = _run(capsys, ex.check_box, (32, 32, 128, 128))  # 4-connectivity's answer
    assert not ok and "8-connectivity" in out
    ok, out = _run(capsys, ex.check_box, (1, 2, 3))
    assert not ok and "four numbers" in out


def test_tau_choice_follows_choose_tau(capsys):
    sweep = pd.DataFrame({"tau": [0.1, 0.3, 0.5, 0.7, 0.9], "hit": [1.0, 0.95, 0.9, 0.8, 0.5], "area": [0.9, 0.6, 0.4, 0.2, 0.05]})
    assert _run(capsys, ex.check_tau, 0.5, sweep, 0.85)[0]
    ok, out = _run(capsys, ex.check_tau, 0.7, sweep, 0.85)
    assert not ok and "only 80%" in out
    ok, out = _run(capsys, ex.check_tau, 0.3, sweep, 0.85)
    assert not ok and "higher tau" in out
    ok, out = _run(capsys, ex.check_tau, 0.42, sweep, 0.85)
    assert not ok and "swept values" in out
    # The rule on single-lesion films reads its own column: there 0.7 is the answer.
    single = sweep.assign(hit_single=[1.0, 1.0, 0.95, 0.9, 0.6])
    assert _run(capsys, ex.check_tau, 0.7, single, 0.85, "hit_single")[0]
    ok, out = _run(capsys, ex.check_tau, 0.9, single, 0.85, "hit_single")
    assert not ok and "only 60%" in out


def test_zoom(capsys):
    assert _run(capsys, ex.check_zoom, 4, 1)[0]
    ok, out = _run(capsys, ex.check_zoom, 4, 4)
    assert not ok and "upsampled" in out
    assert not _run(capsys, ex.check_zoom, 2, 1)[0]


def test_gain(capsys):
    metrics = {"global": {"mean_auc": 0.70}, "fusion": {"mean_auc": 0.745}}
    assert _run(capsys, ex.check_gain, 0.045, metrics)[0]
    ok, out = _run(capsys, ex.check_gain, -0.045, metrics)
    assert not ok and "sign" in out


def test_steps_per_epoch(capsys):
    assert _run(capsys, ex.check_steps_per_epoch, 78, 10_000, 128)[0]
    ok, out = _run(capsys, ex.check_steps_per_epoch, 79, 10_000, 128)
    assert not ok and "drop_last" in out


@pytest.mark.parametrize("answer", GARBAGE)
def test_no_answer_ever_raises(answer, capsys):
    sweep = pd.DataFrame({"tau": [0.5, 0.7], "hit": [0.9, 0.8], "area": [0.4, 0.2]})
    metrics = {"global": {"mean_auc": 0.7, "auc": {"Mass": 0.7}}, "fusion": {"mean_auc": 0.72}}
    checks = [
        lambda a: ex.check_auc_by_hand(a),
        lambda a: ex.check_heatmap_cell(a),
        lambda a: ex.check_box(a),
        lambda a: ex.check_tau(a, sweep, 0.85),
        lambda a: ex.check_zoom(a, a),
        lambda a: ex.check_gain(a, metrics),
        lambda a: ex.check_steps_per_epoch(a, 1000, 128),
        lambda a: ex.check_extreme_classes(a, a, metrics),
        lambda a: ex.check_top_pair(a, pd.DataFrame({c: [1, 1] for c in CLASSES})),
        lambda a: ex.check_leaked_images(a, pd.DataFrame({"image": ["a", "b"], "patient_id": [1, 2]})),
    ]
    for check in checks:
        assert check(answer) is False
    out = capsys.readouterr().out
    if answer is None:
        assert out.count("No answer yet") == len(checks)
