"""The ablations at a glance: each variant's test mean AUC per branch, the paper's as ticks.

    fig = plot_ablations(run_ablations(profile, data, base, device))
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import BRANCH_COLOURS

BRANCHES = ("global", "local", "fusion")


def plot_ablations(table: pd.DataFrame) -> Figure:
    """Grouped horizontal bars (one group per variant); black ticks: the paper's value."""
    rows = np.arange(len(table))
    height = 0.26
    fig, ax = plt.subplots(figsize=(7.5, 0.75 * len(table) + 1.2), layout="constrained")
    for k, branch in enumerate(BRANCHES):
        y = rows + (k - 1) * height
        ax.barh(y, table[branch], height, color=BRANCH_COLOURS[branch], label=branch)
        for yi, value in zip(y, table[branch], strict=True):
            ax.text(value + 0.004, yi, f"{value:.3f}", va="center", fontsize=7)
        paper = table.get(f"paper {branch}")
        if paper is not None and paper.notna().any():
            ax.scatter(paper, y, marker="|", s=120, color="black", label="paper" if k == 0 else None, zorder=3)
    ax.set_yticks(rows, [f"{name}\n({_setting(tau, crop)})" for name, tau, crop in zip(table.index, table["tau"], table["crop from"], strict=True)], fontsize=8)
    ax.invert_yaxis()
    low = float(np.nanmin(table[list(BRANCHES)].to_numpy()))
    ax.set_xlim(max(0.0, low - 0.08), 1.0)
    ax.set_xlabel("test mean AUC over the 14 diseases")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _setting(tau: float, crop_from: str) -> str:
    if crop_from == "whole":
        return "no box: the whole source"
    return f"tau {tau:g}, crop from {crop_from}"
