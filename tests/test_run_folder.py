"""A run folder holds its configuration; nothing trains into it under another, and bad folders are named."""

import json

import pytest

from agcnn_lab.config import ConfigError, Profile
from agcnn_lab.profiles import get_profile
from agcnn_lab.run_folder import RunFolderError, check_run_folder, claim_run_folder, read_run_folder


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
