"""The install paths agree: pyproject.toml, environment.yml, the Makefile and CI."""

import os
import subprocess
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


def _make(*args: str) -> str:
    """`make ARGS` as a user at the shell would run it (not as the sub-make of `make test`: no
    inherited flags, no "Entering directory" lines)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True).stdout


def test_make_demo_and_test_run_what_the_readme_says():
    assert "agcnn-lab demo --profile ci --out runs/demo-ci" in _make("-n", "-W", "pyproject.toml", "demo", "PROFILE=ci")
    test = _make("-n", "-W", "pyproject.toml", "test")
    for step in ("ruff check", "-m pytest tests", "--nbval-lax", "scripts/imagenet_weights.py"):
        assert step in test, step


def test_the_install_stamp_is_keyed_on_pyproject():
    stamp = _make("--eval", "print-stamp: ; @echo $(STAMP)", "print-stamp").strip()
    checksum = subprocess.run(["cksum"], input=(ROOT / "pyproject.toml").read_bytes(), capture_output=True,
                              check=True).stdout.split()[0].decode()
    assert stamp == f".venv/.installed-{checksum}"
