"""Import a repository script by its path: scripts/ and benchmarks/ are not installed with the package.

    from repo_scripts import load_script
    colab = load_script("scripts/colab.py")
    zoom = load_script("benchmarks/zoom_experiment.py")
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str) -> ModuleType:
    """The module of ROOT/`relative`, executed once per test session (registered in sys.modules
    under its file name, as `python that/script.py` would let its siblings import it)."""
    path = ROOT / relative
    name = path.stem
    loaded = sys.modules.get(name)
    if loaded is not None and Path(getattr(loaded, "__file__", "")).resolve() == path.resolve():
        return loaded
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there while the class is built
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
