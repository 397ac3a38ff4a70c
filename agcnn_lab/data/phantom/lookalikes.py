"""Look-alikes: normal things radiologists learn not to call a nodule or a pneumothorax.

None of them is labelled or boxed. Each is drawn so that, blurred and 4x downsampled (what the
global branch's 128-px view keeps), it is a blob or a curved edge like the finding it mimics;
only the fine detail of the 512-px source tells them apart, which is the AG-CNN premise:
spot it in the whole film, then look closer.

- calcified granuloma (an old, healed infection): smooth, sharply marginated, dense and
  homogeneous, a little smaller than a nodule; the nodule's margin is spiculated.
- nipple shadow: a round soft opacity over the lower zones, often on both sides, its lateral
  margin sharp (the nipple in profile against air), its medial margin fading into the breast.
- end-on vessel: a vessel running towards the viewer, seen as a small, very dense round dot
  in the inner two thirds of the lung, where vessels are still thick.
- skin fold: a fold of skin pressed against the cassette draws a long curved edge and a dark
  band along the lateral chest wall, like a pneumothorax's pleural line and rim; but lung
  markings continue through it, and the edge runs on beyond the lung into soft tissue.
- soft-tissue haze (v3): overlying breasts or pectoral muscles, or a poor inspiration, raise
  the density of a zone evenly; a fine fibrotic net downsampled 4x reads as the same haze, and
  only its lines, seen at 512 px, make it fibrosis. Drawn as the local mean of such a net.

A patient keeps his granuloma, nipples and end-on vessel from film to film (planned once, with
a few candidate places each); a skin fold belongs to one film. On each film a look-alike takes
the first candidate inside the visible lung and clear of that film's labelled lesions.

    plan = plan_lookalikes(anatomy, difficulty, patient_rng)
    drawn = draw_lookalikes(chest, plan, lesions, difficulty, film_rng)   # [Lookalike, ...]
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .anatomy import LEFT, RIGHT, Anatomy, sigmoid
from .difficulty import REFERENCE_SIZE, Difficulty
from .findings import Chest, Lesion, _box_of, _window, fine_reticulation, sphere
from .sites import Site, jitter

ROUND_KINDS = ("granuloma", "nipple", "end_on_vessel")
KINDS = (*ROUND_KINDS, "skin_fold", "soft_tissue_haze")
CANDIDATES = 6  # places tried per look-alike, in order, on each film


@dataclass(frozen=True)
class Lookalike:
    """One drawn look-alike: its kind, centre (x, y) and box (x0, y0, x1, y1), in pixels."""

    kind: str
    centre: tuple[float, float]
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Planned:
    """A look-alike a patient has: where it may go (best first), its diameter (px) and contrast."""

    kind: str
    candidates: tuple[Site, ...]
    diameter: float
    contrast: float


def _px(size: int, reference_px: float) -> float:
    return reference_px * size / REFERENCE_SIZE


# ---- the plan: per patient --------------------------------------------------------------
def plan_lookalikes(anatomy: Anatomy, d: Difficulty, rng: np.random.Generator) -> list[Planned]:
    """The round look-alikes a patient has, each with a few candidate places."""
    a, size = anatomy, anatomy.size
    plan: list[Planned] = []

    def planned(kind, diameter, contrast, place):
        sites = tuple(place() for _ in range(CANDIDATES))
        return Planned(kind, sites, _px(size, rng.uniform(*diameter)), rng.uniform(*contrast))

    def at(side, u, v):
        x, y = a.lung_point(side, u, v)
        return Site(x, y, side, float(u), float(v))

    def any_side():
        return RIGHT if rng.random() < 0.5 else LEFT

    if rng.random() < d.granuloma_probability:  # anywhere in the lung
        plan.append(planned("granuloma", d.granuloma_diameter, d.granuloma_contrast,
                            lambda: at(any_side(), rng.uniform(0.15, 0.85), rng.uniform(0.1, 0.85))))
    if rng.random() < d.nipple_probability:  # lower zones, mid to lateral; both sides 60%
        first = any_side()
        sides = (first, -first) if rng.random() < 0.6 else (first,)
        u, v = rng.uniform(0.5, 0.75), rng.uniform(0.62, 0.82)
        for side in sides:
            plan.append(planned("nipple", d.nipple_diameter, d.nipple_contrast,
                                lambda side=side: at(side, u + rng.uniform(-0.08, 0.08), v + rng.uniform(-0.06, 0.06))))
    if rng.random() < d.end_on_vessel_probability:  # inner two thirds, where vessels are thick
        plan.append(planned("end_on_vessel", d.end_on_vessel_diameter, d.end_on_vessel_contrast,
                            lambda: at(any_side(), rng.uniform(0.1, 0.6), rng.uniform(0.2, 0.8))))
    return plan


# ---- on a film ----------------------------------------------------------------------------
def draw_lookalikes(chest: Chest, plan: list[Planned], lesions: list[Lesion], d: Difficulty,
                    rng: np.random.Generator) -> list[Lookalike]:
    """Draw the patient's look-alikes (and perhaps a skin fold) into one film's chest."""
    drawn: list[Lookalike] = []
    taken = [lesion.box for lesion in lesions]
    for item in plan:
        radius = item.diameter / 2
        for candidate in item.candidates:
            site = jitter(candidate, rng, chest.size)
            box = (site.x - radius - 2, site.y - radius - 2, site.x + radius + 2, site.y + radius + 2)
            if _in_visible_lung(chest, site.x, site.y, radius) and not any(_overlap(box, t) for t in taken):
                drawn.append(ROUND_DRAWERS[item.kind](chest, site, item))
                taken.append(drawn[-1].box)
                break
    if rng.random() < d.skin_fold_probability:
        fold = skin_fold(chest, d, rng, taken)
        if fold is not None:
            drawn.append(fold)
    if draws_haze(d) and rng.random() < d.soft_tissue_haze_probability:  # no draw at all in v1/v2
        drawn.append(soft_tissue_haze(chest, d, rng))
    return drawn


def draws_haze(d: Difficulty) -> bool:
    """Whether films get v3's soft-tissue haze (it mimics the fine fibrotic net, so needs one)."""
    return d.soft_tissue_haze_probability > 0 and d.fibrosis_line_period[1] > 0


