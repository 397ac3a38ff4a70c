"""What each of the 14 findings does to a chest: its look, drawn into one image's layers.

A finding draws into a `Chest`, the per-image copy of the patient's layers, in the canonical
frame (before pose). Opacities that fill air spaces (consolidation, effusion, ...) add
density in proportion to the lung air at that point, so they stop at the lung's edge as on
films (the silhouette sign); solid lesions (nodule, mass) add their own thickness. Each
localised finding returns its `Lesion`: the label and the box of what it drew, measured on
the density it added, so the box always covers the drawn finding.

Sizes come from `Difficulty` in px at 512 and are scaled to the image size here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .anatomy import LEFT, RIGHT, Anatomy, grid, sigmoid
from .difficulty import REFERENCE_SIZE, Difficulty
from .sites import Site

# The heart's own muscle and blood, beyond the lung air it displaces.
HEART_DENSITY = 0.07
# A box covers the pixels where a finding adds at least this fraction of its peak density.
BOX_LEVEL = 0.15


@dataclass(frozen=True)
class Lesion:
    """One localised finding instance: label and box (x0, y0, x1, y1) in canonical pixels."""

    label: str
    box: tuple[float, float, float, float]


class Chest:
    """One image's layers: the patient's, plus what its findings change.

    density() = base - air * lung_air * (1 - fill) + vessels * vessel_gain
                + HEART_DENSITY * heart + delta

    `fill` is the fraction of the lung air that fluid, cells or collapse have replaced; it
    saturates at 1 (a lung cannot lose more air than it has), so overlapping opacities never
    turn whiter than soft tissue.
    """

    def __init__(self, anatomy: Anatomy):
        self.anatomy = anatomy
        self.size = anatomy.size
        self.air = anatomy.params.air
        self.heart = anatomy.heart
        self.lung_air = anatomy.lung_air
        self.inflated = False
        self.lucency = 1.0
        self.vessel_gain: np.ndarray | float = 1.0
        self.delta = np.zeros((self.size, self.size), np.float32)
        self.fill = np.zeros((self.size, self.size), np.float32)
        # What each lesion drew, (rows, cols, weight): its box, and its mask when asked for.
        self.drawn: list[tuple[slice, slice, np.ndarray]] = []

    def density(self) -> np.ndarray:
        a = self.anatomy
        out = a.base - self.air * self.lung_air * (1.0 - np.minimum(self.fill, 1.0))
        out += a.vessels * (1.0 - 0.7 * self.heart) * self.vessel_gain
        out += HEART_DENSITY * self.heart
        out += self.delta
        return out

    def refresh_lung_air(self) -> None:
        """Recompute the lung air after the heart or the lungs' inflation changed."""
        self.lung_air = self.anatomy.lung_air_with(self.heart, inflated=self.inflated) * self.lucency

    def own_vessel_gain(self) -> np.ndarray:
        if not isinstance(self.vessel_gain, np.ndarray):
            self.vessel_gain = np.ones((self.size, self.size), np.float32)
        return self.vessel_gain

    def add(self, rows: slice, cols: slice, patch: np.ndarray, label: str) -> Lesion:
        """Add a density patch and return its lesion, boxed where |patch| >= BOX_LEVEL * peak."""
        self.delta[rows, cols] += patch
        return self.lesion(label, rows, cols, np.abs(patch))

    def add_fill(self, rows: slice, cols: slice, patch: np.ndarray, label: str) -> Lesion:
        """Replace lung air (patch: fraction 0..1); boxed where it shows, i.e. on the lung."""
        self.fill[rows, cols] += patch
        return self.lesion(label, rows, cols, patch * self.lung_air[rows, cols])

    def lesion(self, label: str, rows: slice, cols: slice, weight: np.ndarray) -> Lesion:
        """Record what a lesion drew (`weight` >= 0 over rows x cols) and box it."""
        self.drawn.append((rows, cols, weight))
        return Lesion(label, _box_of(weight, rows.start, cols.start))

    def lesion_mask(self, index: int) -> np.ndarray:
        """Where lesion `index` drew at least BOX_LEVEL of its peak, as a full-size mask."""
        rows, cols, weight = self.drawn[index]
        mask = np.zeros((self.size, self.size), bool)
        mask[rows, cols] = weight >= BOX_LEVEL * weight.max()
        return mask


