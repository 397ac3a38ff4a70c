"""ROC curves and per-class AUCs of the three branches.

    fig = plot_roc_curves(labels, {"global": p_g, "local": p_l, "fusion": p_f})
    fig = plot_class_aucs(metrics)        # metrics.json's mapping, beside the paper's fusion row
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from ..data.classes import CLASSES
from ..evaluate.paper import paper_table
from .style import BRANCH_COLOURS


def plot_roc_curves(labels: np.ndarray, probs: dict[str, np.ndarray], classes=CLASSES, ncols: int = 5) -> Figure:
    """A small ROC panel per class with one curve per branch (AUC in the legend)."""
    nrows = math.ceil(len(classes) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.6 * nrows), sharex=True, sharey=True, layout="constrained")
    for k, (ax, name) in enumerate(zip(axes.flat, classes, strict=False)):
        y = labels[:, k]
        ax.plot([0, 1], [0, 1], color="0.8", lw=0.8)
        if 0 < y.sum() < len(y):
            for branch, p in probs.items():
                fpr, tpr, _ = roc_curve(y, p[:, k])
                auc = np.trapezoid(tpr, fpr)
                ax.plot(fpr, tpr, color=BRANCH_COLOURS.get(branch), lw=1.2, label=f"{branch} {auc:.2f}")
            ax.legend(fontsize=6.5, loc="lower right", handlelength=1)
        else:
            ax.text(0.5, 0.5, "one label only", ha="center", fontsize=8)
        ax.set_title(f"{name} (n+={int(y.sum())})", fontsize=8.5)
    for ax in list(axes.flat)[len(classes) :]:
        ax.axis("off")
    fig.supxlabel("false-positive rate")
    fig.supylabel("true-positive rate")
    return fig


def plot_class_aucs(metrics: dict, backbone: str = "resnet50", paper_branch: str = "fusion") -> Figure:
    """Horizontal bars of each branch's AUC per class, drawn from chance (0.5) with their 95%
    bootstrap intervals; the paper's AUCs of `paper_branch` as black ticks."""
    branches = [b for b in ("global", "local", "fusion") if b in metrics]
    paper = paper_table().query("model == 'AG-CNN' and branch == @paper_branch and backbone == @backbone").iloc[0]
    fig, ax = plt.subplots(figsize=(7, 6.5), layout="constrained")
    rows = np.arange(len(CLASSES))
    height = 0.8 / max(len(branches), 1)
    for i, branch in enumerate(branches):
        values = np.array([metrics[branch]["auc"].get(c, np.nan) for c in CLASSES])
        intervals = [metrics[branch].get("ci95", {}).get(c) or (np.nan, np.nan) for c in CLASSES]
        low = np.array([v - lo for v, (lo, _) in zip(values, intervals, strict=True)])
        high = np.array([hi - v for v, (_, hi) in zip(values, intervals, strict=True)])
        # From chance, not from 0: the bar's length is what the branch knows beyond a coin.
        ax.barh(rows + i * height, values - 0.5, height, left=0.5, color=BRANCH_COLOURS[branch],
                label=f"{branch} (mean {metrics[branch]['mean_auc']:.3f})")
        ax.errorbar(values, rows + i * height, xerr=np.nan_to_num(np.vstack([low, high])), fmt="none",
                    ecolor="black", elinewidth=0.7, capsize=1.5)
    ax.scatter([paper[c] for c in CLASSES], rows + 0.4 - height / 2, marker="|", s=200, color="black", label=f"paper {paper_branch} ({backbone})")
    ax.set_yticks(rows + 0.4 - height / 2, CLASSES)
    ax.invert_yaxis()
    ax.set_xlim(0.5, 1.0)
    ax.set_xlabel("AUC (bars start at chance, 0.5; whiskers: 95% bootstrap interval)")
    ax.grid(axis="x", alpha=0.3)
    # Below the axes: inside, it would hide the bars of the last classes.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncols=2, fontsize=8)
    return fig
