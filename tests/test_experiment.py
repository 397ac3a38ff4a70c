"""The whole pipeline on the ci profile: files, their columns, reloading, the report."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from agcnn_lab.config import Profile
from agcnn_lab.data import CLASSES
from agcnn_lab.evaluate import mean_auc
from agcnn_lab.evaluate.auc import per_class_auc
from agcnn_lab.experiment import evaluate_run, load_data, load_run, train_run, validation_tau_sweep

BRANCHES = ("global", "local", "fusion", "local_whole_film", "fusion_whole_film")


def test_run_writes_every_file(ci_run):
    out = ci_run.out
    for name in ("predictions.csv", "attention_boxes.csv", "metrics.json", "run.json", "localisation.csv",
                 "tau_sweep.csv"):
        assert (out / name).is_file(), name
    for stage in ("global", "local", "fusion"):
        for name in ("best.pt", "last.pt", "log.csv", "log.json"):
            assert (out / f"stage_{stage}" / name).is_file(), (stage, name)
    for stage in ("local", "fusion"):  # the whole-film control's stages II and III
        assert (out / "whole_film" / f"stage_{stage}" / "best.pt").is_file(), stage


def test_predictions_csv_lets_anyone_recompute_the_metrics(ci_run, ci_data):
    predictions = pd.read_csv(ci_run.out / "predictions.csv")
    assert list(predictions.columns[:3]) == ["image", "split", "branch"]
    assert [c for c in predictions.columns if c in CLASSES] == list(CLASSES)
    assert [c for c in predictions.columns if c.startswith("true_")] == [f"true_{c}" for c in CLASSES]
    assert set(predictions["split"]) == {"test", "val"} and set(predictions["branch"]) == set(BRANCHES)
    test_images = len(ci_data.entries("test"))
    metrics = json.loads((ci_run.out / "metrics.json").read_text())
    for branch in BRANCHES:
        rows = predictions[(predictions["split"] == "test") & (predictions["branch"] == branch)]
        assert len(rows) == test_images
        truth = rows[[f"true_{c}" for c in CLASSES]].to_numpy()
        again = mean_auc(truth, rows[list(CLASSES)].to_numpy())
        assert again == pytest.approx(metrics[branch]["mean_auc"], abs=1e-4)
        assert set(metrics[branch]) == {"mean_auc", "auc", "ci95"}
        low, high = metrics[branch]["ci95"]["mean_auc"]
        assert low <= high


def test_attention_boxes_csv_holds_the_crop_of_every_scored_film(ci_run, ci_data):
    boxes = pd.read_csv(ci_run.out / "attention_boxes.csv")
    predictions = pd.read_csv(ci_run.out / "predictions.csv")
    assert list(boxes.columns) == ["image", "split", "x0", "y0", "x1", "y1"]
    scored = predictions[predictions["branch"] == "local"][["image", "split"]]
    assert sorted(map(tuple, boxes[["image", "split"]].to_numpy())) == sorted(map(tuple, scored.to_numpy()))
    corners = boxes[["x0", "y0", "x1", "y1"]].to_numpy()
    assert np.isfinite(corners).all() and (corners[:, 2] > corners[:, 0]).all() and (corners[:, 3] > corners[:, 1]).all()
    # The boxes localisation.csv scores: its pointing game, recomputed from the file.
    from agcnn_lab.evaluate.localisation import localisation_table
    truth = ci_data.boxes
    test = boxes[boxes["split"] == "test"].drop(columns="split")
    again = localisation_table(test, truth[truth["image"].isin(set(test["image"]))])
    written = pd.read_csv(ci_run.out / "localisation.csv", index_col=0)
    assert again["hit"].to_numpy() == pytest.approx(written["hit"].to_numpy(), abs=1e-3)


def test_tau_was_chosen_on_validation_and_recorded(ci_run, ci_profile):
    run = json.loads((ci_run.out / "run.json").read_text())
    sweep = pd.read_csv(ci_run.out / "tau_sweep.csv")
    assert run["tau"] == ci_run.tau == ci_run.model.attention.tau
    good = sweep[sweep[ci_profile.model.attention.tau_on] >= ci_profile.model.attention.min_hit]
    assert ci_run.tau == (good["tau"].max() if len(good) else sweep["tau"].min())
    assert run["sizes"]["test"] > 0 and run["profile"] == "ci"


def test_the_validation_tau_sweep_cuts_the_boxes_of_the_profile_it_is_given(ci_run, ci_data, ci_profile):
    """The run's own sweep again from its model and profile; with another box rule in the
    profile (notebook 03's 'Try it'), that rule's boxes, not the model's."""
    device = torch.device("cpu")
    again = validation_tau_sweep(ci_run.model, ci_data, ci_profile, device)
    pd.testing.assert_frame_equal(again, pd.read_csv(ci_run.out / "tau_sweep.csv"), check_dtype=False, atol=1e-9)
    centred = validation_tau_sweep(ci_run.model, ci_data, ci_profile.with_changes(**{"model.attention.box_area": 0.3}),
                                   device)
    assert centred["area"].to_numpy() == pytest.approx(0.3, abs=0.01)
    assert not np.allclose(centred["area"], again["area"])


def test_reloaded_run_gives_the_same_predictions(ci_run, ci_data, ci_profile):
    reloaded = load_run(ci_run.out, torch.device("cpu"))
    assert reloaded.tau == ci_run.tau
    again = evaluate_run(reloaded, ci_data, torch.device("cpu"), progress=False)
    for branch in BRANCHES:
        assert np.allclose(again.test.probs[branch], ci_run.test.probs[branch], atol=1e-5), branch


def test_metrics_hold_the_attention_effect_crop_minus_whole_film(ci_run):
    metrics = json.loads((ci_run.out / "metrics.json").read_text())
    effect = metrics["attention_effect"]
    labels = ci_run.test.labels
    for branch, control in (("local", "local_whole_film"), ("fusion", "fusion_whole_film")):
        assert effect[branch]["mean"] == pytest.approx(metrics[branch]["mean_auc"] - metrics[control]["mean_auc"], abs=1e-9)
        crop, whole = per_class_auc(labels, ci_run.test.probs[branch]), per_class_auc(labels, ci_run.test.probs[control])
        for c in CLASSES:
            if np.isfinite(crop[c]):
                assert effect[branch]["auc"][c] == pytest.approx(crop[c] - whole[c], abs=1e-9)
        low, high = effect[branch]["ci95"]
        assert low <= effect[branch]["mean"] <= high


def test_the_control_trains_from_the_same_start_for_the_same_epochs(tmp_path, ci_profile, ci_data, monkeypatch):
    """Fairness: the crop's and the whole film's stage II start from the same local weights and
    the same global branch, run the same epochs with the same learning rates, and differ in
    the local branch's input only."""
    import agcnn_lab.experiment as experiment

    seen = []
    real = experiment.train_stage

    def recording(stage, model, *args, **kwargs):
        if stage == "local":
            seen.append((model, {k: v.clone() for k, v in model.local_branch.state_dict().items()}))
        return real(stage, model, *args, **kwargs)

    monkeypatch.setattr(experiment, "train_stage", recording)
    run = train_run(ci_profile, ci_data, tmp_path, torch.device("cpu"), progress=False)
    (crop_model, crop_start), (whole_model, whole_start) = seen
    assert whole_model is run.control and crop_model is run.model
    assert whole_model.global_branch is crop_model.global_branch
    assert crop_start.keys() == whole_start.keys()
    assert all(torch.equal(crop_start[k], whole_start[k]) for k in crop_start)
    assert (crop_model.attention.crop_from, whole_model.attention.crop_from) == ("source", "whole")
    assert crop_model.attention.crop_size == whole_model.attention.crop_size
    for stage in ("local", "fusion"):
        crop_log = run.histories[stage]
        whole_log = run.histories[f"{stage}_whole_film"]
        assert [(e["epoch"], e["lr"]) for e in crop_log] == [(e["epoch"], e["lr"]) for e in whole_log]
        trained = [e["epoch"] for e in crop_log if e["epoch"] > 0]
        assert trained == list(range(1, ci_profile.training.stage(stage).epochs + 1))
        # stage III also scores its start (the ensemble of the two branches) as epoch 0
        assert [e["epoch"] for e in crop_log if e["epoch"] == 0] == ([0] if stage == "fusion" else [])
    assert json.loads((tmp_path / "run.json").read_text())["control"] == "whole_film"


def test_train_fraction_shortens_stages_two_and_three_for_the_crop_and_the_control(tmp_path, ci_profile, ci_data, monkeypatch):
    import agcnn_lab.train.stages as stages

    films = []
    real = stages.make_loader

    def recording(dataset, *args, **kwargs):
        films.append(len(dataset))
        return real(dataset, *args, **kwargs)

    monkeypatch.setattr(stages, "make_loader", recording)
    profile = ci_profile.with_changes(**{"training.train_fraction": 0.5})
    train_run(profile, ci_data, tmp_path, torch.device("cpu"), progress=False)
    every, half = len(ci_data.entries("train")), round(len(ci_data.entries("train")) * 0.5)
    epochs = [profile.training.stage(s).epochs for s in ("global", "local", "fusion", "local", "fusion")]
    assert films == [n for n, e in zip([every, half, half, half, half], epochs, strict=True) for _ in range(e)]
    assert Profile.read(tmp_path / "config.json").training.train_fraction == 0.5


def test_no_control_trains_only_the_three_stages(tmp_path, ci_profile, ci_data):
    run = train_run(ci_profile.with_changes(**{"training.control": False}), ci_data, tmp_path, torch.device("cpu"), progress=False)
    assert run.control is None and not (tmp_path / "whole_film").exists()
    assert json.loads((tmp_path / "run.json").read_text())["control"] is None


def test_load_run_needs_the_folder_alone(tmp_path, ci_run):
    reloaded = load_run(ci_run.out, torch.device("cpu"))
    assert reloaded.profile == ci_run.profile and reloaded.tau == ci_run.tau
    with pytest.raises(ValueError, match="no finished training run here"):
        load_run(tmp_path)


def test_resuming_under_another_configuration_is_refused_and_loses_nothing(tmp_path, ci_profile, ci_data):
    train_run(ci_profile.with_changes(**{"training.control": False}), ci_data, tmp_path, torch.device("cpu"), progress=False)
    before = (tmp_path / "stage_global" / "last.pt").read_bytes()
    other = ci_profile.with_changes(**{"training.control": False, "model.attention.tau": 0.5})
    with pytest.raises(ValueError, match=r"model.attention.tau: 0.7 -> 0.5"):
        train_run(other, ci_data, tmp_path, torch.device("cpu"), progress=False)
    assert (tmp_path / "stage_global" / "last.pt").read_bytes() == before


def test_a_validation_split_without_a_defined_auc_stops_before_training(tmp_path, ci_profile, ci_data):
    import dataclasses

    from agcnn_lab.data.classes import CLASSES

    entries, source = ci_data.parts["val"]
    healthy = entries.copy()
    healthy[list(CLASSES)] = 0
    broken = dataclasses.replace(ci_data, parts={**ci_data.parts, "val": (healthy, source)})
    with pytest.raises(ValueError, match="validation split .* has no class with both positive and negative films"):
        train_run(ci_profile, broken, tmp_path, torch.device("cpu"), progress=False)
    assert not (tmp_path / "stage_global").exists()


def test_unknown_data_kind_and_missing_root(ci_profile):
    with pytest.raises(ValueError, match="data.kind must be one of phantom, nih, chestmnist, got 'mnist'"):
        ci_profile.with_changes(**{"data.kind": "mnist"})
    with pytest.raises(ValueError, match="data 'nih' needs data.root"):
        load_data(ci_profile.with_changes(**{"data.kind": "nih"}))