def _box_of(weight: np.ndarray, row0: int, col0: int) -> tuple[float, float, float, float]:
    peak = float(weight.max())
    if peak <= 0:
        raise RuntimeError("a finding drew nothing")  # a bug in a drawer, not bad input
    on = weight >= BOX_LEVEL * peak
    rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
    return (float(col0 + cols[0]), float(row0 + rows[0]), float(col0 + cols[-1] + 1), float(row0 + rows[-1] + 1))


def _window(size: int, x: float, y: float, rx: float, ry: float):
    """Slices around (x, y) px with half-sizes (rx, ry), and the local offsets dx, dy (px)."""
    r0, r1 = max(int(y - ry) - 1, 0), min(int(y + ry) + 2, size)
    c0, c1 = max(int(x - rx) - 1, 0), min(int(x + rx) + 2, size)
    dy = np.arange(r0, r1, dtype=np.float32)[:, None] + 0.5 - y
    dx = np.arange(c0, c1, dtype=np.float32)[None, :] + 0.5 - x
    return slice(r0, r1), slice(c0, c1), dx, dy


def _px(size: int, reference_px: float) -> float:
    return reference_px * size / REFERENCE_SIZE


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth noise in [-1, 1]-ish: a coarse random grid of `cells` per side, upsampled."""
    coarse = rng.standard_normal((cells + 1, cells + 1)).astype(np.float32)
    return cv2.resize(coarse, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


# ---- solid lesions -------------------------------------------------------------------------
def sphere(dx, dy, radius):
    """Projected thickness of a sphere: sqrt(1 - r^2), a sharp rim as on films."""
    return np.sqrt(np.clip(1.0 - (dx * dx + dy * dy) / (radius * radius), 0, 1))


def nodule(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """A soft-tissue sphere; with `nodule_spicules`, the spiculated margin of a malignancy."""
    radius = _px(chest.size, rng.uniform(*d.nodule_diameter)) / 2
    contrast = rng.uniform(*d.nodule_contrast)
    # At least one pixel wide, wherever the centre falls between pixel centres (tiny sizes).
    radius = max(radius, 1.0)
    if d.nodule_spicules[1] < 1:  # v1: the smooth sphere, and no further draws from rng
        rows, cols, dx, dy = _window(chest.size, site.x, site.y, radius + 2, radius + 2)
        thickness = sphere(dx, dy, radius)
        return chest.add(rows, cols, contrast * chest.air * thickness, "Nodule")
    reach = radius * (1 + d.nodule_spicule_length[1]) + 2
    rows, cols, dx, dy = _window(chest.size, site.x, site.y, reach, reach)
    thickness = spiculated(dx, dy, radius, chest.size, d, rng)
    return chest.add(rows, cols, (contrast * chest.air * thickness).astype(np.float32), "Nodule")


def spiculated(dx, dy, radius: float, size: int, d: Difficulty, rng) -> np.ndarray:
    """Thickness of a spiculated nodule: a lobulated sphere, a corona of thin tapering
    spicules (strands of tumour and fibrosis pulling on the lung), sometimes a lucent notch.

    The spicules are one or two pixels wide at 512: they vanish in a 4x smaller view, which is
    what makes the margin, not the blob, the sign of malignancy here.
    """
    angle = np.arctan2(dy, dx)
    rho = np.sqrt(dx * dx + dy * dy)
    phase, lobes = rng.uniform(0, 2 * math.pi), int(rng.integers(3, 6))
    bumpy = radius * (1 + 0.08 * np.sin(lobes * angle + phase))  # a lobulated outline
    thickness = np.sqrt(np.clip(1.0 - (rho / bumpy) ** 2, 0, 1))
    count = int(rng.integers(round(d.nodule_spicules[0]), round(d.nodule_spicules[1]) + 1))
    # Spread round the nodule, as a corona, with some irregularity.
    directions = (np.arange(count) + rng.uniform(-0.3, 0.3, count)) * 2 * math.pi / count + phase
    for direction in directions:
        length = radius * rng.uniform(*d.nodule_spicule_length)
        half_width = _px(size, rng.uniform(*d.nodule_spicule_width)) / 2
        thickness = np.maximum(thickness, 0.55 * _spicule(dx, dy, direction, 0.8 * radius, length + 0.2 * radius,
                                                          half_width))
    if rng.random() < d.nodule_notch_probability:
        # A notch of air where a vessel or a bronchus enters: a bite out of the margin.
        where = rng.uniform(0, 2 * math.pi)
        nx, ny = 0.95 * radius * math.cos(where), 0.95 * radius * math.sin(where)
        bite = sphere(dx - nx, dy - ny, 0.35 * radius)
        thickness = thickness * (1 - 0.85 * np.minimum(bite * 2, 1))
    return thickness


def _spicule(dx, dy, direction: float, start: float, length: float, half_width: float) -> np.ndarray:
    """A straight strand from `start` out to `start + length` px, tapering to a point, anti-aliased."""
    c, s = math.cos(direction), math.sin(direction)
    along = (dx * c + dy * s - start) / length  # 0 at the base, 1 at the tip
    across = np.abs(-dx * s + dy * c)
    width = half_width * (1 - np.clip(along, 0, 1))
    return np.clip(width + 0.5 - across, 0, 1) * ((along >= 0) & (along <= 1))


def mass(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    radius = _px(chest.size, rng.uniform(*d.mass_diameter)) / 2
    contrast = rng.uniform(*d.mass_contrast)
    rows, cols, dx, dy = _window(chest.size, site.x, site.y, radius * 1.35, radius * 1.35)
    thickness = sphere(dx, dy, max(radius * 0.8, 1.0))
    for _ in range(rng.integers(2, 5)):  # lobulated: a few overlapping spheres
        angle, off = rng.uniform(0, 2 * math.pi), rng.uniform(0.2, 0.45) * radius
        lobe = sphere(dx - off * math.cos(angle), dy - off * math.sin(angle), radius * rng.uniform(0.5, 0.75))
        np.maximum(thickness, lobe, out=thickness)
    return chest.add(rows, cols, contrast * chest.air * thickness, "Mass")


# ---- air-space and collapse opacities: confined to the lung air -----------------------------
def _airspace(chest: Chest, site: Site, diameter: float, contrast: float, label: str, rng,
              edge: float, patchiness: float, grain: int) -> Lesion:
    radius = diameter / 2
    rows, cols, dx, dy = _window(chest.size, site.x, site.y, radius * 1.6, radius * 1.6)
    field = np.zeros((dy.shape[0], dx.shape[1]), np.float32)
    for _ in range(rng.integers(4, 9)):  # an irregular blob: a few Gaussians
        ox, oy = rng.uniform(-0.55, 0.55, 2) * radius
        s = rng.uniform(0.2, 0.4) * radius
        field += np.exp(-((dx - ox) ** 2 + (dy - oy) ** 2) / (2 * s * s))
    # A ragged outline: the threshold wanders with coarse noise; nothing reaches the window's edge.
    field += 0.3 * _smooth_noise(rng, field.shape, 4)
    field *= np.clip(1.5 - np.sqrt(dx * dx + dy * dy) / radius, 0, 1)
    shape = sigmoid((field - 0.5) / edge)
    shape *= 0.8 + 0.2 * _smooth_noise(rng, shape.shape, max(int(radius / 3), 4))  # a fine mottle
    if patchiness:
        texture = _smooth_noise(rng, shape.shape, grain)
        shape *= np.clip(1.0 - patchiness + patchiness * (0.5 + 0.5 * texture), 0, 1)
    return chest.add_fill(rows, cols, (contrast * shape).astype(np.float32), label)


def consolidation(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """Dense, homogeneous, sharply bounded opacity with dark air bronchograms."""
    diameter = _px(chest.size, rng.uniform(*d.consolidation_diameter))
    lesion = _airspace(chest, site, diameter, rng.uniform(*d.consolidation_contrast), "Consolidation",
                       rng, edge=0.2, patchiness=0.25, grain=4)
    _bronchograms(chest, lesion, rng)
    return lesion


def pneumonia(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """Patchy, less dense opacity with fuzzy borders."""
    diameter = _px(chest.size, rng.uniform(*d.pneumonia_diameter))
    return _airspace(chest, site, diameter, rng.uniform(*d.pneumonia_contrast), "Pneumonia",
                     rng, edge=0.25, patchiness=0.55, grain=5)


def infiltration(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """Large, faint, ill-defined opacity with a fine reticulonodular grain."""
    diameter = _px(chest.size, rng.uniform(*d.infiltration_diameter))
    return _airspace(chest, site, diameter, rng.uniform(*d.infiltration_contrast), "Infiltration",
                     rng, edge=0.35, patchiness=0.7, grain=9)


def _bronchograms(chest: Chest, lesion: Lesion, rng) -> None:
    """Air-filled bronchi drawn dark through a consolidation (inside its box)."""
    x0, y0, x1, y1 = (int(v) for v in lesion.box)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return
    canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
    hx, hy = chest.anatomy.hilum(LEFT if (x0 + x1) / 2 > chest.size * chest.anatomy.params.centre else RIGHT)
    angle = math.atan2((y0 + y1) / 2 - hy, (x0 + x1) / 2 - hx)
    for _ in range(rng.integers(1, 4)):
        sx, sy = rng.uniform(0.2, 0.8) * (x1 - x0), rng.uniform(0.2, 0.8) * (y1 - y0)
        a = angle + rng.normal(0, 0.3)
        length = rng.uniform(0.25, 0.5) * min(x1 - x0, y1 - y0)
        ex, ey = sx + length * math.cos(a), sy + length * math.sin(a)
        cv2.line(canvas, (int(sx), int(sy)), (int(ex), int(ey)), 255, max(1, int(chest.size / 400)), cv2.LINE_AA)
    dark = cv2.GaussianBlur(canvas.astype(np.float32) / 255.0, (0, 0), 0.8)
    chest.fill[y0:y1, x0:x1] -= 0.3 * dark * np.clip(chest.fill[y0:y1, x0:x1], 0, 1)


def atelectasis(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """Plate-like (discoid) collapse: a dense band, roughly horizontal, with a hazy wedge."""
    length = _px(chest.size, rng.uniform(*d.atelectasis_length))
    thick = length * rng.uniform(0.10, 0.18)
    angle = math.radians(rng.uniform(-25, 25))
    contrast = rng.uniform(*d.atelectasis_contrast)
    rows, cols, dx, dy = _window(chest.size, site.x, site.y, length * 0.6, length * 0.6)
    along = dx * math.cos(angle) + dy * math.sin(angle)
    across = -dx * math.sin(angle) + dy * math.cos(angle)
    ends = np.clip(1 - (2 * along / length) ** 4, 0, 1)
    band = np.exp(-2.0 * (across / thick) ** 2) * ends
    # Volume loss pulls lung in behind the plate: a fainter wedge below it.
    wedge = 0.35 * np.exp(-((across - 1.5 * thick) / (1.5 * thick)) ** 2) * ends * (across > 0)
    return chest.add_fill(rows, cols, (contrast * (band + wedge)).astype(np.float32), "Atelectasis")


def effusion(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """Fluid at a lung base: blunts the costophrenic angle, meniscus rising laterally."""
    a = chest.anatomy
    top, bottom = a.lung_rows(site.side)
    height = rng.uniform(*d.effusion_height) * (bottom - top)
    contrast = rng.uniform(*d.effusion_contrast)
    # Columns of this lung; its lateral edge is the meniscus's high point.
    centre_px = a.params.centre * chest.size
    lateral_x = a.lung_point(site.side, 1.0, 0.85)[0]
    medial_x = a.lung_point(site.side, 0.0, 0.6)[0]
    c0, c1 = sorted((int(medial_x), int(lateral_x)))
    c0, c1 = max(c0 - 4, 0), min(c1 + 6, chest.size)
    if site.side == RIGHT:
        c1 = min(c1, int(centre_px))
    else:
        c0 = max(c0, int(centre_px))
    r0 = max(int(bottom - 1.6 * height) - 2, 0)
    r1 = min(bottom + 2, chest.size)
    rows, cols = slice(r0, r1), slice(c0, c1)
    xs = (np.arange(c0, c1, dtype=np.float32) + 0.5)
    frac = np.clip((xs - medial_x) / (lateral_x - medial_x), 0, 1)  # 0 medial .. 1 lateral
    level = bottom - height - 0.55 * height * frac**2  # meniscus: higher laterally
    ys = np.arange(r0, r1, dtype=np.float32)[:, None] + 0.5
    fluid = sigmoid((ys - level[None, :]) / max(0.12 * height, 1.0))
    return chest.add_fill(rows, cols, (contrast * fluid).astype(np.float32), "Effusion")


# ---- pleura ------------------------------------------------------------------------------
def _lung_rim(chest: Chest, side: int, r0: int, r1: int, lateral_only: bool):
    """Slices over rows r0:r1 of one lung and the distance (px) of each pixel to its edge."""
    a = chest.anatomy
    centre_px = int(a.params.centre * chest.size)
    cols = slice(0, centre_px) if side == RIGHT else slice(centre_px, chest.size)
    if lateral_only:
        mid = int(a.lung_point(side, 0.45, (r0 + r1) / 2 / chest.size)[0])
        cols = slice(0, mid) if side == RIGHT else slice(mid, chest.size)
    rows = slice(max(r0, 0), min(r1, chest.size))
    distance = a.pleural_distance[rows, cols]
    return rows, cols, distance


def pneumothorax(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """Air between chest wall and lung at the apex: no lung markings, a thin pleural line."""
    a = chest.anatomy
    top, bottom = a.lung_rows(site.side)
    extent = top + rng.uniform(0.3, 0.6) * (bottom - top)  # how far down the rim reaches
    width = _px(chest.size, rng.uniform(*d.pneumothorax_width))
    rows, cols, dist = _lung_rim(chest, site.side, top - 2, int(extent) + 2, lateral_only=False)
    ys = np.arange(rows.start, rows.stop, dtype=np.float32)[:, None]
    taper = np.clip((extent - ys) / (0.45 * (extent - top)), 0, 1) ** 0.7
    gap = width * taper
    inside = dist > 0
    air_rim = inside & (dist < gap)
    line_width = max(_px(chest.size, 1.2), 0.6)
    line = np.exp(-(((dist - gap) / line_width) ** 2)) * inside * (taper > 0.05)
    contrast = rng.uniform(*d.pneumothorax_line_contrast)
    gain = chest.own_vessel_gain()
    gain[rows, cols] *= np.where(air_rim, 0.0, 1.0).astype(np.float32)
    patch = (contrast * chest.air * line - 0.08 * chest.air * air_rim).astype(np.float32)
    lesion_weight = np.maximum(line, air_rim.astype(np.float32))
    chest.delta[rows, cols] += patch
    return chest.lesion("Pneumothorax", rows, cols, lesion_weight)


def pleural_thickening(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """An irregular dense band along the pleura: an apical cap or a stretch of lateral wall."""
    a = chest.anatomy
    top, bottom = a.lung_rows(site.side)
    span = bottom - top
    if site.kind == "apex":
        r0, r1 = top - 2, int(top + rng.uniform(0.12, 0.22) * span)
    else:
        start = top + site.v * span
        r0, r1 = int(start), int(start + rng.uniform(0.15, 0.3) * span)
    rows, cols, dist = _lung_rim(chest, site.side, r0, r1, lateral_only=site.kind != "apex")
    width = _px(chest.size, rng.uniform(*d.pleural_thickening_width))
    wobble = 0.65 + 0.35 * _smooth_noise(rng, dist.shape, 4)
    ys = np.arange(rows.start, rows.stop, dtype=np.float32)[:, None]
    ends = np.clip(np.minimum(ys - r0, r1 - ys) / max(0.2 * (r1 - r0), 1), 0, 1)
    band = sigmoid((width * wobble * ends - dist) / 0.8) * (dist > 0)
    contrast = rng.uniform(*d.pleural_thickening_contrast)
    return chest.add(rows, cols, (contrast * chest.air * band).astype(np.float32), "Pleural_Thickening")


# ---- hernia ------------------------------------------------------------------------------
def hernia(chest: Chest, site: Site, d: Difficulty, rng) -> Lesion:
    """Hiatal hernia: a round retrocardiac opacity holding a gas bubble with a fluid level."""
    radius = _px(chest.size, rng.uniform(*d.hernia_diameter)) / 2
    rows, cols, dx, dy = _window(chest.size, site.x, site.y, radius + 2, radius + 2)
    ball = sphere(dx, dy, radius)
    level = rng.uniform(-0.2, 0.3) * radius  # the air-fluid level, a flat line
    gas = sphere(dx, dy, radius * 0.85) * sigmoid((level - dy) / 0.7)
    patch = 0.2 * chest.air * ball - rng.uniform(*d.hernia_gas_contrast) * chest.air * gas
    chest.delta[rows, cols] += patch.astype(np.float32)
    return chest.lesion("Hernia", rows, cols, ball)


# ---- diffuse findings (no box) -------------------------------------------------------------
def cardiomegaly(chest: Chest, d: Difficulty, rng) -> None:
    """An enlarged heart: cardiothoracic ratio above 0.5."""
    chest.heart = chest.anatomy.heart_mask(rng.uniform(*d.cardiomegaly_ratio))
    chest.refresh_lung_air()


def emphysema(chest: Chest, d: Difficulty, rng) -> None:
    """Hyperinflated, hyperlucent lungs: flat low domes, sparse peripheral vessels."""
    strength = rng.uniform(*d.emphysema_strength)
    chest.inflated, chest.lucency = True, 1.0 + 0.3 * strength
    chest.refresh_lung_air()
    a = chest.anatomy
    x, y = grid(chest.size)
    hx = a.params.centre
    periphery = np.clip(np.abs(x - hx) / (a.params.half_width + 1e-6), 0, 1)
    gain = chest.own_vessel_gain()
    gain *= (1.0 - 0.75 * strength * periphery).astype(np.float32)


def edema(chest: Chest, d: Difficulty, rng) -> None:
    """Bilateral perihilar 'bat-wing' haze, with Kerley B lines at the lateral bases."""
    strength = rng.uniform(*d.edema_strength)
    a = chest.anatomy
    x, y = grid(chest.size)
    haze = np.zeros_like(x)
    for side in (RIGHT, LEFT):
        hx, hy = (v / chest.size for v in a.hilum(side))
        haze += np.exp(-(((x - hx) / 0.16) ** 2) - (((y - hy) / 0.2) ** 2))
    texture = 0.75 + 0.25 * _smooth_noise(rng, x.shape, 12)
    chest.fill += strength * haze * texture
    canvas = np.zeros((chest.size, chest.size), np.uint8)
    for side in (RIGHT, LEFT):
        for _ in range(rng.integers(6, 14)):
            px, py = a.lung_point(side, rng.uniform(0.8, 0.97), rng.uniform(0.7, 0.95))
            half = _px(chest.size, rng.uniform(6, 12))
            inward = -side * half  # the lines start at the pleura and run inwards
            cv2.line(canvas, (int(px), int(py)), (int(px - inward), int(py)), 255, 1, cv2.LINE_AA)
    chest.fill += canvas.astype(np.float32) * (0.6 * strength / 255.0)


def fibrosis(chest: Chest, d: Difficulty, rng) -> None:
    """Reticulation (a net of lines) with volume loss, upper or lower zones: v2's coarse net
    with a haze, or (`fibrosis_line_period` set, v3) a fine net of thin lines and little haze."""
    strength = rng.uniform(*d.fibrosis_strength)
    if d.fibrosis_line_period[1] > 0:
        chest.fill += strength * fine_reticulation(chest, d, rng)
        return
    x, y = grid(chest.size)
    cells = max(int(chest.size / _px(chest.size, 14)), 4)
    noise = _smooth_noise(rng, x.shape, cells)
    net = np.exp(-((noise / 0.5) ** 2))
    upper = rng.random() < 0.5
    zone = fibrosis_zone(chest, upper)
    chest.fill += strength * (0.45 * net + 0.4) * zone


def fibrosis_zone(chest: Chest, upper: bool) -> np.ndarray:
    """Where fibrosis predominates: the upper or the lower zones, never sparing the rest."""
    a = chest.anatomy
    _, y = grid(chest.size)
    mid_y = a.params.apex + 0.5 * (a.params.costophrenic - a.params.apex)
    zone = sigmoid((mid_y - y) / 0.06) if upper else sigmoid((y - mid_y) / 0.06)
    return 0.35 + 0.65 * zone


def fine_reticulation(chest: Chest, d: Difficulty, rng) -> np.ndarray:
    """Fibrosis as a radiologist sees it at full resolution: a net of thin lines (the zero set
    of smooth noise, about one pixel wide at 512) a few pixels apart, over its zone.

    Its mesh is finer than the global branch's pixel grid: downsampled 4x it averages into a
    faint haze (`soft_tissue_haze` in lookalikes.py draws that haze alone, unlabelled), while
    a crop of the source resolves the lines. Returns the fill pattern for strength 1.
    """
    period = _px(chest.size, rng.uniform(*d.fibrosis_line_period))
    shape = (chest.size, chest.size)
    noise = _smooth_noise(rng, shape, max(int(chest.size / period), 4))
    gy, gx = np.gradient(noise)
    distance = np.abs(noise) / (np.hypot(gx, gy) + 1e-6)  # px to the nearest line, to first order
    half_width = 0.6 * chest.size / REFERENCE_SIZE
    net = np.exp(-((distance / half_width) ** 2))
    upper = rng.random() < 0.5
    return ((net + FINE_NET_HAZE) * fibrosis_zone(chest, upper)).astype(np.float32)


# The fine net's faint background haze, as a share of its lines' density.
FINE_NET_HAZE = 0.05


LOCALISED_DRAWERS = {
    "Atelectasis": atelectasis,
    "Effusion": effusion,
    "Infiltration": infiltration,
    "Mass": mass,
    "Nodule": nodule,
    "Pneumonia": pneumonia,
    "Pneumothorax": pneumothorax,
    "Consolidation": consolidation,
    "Pleural_Thickening": pleural_thickening,
    "Hernia": hernia,
}
# In this order: the heart and the inflation change the lung air the others fill.
DIFFUSE_DRAWERS = {
    "Cardiomegaly": cardiomegaly,
    "Emphysema": emphysema,
    "Edema": edema,
    "Fibrosis": fibrosis,
}
