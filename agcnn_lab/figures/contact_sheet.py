"""PhantomCXR-14 beside real radiographs: labels, ground-truth boxes, and the zoom it is for.

    fig = phantom_contact_sheet("data/phantom-sheet", "data/nih-sample")
    fig.savefig("docs/figures/phantom_contact_sheet.png", dpi=100)

Or regenerate the committed figure (makes a 200-patient set in a temporary folder):

    python -m agcnn_lab.figures.contact_sheet --out docs/figures/phantom_contact_sheet.png

Top: real ChestX-ray14 images (left) and phantom images chosen to show all 14 findings
(right), each titled with its labels, phantom boxes drawn. Bottom: small findings cut from
the 512-px source around their box, next to the same region in the 128-px whole-image view
the global branch sees.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..data import CLASSES, read_boxes, read_entries, read_image
from ..data.nih_release import BOX_LIST, ENTRY_TABLE
from .save import save_figure
from .style import TRUTH_COLOUR

REAL_COLUMNS = 2
PHANTOM_COLUMNS = 4
ROWS = 3
ZOOM_LABELS = ("Nodule", "Nodule", "Pleural_Thickening", "Pneumothorax")
GLOBAL_SIZE = 128
SHORT = {
    "Atelectasis": "Atel", "Cardiomegaly": "Card", "Effusion": "Effu", "Infiltration": "Infi",
    "Mass": "Mass", "Nodule": "Nodu", "Pneumonia": "Pnea", "Pneumothorax": "Pnx",
    "Consolidation": "Cons", "Edema": "Edem", "Emphysema": "Emph", "Fibrosis": "Fibr",
    "Pleural_Thickening": "PlTh", "Hernia": "Hern",
}


def phantom_contact_sheet(phantom_root: str | os.PathLike, real_root: str | os.PathLike,
                          seed: int = 0) -> Figure:
    """The figure described in the module doc; `seed` picks among equally good images."""
    phantom_root, real_root = Path(phantom_root), Path(real_root)
    entries = read_entries(ENTRY_TABLE.require_in(phantom_root))
    boxes = read_boxes(BOX_LIST.require_in(phantom_root))
    chosen = _cover_all_classes(entries, ROWS * PHANTOM_COLUMNS, seed)
    real = _real_examples(real_root, ROWS * REAL_COLUMNS)

    columns = REAL_COLUMNS + PHANTOM_COLUMNS
    fig = plt.figure(figsize=(2.3 * columns, 2.45 * (ROWS + 1) + 0.4), layout="constrained")
    grid = fig.add_gridspec(ROWS + 1, columns)
    for k, (image, labels) in enumerate(real):
        ax = fig.add_subplot(grid[k // REAL_COLUMNS, k % REAL_COLUMNS])
        _show(ax, image, f"real: {_label_text(labels)}", colour="#444444")
    for k, name in enumerate(chosen):
        ax = fig.add_subplot(grid[k // PHANTOM_COLUMNS, REAL_COLUMNS + k % PHANTOM_COLUMNS])
        image = read_image(phantom_root / "images" / name)
        row = entries.loc[entries["image"] == name].iloc[0]
        labels = [c for c in CLASSES if row[c]]
        _show(ax, image, f"phantom: {_label_text(labels)}", colour="#1a5fb4")
        for b in boxes[boxes["image"] == name].itertuples():
            ax.add_patch(Rectangle((b.x, b.y), b.w, b.h, fill=False, edgecolor=TRUTH_COLOUR, lw=0.9))
            ax.text(b.x, b.y - 2, SHORT[b.label], color=TRUTH_COLOUR, fontsize=5.5, va="bottom")
    for k, (crop, small, label, scale) in enumerate(_zooms(phantom_root, boxes, seed)):
        ax = fig.add_subplot(grid[ROWS, 2 * k])
        _show(ax, crop, f"{label}: crop of the {scale}-px source", colour="#1a5fb4")
        ax = fig.add_subplot(grid[ROWS, 2 * k + 1])
        _show(ax, small, f"same region, {GLOBAL_SIZE}-px global view", colour="#1a5fb4")
        if 2 * k + 3 >= columns:
            break
    fig.suptitle("Real ChestX-ray14 (left) and PhantomCXR-14 (right, ground-truth boxes in cyan); "
                 "bottom: small findings at the source's resolution and at the global branch's",
                 fontsize=9)
    return fig


def _label_text(labels) -> str:
    return ", ".join(SHORT[c] for c in labels) or "No Finding"


def _show(ax, image: np.ndarray, title: str, colour: str) -> None:
    ax.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="antialiased")
    ax.set_title(title, fontsize=6.5, color=colour)
    ax.set_xticks([])
    ax.set_yticks([])


def _cover_all_classes(entries, n: int, seed: int) -> list[str]:
    """Greedy: each pick adds the most classes not shown yet (ties: fewer labels, then
    random); two images of No Finding are kept for comparison."""
    rng = np.random.default_rng(seed)
    onehot = entries[list(CLASSES)].to_numpy(bool)
    count = onehot.sum(1)
    order = rng.permutation(len(entries))
    shown = np.zeros(len(CLASSES), bool)
    chosen: list[int] = []
    normal = [i for i in order if count[i] == 0][:2]
    while len(chosen) < n - len(normal):
        if shown.all():  # every class shown: start a second round
            shown[:] = False
        gain = (onehot[order] & ~shown).sum(1)
        score = np.minimum(gain, 3) * 10 - 3 * count[order] - np.isin(order, chosen) * 1000
        best = int(order[int(np.argmax(score))])
        if best in chosen:
            break
        chosen.append(best)
        shown |= onehot[best]
    picked = chosen + normal
    return [entries["image"].iloc[i] for i in picked]


def _real_examples(real_root: Path, n: int) -> list[tuple[np.ndarray, list[str]]]:
    entries = read_entries(ENTRY_TABLE.require_in(real_root))
    present = sorted(p.name for p in (real_root / "images").glob("*.png"))
    table = entries.set_index("image")
    # One image per patient first, so the real side shows different people.
    firsts, seen = [], set()
    for name in present:
        if int(name[:8]) not in seen:
            seen.add(int(name[:8]))
            firsts.append(name)
    names = (firsts + [p for p in present if p not in firsts])[:n]
    out = []
    for name in names:
        labels = [c for c in CLASSES if name in table.index and table.loc[name, c]]
        out.append((read_image(real_root / "images" / name), labels))
    return out


def _zooms(root: Path, boxes, seed: int):
    """(crop of the source, same region in the global view, label, source size) per finding."""
    rng = np.random.default_rng(seed)
    used = set()
    for label in ZOOM_LABELS:
        candidates = boxes[(boxes["label"] == label) & ~boxes["image"].isin(used)]
        if not len(candidates):
            continue
        b = candidates.iloc[int(rng.integers(len(candidates)))]
        used.add(b["image"])
        source = read_image(root / "images" / b["image"])
        size = source.shape[0]
        side = size // 4  # the window an attention box of a quarter of the side would cut
        cx, cy = b["x"] + b["w"] / 2, b["y"] + b["h"] / 2
        x0 = int(np.clip(cx - side / 2, 0, size - side))
        y0 = int(np.clip(cy - side / 2, 0, size - side))
        crop = source[y0 : y0 + side, x0 : x0 + side]
        small = cv2.resize(source, (GLOBAL_SIZE, GLOBAL_SIZE), interpolation=cv2.INTER_AREA)
        f = GLOBAL_SIZE / size
        region = small[int(y0 * f) : int((y0 + side) * f), int(x0 * f) : int((x0 + side) * f)]
        yield crop, region, label, size


def main(argv: list[str] | None = None) -> None:
    from ..data.phantom import difficulty_preset, generate
    from ..profiles import get_profile

    demo_preset = get_profile("cpu").data.phantom_preset

    parser = argparse.ArgumentParser(description="Draw the PhantomCXR-14 contact sheet.")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--phantom", type=Path, default=None, help="a generated set (default: make one)")
    parser.add_argument("--real", type=Path, default=Path("data/nih-sample"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--preset", default=demo_preset,
                        help=f"the phantom's settings when one is made (default: make demo's, {demo_preset})")
    args = parser.parse_args(argv)
    difficulty = difficulty_preset(args.preset)  # an unknown name fails here, before any work
    with tempfile.TemporaryDirectory() as tmp:
        root = args.phantom or generate(Path(tmp) / "phantom", 200, size=512, seed=args.seed, difficulty=difficulty)
        fig = phantom_contact_sheet(root, args.real, seed=args.seed)
        save_figure(fig, args.out, dpi=110)


if __name__ == "__main__":
    main()
