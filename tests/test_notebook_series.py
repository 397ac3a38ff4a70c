"""The notebooks train one stage each through train_run(until=...): same order, same tau rule,
nothing trained twice, and run.json only once the run is whole."""

import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from agcnn_lab.experiment import train_run
from agcnn_lab.notebook.series import predict_split, series_dir

CPU = torch.device("cpu")


def test_series_dir_is_one_folder_per_profile(ci_profile, monkeypatch, tmp_path):
    monkeypatch.setenv("AGCNN_RUNS", str(tmp_path))
    assert series_dir(ci_profile) == tmp_path / "notebooks-ci"


def test_until_global_stops_before_tau_and_writes_no_run_json(tmp_path, ci_run, ci_data, ci_profile):
    shutil.copytree(ci_run.out / "stage_global", tmp_path / "stage_global")
    shutil.copy(ci_run.out / "config.json", tmp_path)  # the run's configuration comes with its checkpoints
    run = train_run(ci_profile, ci_data, tmp_path, CPU, progress=False, until="global")
    assert list(run.histories) == ["global"] and run.sweep is None
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "stage_local").exists()
    assert run.histories["global"] == ci_run.histories["global"]


def test_until_local_chooses_tau_as_the_whole_run_does(tmp_path, ci_run, ci_data, ci_profile):
    for stage in ("global", "local"):
        shutil.copytree(ci_run.out / f"stage_{stage}", tmp_path / f"stage_{stage}")
    shutil.copy(ci_run.out / "config.json", tmp_path)
    run = train_run(ci_profile, ci_data, tmp_path, CPU, progress=False, until="local")
    assert run.tau == ci_run.tau == run.model.attention.tau
    pd.testing.assert_frame_equal(run.sweep, pd.read_csv(ci_run.out / "tau_sweep.csv"), check_exact=False)
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "stage_fusion").exists()
    # The notebooks' predictions of the two branches match the full run's test predictions.
    test = predict_split(run.model, ci_data, ci_profile, "test", CPU, branches=("global", "local"), progress=False)
    assert set(test.probs) == {"global", "local"}
    for branch in ("global", "local"):
        np.testing.assert_allclose(test.probs[branch], ci_run.test.probs[branch], atol=1e-5)


def test_until_is_checked(tmp_path, ci_data, ci_profile):
    with pytest.raises(ValueError, match="until must be"):
        train_run(ci_profile, ci_data, tmp_path, CPU, until="stage II")
    with pytest.raises(ValueError, match="until must be"):
        train_run(ci_profile.with_changes(**{"training.joint": True}), ci_data, tmp_path, CPU, until="global")


def test_predict_split_global_only_needs_no_sources(ci_run, ci_data, ci_profile):
    val = predict_split(ci_run.model, ci_data, ci_profile, "val", CPU, branches=("global",), progress=False)
    assert set(val.probs) == {"global"} and np.isnan(val.boxes).all()
    assert len(val.indices) == len(ci_data.entries("val"))


def test_describe_profile_and_environment(ci_profile):
    from agcnn_lab.notebook.series import describe_profile, environment

    text = describe_profile(ci_profile)
    assert text.startswith("profile 'ci': PhantomCXR-14 of 40 patients at 128 px")
    assert "epochs global/local/fusion 2/2/2" in text and "tau chosen on validation" in text
    env = environment()
    assert env["Colab"] == "no" and env["device"].startswith(("cpu", "cuda", "mps"))


def test_find_real_data(tmp_path):
    from agcnn_lab.notebook.series import find_real_data

    nih, npz = tmp_path / "nih", tmp_path / "chestmnist" / "chestmnist_224.npz"
    found = find_real_data(nih, npz)
    assert found.kind is None and "agcnn-lab prepare-nih --root" in found.message and "ChestMNIST" in found.message
    npz.parent.mkdir()
    npz.write_bytes(b"")
    assert find_real_data(nih, npz).kind == "chestmnist"
    (nih / "images").mkdir(parents=True)
    (nih / "Data_Entry_2017_v2020.csv.gz").write_bytes(b"")
    assert find_real_data(nih, npz).kind == "chestmnist"  # a table without images is not data
    (nih / "images" / "00000001_000.png").write_bytes(b"")
    found = find_real_data(nih, npz)
    assert (found.kind, found.root) == ("nih", nih) and "1 images" in found.message