def _in_visible_lung(chest: Chest, x: float, y: float, radius: float) -> bool:
    """The centre and four points of the rim lie in lung the film shows (not behind its heart)."""
    a = chest.anatomy
    for ox, oy in ((0, 0), (radius, 0), (-radius, 0), (0, radius), (0, -radius)):
        col, row = int(x + ox), int(y + oy)
        if not (0 <= row < chest.size and 0 <= col < chest.size):
            return False
        if not a.lung_visible[row, col] or chest.heart[row, col] > 0.5:
            return False
    return True


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _record(chest: Chest, kind: str, site: Site, rows: slice, cols: slice, patch: np.ndarray) -> Lookalike:
    chest.delta[rows, cols] += patch.astype(np.float32)
    return Lookalike(kind, (float(site.x), float(site.y)), _box_of(np.abs(patch), rows.start, cols.start))


def granuloma(chest: Chest, site: Site, item: Planned) -> Lookalike:
    """Calcified: denser than a nodule and homogeneous (a flat top), with a smooth sharp margin."""
    radius = max(item.diameter / 2, 1.0)
    rows, cols, dx, dy = _window(chest.size, site.x, site.y, radius + 2, radius + 2)
    thickness = np.sqrt(sphere(dx, dy, radius))
    return _record(chest, "granuloma", site, rows, cols, item.contrast * chest.air * thickness)


def nipple(chest: Chest, site: Site, item: Planned) -> Lookalike:
    """A soft disc: sharp where it meets air laterally, fading medially into the breast."""
    radius = max(item.diameter / 2, 1.0)
    rows, cols, dx, dy = _window(chest.size, site.x, site.y, 1.8 * radius, 1.8 * radius)
    rho = np.sqrt(dx * dx + dy * dy) + 1e-6
    lateral = site.side * dx / rho  # 1 towards the chest wall, -1 towards the midline
    edge = 0.5 + 0.35 * radius * (1 - lateral)  # the margin's softness, in px
    disc = sigmoid((radius - rho) / edge) * (0.75 + 0.25 * sphere(dx, dy, 1.3 * radius))
    return _record(chest, "nipple", site, rows, cols, item.contrast * chest.air * disc)


def end_on_vessel(chest: Chest, site: Site, item: Planned) -> Lookalike:
    """A vessel seen along its length: a uniformly dense disc (a cylinder end-on), crisp."""
    radius = max(item.diameter / 2, 1.0)
    rows, cols, dx, dy = _window(chest.size, site.x, site.y, radius + 2, radius + 2)
    rho = np.sqrt(dx * dx + dy * dy)
    disc = sigmoid((radius - rho) / 0.45)
    return _record(chest, "end_on_vessel", site, rows, cols, item.contrast * chest.air * disc)


ROUND_DRAWERS = {"granuloma": granuloma, "nipple": nipple, "end_on_vessel": end_on_vessel}


