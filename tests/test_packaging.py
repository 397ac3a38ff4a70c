"""The install paths agree: pyproject.toml, environment.yml, the Makefile and CI."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_pip_list_matches_pyproject():
    project = _pyproject()["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert [p for p in pip if not p.startswith("-e")] == wanted
    assert "-e ." in pip


def test_console_script_and_loose_torch_range():
    project = _pyproject()["project"]
    assert project["scripts"]["agcnn-lab"] == "agcnn_lab.cli:main"
    torch = [d for d in project["dependencies"] if d.startswith("torch")]
    assert torch == ["torch>=2.6", "torchvision>=0.21"]  # Colab keeps its own CUDA build


def test_ci_runs_make_test_and_nothing_else_of_substance():
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert "make test" in commands
    assert not any("pytest" in c or "pip install" in c for c in commands)


def test_makefile_targets_and_stamp_keyed_on_pyproject():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo:", "test:", "lab:"):
        assert target in makefile
    assert "cksum" in makefile and "pyproject.toml" in makefile
