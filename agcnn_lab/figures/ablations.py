"""The ablations at a glance: each variant's test mean AUC per branch, the paper's as ticks;
with the paired differences, a second panel: each variant minus the reference row, 95% CIs.

    fig = plot_ablations(run_ablations(profile, data, base, device))
    fig = plot_ablations(table, differences=ablation_differences(base, plan))
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import BRANCH_COLOURS

BRANCHES = ("global", "local", "fusion")


def plot_ablations(table: pd.DataFrame, differences: pd.DataFrame | None = None) -> Figure:
    """Grouped horizontal bars (one group per variant); black ticks: the paper's value.

    differences: ablations.paired_differences' table (rows (variant, branch); columns d, low,
    high): drawn beside the bars as each variant's difference from the reference row, a dot
    with its paired 95% interval per branch, and a line at 0 (the reference itself)."""
    rows = np.arange(len(table))
    height = 0.26
    size = (7.5 + (4.0 if differences is not None else 0), 0.75 * len(table) + 1.2)
    if differences is None:
        fig, ax = plt.subplots(figsize=size, layout="constrained")
    else:
        fig, (ax, right) = plt.subplots(1, 2, figsize=size, layout="constrained", sharey=True,
                                        gridspec_kw={"width_ratios": [7.5, 4.0]})
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
    if differences is not None:
        _plot_differences(right, table.index, differences, height)
    return fig


def _plot_differences(ax, variants, differences: pd.DataFrame, height: float) -> None:
    """Each variant's d (dot) and paired 95% interval (bar) per branch, on the bars' rows."""
    reference = differences.attrs.get("reference")
    for k, branch in enumerate(BRANCHES):
        y, d, err = [], [], [[], []]
        for row, variant in enumerate(variants):
            if (variant, branch) not in differences.index or variant == reference:
                continue
            r = differences.loc[(variant, branch)]
            y.append(row + (k - 1) * height)
            d.append(r["d"])
            err[0].append(r["d"] - r["low"])
            err[1].append(r["high"] - r["d"])
        if y:
            ax.errorbar(d, y, xerr=err, fmt="o", ms=4, color=BRANCH_COLOURS[branch], capsize=2, lw=1.2, label=branch)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_title("each variant minus the reference row", fontsize=9)
    ax.set_xlabel(f"minus {reference or 'the reference'}\n(paired 95% interval)", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.tick_params(axis="y", left=False)


def _setting(tau: float, crop_from: str) -> str:
    if crop_from == "whole":
        return "no box: the whole source"
    return f"tau {tau:g}, crop from {crop_from}"