def skin_fold(chest: Chest, d: Difficulty, rng: np.random.Generator, taken) -> Lookalike | None:
    """A long edge along the lateral chest wall with a dark band outside it, like a
    pneumothorax's pleural line and rim, but the lung's markings stay, and the edge starts
    above the lung and runs on obliquely beyond its lateral border into the chest wall.

    Tried on a random side, then the other; None if both would cross a labelled lesion.
    """
    a, size = chest.anatomy, chest.size
    gap = _px(size, rng.uniform(*d.pneumothorax_width))  # the same rim width as a pneumothorax
    contrast = rng.uniform(*d.skin_fold_line_contrast)
    v_end = rng.uniform(0.45, 0.7)
    out = rng.uniform(0.3, 0.6)  # how far beyond the lung edge it ends, in gaps
    first = RIGHT if rng.random() < 0.5 else LEFT
    for side in (first, -first):
        points = _fold_course(a, side, gap, v_end, out)
        if any(_inside(p, t) for p in points for t in taken):
            continue
        return _draw_fold(chest, side, points, gap, contrast)
    return None


def _fold_course(a: Anatomy, side: int, gap: float, v_end: float, out: float) -> np.ndarray:
    """(n, 2) points of the fold: `gap` inside the lateral lung border at the top, crossing
    it obliquely to end `out` gaps beyond it, plus a run above the apex into soft tissue."""
    vs = np.linspace(0.08, v_end, 16)
    offsets = gap * (1 - (1 + out) * (vs - vs[0]) / (vs[-1] - vs[0]))
    points = np.array([a.lung_point(side, 1.0, v) for v in vs])
    points[:, 0] -= side * offsets
    head = points[0] + (points[0] - points[3]) * 1.2  # on up, past the apex
    return np.vstack([head[None], points])


def _inside(point, box, margin: float = 2.0) -> bool:
    return box[0] - margin <= point[0] <= box[2] + margin and box[1] - margin <= point[1] <= box[3] + margin


def _draw_fold(chest: Chest, side: int, points: np.ndarray, gap: float, contrast: float) -> Lookalike:
    size = chest.size
    lateral = points + np.array([side * 0.9 * gap, 0.0])
    x0 = int(max(min(points[:, 0].min(), lateral[:, 0].min()) - 6, 0))
    x1 = int(min(max(points[:, 0].max(), lateral[:, 0].max()) + 7, size))
    y0, y1 = int(max(points[:, 1].min() - 6, 0)), int(min(points[:, 1].max() + 7, size))
    rows, cols = slice(y0, y1), slice(x0, x1)
    offset = np.array([x0, y0])
    line_canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
    band_canvas = np.zeros_like(line_canvas)
    # Sub-pixel coordinates (shift 4) keep the anti-aliased line smooth.
    line = np.rint((points - offset) * 16).astype(np.int32)
    cv2.polylines(line_canvas, [line], False, 255, 1, cv2.LINE_AA, shift=4)
    band = np.rint((np.vstack([points, lateral[::-1]]) - offset) * 16).astype(np.int32)
    cv2.fillPoly(band_canvas, [band], 255, cv2.LINE_AA, shift=4)
    width = size / REFERENCE_SIZE
    line_density = cv2.GaussianBlur(line_canvas.astype(np.float32) / 255.0, (0, 0), 0.5 * width)
    band_density = cv2.GaussianBlur(band_canvas.astype(np.float32) / 255.0, (0, 0), 1.2 * width)
    patch = contrast * chest.air * line_density / max(float(line_density.max()), 1e-6) - 0.08 * chest.air * band_density
    middle = points[len(points) // 3]  # a point of the edge still inside the lung
    site = Site(float(middle[0]), float(middle[1]), side)
    fold = _record(chest, "skin_fold", site, rows, cols, patch)
    return fold


def soft_tissue_haze(chest: Chest, d: Difficulty, rng: np.random.Generator) -> Lookalike:
    """The haze a fine fibrotic net averages into, without its lines: the local mean (a blur
    wider than the net's mesh) of a net drawn as Fibrosis draws it, at a strength Fibrosis has.
    Matched so by construction: at 128 px the two differ only in what the 4x reduction leaves
    of the lines."""
    strength = rng.uniform(*d.fibrosis_strength)
    net = fine_reticulation(chest, d, rng)
    sigma = d.fibrosis_line_period[1] * chest.size / REFERENCE_SIZE
    haze = cv2.GaussianBlur(net, (0, 0), sigma) * strength
    chest.fill += haze
    shown = haze * chest.lung_air
    box = _box_of(shown, 0, 0)
    weights = shown.sum()
    x, y = np.arange(chest.size), np.arange(chest.size)
    centre = (float((shown.sum(axis=0) * x).sum() / weights), float((shown.sum(axis=1) * y).sum() / weights))
    return Lookalike("soft_tissue_haze", centre, box)
