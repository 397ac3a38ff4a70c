"""Training curves of the three stages: loss and validation mean AUC per epoch.

    fig = plot_training_curves({"global": history, "local": history, "fusion": history})
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .style import BRANCH_COLOURS


def plot_training_curves(histories: dict[str, list[dict]]) -> Figure:
    """One line per stage: train loss (left) and validation mean AUC (right) against epoch."""
    fig, (loss_ax, auc_ax) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    for stage, history in histories.items():
        if not history:
            continue
        epochs = [h["epoch"] for h in history]
        colour = BRANCH_COLOURS.get(stage)
        loss_ax.plot(epochs, [h["train_loss"] for h in history], marker="o", ms=3, label=stage, color=colour)
        auc_ax.plot(epochs, [h["val_mean_auc"] for h in history], marker="o", ms=3, label=stage, color=colour)
        best = max(history, key=lambda h: h["val_mean_auc"])
        auc_ax.scatter([best["epoch"]], [best["val_mean_auc"]], s=90, facecolors="none", edgecolors=colour)
    loss_ax.set(xlabel="epoch", ylabel="training loss (BCE)", title="loss")
    auc_ax.set(xlabel="epoch", ylabel="validation mean AUC", title="validation (circle: kept epoch)")
    for ax in (loss_ax, auc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.grid(alpha=0.3)
        ax.legend(title="stage")
    return fig
