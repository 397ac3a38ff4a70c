"""The committed notebooks: executed in order, with the conventions of the series.

These read the .ipynb files only (fast, no kernel); `make notebooks` executes them under nbval.
"""

import json
import re
from pathlib import Path

import nbformat
import pytest
from repo_scripts import load_script

colab = load_script("scripts/colab.py")
GPU_NOTEBOOKS, setup_cell_source = colab.GPU_NOTEBOOKS, colab.setup_cell_source

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = [
    "00_data.ipynb",
    "01_global_baseline.ipynb",
    "02_attention_maps.ipynb",
    "03_crop_threshold.ipynb",
    "04_local_branch.ipynb",
    "05_fusion.ipynb",
    "06_real_data_gpu.ipynb",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _load(name):
    return json.loads((NOTEBOOK_DIR / name).read_text())


def _code(notebook):
    return [c for c in notebook["cells"] if c["cell_type"] == "code"]


def _source(cell) -> str:
    return "".join(cell["source"])


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append("".join(out["text"]))
        elif "data" in out:
            parts.append("".join(out["data"].get("text/plain", "")))
    return "".join(parts)


def test_the_series_is_complete():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) == NAMES
    assert (NOTEBOOK_DIR / "sanitize.cfg").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_valid_and_executed_top_to_bottom(name):
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(notebook)
    cells = _code(notebook)
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, f"{name}: unexecuted code cell(s) at {[i for i, c in enumerate(counts) if c is None]}"
    assert counts == list(range(1, len(cells) + 1)), f"{name}: cells were not run once each, in order, after a restart: {counts}"
    for k, cell in enumerate(cells):
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert not errors, f"{name}: code cell {k} raised {errors[0]['ename']}"
    assert notebook.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_setup_then_parameters(name):
    cells = _code(_load(name))
    assert _source(cells[0]) == setup_cell_source(), f"{name}: run `python scripts/colab.py sync notebooks`"
    parameters = _source(cells[1])
    assert parameters.startswith("# Parameters")
    assert re.search(r'^PROFILE = os\.environ\.get\("AGCNN_PROFILE", "(cpu|gpu)"\)', parameters, re.M)
    assert "pick_device()" in parameters


COMMITTED_PROFILE = "cpu"  # what a reader on GitHub sees: benchmarks/run_notebooks.py --profile cpu


def _profiles() -> dict[str, str]:
    profiles = {}
    for name in NAMES:
        output = _text(_code(_load(name))[1])
        match = re.match(r"profile '(\w+)'", output)
        assert match, f"{name}: the parameters cell does not print the profile"
        profiles[name] = match.group(1)
    return profiles


def test_all_notebooks_were_executed_with_one_profile():
    profiles = _profiles()
    assert len(set(profiles.values())) == 1, f"the committed notebooks mix profiles {profiles}: run benchmarks/run_notebooks.py"


def test_committed_outputs_come_from_the_cpu_profile():
    profiles = _profiles()
    assert set(profiles.values()) == {COMMITTED_PROFILE}, (
        f"committed outputs come from {sorted(set(profiles.values()))}: run "
        f"`.venv/bin/python benchmarks/run_notebooks.py --profile {COMMITTED_PROFILE}` before committing"
    )


@pytest.mark.parametrize("name", NAMES)
def test_no_code_cell_names_a_device(name):
    for cell in _code(_load(name)):
        assert "cuda" not in _source(cell).lower(), f"{name}: a code cell hardcodes the device: {_source(cell)[:80]!r}"


@pytest.mark.parametrize("name", NAMES)
def test_colab_asks_for_a_gpu_where_it_should(name):
    metadata = _load(name)["metadata"]
    if name in GPU_NOTEBOOKS:
        assert metadata.get("accelerator") == "GPU" and metadata["colab"].get("gpuType")
    else:
        assert "accelerator" not in metadata


