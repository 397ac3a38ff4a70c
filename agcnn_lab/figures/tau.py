"""The tau sweep: how big the attention box is, and how often it holds the lesion, against tau.

    fig = plot_tau_sweep(sweep, chosen=0.7)    # sweep: DataFrame tau, area, hit (and iobb, hit_single)
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


def plot_tau_sweep(sweep: pd.DataFrame, chosen: float | None = None, goal: float | None = 0.8) -> Figure:
    fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
    ax.plot(sweep["tau"], sweep["hit"], marker="o", color="#d62728", label="pointing game (lesion centre in box)")
    if "hit_single" in sweep:
        ax.plot(sweep["tau"], sweep["hit_single"], marker="o", ms=4, ls="--", color="#ff7f0e", label="... on single-lesion films")
    if "iobb" in sweep:
        ax.plot(sweep["tau"], sweep["iobb"], marker="s", ms=4, color="#9467bd", label="IoBB (lesion area in box)")
    ax.plot(sweep["tau"], sweep["area"], marker="^", color="#7f7f7f", label="box area / image area")
    if goal is not None:
        ax.axhline(goal, color="#d62728", lw=0.8, ls=":")
    if chosen is not None:
        ax.axvline(chosen, color="black", lw=1, ls="--", label=f"chosen tau = {chosen:g}")
    ax.set(xlabel="tau (threshold on the heatmap scaled to [0, 1])", ylabel="fraction", ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig
