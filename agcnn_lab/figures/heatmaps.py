"""Heatmaps of several methods side by side, over the images they explain.

    fig = plot_heatmap_methods(images, maps, truth=truth_boxes, boxes=boxes_by_method)

images: (N, S, S) in [0, 1]; maps: method -> (N, h, w) in [0, 1]; truth: per image, a list of
(label, (x0, y0, x1, y1)) in input pixels; boxes: method -> (N, 4) attention boxes in input
pixels (optional). One row per image, one column per method, plus the image itself first.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .style import ATTENTION_COLOUR, HEATMAP_CMAP, HEATMAP_SCALE, TRUTH_COLOUR

TITLES = {"max": "max |f_k| (AG-CNN)", "l1": "L1: mean |f_k|", "l2": "L2: rms f_k", "sum": "channel sum", "cam": "class activation map", "grad-cam": "Grad-CAM (lesion class)"}


def _rect(ax, box, colour, lw):
    x0, y0, x1, y1 = (float(v) for v in box)
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour, lw=lw))


def plot_heatmap_methods(images, maps: dict, truth=None, boxes: dict | None = None, row_labels=None) -> Figure:
    images = np.asarray(images)
    methods = list(maps)
    n, size = len(images), images.shape[-1]
    extent = (0, size, size, 0)
    fig, axes = plt.subplots(n, len(methods) + 1, figsize=(1.9 * (len(methods) + 1) + 0.6, 2.0 * n), layout="constrained", squeeze=False, dpi=110)
    shown = None
    for i in range(n):
        ax = axes[i, 0]
        ax.imshow(images[i], cmap="gray", vmin=0, vmax=1)
        for label, box in (truth[i] if truth is not None else []):
            _rect(ax, box, TRUTH_COLOUR, 1.2)
            ax.text(float(box[0]), float(box[1]) - 2, label, color=TRUTH_COLOUR, fontsize=6.5, va="bottom")
        if row_labels is not None:
            ax.set_ylabel(row_labels[i], fontsize=7)
        for j, method in enumerate(methods, start=1):
            ax = axes[i, j]
            ax.imshow(images[i], cmap="gray", vmin=0, vmax=1)
            # Nearest: each cell of the feature grid shows as the block of pixels it covers.
            # A perceptual colormap (brightness grows with the value), not jet's false edges.
            shown = ax.imshow(np.asarray(maps[method][i]), cmap=HEATMAP_CMAP, alpha=0.5, extent=extent,
                              interpolation="nearest", vmin=0, vmax=1)
            for _, box in (truth[i] if truth is not None else []):
                _rect(ax, box, TRUTH_COLOUR, 0.9)
            if boxes is not None and method in boxes:
                _rect(ax, boxes[method][i], ATTENTION_COLOUR, 1.4)
    for j, title in enumerate(["input + lesion box", *[TITLES.get(m, m) for m in methods]]):
        axes[0, j].set_title(title, fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    if shown is not None:
        fig.colorbar(shown, ax=axes[:, 1:], shrink=0.6, label=HEATMAP_SCALE)
    return fig
