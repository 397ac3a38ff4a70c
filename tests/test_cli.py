"""The agcnn-lab command: the control flag and where it leads."""

import json

import pytest

from agcnn_lab.cli import build_parser, main


@pytest.mark.parametrize("command", ["demo", "train"])
def test_the_control_runs_by_default_and_no_control_skips_it(command):
    extra = [] if command == "demo" else ["--out", "x"]
    assert build_parser().parse_args([command, *extra]).control is True
    assert build_parser().parse_args([command, *extra, "--no-control"]).control is False


def test_train_no_control_writes_a_run_without_the_control(tmp_path, ci_phantom, capsys):
    out = tmp_path / "run"
    code = main(["train", "--profile", "ci", "--data-root", str(ci_phantom), "--out", str(out), "--no-control"])
    assert code == 0
    assert json.loads((out / "run.json").read_text())["control"] is None
    assert not (out / "whole_film").exists()
    assert f"agcnn-lab evaluate --out {out}" in capsys.readouterr().out
