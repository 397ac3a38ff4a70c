"""The AG-CNN paper's numbers (agcnn_lab.paper) as tables, to set every result of this package beside.

    paper_table()                      # DataFrame: one row per (model, backbone, branch)
    comparison_table(metrics, backbone="resnet50")
"""

from __future__ import annotations

import pandas as pd

from ..data.classes import CLASSES
from ..paper import PAPER_TAU_SWEEP, TABLE_1
from ..train.predict import BRANCHES

__all__ = ["BRANCHES", "PAPER_TAU_SWEEP", "comparison_table", "paper_class_table", "paper_table"]





def paper_table() -> pd.DataFrame:
    """Every row of the paper's Table 1 with per-class AUCs and the mean."""
    records = []
    for model, backbone, branch, numbers in TABLE_1:
        values = [float(v) for v in numbers.split()]
        records.append({"model": model, "backbone": backbone, "branch": branch, **dict(zip([*CLASSES, "mean"], values, strict=True))})
    return pd.DataFrame(records)


def comparison_table(metrics: dict, backbone: str = "resnet50", label: str = "this run") -> pd.DataFrame:
    """Mean AUC of each branch of a run (metrics.json's mapping) beside the paper's rows.

    Columns: branch, this run's mean AUC with its 95% interval, and the paper's ResNet-50 and
    DenseNet-121 means for the same branch.
    """
    paper = paper_table().query("model == 'AG-CNN'")
    rows = []
    for branch in BRANCHES:
        if branch not in metrics:
            continue
        result = metrics[branch]
        low, high = result.get("ci95", {}).get("mean_auc", (float("nan"), float("nan")))
        row = {"branch": branch, label: result["mean_auc"], "95% CI": f"{low:.3f}-{high:.3f}"}
        for name in ("resnet50", "densenet121"):
            match = paper[(paper["backbone"] == name) & (paper["branch"] == branch)]
            row[f"paper {name}"] = float(match["mean"].iloc[0])
        rows.append(row)
    return pd.DataFrame(rows).set_index("branch")


def paper_class_table(metrics: dict, branches=BRANCHES, label: str = "this run") -> pd.DataFrame:
    """Per-class AUC of a run's branches (metrics.json's mapping) beside the paper's same branches.

    One row per class and a last "mean" row; for each branch present in `metrics`: this run's
    AUC, its 95% interval, and the paper's ResNet-50 and DenseNet-121 values.
    """
    paper = paper_table().query("model == 'AG-CNN'")
    table = pd.DataFrame(index=pd.Index([*CLASSES, "mean"], name="class"))
    for branch in [b for b in branches if b in metrics]:
        result = metrics[branch]
        ci = result.get("ci95", {})
        values = [result["auc"].get(c, float("nan")) for c in CLASSES] + [result["mean_auc"]]
        intervals = [ci.get(c) for c in CLASSES] + [ci.get("mean_auc")]
        table[f"{branch} ({label})"] = values
        table[f"{branch} 95% CI"] = [_interval_text(interval) for interval in intervals]
        for backbone in ("resnet50", "densenet121"):
            row = paper[(paper["backbone"] == backbone) & (paper["branch"] == branch)].iloc[0]
            table[f"{branch} paper {backbone}"] = [float(row[c]) for c in [*CLASSES, "mean"]]
    return table


def _interval_text(interval) -> str:
    if not interval or any(v != v for v in interval):  # missing, or NaN (one label only)
        return ""
    return f"{interval[0]:.3f}-{interval[1]:.3f}"
