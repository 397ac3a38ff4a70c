"""One patient's chest, drawn once and reused for every follow-up image of that patient.

Everything is drawn as projected DENSITY in a canonical frame (patient upright and centred;
x, y normalised to [0, 1] of the image side; image-left is the patient's right, as a PA film
is read). render.py later poses, exposes and degrades it; density maps to brightness, so
dense = white: bone > soft tissue (heart, mediastinum, abdomen) > lung > air outside.

The layers a follow-up combines (see `Anatomy`):
    base       soft tissue of body, neck and abdomen, mediastinum, bones, breasts, gas
    lung_depth how much air a ray crosses in the lungs (0 outside them)
    heart      the heart's footprint (0..1); the heart displaces lung air
    vessels    the pulmonary vessels: branching trees from the hila, inside the lungs
density = base - air * lung_depth * (1 - HEART_OCCLUSION * heart) + vessels + findings
(findings.Chest.density).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from .difficulty import Difficulty

# How much of a ray's lung air the heart displaces where it overlaps the lung: lung lies in
# front of and behind the heart too, so a heart is greyer than the mediastinum on films.
HEART_OCCLUSION = 0.8
RIGHT, LEFT = -1, +1  # the patient's sides; image-left is the patient's right


@lru_cache(maxsize=4)
def grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised pixel-centre coordinates (x, y), each (size, size) float32, read-only."""
    axis = (np.arange(size, dtype=np.float32) + 0.5) / size
    x, y = np.meshgrid(axis, axis)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def sigmoid(z):
    """The logistic function, written with tanh: no overflow, no clipping pass."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


@dataclass(frozen=True)
class AnatomyParams:
    """The numbers that make one patient's chest his own (all in normalised units)."""

    centre: float  # x of the midline
    apex: float  # y of the lung apices
    costophrenic: float  # y of the costophrenic angles
    dome: tuple[float, float]  # y of the right and left diaphragm domes (the left sits lower)
    half_width: float  # inner half-width of the thorax at its widest
    mediastinum: float  # half-width of the upper mediastinum
    body: float  # half-width of the soft-tissue outline
    neck: float
    shoulders: float  # y where the neck widens into the shoulders
    ctr: float  # cardiothoracic ratio of the normal heart
    heart_height: float
    heart_tilt: float  # radians
    air: float  # density the lung air removes: how dark the lungs are
    bone: float  # density of bone
    rib_spacing: float
    rib_width: float
    rib_curvature: float
    vessel_strength: float
    breasts: float  # 0 for none
    arm_gap: float  # air between torso and arms; negative: arms raised, out of view
    gastric_bubble: float  # 0 for none


def sample_params(rng: np.random.Generator, sex: str, difficulty: Difficulty) -> AnatomyParams:
    u = rng.uniform
    costophrenic = u(0.71, 0.77)
    dome_right = costophrenic - u(0.075, 0.10)
    return AnatomyParams(
        centre=0.5 + u(-0.012, 0.012),
        apex=u(0.095, 0.13),
        costophrenic=costophrenic,
        dome=(dome_right, dome_right + u(0.01, 0.03)),
        half_width=u(0.33, 0.37) * (1.0 if sex == "M" else 0.97),
        mediastinum=u(0.058, 0.072),
        body=u(0.45, 0.52),
        neck=u(0.10, 0.125),
        shoulders=u(-0.06, 0.0),
        ctr=u(*difficulty.cardiothoracic_ratio),
        heart_height=u(0.115, 0.135),
        heart_tilt=math.radians(u(15, 30)),
        air=u(0.50, 0.58),
        bone=u(0.26, 0.36),
        rib_spacing=u(0.050, 0.058),
        rib_width=u(0.020, 0.025),
        rib_curvature=u(2.4, 3.2),
        vessel_strength=u(0.8, 1.2),
        breasts=u(0.08, 0.16) if sex == "F" and rng.random() < 0.85 else 0.0,
        gastric_bubble=u(0.25, 0.45) if rng.random() < 0.6 else 0.0,
        arm_gap=u(0.0, 0.03) if rng.random() < 0.5 else -1.0,
    )


