"""Devices: what a film carries that has nothing to do with the disease.

The AG-CNN paper's first reason for its local branch: a whole radiograph holds "irrelevant noisy
areas" that a network looking at all of it can be distracted by. On the release those are mostly
things, not anatomy: ECG electrodes and their lead wires, lines and tubes, pacemakers, surgical
hardware. They are common on the portable AP films of inpatients (benchmarks/fixed_box_real.py
prints the release's share of AP films), dense (metal, or radio-opaque plastic: white on the
film), sharp-edged, and unrelated to the labels. Here they are drawn on the patient, before the pose, so they move with the
chest; they are unlabelled and unboxed, and drawn from a random stream of their own, so a film
without devices keeps its bytes.

- ECG electrodes: a ring with a central snap, on the shoulders or the lower chest wall, each with
  a thin lead wire running in a smooth curve off the film;
- a central venous line: from the neck down into the upper mediastinum, a thin dense line;
- a pacemaker: a dense rounded generator under a clavicle, its lead running down to the heart.

    drawn = draw_devices(chest, difficulty, film_rng)   # [Device, ...], after chest.delta += their density
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .anatomy import LEFT, RIGHT
from .difficulty import REFERENCE_SIZE, Difficulty
from .findings import Chest

KINDS = ("ecg", "central_line", "pacemaker")
METAL = 0.9  # density a wire or an electrode adds: white on any film's response
_SHIFT = 4  # OpenCV's fixed-point bits for sub-pixel polylines


@dataclass(frozen=True)
class Device:
    """One drawn device: its kind and box (x0, y0, x1, y1), in pixels, before the pose."""

    kind: str
    box: tuple[float, float, float, float]


def draws_devices(d: Difficulty) -> bool:
    return d.ecg_probability > 0 or d.line_probability > 0 or d.pacemaker_probability > 0


def draw_devices(chest: Chest, d: Difficulty, rng: np.random.Generator) -> list[Device]:
    """Draw this film's devices into chest.delta; return what was drawn. Each kind is decided
    by its own draw, in a fixed order, so one probability does not shift another kind's places."""
    size = chest.size
    canvas = np.zeros((size, size), np.float32)
    drawn: list[Device] = []
    wants = {kind: rng.random() for kind in KINDS}
    if wants["ecg"] < d.ecg_probability:
        drawn += _ecg(canvas, chest, rng)
    if wants["central_line"] < d.line_probability:
        drawn.append(_central_line(canvas, chest, rng))
    if wants["pacemaker"] < d.pacemaker_probability:
        drawn.append(_pacemaker(canvas, chest, rng))
    if drawn:
        # A little blur: the focal spot and the detector soften even a metal edge.
        chest.delta += METAL * cv2.GaussianBlur(canvas, (0, 0), 0.6 * size / REFERENCE_SIZE)
    return drawn


def _px(size: int, *points: tuple[float, float]) -> np.ndarray:
    """Normalised (x, y) points as OpenCV fixed-point pixel coordinates."""
    return np.round(np.array(points, np.float64) * size * (1 << _SHIFT)).astype(np.int32)


