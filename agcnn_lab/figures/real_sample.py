"""The real films of data/nih-sample as a profile's recipe sees them, drawn on the CPU.

    from agcnn_lab.figures.real_sample import plot_real_sample, reference_boxes, sample_films
    from agcnn_lab.paths import nih_sample_dir
    from agcnn_lab.profiles import get_profile

    films = sample_films(nih_sample_dir(), count=4)        # films with findings first
    fig = plot_real_sample(films, get_profile("gpu"), reference=reference_boxes(nih_sample_dir()))
    fig.savefig("real_sample.png", dpi=100)

Over each 1024-px radiograph: its ground-truth boxes (solid, cyan) where the release's box list
has any; the window the global input shows (resize to `geometry.resize`, centre crop of
`geometry.crop`: dashed, yellow); and, centred in it, the largest attention box that the local
crop (`attention.crop_size` px, cut from the `data.cache_size`-px cache) still shows at the
cache's full detail (dotted, red): a larger box is shrunk to fit the crop. None of the 23 sample
films has a box in the release's list (it boxes 984 other films), so `reference` boxes, real
boxes of other films at their place in the same 1024-px frame, show the size of a lesion
(dashed, orange) on films without their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..config import Profile
from ..data import CLASSES, read_boxes, read_entries, read_image
from ..data.boxes import normalise_boxes
from ..data.nih_release import BOX_LIST, ENTRY_TABLE
from ..paper import FILM_SIZE
from .style import ATTENTION_COLOUR, TRUTH_COLOUR

WINDOW_COLOUR = "#ffd400"  # the global input's window
REFERENCE_COLOUR = "#ff9f1c"  # boxes of other films
REFERENCE_LABELS = ("Nodule", "Mass", "Atelectasis")


class SampleFilm(NamedTuple):
    name: str
    image: np.ndarray  # (H, W) uint8
    labels: list[str]  # its findings ([] for No Finding)
    boxes: pd.DataFrame  # its ground-truth boxes: label, x0, y0, x1, y1 normalised to the film


def sample_films(sample_dir: str | os.PathLike, count: int = 4, names: list[str] | None = None) -> list[SampleFilm]:
    """`count` films of the sample folder (or the films `names`), with their labels and boxes.
    Chosen by default: films with a box first, then one film per new set of findings, then
    the rest, each group in name order."""
    sample_dir = Path(sample_dir)
    entries = read_entries(ENTRY_TABLE.require_in(sample_dir)).set_index("image")
    present = sorted(p.name for p in (sample_dir / "images").glob("*.png"))
    boxes = read_boxes(BOX_LIST.require_in(sample_dir))
    if names is None:
        names = _choose([n for n in present if n in entries.index], entries, set(boxes["image"]), count)
    films = []
    for name in names:
        image = read_image(sample_dir / "images" / name)
        own = boxes[boxes["image"] == name]
        sizes = pd.DataFrame({"image": [name], "width": [image.shape[1]], "height": [image.shape[0]]})
        row = entries.loc[name]
        films.append(SampleFilm(name, image, [c for c in CLASSES if row[c]], normalise_boxes(own, sizes).reset_index(drop=True)))
    return films


def _choose(names: list[str], entries: pd.DataFrame, boxed: set[str], count: int) -> list[str]:
    with_box = [n for n in names if n in boxed]
    seen, new_findings = set(), []
    for name in names:
        findings = tuple(c for c in CLASSES if entries.loc[name, c])
        if findings and findings not in seen and name not in with_box:
            seen.add(findings)
            new_findings.append(name)
    rest = [n for n in names if n not in with_box and n not in new_findings]
    return (with_box + new_findings + rest)[:count]


def reference_boxes(sample_dir: str | os.PathLike, labels: tuple[str, ...] = REFERENCE_LABELS) -> pd.DataFrame:
    """One real box per label from the release's box list (of other films): the one of median
    area, normalised to the 1024-px frame the list is drawn in. Columns image, label, x0..y1."""
    boxes = read_boxes(BOX_LIST.require_in(Path(sample_dir)))
    boxes = boxes[boxes["label"].isin(labels)]
    sizes = pd.DataFrame({"image": boxes["image"].unique(), "width": FILM_SIZE, "height": FILM_SIZE})
    boxes = normalise_boxes(boxes, sizes)
    chosen = []
    for label in labels:
        rows = boxes[boxes["label"] == label]
        if len(rows):
            area = (rows["x1"] - rows["x0"]) * (rows["y1"] - rows["y0"])
            chosen.append(rows.iloc[int(np.argsort(area.to_numpy())[len(rows) // 2])])
    return pd.DataFrame(chosen, columns=["image", "label", "x0", "y0", "x1", "y1"]).reset_index(drop=True)


def input_window(profile: Profile) -> tuple[float, float, float, float]:
    """(u0, v0, u1, v1): the part of the film the global input shows at test time (resize, then
    the centre crop), normalised to the film."""
    u0, v0, u1, v1, _ = (float(v) for v in profile.data.geometry.eval_frame())
    return u0, v0, u1, v1


def full_detail_box(profile: Profile) -> float:
    """The side, as a share of the film's, of the largest box the local crop shows at the
    cache's full detail: crop size / cache size (capped at the whole film)."""
    crop = profile.model.attention.crop_size or profile.data.geometry.crop
    return min(1.0, crop / profile.data.cache_size)