class Anatomy:
    """The patient's layers at one image size, plus the geometry findings are placed by."""

    def __init__(self, params: AnatomyParams, size: int, rng: np.random.Generator):
        self.params = params
        self.size = size
        p = params
        x, y = grid(size)
        self.lung_depth, self.lung_mask = _lungs(p, x, y, size, inflated=False)
        self.heart = self.heart_mask(p.ctr)
        # Processed films compress contrast outside the lungs: bone shows most over the lungs,
        # faintly over the abdomen and the chest wall.
        bone_gain = 0.3 + 0.7 * _wide_blur(self.lung_mask, 0.02)
        self.base = _soft_tissue(p, x, y, size) + _bones(p, size, rng) * bone_gain + _clavicles(p, size)
        self.vessels = _vessels(p, size, rng) * self.lung_mask
        self.lung_air = self.lung_depth * (1.0 - HEART_OCCLUSION * self.heart)
        # Lung pixels as the film shows them (heart removed): where findings may go.
        visible = (self.lung_mask * (1.0 - self.heart) > 0.5).astype(np.uint8)
        self.lung_visible = visible.astype(bool)
        self._extent = {side: _row_extent(visible, side, x[0], p.centre) for side in (RIGHT, LEFT)}
        self.pleural_distance = self._pleural_distance(visible)
        self._inflated: tuple[np.ndarray, np.ndarray] | None = None

    # ---- the heart: per image, since Cardiomegaly changes it -------------------------------
    def heart_mask(self, ctr: float) -> np.ndarray:
        p = self.params
        x, y = grid(self.size)
        width = ctr * 2 * p.half_width
        b = p.heart_height
        c, s = math.cos(p.heart_tilt), math.sin(p.heart_tilt)
        # Semi-axis along the tilt so that the ellipse's horizontal extent is `width`.
        a = math.sqrt(max((width / 2) ** 2 - (b * s) ** 2, (0.5 * b) ** 2)) / c
        hx = p.centre + 0.18 * width  # most of the heart lies on the patient's left
        hy = 0.5 * (p.dome[0] + p.dome[1]) - 0.3 * b  # its lower part hides below the domes
        dx, dy = x - hx, y - hy
        # Tilted so that the apex points down to the patient's left (image right).
        u_ = (dx * c + dy * s) / a
        v_ = (-dx * s + dy * c) / b
        r = np.sqrt(u_ * u_ + v_ * v_)
        return sigmoid((1.0 - r) * (b * self.size / 2.0)).astype(np.float32)

    def lung_air_with(self, heart: np.ndarray | None = None, inflated: bool = False) -> np.ndarray:
        """lung_depth * (1 - occlusion * heart) for another heart and/or hyperinflated lungs."""
        depth = self.inflated()[0] if inflated else self.lung_depth
        return depth * (1.0 - HEART_OCCLUSION * (self.heart if heart is None else heart))

    def inflated(self) -> tuple[np.ndarray, np.ndarray]:
        """(lung_depth, lung_mask) of hyperinflated lungs, flat low domes (Emphysema)."""
        if self._inflated is None:
            x, y = grid(self.size)
            self._inflated = _lungs(self.params, x, y, self.size, inflated=True)
        return self._inflated

    def _pleural_distance(self, visible: np.ndarray) -> np.ndarray:
        """Inside each lung, the distance (px) to its apical, lateral or basal pleura.

        The mediastinal and cardiac borders do not count: pneumothorax and pleural
        thickening line the chest wall, so the lung is extended to the midline first.
        """
        out = np.zeros(visible.shape, np.float32)
        cols = np.arange(self.size)
        centre = self.params.centre * self.size
        for side in (RIGHT, LEFT):
            medial, _, present = self._extent[side]
            if side == RIGHT:
                towards_midline = (cols[None, :] >= medial[:, None]) & (cols[None, :] < centre)
            else:
                towards_midline = (cols[None, :] <= medial[:, None]) & (cols[None, :] >= centre)
            own = visible.astype(bool) & ((cols < centre) if side == RIGHT else (cols >= centre))[None, :]
            extended = (own | (towards_midline & present[:, None])).astype(np.uint8)
            distance = cv2.distanceTransform(extended, cv2.DIST_L2, 3)
            out[own] = distance[own]
        return out

    # ---- geometry for placing findings ---------------------------------------------------
    def thorax_width_px(self) -> float:
        return 2 * self.params.half_width * self.size

    def hilum(self, side: int) -> tuple[float, float]:
        p = self.params
        return (p.centre + side * 0.095) * self.size, (p.apex + 0.26) * self.size

    def lung_rows(self, side: int) -> tuple[int, int]:
        """First and last image row of one lung's visible field."""
        rows = np.flatnonzero(self._extent[side][2])
        return int(rows[0]), int(rows[-1])

    def lung_point(self, side: int, u: float, v: float) -> tuple[float, float]:
        """Pixel (x, y) in one lung: v from apex (0) to base (1), u from medial (0) to lateral (1)."""
        medial, lateral, present = self._extent[side]
        top, bottom = self.lung_rows(side)
        row = int(round(top + float(np.clip(v, 0, 1)) * (bottom - top)))
        while not present[row] and row > top:  # a row the heart covers: step up to lung
            row -= 1
        x = medial[row] + float(np.clip(u, 0, 1)) * (lateral[row] - medial[row])
        return float(x) + 0.5, float(row) + 0.5


