"""The AG-CNN paper's numbers (test set, tau = 0.7), to set every result of this package beside.

    paper_table()                      # DataFrame: one row per (model, backbone, branch)
    comparison_table(metrics, backbone="resnet50")
"""

from __future__ import annotations

import pandas as pd

from ..data.classes import CLASSES
from ..train.predict import BRANCHES

# Guan et al. 2018, Table 1; per-class AUC in CLASSES order, then the mean over the 14.
_ROWS = [
    ("Wang et al. 2017", "resnet50", "-", ".716 .807 .784 .609 .706 .671 .633 .806 .708 .835 .815 .769 .708 .767 .738"),
    ("Yao et al. 2017", "-", "-", ".772 .904 .859 .695 .792 .717 .713 .841 .788 .882 .829 .767 .765 .914 .803"),
    ("CheXNet (other split)", "densenet121", "-", ".821 .905 .883 .720 .862 .777 .763 .893 .794 .893 .926 .804 .814 .939 .842"),
    ("Kumar et al. (other split)", "densenet161", "-", ".762 .913 .864 .692 .750 .666 .715 .859 .784 .888 .898 .756 .774 .802 .795"),
    ("AG-CNN", "resnet50", "global", ".818 .904 .881 .728 .863 .780 .783 .897 .807 .892 .918 .815 .800 .889 .841"),
    ("AG-CNN", "resnet50", "local", ".798 .881 .862 .707 .826 .736 .716 .872 .805 .874 .898 .808 .770 .887 .817"),
    ("AG-CNN", "resnet50", "fusion", ".844 .937 .904 .753 .893 .827 .776 .919 .842 .919 .941 .857 .836 .903 .868"),
    ("AG-CNN", "densenet121", "global", ".832 .906 .887 .717 .870 .791 .732 .891 .808 .905 .912 .823 .802 .883 .840"),
    ("AG-CNN", "densenet121", "local", ".797 .865 .851 .704 .829 .733 .710 .850 .802 .882 .874 .801 .769 .872 .810"),
    ("AG-CNN", "densenet121", "fusion", ".853 .939 .903 .754 .902 .828 .774 .921 .842 .924 .932 .864 .837 .921 .871"),
]  # fmt: skip

# tau = 0.1 ... 0.9, ResNet-50, test set (global fixed at .841).
PAPER_TAU_SWEEP = pd.DataFrame(
    {
        "tau": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        "local": [0.828, 0.831, 0.822, 0.822, 0.819, 0.825, 0.817, 0.804, 0.751],
        "fusion": [0.861, 0.865, 0.859, 0.858, 0.858, 0.867, 0.868, 0.866, 0.863],
    }
)



def paper_table() -> pd.DataFrame:
    """Every row of the paper's Table 1 with per-class AUCs and the mean."""
    records = []
    for model, backbone, branch, numbers in _ROWS:
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
