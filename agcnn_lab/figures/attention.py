"""Draw the attention crop step by step: heatmap -> mask -> largest region -> box -> crop.

    fig = draw_view(explorer.view(state))          # one image, five panels
    fig = plot_attention_grid([view1, view2, ...])  # one row per image
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .style import ATTENTION_COLOUR, TRUTH_COLOUR

PANELS = ("input + heatmap", "heatmap > tau", "largest region", "box on the source", "crop (local input)")


def _box(ax, box, colour, lw=1.6, label=None):
    x0, y0, x1, y1 = box
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour, lw=lw))
    if label:
        ax.text(x0, y0 - 3, label, color=colour, fontsize=6.5, va="bottom")


def draw_row(axes, view) -> None:
    """Fill five axes with the steps of one ExplorerView."""
    size = view.image.shape[0]
    extent = (0, size, size, 0)
    ax = axes[0]
    ax.imshow(view.image, cmap="gray", vmin=0, vmax=1)
    ax.imshow(view.heatmap, cmap="jet", alpha=0.4, extent=extent, interpolation="bilinear")
    for _label, box in view.truth_input:
        _box(ax, box, TRUTH_COLOUR, 1.0)
    ax = axes[1]
    ax.imshow(view.heatmap, cmap="magma", vmin=0, vmax=1, extent=extent)
    cells = np.ma.masked_where(~view.mask, np.ones(view.mask.shape))
    ax.imshow(cells, cmap="Greys", vmin=0, vmax=1, alpha=0.55, extent=extent, interpolation="nearest")
    ax = axes[2]
    region = np.zeros((*view.mask.shape, 3))
    region[view.mask] = (0.45, 0.45, 0.45)
    region[view.region] = (1.0, 0.85, 0.1)
    ax.imshow(region, extent=extent, interpolation="nearest")
    _box(ax, view.box_input, ATTENTION_COLOUR)
    ax = axes[3]
    ax.imshow(view.source, cmap="gray", vmin=0, vmax=255)
    for (label, box), hit in zip(view.truth, view.hits, strict=True):
        _box(ax, box, TRUTH_COLOUR, 1.0, f"{label} {'hit' if hit else 'miss'}")
    _box(ax, view.box_source, ATTENTION_COLOUR)
    ax = axes[4]
    ax.imshow(view.crop, cmap="gray", vmin=0, vmax=1)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])


def draw_view(view) -> Figure:
    """One image: the five steps side by side, with the readouts as the title."""
    from ..widgets.explorer import readouts

    fig, axes = plt.subplots(1, 5, figsize=(13, 3.1), layout="constrained")
    draw_row(axes, view)
    for ax, title in zip(axes, PANELS, strict=True):
        ax.set_title(title, fontsize=9)
    text = readouts(view)
    fig.suptitle(f"{text['image']} | tau {view.state.tau:.2f}, {view.state.reduce} | {text['area']} | {text['zoom']} | {text['truth']}", fontsize=9)
    return fig


def plot_attention_grid(views) -> Figure:
    """Several images, one row each (title: its findings and the verdicts)."""
    from ..widgets.explorer import readouts

    fig, axes = plt.subplots(len(views), 5, figsize=(12, 2.55 * len(views)), layout="constrained", squeeze=False)
    for row, view in zip(axes, views, strict=True):
        draw_row(row, view)
        text = readouts(view)
        row[0].set_ylabel(f"{', '.join(view.labels) or 'No Finding'}", fontsize=8)
        row[3].set_title(f"{text['area']}; {text['truth']}", fontsize=7)
    for ax, title in zip(axes[0], PANELS, strict=True):
        ax.set_title(title if ax is not axes[0][3] else f"{title}\n{ax.get_title()}", fontsize=8)
    return fig