def _wide_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of `sigma` (fraction of the side), done at a quarter of the size."""
    size = image.shape[0]
    small = cv2.resize(image, (max(size // 4, 8),) * 2, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma * small.shape[0])
    return cv2.resize(small, (size, size), interpolation=cv2.INTER_LINEAR)


def _row_extent(visible: np.ndarray, side: int, xs: np.ndarray, centre: float):
    """For each row, one lung's (medial column, lateral column, whether the row has lung)."""
    cols = np.flatnonzero((xs < centre) if side == RIGHT else (xs >= centre))
    part = visible[:, cols].astype(bool)
    present = part.any(axis=1)
    first = cols[np.argmax(part, axis=1)]
    last = cols[part.shape[1] - 1 - np.argmax(part[:, ::-1], axis=1)]
    if side == RIGHT:  # the patient's right lung is on the image's left: medial = larger x
        return last, first, present
    return first, last, present


def _lungs(p: AnatomyParams, x, y, size: int, inflated: bool):
    """(depth, mask) of both lungs; depth is the air a ray crosses, darkest mid-lung.

    Each lung is the set where four margins are positive: below the rounded apex, inside the
    lateral chest wall, outside the mediastinum, above the diaphragm. Terms of one coordinate
    are computed as vectors and broadcast over the lung's window only.
    """
    edge = 1.6 / size  # a soft edge of about 1.6 px
    depth = np.zeros((size, size), np.float32)
    mask = np.zeros((size, size), np.float32)
    cp = p.costophrenic + (0.035 if inflated else 0.0)
    hw = p.half_width * (1.02 if inflated else 1.0)
    flat = 0.45 if inflated else 1.0  # a hyperinflated diaphragm is flat
    r0, r1 = max(int((p.apex - 0.01) * size), 0), min(int((cp + 0.01) * size) + 2, size)
    ys = y[r0:r1, :1]  # (rows, 1)
    t = np.clip((ys - p.apex) / (cp - p.apex), 0, 1)
    lateral = hw * (0.62 + 0.38 * np.sqrt(np.clip(t / 0.6, 0, 1))) - 0.05 * hw * np.clip((t - 0.85) / 0.15, 0, 1) ** 2
    for side in (RIGHT, LEFT):
        centre_col = int(p.centre * size)
        far_col = int((p.centre + side * (hw + 0.01)) * size)
        c0, c1 = (max(far_col, 0), centre_col) if side == RIGHT else (centre_col, min(far_col + 1, size))
        d = side * (x[:1, c0:c1] - p.centre)  # (1, cols): distance from the midline
        dome = p.dome[side == LEFT] + (0.07 if inflated else 0.0)
        top = p.apex + 3.5 * (d - 0.15) ** 2  # the rounded apex
        # The aortic knob bulges into the left lung above the heart.
        medial = p.mediastinum + (0.02 * np.exp(-(((ys - p.apex - 0.16) / 0.045) ** 2)) if side == LEFT else 0.0)
        medial = medial + 0.012 * np.clip((ys - p.apex - 0.25) / 0.2, 0, 1)
        d_dome = 0.15
        lateral_part = np.clip((d - d_dome) / (hw - d_dome), 0, None) ** 2
        medial_part = np.clip((d_dome - d) / d_dome, 0, None) ** 2
        bottom = dome + flat * (cp - dome) * lateral_part + 0.35 * (cp - dome) * medial_part
        margin = np.minimum(np.minimum(ys - top, lateral - d), np.minimum(d - medial, bottom - ys))
        m = sigmoid(margin / edge)
        inner = np.sqrt(np.clip(margin / 0.09, 0, 1))
        mask[r0:r1, c0:c1] = m
        depth[r0:r1, c0:c1] = m * (0.35 + 0.65 * inner)
    return depth, mask


