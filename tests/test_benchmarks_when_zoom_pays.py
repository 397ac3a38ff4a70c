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
