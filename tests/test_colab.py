import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from repo_scripts import load_script

colab = load_script("scripts/colab.py")
ROOT = Path(__file__).resolve().parents[1]


def test_links_come_from_the_one_setting():
    repository = "https://github.com/someone/agcnn_lab"
    assert colab.colab_url("00_data.ipynb", repository) == (
        "https://colab.research.google.com/github/someone/agcnn_lab/blob/main/notebooks/00_data.ipynb"
    )
    assert colab.colab_url("00_data.ipynb", repository + ".git", branch="dev").endswith("/someone/agcnn_lab/blob/dev/notebooks/00_data.ipynb")
    assert colab.badge("00_data.ipynb", repository).startswith("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab")
    assert repository in colab.setup_cell_source(repository)
    with pytest.raises(ValueError, match="OWNER/NAME"):
        colab.colab_url("00_data.ipynb", "git@github.com:someone/agcnn_lab.git")
    assert colab.is_placeholder("https://github.com/OWNER/agcnn_lab") and not colab.is_placeholder(repository)


def test_setup_cell_does_nothing_locally(tmp_path):
    """Run the cell in a fresh interpreter outside Colab: no clone, no install, no chdir."""
    code = colab.setup_cell_source() + "\nprint(os.getcwd())\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path)


def test_setup_cell_finds_the_package_from_notebooks_without_an_install(tmp_path):
    """From notebooks/ of a checkout, even a kernel without the package installed imports it."""
    code = colab.setup_cell_source() + "\nimport agcnn_lab, pathlib\nprint(pathlib.Path(agcnn_lab.__file__).resolve().parent)\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT / "notebooks", capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(ROOT / "agcnn_lab")


def test_setup_cell_on_colab_clones_installs_and_chdirs(tmp_path, monkeypatch):
    """Simulate Colab: google.colab imported, git and pip replaced by recorders."""
    calls = []
    checkout = tmp_path / "content" / "agcnn_lab"
    repository = "https://github.com/someone/agcnn_lab"
    source = colab.setup_cell_source(repository).replace(colab.CHECKOUT, str(checkout))

    def fake_run(args, check):
        calls.append(args)
        if args[0] == "git":
            (checkout / "notebooks").mkdir(parents=True)

    monkeypatch.setitem(sys.modules, "google.colab", object())
    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.chdir(tmp_path)
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    saved_path = list(sys.path)
    try:
        exec(compile(source, "setup", "exec"), {})
        assert calls[0][:2] == ["git", "clone"] and repository in calls[0]
        assert calls[1][1:] == ["-m", "pip", "install", "-q", "--no-deps", "-e", str(checkout)]
        assert calls[2][1:] == ["-m", "pip", "install", "-q", *colab.COLAB_EXTRAS]
        assert Path.cwd() == checkout / "notebooks"
        exec(compile(source, "setup", "exec"), {})  # idempotent: no second clone
        assert [c[0] for c in calls].count("git") == 1
    finally:
        sys.path[:] = saved_path


def test_gpu_metadata_and_sync(tmp_path):
    meta = colab.colab_metadata("05_fusion.ipynb")
    assert meta["accelerator"] == "GPU" and meta["colab"]["gpuType"] == "T4"
    assert "accelerator" not in colab.colab_metadata("00_data.ipynb")
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# 01 · Title of it\n"]},
            {"cell_type": "code", "id": "b", "metadata": {}, "source": [colab.SETUP_MARKER + ": old\n"], "outputs": [], "execution_count": 1},
        ],
        "metadata": {"accelerator": "GPU", "colab": {"gpuType": "T4"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(notebook))
    assert colab.sync_notebook(path, "https://github.com/me/fork")
    synced = json.loads(path.read_text())
    assert "".join(synced["cells"][1]["source"]) == colab.setup_cell_source("https://github.com/me/fork")
    assert "accelerator" not in synced["metadata"]
    assert not colab.sync_notebook(path, "https://github.com/me/fork")
    snippet = colab.readme_snippet(tmp_path, "https://github.com/me/fork")
    assert "| [`01_x.ipynb`](notebooks/01_x.ipynb) | Title of it | CPU | [![Open In Colab]" in snippet
    assert "github/me/fork/blob/main/notebooks/01_x.ipynb" in snippet


def test_setup_cell_on_colab_refuses_the_placeholder(tmp_path, monkeypatch):
    source = colab.setup_cell_source("https://github.com/OWNER/agcnn_lab").replace(colab.CHECKOUT, str(tmp_path / "absent"))
    monkeypatch.setitem(sys.modules, "google.colab", object())
    with pytest.raises(SystemExit, match="set REPOSITORY"):
        exec(compile(source, "setup", "exec"), {})
    assert "raise SystemExit" not in colab.setup_cell_source("https://github.com/someone/agcnn_lab")


def test_readme_table_is_the_generated_one():
    readme = ROOT / "README.md"
    text = readme.read_text()
    begin, end = text.index(colab.README_BEGIN), text.index(colab.README_END)
    assert (
        text[begin + len(colab.README_BEGIN) : end].strip()
        == colab.readme_snippet(ROOT / "notebooks").strip()
    ), (
        "README.md's notebook table is stale: run `python scripts/colab.py readme --write README.md`"
    )


def test_update_readme_rewrites_only_the_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{colab.README_BEGIN}\nold table\n{colab.README_END}\noutro\n")
    assert colab.update_readme(readme, ROOT / "notebooks")
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith(f"{colab.README_END}\noutro\n")
    assert "old table" not in text and "00_data.ipynb" in text
    assert not colab.update_readme(readme, ROOT / "notebooks")  # a second run changes nothing


def test_update_readme_without_markers_names_the_file(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no table here\n")
    with pytest.raises(ValueError, match="README.md: no notebook table"):
        colab.update_readme(readme)
    assert readme.read_text() == "no table here\n"