def plot_real_sample(
    films: list[SampleFilm], profile: Profile, reference: pd.DataFrame | None = None, columns: int = 4
) -> Figure:
    """One panel per film: the film, its ground-truth boxes, the global input's window, the
    full-detail box of the local crop, and `reference` boxes on films without their own."""
    if not films:
        raise ValueError("no films to draw")
    columns = min(columns, len(films))
    rows = -(-len(films) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.0 * columns, 3.25 * rows + 0.9), layout="constrained", squeeze=False)
    geometry, crop = profile.data.geometry, profile.model.attention.crop_size or profile.data.geometry.crop
    u0, v0, u1, v1 = input_window(profile)
    side = full_detail_box(profile)
    for ax in axes.flat[len(films):]:
        ax.remove()
    for ax, film in zip(axes.flat, films, strict=False):
        height, width = film.image.shape
        ax.imshow(film.image, cmap="gray", vmin=0, vmax=255)
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"{film.name}\n{', '.join(film.labels) or 'No Finding'}", fontsize=7.5)
        ax.add_patch(Rectangle((u0 * width, v0 * height), (u1 - u0) * width, (v1 - v0) * height,
                               fill=False, edgecolor=WINDOW_COLOUR, lw=1.2, ls="--", gid="window"))
        cx, cy = (u0 + u1) / 2 * width, (v0 + v1) / 2 * height
        ax.add_patch(Rectangle((cx - side * width / 2, cy - side * height / 2), side * width, side * height,
                               fill=False, edgecolor=ATTENTION_COLOUR, lw=1.2, ls=":", gid="full detail"))
        own = not film.boxes.empty
        shown = film.boxes if own else (reference if reference is not None else film.boxes.iloc[:0])
        colour, style, gid = (TRUTH_COLOUR, "-", "truth") if own else (REFERENCE_COLOUR, "--", "reference")
        for box in shown.itertuples():
            ax.add_patch(Rectangle((box.x0 * width, box.y0 * height), (box.x1 - box.x0) * width, (box.y1 - box.y0) * height,
                                   fill=False, edgecolor=colour, lw=1.3, ls=style, gid=gid))
            ax.text(box.x0 * width, box.y0 * height - 8, box.label, color=colour, fontsize=6.5, va="bottom")
        if not own:
            ax.set_xlabel("no box of its own in the list", fontsize=6.5)
    handles = []
    if any(not film.boxes.empty for film in films):
        handles.append(Line2D([], [], color=TRUTH_COLOUR, lw=1.3, label="the film's ground-truth box"))
    if reference is not None and len(reference) and any(film.boxes.empty for film in films):
        handles.append(Line2D([], [], color=REFERENCE_COLOUR, lw=1.3, ls="--", label="a real box of another film (its size and place)"))
    handles += [
        Line2D([], [], color=WINDOW_COLOUR, lw=1.2, ls="--",
               label=f"global input: resize {geometry.resize}, centre crop {geometry.crop} px"),
        Line2D([], [], color=ATTENTION_COLOUR, lw=1.2, ls=":",
               label=f"largest box the {crop}-px crop shows at the {profile.data.cache_size}-px cache's full detail"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=7, frameon=False)
    fig.suptitle(f"Real ChestX-ray14 films under the '{profile.name}' profile's geometry", fontsize=9)
    return fig
