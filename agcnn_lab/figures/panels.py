"""Panels of film pixels, and the command that saves a figure made of them.

The phantom's figures (lookalikes.py, mild_forms.py) show 8-bit film pixels as they are, pixel for
pixel, a window of the source beside the same window of the global branch's 4x smaller view, and
each has the same small command line: `--out`, `--seed`, `--dpi`.

    fig, (left, right) = plt.subplots(1, 2)
    crop, view = crop_and_view(film.pixels, x=200, y=150, side=48)
    show_pixels(left, crop, "512-px source")
    show_pixels(right, view, "same, 128-px view")
    save_figure_command("Draw X.", lambda seed: make_x(seed), default_dpi=150)   # in a module's main()
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
from matplotlib.figure import Figure

from .save import save_figure

FACTOR = 4  # the global branch's view: the source reduced 4x (512 px -> 128 px)


def show_pixels(ax, image: np.ndarray, title: str) -> None:
    """8-bit grey pixels on `ax`, nearest neighbour (each pixel a block), titled, without ticks."""
    ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_title(title, fontsize=6.5)
    ax.set_xticks([])
    ax.set_yticks([])


def crop_and_view(pixels: np.ndarray, x: float, y: float, side: int) -> tuple[np.ndarray, np.ndarray]:
    """A `side`-px crop of the source round (x, y), and the same region of the 4x smaller view
    enlarged back with nearest neighbours (each view pixel a block). The window snaps to the
    view's pixel grid and stays on the film; `side` = the film's size gives the whole film."""
    size = pixels.shape[0]
    x0 = int(np.clip(round((x - side / 2) / FACTOR) * FACTOR, 0, size - side))
    y0 = int(np.clip(round((y - side / 2) / FACTOR) * FACTOR, 0, size - side))
    small = cv2.resize(pixels, (size // FACTOR,) * 2, interpolation=cv2.INTER_AREA)
    region = small[y0 // FACTOR : (y0 + side) // FACTOR, x0 // FACTOR : (x0 + side) // FACTOR]
    view = cv2.resize(region, (side, side), interpolation=cv2.INTER_NEAREST)
    return pixels[y0 : y0 + side, x0 : x0 + side], view


def save_figure_command(description: str, make_figure: Callable[..., Figure], default_dpi: int,
                        argv: list[str] | None = None, choices: dict[str, Sequence[str]] | None = None) -> Path:
    """Parse `--out FILE [--seed N] [--dpi D]`, and `--NAME VALUE` for each NAME of `choices`
    (its first value the default), draw `make_figure(seed, NAME=VALUE, ...)` and save it to FILE."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dpi", type=int, default=default_dpi)
    for name, values in (choices or {}).items():
        parser.add_argument(f"--{name}", choices=list(values), default=values[0])
    args = parser.parse_args(argv)
    fig = make_figure(args.seed, **{name: getattr(args, name) for name in choices or {}})
    return save_figure(fig, args.out, dpi=args.dpi)
