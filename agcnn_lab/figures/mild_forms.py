"""PhantomCXR-14 v6's mild forms: seven findings as v4 draws them and as v6 may, at 512 and 128 px.

Rows: Cardiomegaly, Effusion, Pneumothorax, Edema, Emphysema, Fibrosis, Hernia. Columns: the
film as v4 draws it, the same film as v6 draws it (the same random draws, so the same patient,
labels and pose; only the finding's size or strength moves into its mild range), and v6's
film as the 128-px global view shows it (area-downsampled 4x, enlarged with nearest neighbours).
Localised findings are shown in a window round their box, diffuse ones on the whole film. Each
row is the film, among the first ones with that finding, where v6 moves it furthest from v4.

    fig = mild_forms_figure(seed=0)
    fig.savefig("docs/figures/mild_forms.png", dpi=150)

Or regenerate the committed figure:

    python -m agcnn_lab.figures.mild_forms --out docs/figures/mild_forms.png
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..data.phantom import PRESETS, REFERENCE_SIZE, LabelDistribution, Patient
from .panels import FACTOR, crop_and_view, save_figure_command, show_pixels

FINDINGS = ("Cardiomegaly", "Effusion", "Pneumothorax", "Edema", "Emphysema", "Fibrosis", "Hernia")
LOCALISED = {"Effusion", "Pneumothorax", "Hernia"}
WINDOW = 192  # px at 512: the side of the window round a localised finding


def mild_forms_figure(seed: int = 0, size: int = 512, candidates: int = 8) -> Figure:
    """The figure of the module doc, from the first `candidates` films of `seed` with each finding."""
    fig, axes = plt.subplots(len(FINDINGS), 3, figsize=(6.3, 2.15 * len(FINDINGS)), layout="constrained")
    for row, finding in enumerate(FINDINGS):
        plain, mild, box = mildest_example(finding, seed, size, candidates)
        if box is None:  # a diffuse finding: the whole film
            x = y = size / 2
            side = size
        else:
            x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            side = size * WINDOW // REFERENCE_SIZE
        mild_crop, view = crop_and_view(mild, x, y, side)
        panels = ((crop_and_view(plain, x, y, side)[0], f"{finding}: v4 (plain)"),
                  (mild_crop, "v6 (mild), 512-px source"), (view, f"v6, the {size // FACTOR}-px view"))
        for col, (image, title) in enumerate(panels):
            show_pixels(axes[row, col], image, title)
    fig.suptitle("PhantomCXR-14 v6: the mild forms of seven findings beside v4's plain ones", fontsize=9)
    return fig


def mildest_example(finding: str, seed: int, size: int, candidates: int):
    """(v4 pixels, v6 pixels, v6 box or None) of the film, among the first `candidates` films of
    patients with `finding`, whose v6 pixels differ most from its v4 pixels (mean |difference|)."""
    labels = LabelDistribution.build(prevalence={finding: 0.5})
    best, seen = None, 0
    for pid in range(1, 400):
        plain = Patient(pid, seed, size, labels, PRESETS["v4"]).film(0)
        if finding not in plain.labels:
            continue
        mild = Patient(pid, seed, size, labels, PRESETS["v6"]).film(0)
        change = float(np.abs(plain.pixels.astype(np.float32) - mild.pixels).mean())
        if best is None or change > best[0]:
            box = next((lesion.box for lesion in mild.lesions if lesion.label == finding), None)
            best = (change, plain.pixels, mild.pixels, box if finding in LOCALISED else None)
        seen += 1
        if seen == candidates:
            break
    if best is None:
        raise RuntimeError(f"no film with {finding} among the first 399 patients of seed {seed}")
    return best[1:]


def main(argv: list[str] | None = None) -> None:
    save_figure_command("Draw PhantomCXR-14 v6's mild forms beside v4's plain ones.", mild_forms_figure,
                        default_dpi=150, argv=argv)


if __name__ == "__main__":
    main()
