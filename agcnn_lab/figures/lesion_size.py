"""The attention effect by lesion size, drawn: one point per size bin with its paired 95% interval.

    table = effect_by_lesion_size(predictions, boxes, branch="local", control="local_whole_film")
    fig = plot_effect_by_lesion_size(table, title="local branch")   # agcnn_lab.evaluate.lesion_size
    fig = plot_when_zoom_pays({"local": table, "fusion": fusion_table})   # side by side, one y range
    plot_when_zoom_pays(by_count, xlabel=FINDINGS_AXIS)   # any evaluate.strata table: finding_count's, lesion_in_box's

The figure: one point per bin with its 95% paired-bootstrap interval. A bin is coloured (and its
column shaded) by what the interval says, not by the point: green where the whole interval lies
above 0 (the crop wins), red where it lies below 0 (the whole film wins), grey where it contains
0 (no difference shown). n under each point is the bin's positives: the wider intervals of small
bins are mostly few positives.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = ["SIZE_AXIS", "plot_effect_by_lesion_size", "plot_when_zoom_pays", "verdict_colour", "verdict_handles"]


CROP_WINS = "#2ca02c"
FILM_WINS = "#d62728"
UNDECIDED = "#7f7f7f"


SIZE_AXIS = "lesion side, % of the film"


def plot_effect_by_lesion_size(
    table: pd.DataFrame, title: str | None = None, ax: Axes | None = None, legend: bool = True,
    xlabel: str = SIZE_AXIS,
) -> Figure:
    """Effect per bin with its interval as error bars (one errorbar per bin, in bin order).

    `table` has effect_by_lesion_size's columns (bin, positives, effect, ci_lo, ci_hi). With
    `ax`, draws there (a panel of a larger figure) and returns that axes' figure. legend: the
    colours' key below the axes (a figure of several panels draws one key for all instead).
    xlabel: what the bins are (any table of evaluate.strata's columns draws the same way).
    """
    missing = [
        c for c in ("bin", "positives", "effect", "ci_lo", "ci_hi") if c not in table.columns
    ]
    if missing:
        raise ValueError(
            f"the table lacks the column(s) {', '.join(missing)}; pass effect_by_lesion_size's table (or another of evaluate.strata's)"
        )
    if table.empty:
        raise ValueError("the table has no bins")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    else:
        fig = ax.figure
    effect = table["effect"].to_numpy(dtype=float)
    low, high = table["ci_lo"].to_numpy(dtype=float), table["ci_hi"].to_numpy(dtype=float)
    x = np.arange(len(table))

    ax.axhline(0, color="black", lw=1)
    for i in x:
        colour = verdict_colour(low[i], high[i])
        if colour != UNDECIDED:
            ax.axvspan(i - 0.45, i + 0.45, color=colour, alpha=0.10, lw=0)
        # Asymmetric error bars: a percentile interval need not be centred on the point.
        yerr = (
            np.array([[effect[i] - low[i]], [high[i] - effect[i]]]) if np.isfinite(low[i]) else None
        )
        ax.errorbar(
            [i],
            [effect[i]],
            yerr=yerr,
            fmt="o",
            ms=7,
            color=colour,
            ecolor=colour,
            elinewidth=2,
            capsize=5,
        )

    # Limits from the intervals (and 0), so the n labels and the zero line always fit.
    spread = np.concatenate([low, high, effect, [0.0]])
    spread = spread[np.isfinite(spread)]
    bottom, top = spread.min(), spread.max()
    pad = max(0.02, 0.12 * (top - bottom))
    ax.set_ylim(bottom - 2 * pad, top + pad)
    for i in x:
        anchor = low[i] if np.isfinite(low[i]) else (effect[i] if np.isfinite(effect[i]) else 0.0)
        text = (
            f"n={int(table['positives'].iloc[i])}"
            if np.isfinite(effect[i])
            else "too few\npositives"
        )
        ax.annotate(
            text,
            (i, anchor),
            xytext=(0, -8),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=10,
            # On a white ground: an interval whose low end sits at 0 puts its label on the zero line.
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )

    ax.set_xticks(x, table["bin"].astype(str).tolist(), fontsize=11)
    ax.set_xlim(-0.6, len(table) - 0.4)
    ax.tick_params(axis="y", labelsize=10)
    ax.set_xlabel(xlabel, fontsize=12)
    ax.set_ylabel("AUC(crop) - AUC(whole film)", fontsize=12)
    ax.grid(axis="y", alpha=0.3)
    if legend:
        # Below the axes: inside, "best" can cover a bin's n label (it does not see them).
        ax.legend(handles=verdict_handles(), fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.17),
                  ncol=3, frameon=False, handletextpad=0.1, columnspacing=0.8)
    if title:
        ax.set_title(title, fontsize=13)
    return fig


def verdict_handles() -> list[Line2D]:
    """The key of the three colours, as legend handles."""
    return [
        Line2D([], [], marker="o", ls="", color=CROP_WINS, label="crop wins (CI above 0)"),
        Line2D([], [], marker="o", ls="", color=FILM_WINS, label="whole film wins (CI below 0)"),
        Line2D([], [], marker="o", ls="", color=UNDECIDED, label="no difference shown (CI holds 0)"),
    ]


def verdict_colour(low: float, high: float) -> str:
    """Green when a 95% interval lies above 0 (the crop wins), red below (the whole film wins),
    grey when it holds 0 (no difference shown)."""
    if np.isfinite(low) and low > 0:
        return CROP_WINS
    if np.isfinite(high) and high < 0:
        return FILM_WINS
    return UNDECIDED


def plot_when_zoom_pays(tables: dict[str, pd.DataFrame], split: str = "test", runs: int = 1,
                        xlabel: str = SIZE_AXIS) -> Figure:
    """One panel per branch ({"local": table, "fusion": table} of effect_by_lesion_size, or of
    another evaluate.strata function with its `xlabel`), each its crop against its whole-film
    twin, on one y range so the panels compare at a glance. runs: how many training runs the
    tables pool (named in the titles when more than one)."""
    if not tables:
        raise ValueError("no table to draw: train a run with the whole-film control")
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    scope = split if runs == 1 else f"{split}, {runs} runs pooled"
    fig, axes = plt.subplots(1, len(tables), figsize=(6.4 * len(tables), 4.4), layout="constrained", squeeze=False)
    for ax, (branch, table) in zip(axes[0], tables.items(), strict=True):
        plot_effect_by_lesion_size(table, title=f"{branch}: crop vs whole film ({scope})", ax=ax, legend=False,
                                   xlabel=xlabel)
    low = min(ax.get_ylim()[0] for ax in axes[0])  # each panel sized its own range to fit
    high = max(ax.get_ylim()[1] for ax in axes[0])
    for ax in axes[0]:
        ax.set_ylim(low, high)
    fig.legend(handles=verdict_handles(), fontsize=10, loc="outside lower center", ncol=3, frameon=False)
    return fig
