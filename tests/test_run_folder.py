"""A run folder holds its configuration; nothing trains into it under another, and bad folders are named."""

import json

import pytest
import torch

from agcnn_lab.config import ConfigError, Profile
from agcnn_lab.profiles import get_profile
from agcnn_lab.run_folder import (
    RunFolderError,
    check_run_folder,
    claim_run_folder,
    global_stage_differences,
    read_run_folder,
    seed_replicates,
    start_from_global_stage,
)


def test_claim_writes_the_configuration_and_accepts_the_same_again(tmp_path):
    out = claim_run_folder(tmp_path / "run", get_profile("ci"))
    assert Profile.read(out / "config.json") == get_profile("ci")
    assert claim_run_folder(out, get_profile("ci")) == out


def test_another_configuration_is_refused_naming_the_fields_and_the_way_out(tmp_path):
    out = claim_run_folder(tmp_path / "run", get_profile("ci"))
    with pytest.raises(RunFolderError) as err:
        claim_run_folder(out, get_profile("cpu"))
    message = str(err.value)
    assert "holds a run of another configuration" in message and f"training.stages.global.epochs: 2 -> {get_profile('cpu').training.stage('global').epochs}" in message
    assert f"--config {out / 'config.json'}" in message and "another --out" in message
    assert Profile.read(out / "config.json") == get_profile("ci")  # nothing lost


def test_a_file_an_unwritable_place_and_an_unknown_old_run_are_refused(tmp_path):
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(RunFolderError, match="is a file, not a run folder"):
        check_run_folder(file)
    with pytest.raises(RunFolderError, match="cannot write there"):
        check_run_folder("/proc/agcnn-run")
    old = tmp_path / "old"
    (old / "stage_global").mkdir(parents=True)
    (old / "stage_global" / "last.pt").write_bytes(b"")
    with pytest.raises(RunFolderError, match="holds checkpoints but no config.json"):
        claim_run_folder(old, get_profile("ci"))


def test_reading_a_run_folder_names_what_is_missing_or_broken(tmp_path):
    with pytest.raises(RunFolderError, match="no such run folder"):
        read_run_folder(tmp_path / "absent")
    with pytest.raises(RunFolderError, match="run.json is missing"):
        read_run_folder(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"tau": 0.5, "seconds": {}}))
    with pytest.raises(RunFolderError, match="config.json is missing"):
        read_run_folder(tmp_path)
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(ConfigError, match="config.json: not valid JSON"):
        read_run_folder(tmp_path)
    get_profile("ci").write(tmp_path / "config.json")
    (tmp_path / "run.json").write_text("{broken")
    with pytest.raises(ConfigError, match="run.json: not valid JSON"):
        read_run_folder(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"tau": 0.5, "seconds": {}}))
    profile, run = read_run_folder(tmp_path)
    assert profile == get_profile("ci") and run["tau"] == 0.5


def finished_global_stage(out, profile, epochs=None):
    """A run folder with a stage I checkpointed after `epochs` epochs (default: all of them)."""
    claim_run_folder(out, profile)
    stage = out / "stage_global"
    stage.mkdir()
    epochs = profile.training.stage("global").epochs if epochs is None else epochs
    torch.save({"weights": {"w": torch.ones(2)}, "epoch": epochs - 1}, stage / "last.pt")  # the loop counts from 0
    torch.save({"weights": {"w": torch.ones(2)}, "epoch": epochs, "val_mean_auc": 0.9}, stage / "best.pt")
    (stage / "log.json").write_text(json.dumps([{"epoch": e + 1, "val_mean_auc": 0.9} for e in range(epochs)]))
    return out


def test_a_run_differing_after_stage_one_starts_from_anothers_stage_one(tmp_path):
    ci = get_profile("ci")
    source = finished_global_stage(tmp_path / "base", ci)
    what_if = ci.with_changes(**{"name": "mine", "model.attention.reduce": "cam", "training.stages.local.epochs": 6,
                                 "training.stages.fusion.lr": 0.1, "training.control": False})
    assert global_stage_differences(ci, what_if) == []
    out = start_from_global_stage(source, tmp_path / "twin", what_if)
    assert Profile.read(out / "config.json") == what_if
    for name in ("best.pt", "last.pt", "log.json"):
        assert (out / "stage_global" / name).read_bytes() == (source / "stage_global" / name).read_bytes()
    assert not list(out.glob(".*copying"))
    assert start_from_global_stage(source, out, what_if) == out  # the same copy again: a resume


@pytest.mark.parametrize("change", [{"training.stages.global.epochs": 3}, {"training.seed": 1},
                                    {"data.phantom_preset": "v2"}, {"model.with_no_finding": False}])
def test_a_run_whose_stage_one_would_differ_is_refused_naming_the_field(tmp_path, change):
    ci = get_profile("ci")
    source = finished_global_stage(tmp_path / "base", ci)
    changed = ci.with_changes(**change)
    with pytest.raises(RunFolderError, match=r"field\(s\) that stage I reads differ") as err:
        start_from_global_stage(source, tmp_path / "twin", changed)
    assert next(iter(change)) in str(err.value)
    assert not (tmp_path / "twin").exists()  # refused before anything is written


def test_an_unfinished_or_missing_stage_one_and_a_folder_with_its_own_are_refused(tmp_path):
    ci = get_profile("ci")
    with pytest.raises(RunFolderError, match="not a run folder"):
        start_from_global_stage(tmp_path / "nothing", tmp_path / "twin", ci)
    bare = claim_run_folder(tmp_path / "bare", ci)
    with pytest.raises(RunFolderError, match="no finished stage I"):
        start_from_global_stage(bare, tmp_path / "twin", ci)
    half = finished_global_stage(tmp_path / "half", ci, epochs=1)
    with pytest.raises(RunFolderError, match="stopped after epoch 1 of 2"):
        start_from_global_stage(half, tmp_path / "twin", ci)
    with pytest.raises(RunFolderError, match="names the run folder itself"):
        start_from_global_stage(half, half, ci)
    (half / "stage_global" / "log.json").write_text("[{")
    with pytest.raises(RunFolderError, match="log.json: not a readable epoch log"):
        start_from_global_stage(half, tmp_path / "twin", ci)
    assert not (tmp_path / "twin").exists()

    source = finished_global_stage(tmp_path / "base", ci)
    own = finished_global_stage(tmp_path / "own", ci)
    torch.save({"weights": {"w": torch.zeros(2)}, "epoch": 1}, own / "stage_global" / "last.pt")
    with pytest.raises(RunFolderError, match="already holds a stage I of its own"):
        start_from_global_stage(source, own, ci)


def _seeded(folder, profile, seed):
    folder.mkdir(exist_ok=True)
    profile.with_changes(**{"name": f"seed{seed}", "training.seed": seed}).write(folder / "config.json")
    return folder


def test_one_settings_seeds_are_read_and_anything_beyond_the_seed_is_refused(tmp_path):
    ci = get_profile("ci")
    runs = [_seeded(tmp_path / f"s{seed}", ci, seed) for seed in (0, 1, 2)]
    assert [p.training.seed for p in seed_replicates(runs)] == [0, 1, 2]
    ci.with_changes(**{"training.seed": 1, "model.attention.tau": 0.5}).write(runs[1] / "config.json")
    with pytest.raises(RunFolderError, match=r"the seeds: .*s1 differs from .*s0 beyond its seed \(model.attention.tau: .* -> 0.5\)"):
        seed_replicates(runs, "the seeds")
    _seeded(runs[1], ci, 0)
    with pytest.raises(RunFolderError, match=r"two share a training seed \(0, 0, 2\)"):
        seed_replicates(runs)
    with pytest.raises(RunFolderError, match=r"absent: no config.json"):
        seed_replicates([runs[0], tmp_path / "absent"])