def test_recipe_readiness():
    from agcnn_lab.notebook.series import RealData, recipe_readiness

    none, nih = RealData(None, None, ""), RealData("nih", None, "")
    ready, why = recipe_readiness(torch.device("cpu"), none)
    assert not ready and why == "Not training: no GPU here (device: cpu) and no real data on disk. The cells that need them are skipped; everything else ran."
    ready, why = recipe_readiness(torch.device("cpu"), nih)
    assert not ready and "no GPU" in why and "no real data" not in why
    ready, why = recipe_readiness(torch.device("cuda", 0), none)
    assert not ready and "no GPU" not in why and "no real data" in why
    assert recipe_readiness(torch.device("cuda", 0), nih)[0]


def test_recipe_hours_counts_three_stages_of_fifty_epochs():
    from agcnn_lab.notebook import recipe_hours

    assert recipe_hours(3 * 50 * 1000 / 3600, train_images=1000) == pytest.approx(1.0)  # 150 epochs of 1000 in an hour
    assert recipe_hours(100, train_images=3600, epochs=1, stages=1) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="images_per_second must be > 0"):
        recipe_hours(0)


def test_train_recipe_uses_torchrun_with_two_gpus_and_trains_here_otherwise(tmp_path, monkeypatch):
    from agcnn_lab.notebook import series
    from agcnn_lab.profiles import get_profile

    calls = []
    monkeypatch.setattr("agcnn_lab.experiment.load_data", lambda profile: "data")
    monkeypatch.setattr("agcnn_lab.experiment.run_experiment", lambda *a, **k: calls.append(("here", a[2])) or "experiment")
    monkeypatch.setattr("agcnn_lab.experiment.load_run", lambda out, device: calls.append(("load", out)) or "run")
    monkeypatch.setattr("agcnn_lab.experiment.evaluate_run", lambda run, data, device: "evaluated")
    profile = get_profile("ci")
    assert series.train_recipe(profile, tmp_path / "run", torch.device("cpu")) == ("experiment", "data")
    assert calls == [("here", tmp_path / "run")]
    calls.clear()
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    result = series.train_recipe(profile, tmp_path / "run", torch.device("cuda", 0), run=lambda cmd, check: calls.append(cmd))
    assert result == ("evaluated", "data")
    command = calls[0]
    assert "--nproc_per_node=2" in command and command[command.index("--out") + 1] == str(tmp_path / "run")
    from agcnn_lab.config import Profile

    assert Profile.read(command[command.index("--config") + 1]) == profile


def test_convergence_note_reads_the_last_two_epochs():
    from agcnn_lab.notebook import convergence_note

    def history(*aucs):
        return [{"epoch": k + 1, "val_mean_auc": a} for k, a in enumerate(aucs)]

    assert convergence_note(history(0.85, 0.92, 0.944)).startswith("still rising at the last epoch (0.920 -> 0.944, +0.024)")
    assert convergence_note(history(0.90, 0.9405)).startswith("still rising")
    assert convergence_note(history(0.93, 0.931)).startswith("flat at the last epoch")
    assert convergence_note(history(0.94, 0.93)).startswith("falling at the last epoch")
    assert convergence_note(history(0.9)).startswith("one epoch only")


def test_easy_and_hard_names_the_extremes():
    from agcnn_lab.notebook import easy_and_hard

    metrics = {"global": {"auc": {"Effusion": 1.0, "Nodule": 0.70, "Mass": 0.87, "Hernia": float("nan"), "Edema": 0.98}}}
    assert easy_and_hard(metrics, count=2) == "easiest for the global branch: Effusion 1.000, Edema 0.980; hardest: Nodule 0.700, Mass 0.870."
