"""The whole pipeline on the ci profile: files, their columns, reloading, the report."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from agcnn_lab.data import CLASSES
from agcnn_lab.evaluate import mean_auc
from agcnn_lab.experiment import evaluate_run, load_data, load_run


def test_run_writes_every_file(ci_run):
    out = ci_run.out
    for name in ("predictions.csv", "metrics.json", "run.json", "localisation.csv", "tau_sweep.csv"):
        assert (out / name).is_file(), name
    for stage in ("global", "local", "fusion"):
        for name in ("best.pt", "last.pt", "log.csv", "log.json"):
            assert (out / f"stage_{stage}" / name).is_file(), (stage, name)


def test_predictions_csv_lets_anyone_recompute_the_metrics(ci_run, ci_data):
    predictions = pd.read_csv(ci_run.out / "predictions.csv")
    assert list(predictions.columns[:3]) == ["image", "split", "branch"]
    assert [c for c in predictions.columns if c in CLASSES] == list(CLASSES)
    assert [c for c in predictions.columns if c.startswith("true_")] == [f"true_{c}" for c in CLASSES]
    assert set(predictions["split"]) == {"test", "val"} and set(predictions["branch"]) == {"global", "local", "fusion"}
    test_images = len(ci_data.entries("test"))
    metrics = json.loads((ci_run.out / "metrics.json").read_text())
    for branch in ("global", "local", "fusion"):
        rows = predictions[(predictions["split"] == "test") & (predictions["branch"] == branch)]
        assert len(rows) == test_images
        truth = rows[[f"true_{c}" for c in CLASSES]].to_numpy()
        again = mean_auc(truth, rows[list(CLASSES)].to_numpy())
        assert again == pytest.approx(metrics[branch]["mean_auc"], abs=1e-4)
        assert set(metrics[branch]) == {"mean_auc", "auc", "ci95"}
        low, high = metrics[branch]["ci95"]["mean_auc"]
        assert low <= high


def test_tau_was_chosen_on_validation_and_recorded(ci_run, ci_profile):
    run = json.loads((ci_run.out / "run.json").read_text())
    sweep = pd.read_csv(ci_run.out / "tau_sweep.csv")
    assert run["tau"] == ci_run.tau == ci_run.model.attention.tau
    good = sweep[sweep[ci_profile.tau_on] >= ci_profile.min_hit]
    assert ci_run.tau == (good["tau"].max() if len(good) else sweep["tau"].min())
    assert run["sizes"]["test"] > 0 and run["profile"] == "ci"


def test_reloaded_run_gives_the_same_predictions(ci_run, ci_data, ci_profile):
    reloaded = load_run(ci_run.out, ci_profile, torch.device("cpu"))
    assert reloaded.tau == ci_run.tau
    again = evaluate_run(reloaded, ci_data, ci_profile, torch.device("cpu"), progress=False)
    for branch in ("global", "local", "fusion"):
        assert np.allclose(again.test.probs[branch], ci_run.test.probs[branch], atol=1e-5)


def test_load_run_refuses_a_folder_without_training_and_another_profile(tmp_path, ci_run):
    from agcnn_lab.profiles import get_profile

    with pytest.raises(ValueError, match="no finished training run here"):
        load_run(tmp_path, get_profile("ci"))
    with pytest.raises(ValueError, match="trained with profile 'ci', not 'cpu'"):
        load_run(ci_run.out, get_profile("cpu"))


def test_unknown_data_kind_and_missing_root(ci_profile):
    with pytest.raises(ValueError, match="unknown data 'mnist'"):
        load_data("mnist", ci_profile)
    with pytest.raises(ValueError, match="--data nih needs --data-root"):
        load_data("nih", ci_profile)
