"""Panels of film pixels, and the command that saves a figure made of them.

The phantom's figures (lookalikes.py, mild_forms.py) show 8-bit film pixels as they are, pixel for
pixel, and each has the same small command line: `--out`, `--seed`, `--dpi`.

    fig, ax = plt.subplots()
    show_pixels(ax, film.pixels, "512-px source")
    save_figure_command("Draw X.", lambda seed: make_x(seed), default_dpi=150)   # in a module's main()
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def show_pixels(ax, image: np.ndarray, title: str) -> None:
    """8-bit grey pixels on `ax`, nearest neighbour (each pixel a block), titled, without ticks."""
    ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_title(title, fontsize=6.5)
    ax.set_xticks([])
    ax.set_yticks([])


def save_figure_command(description: str, make_figure: Callable[[int], Figure], default_dpi: int,
                        argv: list[str] | None = None) -> Path:
    """Parse `--out FILE [--seed N] [--dpi D]`, draw `make_figure(seed)` and save it to FILE."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dpi", type=int, default=default_dpi)
    args = parser.parse_args(argv)
    fig = make_figure(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=args.dpi)
    print(f"wrote {args.out}")
    return args.out