def _curve(start: tuple[float, float], bend: tuple[float, float], end: tuple[float, float], steps: int = 40):
    """A quadratic Bezier curve through `bend`'s pull, as (steps, 2) normalised points."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    a, b, c = (np.asarray(p, np.float64) for p in (start, bend, end))
    return (1 - t) ** 2 * a + 2 * (1 - t) * t * b + t ** 2 * c


def _box(points: np.ndarray, size: int, pad: float) -> tuple[float, float, float, float]:
    x0, y0 = np.clip(points.min(0) * size - pad, 0, size)
    x1, y1 = np.clip(points.max(0) * size + pad, 0, size)
    return float(x0), float(y0), float(x1), float(y1)


def _wire(canvas: np.ndarray, points: np.ndarray, width_px: float, value: float = 1.0) -> None:
    size = canvas.shape[0]
    thickness = max(1, int(round(width_px * size / REFERENCE_SIZE)))
    cv2.polylines(canvas, [_px(size, *map(tuple, points))], False, value, thickness, cv2.LINE_AA, shift=_SHIFT)


def _ecg(canvas: np.ndarray, chest: Chest, rng: np.random.Generator) -> list[Device]:
    """Three to five electrodes: one on each shoulder, one or more on the lower chest wall or the
    upper abdomen, each with its lead wire curving off the nearest side or the top of the film."""
    p, size = chest.anatomy.params, chest.size
    u = rng.uniform
    places = [(p.centre + side * u(0.22, 0.32), p.apex + u(-0.02, 0.05)) for side in (RIGHT, LEFT)]
    for _ in range(int(rng.integers(1, 4))):
        side = RIGHT if rng.random() < 0.5 else LEFT
        places.append((p.centre + side * u(0.12, 0.36), p.costophrenic + u(-0.04, 0.10)))
    radius = u(7.0, 10.0) / REFERENCE_SIZE  # an electrode is about 2 cm across
    r = max(2, int(round(radius * size * (1 << _SHIFT))))
    ring = max(1, int(round(1.5 * size / REFERENCE_SIZE)))
    drawn = []
    for x, y in places:
        centre = _px(size, (x, y))[0]
        cv2.circle(canvas, tuple(int(v) for v in centre), r, 0.8, ring, cv2.LINE_AA, shift=_SHIFT)
        cv2.circle(canvas, tuple(int(v) for v in centre), max(1, r // 3), 1.0, -1, cv2.LINE_AA, shift=_SHIFT)
        # The lead leaves towards the nearer side edge, or the top for the shoulder electrodes.
        if y < p.apex + 0.1:
            end = (x + u(-0.1, 0.1), -0.02)
        else:
            end = (-0.02 if x < p.centre else 1.02, y + u(-0.15, 0.15))
        bend = ((x + end[0]) / 2 + u(-0.12, 0.12), (y + end[1]) / 2 + u(-0.12, 0.12))
        wire = _curve((x, y), bend, end)
        _wire(canvas, wire, u(1.2, 2.0), 0.9)
        drawn.append(Device("ecg", _box(np.vstack([wire, [(x - radius, y - radius), (x + radius, y + radius)]]), size, 2.0)))
    return drawn


def _central_line(canvas: np.ndarray, chest: Chest, rng: np.random.Generator) -> Device:
    """A right internal jugular line: from the side of the neck, down into the upper mediastinum
    (its tip in the superior vena cava, just right of the midline)."""
    p, size = chest.anatomy.params, chest.size
    u = rng.uniform
    start = (p.centre + RIGHT * u(0.05, 0.09), -0.02)
    tip = (p.centre + RIGHT * u(0.02, 0.045), p.apex + u(0.16, 0.24))
    bend = (start[0] + RIGHT * u(0.0, 0.03), (start[1] + tip[1]) / 2)
    line = _curve(start, bend, tip)
    _wire(canvas, line, u(1.5, 2.5))
    return Device("central_line", _box(line, size, 2.0))


def _pacemaker(canvas: np.ndarray, chest: Chest, rng: np.random.Generator) -> Device:
    """A pacemaker: a dense rounded generator under the left clavicle (the usual side), its lead
    down the veins to the right ventricle, near the cardiac apex."""
    p, size = chest.anatomy.params, chest.size
    u = rng.uniform
    cx, cy = p.centre + LEFT * u(0.20, 0.28), p.apex + u(0.09, 0.14)
    w, h = u(0.08, 0.11), u(0.06, 0.08)  # about 5 by 4 cm on a 43-cm film
    angle = u(-25, 25)
    centre = tuple(int(v) for v in _px(size, (cx, cy))[0])
    axes = tuple(int(v) for v in _px(size, (w / 2, h / 2))[0])
    cv2.ellipse(canvas, centre, axes, angle, 0, 360, 1.0, -1, cv2.LINE_AA, shift=_SHIFT)
    apex = (p.centre + LEFT * p.ctr * p.half_width * u(1.0, 1.2), p.dome[1] - u(0.02, 0.05))
    bend = (p.centre + RIGHT * u(0.0, 0.04), (cy + apex[1]) / 2)
    lead = _curve((cx, cy), bend, apex)
    _wire(canvas, lead, u(1.5, 2.2))
    corners = np.array([(cx - w / 2, cy - h / 2), (cx + w / 2, cy + h / 2)])
    return Device("pacemaker", _box(np.vstack([lead, corners]), size, 2.0))

