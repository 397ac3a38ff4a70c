"""PhantomCXR-14's milder and smaller forms: findings as v4 draws them and as v6 or v7 may, at 512 and 128 px.

v6 (the default): Cardiomegaly, Effusion, Pneumothorax, Edema, Emphysema, Fibrosis, Hernia in their
mild forms; v7: Atelectasis, Consolidation, Pneumonia, Infiltration in their small forms. Columns:
the film as v4 draws it, the same film as the preset draws it (the same random draws, so the same
patient and labels; only the finding's size or strength moves into its new range), and that film
as the 128-px global view shows it (area-downsampled 4x, enlarged with nearest neighbours).
Localised findings are shown in a window round their box, diffuse ones on the whole film. Each
row is the film, among the first ones with that finding, where the preset moves it furthest from
v4: v6's pixels differ most, v7's box shrinks most. (A v7 film may be posed differently from v4's:
an air-space opacity's fine mottle draws more random numbers the larger it is, and the pose is
drawn after the lesions; so each column's window is centred on its own film's box.)

    fig = mild_forms_figure(seed=0, preset="v7")
    fig.savefig("docs/figures/small_forms.png", dpi=150)

Or regenerate the committed figures:

    python -m agcnn_lab.figures.mild_forms --out docs/figures/mild_forms.png
    python -m agcnn_lab.figures.mild_forms --preset v7 --out docs/figures/small_forms.png
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..data.phantom import PRESETS, REFERENCE_SIZE, LabelDistribution, Patient
from .panels import FACTOR, crop_and_view, save_figure_command, show_pixels


class Forms(NamedTuple):
    """What a preset changes against v4: the findings, those shown in a window, the word for it,
    how a film's change is measured ("pixels": mean |difference|; "box": the box's shrink), and
    the figure's title."""

    findings: tuple[str, ...]
    localised: frozenset[str]
    adjective: str
    measure: str
    title: str


FORMS = {
    "v6": Forms(("Cardiomegaly", "Effusion", "Pneumothorax", "Edema", "Emphysema", "Fibrosis", "Hernia"),
                frozenset({"Effusion", "Pneumothorax", "Hernia"}), "mild", "pixels",
                "PhantomCXR-14 v6: the mild forms of seven findings beside v4's plain ones"),
    "v7": Forms(("Atelectasis", "Consolidation", "Pneumonia", "Infiltration"),
                frozenset({"Atelectasis", "Consolidation", "Pneumonia", "Infiltration"}), "small", "box",
                "PhantomCXR-14 v7: the small forms of the four focal opacities beside v4's plain ones"),
}
FINDINGS = FORMS["v6"].findings
WINDOW = 192  # px at 512: the side of the window round a localised finding


def mild_forms_figure(seed: int = 0, size: int = 512, candidates: int = 8, preset: str = "v6") -> Figure:
    """The figure of the module doc, from the first `candidates` films of `seed` with each finding."""
    forms = _forms(preset)
    fig, axes = plt.subplots(len(forms.findings), 3, figsize=(6.3, 2.15 * len(forms.findings)),
                             layout="constrained")
    for row, finding in enumerate(forms.findings):
        plain, changed, plain_box, box = mildest_example(finding, seed, size, candidates, preset)
        changed_crop, view = crop_and_view(changed, *_window(box, size))
        panels = ((crop_and_view(plain, *_window(plain_box, size))[0], f"{finding}: v4 (plain)"),
                  (changed_crop, f"{preset} ({forms.adjective}), 512-px source"),
                  (view, f"{preset}, the {size // FACTOR}-px view"))
        for col, (image, title) in enumerate(panels):
            show_pixels(axes[row, col], image, title)
    fig.suptitle(forms.title, fontsize=9)
    return fig


def mildest_example(finding: str, seed: int, size: int, candidates: int, preset: str = "v6"):
    """(v4 pixels, `preset`'s pixels, v4's box, `preset`'s box; the boxes None for a diffuse
    finding) of the film, among the first `candidates` films of patients with `finding`, that
    `preset` changes most (its Forms.measure)."""
    forms = _forms(preset)
    labels = LabelDistribution.build(prevalence={finding: 0.5})
    best, seen = None, 0
    for pid in range(1, 400):
        plain = Patient(pid, seed, size, labels, PRESETS["v4"]).film(0)
        if finding not in plain.labels:
            continue
        changed = Patient(pid, seed, size, labels, PRESETS[preset]).film(0)
        boxes = [_box(film, finding) if finding in forms.localised else None for film in (plain, changed)]
        if forms.measure == "box":
            change = 1 - _area(boxes[1]) / max(_area(boxes[0]), 1.0)
        else:
            change = float(np.abs(plain.pixels.astype(np.float32) - changed.pixels).mean())
        if best is None or change > best[0]:
            best = (change, plain.pixels, changed.pixels, *boxes)
        seen += 1
        if seen == candidates:
            break
    if best is None:
        raise RuntimeError(f"no film with {finding} among the first 399 patients of seed {seed}")
    return best[1:]


def _box(film, finding: str):
    return next(lesion.box for lesion in film.lesions if lesion.label == finding)


def _area(box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def _window(box, size: int) -> tuple[float, float, int]:
    """(x, y, side) of the panel: round a localised finding's box, or the whole film."""
    if box is None:
        return size / 2, size / 2, size
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, size * WINDOW // REFERENCE_SIZE


def _forms(preset: str) -> Forms:
    if preset not in FORMS:
        raise ValueError(f"no milder or smaller forms drawn for preset {preset!r}; choose from {', '.join(FORMS)}")
    return FORMS[preset]


def main(argv: list[str] | None = None) -> None:
    save_figure_command("Draw PhantomCXR-14 v6's mild or v7's small forms beside v4's plain ones.",
                        mild_forms_figure, default_dpi=150, argv=argv, choices={"preset": tuple(FORMS)})


if __name__ == "__main__":
    main()
