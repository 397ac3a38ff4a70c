"""The agcnn-lab command: the control flag, configurations, and one-line errors before any data is read."""

import json
import os
import subprocess
import sys

import pytest

from agcnn_lab import experiment
from agcnn_lab.cli import build_parser, main
from agcnn_lab.config import Profile
from agcnn_lab.profiles import get_profile


@pytest.fixture
def no_data(monkeypatch):
    """Fail the test if the command reads any data: its checks must come first."""
    def refuse(*args, **kwargs):
        raise AssertionError("data was loaded before the arguments were checked")

    monkeypatch.setattr(experiment, "load_data", refuse)


@pytest.mark.parametrize("command", ["demo", "train"])
def test_the_control_is_the_configurations_and_no_control_skips_it(command):
    extra = [] if command == "demo" else ["--out", "x"]
    assert build_parser().parse_args([command, *extra]).control is None  # the configuration's: on
    assert build_parser().parse_args([command, *extra, "--no-control"]).control is False
    assert get_profile("cpu").training.control is True


def test_train_no_control_then_evaluate_from_the_folder_alone(tmp_path, ci_phantom, capsys):
    out = tmp_path / "run"
    code = main(["train", "--profile", "ci", "--data-root", str(ci_phantom), "--out", str(out), "--no-control"])
    assert code == 0
    assert json.loads((out / "run.json").read_text())["control"] is None
    assert not (out / "whole_film").exists()
    assert f"agcnn-lab evaluate --out {out}" in capsys.readouterr().out
    saved = Profile.read(out / "config.json")
    assert saved.data.root == str(ci_phantom) and saved.training.control is False
    assert main(["evaluate", "--out", str(out), "--device", "cpu"]) == 0
    assert (out / "metrics.json").is_file() and (out / "report.md").is_file()


def test_resuming_with_another_profile_is_refused_before_any_data(tmp_path, ci_phantom, capsys, monkeypatch):
    out = tmp_path / "run"
    (out).mkdir()
    get_profile("ci").write(out / "config.json")
    monkeypatch.setattr(experiment, "load_data", lambda *a, **k: pytest.fail("data loaded"))
    code = main(["train", "--profile", "cpu", "--data-root", str(ci_phantom), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "holds a run of another configuration" in err
    assert "model.backbone: 'tiny' -> 'mobilenet_v2'" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--profile", "ci", "--out", "{file}"], "is a file, not a run folder"),
        (["train", "--profile", "ci", "--out", "/proc/agcnn-run"], "cannot write there"),
        (["train", "--profile", "ci", "--out", "{tmp}/r", "--device", "cuda:7"], "device"),
        (["train", "--profile", "ci", "--out", "{tmp}/r", "--device", "floppy"], "floppy"),
        (["train", "--config", "{tmp}/absent.json", "--out", "{tmp}/r"], "cannot read the configuration"),
        (["demo", "--profile", "laptop"], "unknown profile 'laptop'"),
        (["evaluate", "--out", "{tmp}"], "run.json is missing"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path, capsys, no_data, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    file = tmp_path / "file"
    file.write_text("x")
    args = [a.format(file=file, tmp=tmp_path) for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("args", [["make-phantom", "--out", "x", "--patients", "0"],
                                  ["prepare-nih", "--root", "x", "--retries", "-1"],
                                  ["prepare-nih", "--root", "x", "--timeout", "0"],
                                  ["make-phantom", "--out", "x", "--patients", "ten"]])
def test_argument_ranges_are_checked_by_the_parser_in_one_line(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and len(err.strip().splitlines()) == 1


def test_config_show_prints_what_config_reads(tmp_path, capsys):
    assert main(["config", "show", "ci"]) == 0
    text = capsys.readouterr().out
    assert Profile.from_json(text) == get_profile("ci")
    path = tmp_path / "mine.json"
    path.write_text(text)
    assert main(["config", "show", str(path)]) == 0
    assert Profile.from_json(capsys.readouterr().out) == get_profile("ci")


def test_a_reader_that_closes_the_pipe_stops_the_command_quietly():
    """`agcnn-lab config show cpu | head -1`: the pipe's reader is gone before the command writes, so
    every write fails (deterministically: the read end is closed before the command starts)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "agcnn_lab", "config", "show", "cpu"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.stderr == ""  # no traceback, no "Exception ignored ... BrokenPipeError"
    assert done.returncode == 141


def test_config_file_runs_a_changed_copy(tmp_path, ci_phantom):
    changed = get_profile("ci").with_changes(**{"training.stages.local.epochs": 1, "training.control": False,
                                                "data.root": str(ci_phantom)})
    path = changed.write(tmp_path / "mine.json")
    out = tmp_path / "run"
    assert main(["train", "--config", str(path), "--out", str(out), "--device", "cpu"]) == 0
    assert Profile.read(out / "config.json") == changed
    assert len(json.loads((out / "stage_local" / "log.json").read_text())) == 1


def test_global_from_trains_stages_two_and_three_on_another_runs_stage_one(tmp_path, ci_phantom, capsys, monkeypatch):
    base, twin = tmp_path / "base", tmp_path / "twin"
    assert main(["train", "--profile", "ci", "--data-root", str(ci_phantom), "--out", str(base), "--no-control",
                 "--device", "cpu"]) == 0
    what_if = get_profile("ci").with_changes(**{"model.attention.reduce": "l2", "training.stages.local.epochs": 1,
                                                "training.control": False, "data.root": str(ci_phantom)})
    path = what_if.write(tmp_path / "what_if.json")
    assert main(["train", "--config", str(path), "--out", str(twin), "--global-from", str(base), "--device", "cpu"]) == 0
    for name in ("best.pt", "log.json"):  # stage I is the base run's, not trained again
        assert (twin / "stage_global" / name).read_bytes() == (base / "stage_global" / name).read_bytes()
    assert len(json.loads((twin / "stage_local" / "log.json").read_text())) == 1
    assert Profile.read(twin / "config.json") == what_if

    other = what_if.with_changes(**{"training.seed": 5}).write(tmp_path / "other.json")
    monkeypatch.setattr(experiment, "load_data", lambda *a, **k: pytest.fail("data loaded"))
    capsys.readouterr()
    code = main(["train", "--config", str(other), "--out", str(tmp_path / "t2"), "--global-from", str(base)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "training.seed: 0 -> 5" in err
    assert not (tmp_path / "t2").exists()