@pytest.mark.parametrize("name", NAMES)
def test_checked_outputs(name):
    """At least two cells compare their output under nbval; it is there, and holds nothing
    that depends on the machine or the profile."""
    checked = [c for c in _code(_load(name)) if _source(c).startswith("# NBVAL_CHECK_OUTPUT")]
    assert len(checked) >= 2, f"{name}: {len(checked)} NBVAL_CHECK_OUTPUT cell(s)"
    for cell in checked:
        text = _text(cell)
        assert text.strip(), f"{name}: a checked cell has no output"
        assert not [o for o in cell["outputs"] if o.get("name") == "stderr"], f"{name}: a checked cell writes to stderr"
        for marker in ("profile '", "device:", "runs/", "seconds", "0x"):
            assert marker not in text, f"{name}: a checked cell's output depends on the run ({marker!r})"


@pytest.mark.parametrize("name", NAMES)
def test_widgets_are_ignored_and_not_stored(name):
    notebook = _load(name)
    assert "widgets" not in notebook["metadata"], "widget state without 'state' breaks GitHub's renderer"
    for cell in _code(notebook):
        if "tau_explorer(" in _source(cell):
            assert "# NBVAL_IGNORE_OUTPUT" in _source(cell)
        assert not [o for o in cell["outputs"] if WIDGET_VIEW in o.get("data", {})]


@pytest.mark.parametrize("name", NAMES)
def test_objectives_exercises_solutions_summary(name):
    cells = _load(name)["cells"]
    markdown = [_source(c) for c in cells if c["cell_type"] == "markdown"]
    assert markdown[0].startswith("# ") and "**Learning objectives.**" in markdown[0]
    assert markdown[-1].startswith("## Summary")
    exercises = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and re.search(r"^check_\w+\(", _source(c), re.M)]
    assert 1 <= len(exercises) <= 3
    for i in exercises:
        assert re.search(r"^answer|^\w+, \w+ = None", _source(cells[i]), re.M), "an exercise starts unanswered"
        following = _source(cells[i + 1])
        assert cells[i + 1]["cell_type"] == "markdown" and following.startswith("<details><summary><b>Solution</b>")
        assert following.rstrip().endswith("</details>")


def test_sanitize_file_covers_paths_timings_addresses_and_bars():
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns((NOTEBOOK_DIR / "sanitize.cfg").read_text())
    assert len(patterns) >= 6

    def sanitize(text):
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    assert sanitize("report: /home/me/agcnn_lab/runs/demo/report.md") == sanitize("report: /content/agcnn_lab/runs/demo/report.md")
    assert sanitize(r"C:\Users\me\agcnn_lab\runs\x.csv") == sanitize("/home/me/agcnn_lab/runs/x.csv")
    assert sanitize("one step: 8.05 s, then 120 ms, 3.2 min") == sanitize("one step: 0.31 s, then 7 ms, 12 min")
    assert sanitize("<Figure at 0x7f3a2b1c9d90>") == sanitize("<Figure at 0x55d0c0ffee11>")
    assert sanitize("predict: 50%|█████     | 1/2 [00:01<00:01,  1.2it/s]") == "<PROGRESS>"
    assert sanitize("device: cuda:0 (NVIDIA T4)") == sanitize("device: cpu (2 threads)")
    # What the checked cells print must survive: numbers, fractions, shapes, tables.
    for text in ("epoch 1/2: 0.841 (0.835-0.847)", "(2, 1, 224, 224)", "train 75,705 | val 10,819", "G -> L -> F  0.841"):
        assert sanitize(text) == text


@pytest.mark.parametrize("name", NAMES)
def test_colab_sync_has_nothing_to_change(name, tmp_path):
    """The setup cell and the Colab metadata are what scripts/colab.py generates."""
    import shutil

    copy = tmp_path / name
    shutil.copy(NOTEBOOK_DIR / name, copy)
    assert not colab.sync_notebook(copy), f"{name}: run `python scripts/colab.py sync notebooks`"
