"""The package's layers: no module imports from a layer above its own.

    base (paths, device) -> data -> config -> models -> attention -> train -> evaluate
        -> report / figures -> widgets -> top (experiment, ablations, cli, notebook)

Every module of agcnn_lab is parsed with `ast` (nothing is imported), each import is resolved to
the module it names, and both ends are mapped to their layer. Imports inside functions count
(they run back up all the same); those under `if TYPE_CHECKING:` do not (they never run). The
failure lists every offending import at once, as file:line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "agcnn_lab"

# Lowest first; a module may import from its own layer and the layers before it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("agcnn_lab", "agcnn_lab.paths", "agcnn_lab.device", "agcnn_lab.paper")),
    ("data", ("agcnn_lab.data",)),
    ("config", ("agcnn_lab.profiles", "agcnn_lab.config", "agcnn_lab.run_folder")),
    ("models", ("agcnn_lab.models",)),
    ("attention", ("agcnn_lab.attention",)),
    ("train", ("agcnn_lab.train",)),
    ("evaluate", ("agcnn_lab.evaluate",)),
    ("report", ("agcnn_lab.report", "agcnn_lab.figures")),
    ("widgets", ("agcnn_lab.widgets",)),
    ("top", ("agcnn_lab.experiment", "agcnn_lab.ablations", "agcnn_lab.cli", "agcnn_lab.__main__", "agcnn_lab.notebook")),
)


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    return {module_name(p, package.parent): p for p in sorted(package.rglob("*.py"))}


def layer_of(module: str) -> tuple[int, str] | None:
    """(rank, name) of the layer whose longest prefix names `module`; None when none does.
    The package itself ("agcnn_lab") names only its __init__, not a catch-all for new modules."""
    best = None
    for rank, (name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module.startswith(prefix + ".") and prefix != PACKAGE.name
            if (module == prefix or inside) and (best is None or len(prefix) > best[2]):
                best = (rank, name, len(prefix))
    return None if best is None else best[:2]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(source: str, module: str, is_package: bool, known: set[str]) -> list[tuple[int, str]]:
    """(line, imported module) of every agcnn_lab import in `source`, the code of `module`,
    skipping `if TYPE_CHECKING:` blocks. `known`: the package's module names, to tell
    `from package import submodule` from `from module import name`."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                name = f"{target}.{alias.name}"
                found.append((node.lineno, name if name in known else target))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    ours = [(line, name) for line, name in found if name == "agcnn_lab" or name.startswith("agcnn_lab.")]
    return list(dict.fromkeys(ours))  # `from .x import a, b`: one import of x


def violations(modules: dict[str, Path]) -> list[str]:
    """'file:line: layer imports higher layer (module)' for every import that runs back up."""
    known = set(modules)
    out = []
    for module, path in modules.items():
        own = layer_of(module)
        for line, target in imports(path.read_text(), module, path.name == "__init__.py", known):
            other = layer_of(target)
            if own is not None and other is not None and other[0] > own[0]:
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                out.append(f"{where}:{line}: {own[1]} ({module}) imports {other[1]} ({target})")
    return out


def test_every_module_has_a_layer():
    unmapped = [name for name in package_modules() if layer_of(name) is None]
    assert not unmapped, f"modules with no layer: {unmapped}; add them to LAYERS in {Path(__file__).name}"


def test_no_layer_imports_a_higher_one():
    found = violations(package_modules())
    assert not found, f"{len(found)} import(s) run back up the layers:\n" + "\n".join(found)


# ---- the checker itself, on planted code
@pytest.fixture
def planted(tmp_path):
    package = tmp_path / "agcnn_lab"
    for relative, code in {
        "__init__.py": "",
        "data/__init__.py": "from .tables import read\n",
        "data/tables.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from ..config import Profile\n"
            "else:\n    from .. import paths\n"
            "def f():\n    from ..evaluate.auc import rank_auc\n"
        ),
        "evaluate/__init__.py": "from ..data import read\nfrom . import auc\n",
        "evaluate/auc.py": "import agcnn_lab.widgets.view\nfrom agcnn_lab import evaluate\n",
        "widgets/__init__.py": "",
        "widgets/view.py": "",
        "paths.py": "",
        "config.py": "",
    }.items():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(code)
    return package


def test_the_checker_resolves_relative_imports_and_skips_type_checking(planted):
    modules = package_modules(planted)
    known = set(modules)
    tables = imports(modules["agcnn_lab.data.tables"].read_text(), "agcnn_lab.data.tables", False, known)
    assert tables == [(5, "agcnn_lab.paths"), (7, "agcnn_lab.evaluate.auc")]  # not config: TYPE_CHECKING
    package = imports(modules["agcnn_lab.evaluate"].read_text(), "agcnn_lab.evaluate", True, known)
    assert package == [(1, "agcnn_lab.data"), (2, "agcnn_lab.evaluate.auc")]
    assert layer_of("agcnn_lab.somewhere_new") is None  # unmapped: test_every_module_has_a_layer says so
    found = violations(modules)
    assert len(found) == 2
    assert found[0].endswith("tables.py:7: data (agcnn_lab.data.tables) imports evaluate (agcnn_lab.evaluate.auc)")
    assert found[1].endswith("auc.py:1: evaluate (agcnn_lab.evaluate.auc) imports widgets (agcnn_lab.widgets.view)")