def _soft_tissue(p: AnatomyParams, x, y, size: int) -> np.ndarray:
    """Body, neck and abdomen as a cylinder of soft tissue, plus trachea, gas and breasts."""
    edge = 3.0 / size
    widen = np.clip((y - p.shoulders) / 0.2, 0, 1)
    widen = 1 - (1 - widen) ** 1.6  # the slope of the shoulders, steep at the neck
    half = p.neck + (p.body - p.neck) * widen
    d = np.abs(x - p.centre)
    inside = sigmoid((half - d) / edge)
    thickness = np.sqrt(np.clip(1 - (d / half) ** 2, 0, 1))
    tissue = inside * (0.1 + 0.8 * thickness**2)  # thin, dark flanks; thick middle
    if p.arm_gap >= 0:
        for side in (RIGHT, LEFT):
            ax = p.centre + side * (p.body + p.arm_gap + 0.065)
            arm = np.sqrt(np.clip(1 - ((x - ax) / 0.065) ** 2, 0, 1))
            tissue += 0.8 * arm * sigmoid((y - p.shoulders - 0.12) / 0.03)
    # Mediastinum: heart vessels, oesophagus and blood between the lungs, denser than the wall.
    tissue += 0.12 * sigmoid((p.mediastinum + 0.02 - d) / 0.02) * sigmoid((y - p.apex) / 0.05)
    # Abdomen below the domes is a little denser (liver, spleen) than the chest wall.
    dome = np.where(x < p.centre, p.dome[0], p.dome[1])
    tissue += 0.25 * sigmoid((y - dome - 0.02) / 0.03) * inside
    # Trachea: an air column in the upper mediastinum, splitting at the carina.
    carina = p.apex + 0.19
    trachea = sigmoid((0.011 - d) / (2.0 / size)) * sigmoid((carina - y) / 0.02) * sigmoid((y - 0.02) / 0.03)
    tissue -= 0.14 * p.air * trachea
    if p.gastric_bubble:
        gx, gy = p.centre + 0.14, p.dome[1] + 0.045
        r = ((x - gx) / 0.05) ** 2 + ((y - gy) / 0.028) ** 2
        tissue -= p.gastric_bubble * p.air * sigmoid((1 - r) * 6) * (y < gy + 0.01)
    if p.breasts:
        for side in (RIGHT, LEFT):
            bx, by = p.centre + side * 0.21, p.dome[0] - 0.01
            r = ((x - bx) / 0.19) ** 2 + ((y - by) / 0.13) ** 2
            lower = sigmoid((y - by + 0.08) / 0.04)
            tissue += p.breasts * np.sqrt(np.clip(1 - r, 0, 1)) * lower
    return tissue.astype(np.float32)


def _band(out, size, side, centre, d0, d1, curve, width, strength, profile, fade=None):
    """Add a curved bone band: rows within reach of y = curve(d) for d in [d0, d1] of one side.

    Drawn only over the rows the band can reach, so a rib costs a strip, not the image.
    """
    ds = np.linspace(d0, d1, 32)
    ys = curve(ds)
    row0 = max(int((ys.min() - width) * size) - 1, 0)
    row1 = min(int((ys.max() + width) * size) + 2, size)
    col_a = int((centre + side * d0) * size)
    col_b = int((centre + side * d1) * size)
    col0, col1 = max(min(col_a, col_b) - 1, 0), min(max(col_a, col_b) + 2, size)
    if row0 >= row1 or col0 >= col1:
        return
    xs = (np.arange(col0, col1, dtype=np.float32) + 0.5) / size
    yv = (np.arange(row0, row1, dtype=np.float32) + 0.5) / size
    d = side * (xs - centre)
    q = (yv[:, None] - curve(d)[None, :]) / (width / 2)
    along = np.ones_like(d) if fade is None else fade(d)
    inside = ((d >= d0) & (d <= d1)).astype(np.float32)
    out[row0:row1, col0:col1] += strength * profile(q) * (along * inside)[None, :]


def _tube(q):
    """Cross-section of a tubular bone in projection: bright cortex, lighter marrow."""
    outer = np.sqrt(np.clip(1 - q * q, 0, 1))
    inner = np.sqrt(np.clip(0.5 - q * q, 0, 1))
    return outer - 0.6 * inner


def _soft_band(q):
    return np.exp(-2.0 * q * q)


