"""benchmarks/*.py: a script's defaults never point into docs/, whose figures are the published ones.

A benchmark run left at its default `--out` once replaced docs/figures/tau_effect.png (a three-seed
sweep that BENCHMARKS.md and docs/ describe) with a one-point plot. The defaults now write under
runs/ (untracked); the documented commands name their docs/ file with --out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "benchmarks").glob("*.py"))


def docstring_nodes(tree: ast.Module) -> set[int]:
    """The ids of the docstring constants of the module, its classes and functions (usage lines may name docs/)."""
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                nodes.add(id(first.value))
    return nodes


def paths_into_docs(source: str) -> list[str]:
    """String literals in code (not docstrings) that name a path under docs/."""
    tree = ast.parse(source)
    skip = docstring_nodes(tree)
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
            and node.value.lstrip("./").startswith("docs/")]


def test_the_check_finds_a_default_into_docs():
    planted = ('"""usage: x.py --out docs/figures/a.png"""\n'
               'parser.add_argument("--out", default=Path("docs/figures/a.png"))\n'
               'FIGURES = {"size": "./docs/figures/b.png"}\n')
    assert sorted(paths_into_docs(planted)) == ["./docs/figures/b.png", "docs/figures/a.png"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_no_script_writes_into_docs_by_default(script):
    assert paths_into_docs(script.read_text()) == [], (
        f"{script.relative_to(ROOT)} names a docs/ path in its code: default to runs/figures/ and let the "
        "documented command pass --out docs/figures/..."
    )


def test_there_are_scripts_to_check():
    assert {"tau_effect.py", "when_zoom_pays.py", "zoom_vs_pixels.py"} <= {path.name for path in SCRIPTS}
