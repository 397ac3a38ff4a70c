"""Where data and runs live, for a checkout, a Colab clone or an installed package.

- data: $AGCNN_DATA, else the checkout's `data/` folder, else ~/.cache/agcnn_lab/data
- runs: $AGCNN_RUNS, else the checkout's `runs/` folder, else ./runs
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path | None:
    """The checkout holding this package (it has data/nih-sample beside the package), if any."""
    root = PACKAGE_DIR.parent
    return root if (root / "data" / "nih-sample").is_dir() else None


def data_dir() -> Path:
    if os.environ.get("AGCNN_DATA"):
        return Path(os.environ["AGCNN_DATA"])
    root = project_root()
    return root / "data" if root else Path.home() / ".cache" / "agcnn_lab" / "data"


def runs_dir() -> Path:
    if os.environ.get("AGCNN_RUNS"):
        return Path(os.environ["AGCNN_RUNS"])
    root = project_root()
    return root / "runs" if root else Path("runs")


def nih_sample_dir() -> Path:
    """The real sample shipped with the checkout (label table, boxes, lists, 23 images)."""
    for folder in (data_dir() / "nih-sample", (project_root() or PACKAGE_DIR) / "data" / "nih-sample"):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(
        "data/nih-sample is missing: clone the repository (git clone ...) rather than installing "
        "the package alone, or set AGCNN_DATA to a folder that holds nih-sample/"
    )