def _bones(p: AnatomyParams, size: int, rng: np.random.Generator) -> np.ndarray:
    bones = np.zeros((size, size), np.float32)
    x, y = grid(size)
    # Spine: a column of vertebrae with darker discs, faint behind heart and mediastinum.
    d = np.abs(x - p.centre)
    column = np.sqrt(np.clip(1 - (d / 0.036) ** 2, 0, 1))
    period = p.rib_spacing * 0.95
    discs = 0.78 + 0.22 * np.cos(2 * np.pi * (y - p.apex) / period) ** 2
    pedicles = np.exp(-(((d - 0.022) / 0.006) ** 2) - (((y - p.apex) % period - 0.4 * period) / (0.2 * period)) ** 2)
    bones += p.bone * (0.3 * column * discs + 0.2 * pedicles)
    lateral_end = p.half_width + 0.035
    for side in (RIGHT, LEFT):
        # Posterior ribs: arcs from the spine, rising to a crest, then down the lateral wall.
        for i in range(10):
            y0 = p.apex - 0.03 + i * p.rib_spacing * (1 + 0.03 * i) + rng.normal(0, 0.003)
            k = p.rib_curvature * (1 + 0.06 * i) * rng.uniform(0.92, 1.08)
            width = p.rib_width * (1 + 0.025 * i) * rng.uniform(0.9, 1.1)
            _band(
                bones, size, side, p.centre, 0.03, lateral_end,
                lambda d, y0=y0, k=k: y0 + k * ((d - 0.13) ** 2 - 0.01),
                width, 0.45 * p.bone * rng.uniform(0.8, 1.15), _tube,
                fade=lambda d: sigmoid((p.half_width + 0.015 - d) / 0.006),
            )
        # Anterior ribs: fainter, blurred, running down and in from the lateral wall.
        for i in range(6):
            ya = p.apex + 0.02 + i * p.rib_spacing * 1.3
            _band(
                bones, size, side, p.centre, 0.10, p.half_width,
                lambda d, ya=ya: ya + 0.5 * (p.half_width - d) + 0.4 * (p.half_width - d) ** 2,
                p.rib_width * 1.3, 0.18 * p.bone, _soft_band,
                fade=lambda d: sigmoid((d - 0.16) / 0.015),
            )
    return bones


def _clavicles(p: AnatomyParams, size: int) -> np.ndarray:
    """Clavicles: from the sternal notch out and up to the shoulders, dense and clear even
    outside the lungs (unlike the ribs, they lie just under the skin)."""
    bones = np.zeros((size, size), np.float32)
    for side in (RIGHT, LEFT):
        cy = p.apex + 0.075
        _band(
            bones, size, side, p.centre, 0.035, 0.36,
            lambda d, cy=cy: cy - 0.3 * (d - 0.035) + 1.2 * np.clip(d - 0.25, 0, None) ** 2,
            0.026, 0.75 * p.bone, _tube,
            fade=lambda d: sigmoid((d - 0.05) / 0.01) * sigmoid((0.34 - d) / 0.012),
        )
    return bones


