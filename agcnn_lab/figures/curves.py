"""Training curves of the three stages: loss and validation mean AUC per epoch.

    fig = plot_training_curves({"global": history, "local": history, "fusion": history})
    fig = plot_training_curves(run.histories)   # with "local_whole_film", "fusion_whole_film": the control
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .style import BRANCH_COLOURS

# Where each stage's epochs start on the cumulative axis: after the stages it starts from. The
# whole-film control's stages run beside the crop's, from the same start.
_AFTER = {"local": ("global",), "fusion": ("global", "local"), "local_whole_film": ("global",),
          "fusion_whole_film": ("global", "local")}


def plot_training_curves(histories: dict[str, list[dict]]) -> Figure:
    """One line per stage: train loss (left) and validation mean AUC (right) against the epoch
    counted over the stages (stage II's first epoch follows stage I's last); the whole-film
    control's stages dashed, in their crop twin's colour, over the same epochs."""
    fig, (loss_ax, auc_ax) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
    lengths = {stage: len(history) for stage, history in histories.items()}
    for stage, history in histories.items():
        if not history:
            continue
        start = sum(lengths.get(before, 0) for before in _AFTER.get(stage, ()))
        epochs = [start + h["epoch"] for h in history]
        twin = stage.removesuffix("_whole_film")
        colour = BRANCH_COLOURS.get(twin)
        style = {"ls": "--", "marker": "s"} if twin != stage else {"marker": "o"}
        label = f"{twin}, whole-film control" if twin != stage else stage
        loss_ax.plot(epochs, [h["train_loss"] for h in history], ms=3, label=label, color=colour, **style)
        auc_ax.plot(epochs, [h["val_mean_auc"] for h in history], ms=3, label=label, color=colour, **style)
        best = max(history, key=lambda h: h["val_mean_auc"])
        auc_ax.scatter([start + best["epoch"]], [best["val_mean_auc"]], s=90, facecolors="none", edgecolors=colour)
    loss_ax.set(xlabel="epoch, counted over the stages", ylabel="training loss (BCE)", title="loss")
    auc_ax.set(xlabel="epoch, counted over the stages", ylabel="validation mean AUC", title="validation (circle: kept epoch)")
    for ax in (loss_ax, auc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.grid(alpha=0.3)
        ax.legend(title="stage", fontsize=8)
    return fig
