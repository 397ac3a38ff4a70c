"""AG-CNN at a glance: the three branches, the attention step between them, and what each training stage trains.

    fig = plot_architecture()                  # the paper's sizes: 1024-px films, 224-px inputs
    fig = plot_architecture(512, 128, 128)     # a profile's: cache, global input, local input
    fig.savefig("docs/figures/architecture.png", dpi=200)
    python -m agcnn_lab.figures.architecture docs/figures/architecture.png

Drawn from the method (Guan et al., 2018, Fig. 2 and Section 3), not from a run: the film is
resized for the global branch, the global branch's last feature maps give the heatmap (max |f|
over channels), the heatmap thresholded at tau gives a mask, its largest connected region a box,
and the box is cut out of the high-resolution source (not the resized input) for the local
branch; the fusion layer reads the two branches' pooled vectors. The three panels below say
which part learns in which stage, and which parts are frozen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..paper import FILM_SIZE, RECIPE
from .save import save_figure
from .style import BRANCH_COLOURS

GREY = "#6b6b6b"
ATTENTION = "#c0392b"

# (key, x, y, width, height, text, colour): the blocks of the forward pass, in axes units; the
# texts name the sizes ({source}, {input}, {crop} px: block_texts fills them in).
BLOCKS = (
    ("source", 0.01, 0.40, 0.11, 0.42, "chest film\n(high-resolution\nsource, {source} px)", GREY),
    ("input", 0.16, 0.66, 0.09, 0.16, "resize\n(global input,\n{input} px)", GREY),
    ("global", 0.29, 0.66, 0.13, 0.16, "global branch\nCNN -> pool -> FC", BRANCH_COLOURS["global"]),
    ("heatmap", 0.46, 0.38, 0.10, 0.16, "heatmap\nmax |f| over\nchannels", ATTENTION),
    ("mask", 0.60, 0.38, 0.11, 0.16, "mask > tau,\nlargest region,\nits box", ATTENTION),
    ("crop", 0.60, 0.06, 0.11, 0.16, "crop the box\nfrom the source,\nresize to {crop}", ATTENTION),
    ("local", 0.75, 0.06, 0.12, 0.16, "local branch\nCNN -> pool -> FC", BRANCH_COLOURS["local"]),
    ("fusion", 0.76, 0.38, 0.11, 0.16, "fusion\nconcat pooled\n-> FC", BRANCH_COLOURS["fusion"]),
    ("outputs", 0.89, 0.66, 0.10, 0.16, "15 outputs\n(14 diseases,\nNo Finding)", GREY),
)

# (from, to, label, label position or None): the arrows between blocks.
ARROWS = (
    ("source", "input", "", None),
    ("input", "global", "", None),
    ("global", "heatmap", "feature maps", (0.40, 0.61)),
    ("heatmap", "mask", "", None),
    ("mask", "crop", "box", (0.68, 0.29)),
    ("source", "crop", "the source's pixels, not the resized input", (0.36, 0.16)),
    ("crop", "local", "", None),
    ("global", "fusion", "pooled vector", (0.66, 0.645)),
    ("local", "fusion", "pooled vector", (0.865, 0.29)),
    ("fusion", "outputs", "", None),
)

# Which parts learn in each stage; the others are frozen (eval mode, no gradients).
STAGES = (
    ("Stage I", "global", "the global branch learns on whole films"),
    ("Stage II", "local", "global frozen; its heatmaps give the crops; the local branch learns"),
    ("Stage III", "fusion", "both branches frozen; the fusion layer learns"),
)


def block_texts(source_px: int = FILM_SIZE, input_px: int = RECIPE.input_size, crop_px: int | None = None) -> dict[str, str]:
    """Each block's text with the sizes filled in (the paper's by default: 1024-px films, 224-px
    inputs for both branches)."""
    sizes = {"source": source_px, "input": input_px, "crop": crop_px or input_px}
    return {key: text.format(**sizes) for key, *_, text, _ in BLOCKS}


def plot_architecture(source_px: int = FILM_SIZE, input_px: int = RECIPE.input_size, crop_px: int | None = None) -> Figure:
    """The figure described in the module doc, for films of `source_px`, a global input of
    `input_px` and a local input of `crop_px` (default: `input_px`, as in the paper). A profile's
    own: plot_architecture(profile.data.cache_size, profile.data.geometry.crop,
    profile.model.attention.crop_size)."""
    texts = block_texts(source_px, input_px, crop_px)
    fig = plt.figure(figsize=(12, 6.2))
    ax = fig.add_axes((0.01, 0.30, 0.98, 0.68))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    centres = {}
    for key, x, y, w, h, _, colour in BLOCKS:
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.005,rounding_size=0.01",
                                    facecolor=colour, alpha=0.15, edgecolor=colour, linewidth=1.6))
        ax.text(x + w / 2, y + h / 2, texts[key], ha="center", va="center", fontsize=9)
        centres[key] = (x, y, w, h)
    for start, end, label, where in ARROWS:
        a, b = _anchor(centres[start], centres[end]), _anchor(centres[end], centres[start])
        if start == "source" and end == "crop":  # along the bottom, under the global path
            a = (centres[start][0] + centres[start][2] / 2, centres[start][1])
            ax.add_patch(FancyArrowPatch(a, (a[0], 0.14), arrowstyle="-", color="#333333", linewidth=1.1))
            a = (a[0], 0.14)
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color="#333333", linewidth=1.1))
        if label:
            ax.text(*where, label, ha="center", fontsize=7.5, color="#333333")
    ax.text(0.5, 0.97, "AG-CNN: look at the whole film, find where the global branch looks, look there again at full resolution",
            ha="center", va="top", fontsize=10.5, weight="bold")
    ax.text(0.51, 0.33, "the attention step (no weights)", ha="center", fontsize=8, color=ATTENTION)

    for k, (name, learns, text) in enumerate(STAGES):
        panel = fig.add_axes((0.02 + k * 0.33, 0.03, 0.30, 0.22))
        panel.set_axis_off()
        panel.set_xlim(0, 1)
        panel.set_ylim(0, 1)
        panel.text(0.0, 0.92, name, fontsize=10, weight="bold", va="top")
        for j, branch in enumerate(("global", "local", "fusion")):
            trains = branch == learns
            colour = BRANCH_COLOURS[branch]
            panel.add_patch(FancyBboxPatch((0.02 + j * 0.33, 0.30), 0.28, 0.30, boxstyle="round,pad=0.01",
                                           facecolor=colour if trains else "white", alpha=0.35 if trains else 1,
                                           edgecolor=colour if trains else "#bbbbbb", linewidth=1.4,
                                           linestyle="-" if trains else "--"))
            panel.text(0.16 + j * 0.33, 0.45, f"{branch}\n{'learns' if trains else 'frozen'}", ha="center", va="center",
                       fontsize=8.5, color="black" if trains else "#888888")
        panel.text(0.0, 0.12, text, fontsize=8, va="center")
    return fig


def _anchor(box, towards):
    """The middle of the side of `box` that faces the centre of `towards`."""
    x, y, w, h = box
    tx, ty = towards[0] + towards[2] / 2, towards[1] + towards[3] / 2
    cx, cy = x + w / 2, y + h / 2
    if abs(tx - cx) * h >= abs(ty - cy) * w:
        return (x + w, cy) if tx > cx else (x, cy)
    return (cx, y + h) if ty > cy else (cx, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/figures/architecture.png"))
    args = parser.parse_args()
    fig = plot_architecture()
    save_figure(fig, args.out, dpi=200)


if __name__ == "__main__":
    main()
