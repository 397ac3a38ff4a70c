"""benchmarks/when_zoom_pays.py: the runs it pools are checked before any data is read."""

import json
import sys

import pytest
from repo_scripts import load_script

from agcnn_lab.profiles import get_profile

when_zoom_pays = load_script("benchmarks/when_zoom_pays.py")


def _folder(path, **changes):
    path.mkdir()
    get_profile("ci").with_changes(**changes).write(path / "config.json")
    (path / "run.json").write_text(json.dumps({"profile": "ci", "data": "PhantomCXR-14 (ci)", "tau": 0.7}))
    (path / "predictions.csv").write_text("image,split,branch\n")
    return str(path)


def _main(monkeypatch, *runs):
    monkeypatch.setattr(sys, "argv", ["when_zoom_pays.py", "--run", *runs])
    when_zoom_pays.main()


def test_runs_pooled_must_differ_in_their_seed_alone(tmp_path, monkeypatch):
    first = _folder(tmp_path / "s0")
    other = _folder(tmp_path / "s1", **{"training.seed": 1, "model.attention.tau": 0.5})
    with pytest.raises(SystemExit, match=r"the runs to pool: .*s1 differs from .*s0 beyond its seed \(model.attention.tau"):
        _main(monkeypatch, first, other)
    twin = _folder(tmp_path / "twin")
    with pytest.raises(SystemExit, match="two share a training seed"):
        _main(monkeypatch, first, twin)


def test_a_run_without_predictions_is_named(tmp_path, monkeypatch):
    first = _folder(tmp_path / "s0")
    with pytest.raises(SystemExit, match=r"absent: no run.json"):
        _main(monkeypatch, first, str(tmp_path / "absent"))


def test_by_box_needs_each_runs_attention_boxes(tmp_path, monkeypatch):
    first = _folder(tmp_path / "s0")
    monkeypatch.setattr(sys, "argv", ["when_zoom_pays.py", "--by", "box", "--run", first])
    with pytest.raises(SystemExit, match=r"s0: no attention_boxes.csv; re-run `agcnn-lab evaluate .*s0`"):
        when_zoom_pays.main()


def test_controls_are_one_per_run_and_trained_as_the_crop(tmp_path, monkeypatch):
    base = _folder(tmp_path / "base")
    twin = _folder(tmp_path / "twin", **{"model.attention.box_area": 0.45})
    other = _folder(tmp_path / "other", **{"training.stages.local.epochs": 9})
    monkeypatch.setattr(sys, "argv", ["when_zoom_pays.py", "--run", twin, "--controls", base, other])
    with pytest.raises(SystemExit, match=r"1 run\(s\) but 2 control run\(s\)"):
        when_zoom_pays.main()
    monkeypatch.setattr(sys, "argv", ["when_zoom_pays.py", "--run", other, "--controls", base])
    with pytest.raises(SystemExit, match=r"other differs from its control .*base beyond model.attention.\* \(training.stages.local.epochs"):
        when_zoom_pays.main()


def test_by_findings_reads_a_finished_run_without_boxes(ci_run, tmp_path, monkeypatch, capsys):
    figure = tmp_path / "by_findings.png"
    monkeypatch.setattr(sys, "argv", ["when_zoom_pays.py", "--by", "findings", "--run", str(ci_run.out),
                                      "--n-boot", "20", "--out", str(figure)])
    when_zoom_pays.main()
    printed = capsys.readouterr().out
    assert "### local on the crop - local_whole_film by findings (test, ci profile, one run)" in printed
    assert "| 1 |" in printed and "| 3+ |" in printed and figure.stat().st_size > 0
