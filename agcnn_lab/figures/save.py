"""Write a figure to the file a command was given: make its folder, save, close, say where.

    fig = plot_tau_effect(table)
    save_figure(fig, "runs/figures/tau_effect.png")   # prints "figure: runs/figures/tau_effect.png"
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def save_figure(fig: Figure, out: str | Path, dpi: int = 150) -> Path:
    """Save `fig` to `out` (its folder made if missing) at `dpi`, close it (a command that draws
    several figures should not hold them all), and print the path; returns the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    print(f"figure: {out}")
    return out