def _vessels(p: AnatomyParams, size: int, rng: np.random.Generator) -> np.ndarray:
    """Branching vessel trees from each hilum, end-on vessels as dots, a faint parenchyma.

    Drawn anti-aliased on an 8-bit canvas (OpenCV antialiases only 8-bit lines), then
    scaled to density. Thick near the hila, thin and faint at the periphery, as on films.
    """
    canvas = np.zeros((size, size), np.uint8)
    scale = size / 512.0
    starts = []
    for side in (RIGHT, LEFT):
        hx, hy = (p.centre + side * 0.085) * size, (p.apex + 0.26) * size
        # Hilar arteries: a dense, lobulated blob at each hilum.
        for _ in range(3):
            cv2.ellipse(
                canvas, (int(hx + rng.normal(0, 0.008 * size)), int(hy + rng.normal(0, 0.02 * size))),
                (max(1, int(0.013 * size)), max(1, int(0.026 * size))),
                side * 15, 0, 360, 110, -1, cv2.LINE_AA,
            )
        # Lobar arteries: to the upper, middle and lower zones, and two between; the lower
        # lobes' run longest, as the lungs are tallest below the hila.
        for low, high, reach in ((100, 125, 0.075), (135, 155, 0.08), (160, 185, 0.085),
                                 (195, 215, 0.09), (220, 250, 0.1)):
            angle = math.radians(rng.uniform(low, high))
            a = angle if side == RIGHT else math.pi - angle
            starts.append((hx, hy, a, a, reach * rng.uniform(0.9, 1.1) * size, 4.5 * scale))
    _draw_trees(canvas, rng, np.array(starts, np.float64), generations=7, scale=scale)
    for _ in range(int(50 * p.vessel_strength)):  # end-on vessels
        cx = p.centre + rng.choice((RIGHT, LEFT)) * rng.uniform(0.07, p.half_width * 0.75)
        cy = rng.uniform(p.apex + 0.06, p.dome[0])
        cv2.circle(canvas, (int(cx * size), int(cy * size)), max(1, int(rng.uniform(1.0, 2.0) * scale)),
                   int(rng.uniform(80, 150)), -1, cv2.LINE_AA)
    vessels = canvas.astype(np.float32) * (0.22 * p.air * p.vessel_strength / 255.0)
    vessels = cv2.GaussianBlur(vessels, (0, 0), 0.8 * max(scale, 0.5))
    # Parenchyma: a faint mottle, so that no lung is a flat black.
    cells = max(size // 24, 4)
    mottle = cv2.resize(rng.standard_normal((cells, cells)).astype(np.float32), (size, size),
                        interpolation=cv2.INTER_CUBIC)
    return vessels + 0.025 * p.air * mottle


def peripheral_twigs(anatomy: Anatomy, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Fine vessel twigs in the outer lung, as density (0 outside the lungs).

    Real films show markings to within a centimetre or two of the chest wall; they are what a
    pneumothorax's rim lacks and a skin fold's keeps. Short trees from points of the outer
    half of each lung, pointing away from the hilum, one or two pixels wide at 512.
    """
    p, size = anatomy.params, anatomy.size
    scale = size / 512.0
    starts = []
    for side in (RIGHT, LEFT):
        hx, hy = anatomy.hilum(side)
        for _ in range(int(28 * strength)):
            x, y = anatomy.lung_point(side, rng.uniform(0.45, 0.85), rng.uniform(0.02, 0.9))
            a = math.atan2(y - hy, x - hx) + rng.normal(0, 0.25)
            starts.append((x, y, a, a, rng.uniform(0.035, 0.06) * size, rng.uniform(1.3, 1.8) * scale))
    canvas = np.zeros((size, size), np.uint8)
    _draw_trees(canvas, rng, np.array(starts, np.float64), generations=3, scale=scale)
    twigs = canvas.astype(np.float32) * (0.22 * p.air * p.vessel_strength * min(strength, 1.5) / 255.0)
    return cv2.GaussianBlur(twigs, (0, 0), 0.7 * max(scale, 0.5)) * anatomy.lung_mask


def _draw_trees(canvas, rng: np.random.Generator, segments: np.ndarray, generations: int, scale: float):
    """Vessel trees, one generation at a time: each wavy segment ends in a straight-on
    daughter (longer, thicker) and a side branch (thinner, off at 30-50 degrees).

    `segments` rows are (x, y, angle, radial, length, width). Each direction is pulled back
    towards `radial` (the parent's course), so the trees fan out and never curl back.
    """
    for _ in range(generations):
        segments = segments[segments[:, 5] >= 0.3 * scale]
        if not len(segments):
            return
        x, y, angle, radial, length, width = segments.T
        points = [np.stack([x, y], -1)]
        for _ in range(4):
            angle = 0.8 * angle + 0.2 * radial + rng.normal(0, 0.18, len(x))
            x = x + length / 4 * np.cos(angle)
            y = y + length / 4 * np.sin(angle)
            points.append(np.stack([x, y], -1))
        curves = np.rint(np.stack(points, 1)).astype(np.int32)  # (n, 5, 2)
        # Thicker vessels are denser; draw each (thickness, density) group in one call.
        thickness = np.maximum(np.rint(width), 1).astype(int)
        value = np.clip(70 + 40 * width / scale, 60, 230).round(-1).astype(int)
        for t, v in sorted(set(zip(thickness.tolist(), value.tolist(), strict=True))):
            chosen = (thickness == t) & (value == v)
            cv2.polylines(canvas, list(curves[chosen]), False, int(v), int(t), cv2.LINE_AA)
        n = len(x)
        turn = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        on = np.stack([x, y, angle + turn * rng.uniform(0.1, 0.3, n), radial,
                       length * rng.uniform(0.75, 0.88, n), width * 0.78], -1)
        side = np.stack([x, y, angle - turn * rng.uniform(0.5, 0.9, n), angle,
                         length * rng.uniform(0.5, 0.7, n), width * 0.6], -1)
        segments = np.concatenate([on, side])
