"""PhantomCXR-14 v2's look-alikes: each finding and what mimics it, at 512 px and at 128 px.

Rows: nodule, calcified granuloma, nipple shadow, end-on vessel, pneumothorax, skin fold.
Columns: a crop of the 512-px source around it, and the same region as the 128-px global view
shows it (area-downsampled 4x, enlarged with nearest neighbours for display).

    fig = lookalike_figure(seed=0)
    fig.savefig("docs/figures/lookalikes.png", dpi=170)

Or regenerate the committed figure:

    python -m agcnn_lab.figures.lookalikes --out docs/figures/lookalikes.png
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..data.phantom import Difficulty, LabelDistribution, Patient
from .panels import FACTOR, crop_and_view, save_figure_command, show_pixels

ROWS = (("Nodule", "nodule (labelled): spiculated"), ("granuloma", "calcified granuloma: smooth, dense"),
        ("nipple", "nipple shadow: sharp laterally only"), ("end_on_vessel", "end-on vessel: crisp dense dot"),
        ("Pneumothorax", "pneumothorax (labelled): no markings"),
        ("skin_fold", "skin fold: markings go on"))
WIDE = {"Pneumothorax", "skin_fold"}  # edges along the chest wall: a wider crop


def lookalike_figure(seed: int = 0, size: int = 512, examples: int = 2) -> Figure:
    """The figure of the module doc, `examples` instances of each row, from films of `seed`."""
    found = find_examples(seed, size, examples)
    fig, axes = plt.subplots(len(ROWS), 2 * examples, figsize=(2.0 * 2 * examples, 2.05 * len(ROWS)),
                             layout="constrained")
    for r, (kind, title) in enumerate(ROWS):
        for e, (pixels, (x, y)) in enumerate(found[kind]):
            crop, view = crop_and_view(pixels, x, y, 128 if kind in WIDE else 48)
            show_pixels(axes[r, 2 * e], crop, f"{title}\n512-px source" if e == 0 else "512-px source")
            show_pixels(axes[r, 2 * e + 1], view, f"same, {size // FACTOR}-px view")
    fig.suptitle("PhantomCXR-14 v2: findings and look-alikes, at the source's resolution and at the "
                 "global branch's", fontsize=9)
    return fig


def find_examples(seed: int, size: int, examples: int) -> dict[str, list[tuple[np.ndarray, tuple[float, float]]]]:
    """{row kind: [(film pixels, centre), ...]}, from the first films that show each."""
    difficulty = replace(Difficulty(), granuloma_probability=1.0, nipple_probability=1.0,
                         end_on_vessel_probability=1.0, skin_fold_probability=0.5)
    labels = LabelDistribution.build(prevalence={"Nodule": 0.5, "Pneumothorax": 0.5})
    found: dict[str, list] = {kind: [] for kind, _ in ROWS}
    for pid in range(1, 200):
        film = Patient(pid, seed, size, labels, difficulty).film(0)
        items = [(lesion.label, c) for lesion, c in zip(film.lesions, film.centres, strict=True)]
        items += [(item.kind, item.centre) for item in film.lookalikes]
        for kind, centre in items:
            if kind in found and len(found[kind]) < examples:
                found[kind].append((film.pixels, centre))
        if all(len(v) == examples for v in found.values()):
            break
    return found


def main(argv: list[str] | None = None) -> None:
    save_figure_command("Draw PhantomCXR-14 v2's findings beside their look-alikes.", lookalike_figure,
                        default_dpi=170, argv=argv)


if __name__ == "__main__":
    main()
