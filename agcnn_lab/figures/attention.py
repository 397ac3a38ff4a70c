"""Draw the attention crop step by step: heatmap -> mask -> largest region -> box -> crop.

    fig = draw_view(explorer.view(state))          # one image, five panels
    fig = plot_attention_grid([view1, view2, ...])  # one row per image

The heatmap is drawn in the perceptual colormap of every figure (figures.style) with a colour
bar naming its statistic; fonts are sized for the explorer's PNG at 80 dpi (8 pt is about 9 px).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..attention.trace import readouts
from .heatmaps import TITLES
from .style import ATTENTION_COLOUR, HEATMAP_CMAP, HEATMAP_SCALE, TRUTH_COLOUR

PANELS = ("input + heatmap", "heatmap > tau", "largest region", "box on the source", "crop (local input)")
ABOVE = (1.0, 0.82, 0.12)  # a cell above tau (in the largest region, on the third panel)
OTHER_REGION = (0.55, 0.55, 0.55)  # above tau, but not in the largest region
BELOW = (0.13, 0.15, 0.2)  # at or below tau
MAX_ANNOTATED = 12  # write the values of maps up to 12 x 12 cells (7 x 7 in the paper)
FONT = {"title": 11, "label": 9.5, "box": 9, "cell": 8.5, "small_cell": 7}  # points, at 80 dpi


def heatmap_label(view) -> str:
    """What the heatmap's colour bar measures: the statistic (Grad-CAM: of which disease)."""
    if view.target is not None:
        return f"Grad-CAM of {view.target} (top score), [0, 1]"
    return f"{TITLES.get(view.state.reduce, view.state.reduce)}, [0, 1]"


def _box(ax, box, colour, lw=1.6, label=None):
    x0, y0, x1, y1 = box
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor=colour, lw=lw))
    if label:
        ax.text(x0, y0 - 3, label, color=colour, fontsize=FONT["box"], va="bottom")


def _grid(ax, shape, size, colour="#5a5f6b") -> None:
    """Thin lines between the cells of an (h, w) map drawn over a size x size image."""
    h, w = shape
    if max(h, w) > MAX_ANNOTATED:
        return
    for k in range(1, w):
        ax.axvline(k * size / w, color=colour, lw=0.5)
    for k in range(1, h):
        ax.axhline(k * size / h, color=colour, lw=0.5)


def draw_mask(ax, view) -> None:
    """The thresholding step: cells above tau bright, the rest dark, each cell's value written
    in it (when the map is a small grid), so that moving tau visibly flips cells."""
    size = view.image.shape[0]
    extent = (0, size, size, 0)
    colours = np.zeros((*view.mask.shape, 3))
    colours[:] = BELOW
    colours[view.mask] = ABOVE
    ax.imshow(colours, extent=extent, interpolation="nearest")
    h, w = view.mask.shape
    _grid(ax, (h, w), size)
    if view.heatmap.shape == view.mask.shape and max(h, w) <= MAX_ANNOTATED:
        font = FONT["cell"] if max(h, w) <= 8 else FONT["small_cell"]
        for i in range(h):
            for j in range(w):
                value = float(view.heatmap[i, j])
                # Three decimals where two would print tau itself on a cell above it (0.5004).
                digits = 3 if abs(value - view.state.tau) < 0.005 else 2
                ax.text(
                    (j + 0.5) * size / w, (i + 0.5) * size / h, f"{value:.{digits}f}",
                    ha="center", va="center", fontsize=font,
                    color="black" if view.mask[i, j] else "#c8ccd4",
                )
    ax.set_xlabel(f"{int(view.mask.sum())} of {view.mask.size} cells > tau {view.state.tau:.2f}", fontsize=FONT["label"])


def draw_row(axes, view):
    """Fill five axes with the steps of one ExplorerView; returns the heatmap's image (for a
    colour bar)."""
    size = view.image.shape[0]
    extent = (0, size, size, 0)
    ax = axes[0]
    ax.imshow(view.image, cmap="gray", vmin=0, vmax=1)
    shown = ax.imshow(view.heatmap, cmap=HEATMAP_CMAP, alpha=0.5, extent=extent, interpolation="bilinear", vmin=0, vmax=1)
    for _label, box in view.truth_input:
        _box(ax, box, TRUTH_COLOUR, 1.0)
    draw_mask(axes[1], view)
    ax = axes[2]
    region = np.zeros((*view.mask.shape, 3))
    region[:] = BELOW
    region[view.mask] = OTHER_REGION
    region[view.region] = ABOVE
    ax.imshow(region, extent=extent, interpolation="nearest")
    _grid(ax, view.mask.shape, size)
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
    return shown


def _colour_bar(fig, shown, axes, label: str, location: str = "right") -> None:
    """The heatmap's scale beside its panel(s): 0 to 1, as every heatmap is scaled per image."""
    bar = fig.colorbar(shown, ax=axes, shrink=0.85, pad=0.02, aspect=15, location=location)
    bar.set_label(label, fontsize=FONT["label"])
    bar.ax.tick_params(labelsize=FONT["label"])


def draw_view(view) -> Figure:
    """One image: the five steps side by side, with the readouts as the title (wrapped) and a
    colour bar on the heatmap panel."""
    import textwrap

    fig, axes = plt.subplots(1, 5, figsize=(12.5, 3.9), layout="constrained", dpi=80)
    shown = draw_row(axes, view)
    _colour_bar(fig, shown, axes[0], heatmap_label(view))
    for ax, title in zip(axes, PANELS, strict=True):
        ax.set_title(title, fontsize=FONT["title"])
    text = readouts(view)
    title = f"{text['image']} | tau {view.state.tau:.2f}, {view.state.reduce} | {text['area']} | {text['zoom']} | {text['truth']}"
    fig.suptitle(textwrap.fill(title, 135), fontsize=FONT["title"])
    return fig


def plot_attention_grid(views) -> Figure:
    """Several images, one row each: the panel titles on top, and under each row its findings
    (first panel) and the box's area and verdicts (fourth panel), wrapped to the panel's width."""
    import textwrap

    fig, axes = plt.subplots(len(views), 5, figsize=(13, 2.9 * len(views)), layout="constrained", squeeze=False, dpi=80)
    for row, view in zip(axes, views, strict=True):
        shown = draw_row(row, view)
        text = readouts(view)
        row[0].set_xlabel(textwrap.fill(f"{view.name}: {', '.join(view.labels) or 'No Finding'}", 30), fontsize=FONT["label"])
        row[3].set_xlabel(textwrap.fill(f"{text['area']}; {text['truth']}", 40), fontsize=FONT["label"])
    # One bar for the column: every heatmap is scaled to [0, 1]; named when they share a statistic.
    labels = {heatmap_label(view) for view in views}
    # On the left: the column's own labels (name, findings) run under it on the right side.
    _colour_bar(fig, shown, axes[:, 0], labels.pop() if len(labels) == 1 else HEATMAP_SCALE, "left")
    for ax, title in zip(axes[0], PANELS, strict=True):
        ax.set_title(title, fontsize=FONT["title"])
    return fig
