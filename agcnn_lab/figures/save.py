"""Write a figure to the file a command was given: make its folder, save, close, say where.

    fig = plot_tau_effect(table)
    save_figure(fig, "runs/figures/tau_effect.png")   # prints "figure: runs/figures/tau_effect.png"
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

# Where a benchmark draws unless --out names a file: docs/figures/ holds the published figures, which
# a run left at its default must not replace.
DRAFT_FIGURES = Path("runs/figures")
OUT_HELP = "the figure (default under runs/figures/, untracked: docs/figures/ holds the published ones, written only when --out names them)"


def save_figure(fig: Figure, out: str | Path, dpi: int = 150) -> Path:
    """Save `fig` to `out` (its folder made if missing) at `dpi`, close it (a command that draws
    several figures should not hold them all), and print the path; returns the path."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    print(f"figure: {out}")
    return out
