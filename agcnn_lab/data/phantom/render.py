"""From a chest's density to an 8-bit film: pose, exposure, borders, markers, blur, noise.

This is what makes real radiographs irregular, the "poor alignment and irregular borders" of
the AG-CNN paper: the patient stands rotated, shifted and at another distance (pose); the
exposure and the film's response differ (level, latitude, gamma, a heel-effect gradient);
collimators or film edges cut white or black bands into a side or two; a lead 'L' or 'R'
marker sits in a corner; the detector blurs and the photons are noisy.

Pose moves the anatomy, so the lesion boxes move with it (`pose_boxes`); borders and
markers belong to the film and are drawn after the pose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .anatomy import grid
from .difficulty import REFERENCE_SIZE, Difficulty

# 5x7 glyphs of the lead markers: drawn from bitmaps, not a font, so bytes never depend on
# the FreeType build.
_GLYPHS = {
    "L": ["10000", "10000", "10000", "10000", "10000", "10000", "11111"],
    "R": ["11110", "10001", "10001", "11110", "10100", "10010", "10001"],
}


@dataclass(frozen=True)
class Acquisition:
    """How one film was taken; sampled per image by `sample_acquisition`."""

    angle: float  # degrees, counter-clockwise
    scale: float
    shift: tuple[float, float]  # fraction of the side
    level: float  # density at mid-grey
    latitude: float  # density range of the film's response
    gamma: float
    gradient: tuple[float, float]  # heel effect: density added per image side, (x, y)
    blur: float  # px at 512
    sharpen: float  # unsharp-mask gain
    noise: float  # fraction of the grey range
    borders: tuple[tuple[str, float, float, float], ...]  # (side, width fraction, grey, tilt rad)
    marker: tuple[str, float, float, float] | None  # (letter, x, y, height), fractions of the side


def sample_acquisition(rng: np.random.Generator, d: Difficulty) -> Acquisition:
    u = rng.uniform
    borders = []
    if rng.random() < d.border_probability:
        sides = rng.choice(["top", "bottom", "left", "right"], size=int(rng.integers(1, 3)), replace=False)
        for side in sides:
            grey = u(0.0, 0.06) if rng.random() < 0.6 else u(0.85, 1.0)
            borders.append((str(side), u(0.01, 0.06), grey, math.radians(u(-1.0, 1.0))))
    marker = None
    if rng.random() < d.marker_probability:
        letter = "L" if rng.random() < 0.7 else "R"
        x = u(0.80, 0.93) if rng.random() < 0.75 else u(0.04, 0.15)
        marker = (letter, x, u(0.03, 0.10), u(0.025, 0.04))
    return Acquisition(
        angle=u(-d.rotation_degrees, d.rotation_degrees),
        scale=u(*d.scale),
        shift=(u(-d.shift, d.shift), u(-d.shift, d.shift)),
        level=u(0.45, 0.55),
        latitude=u(0.22, 0.28),
        gamma=u(0.9, 1.1),
        gradient=(u(-0.06, 0.06), u(-0.04, 0.08)),
        blur=u(*d.blur),
        sharpen=u(0.3, 0.9),
        noise=u(*d.noise),
        borders=tuple(borders),
        marker=marker,
    )


def pose_matrix(acq: Acquisition, size: int) -> np.ndarray:
    """2x3 matrix from canonical pixel coordinates to image pixel coordinates."""
    centre = (size / 2.0, size / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, acq.angle, acq.scale)
    matrix[:, 2] += np.array(acq.shift) * size
    return matrix


def pose_boxes(boxes: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """Posed (N, 4) boxes x0, y0, x1, y1: the box around the four posed corners, clipped."""
    if len(boxes) == 0:
        return boxes.reshape(0, 4)
    x0, y0, x1, y1 = boxes.T
    corners = np.stack([np.stack([x0, y0], -1), np.stack([x1, y0], -1),
                        np.stack([x0, y1], -1), np.stack([x1, y1], -1)], 1)  # (N, 4, 2)
    posed = corners @ matrix[:, :2].T + matrix[:, 2]
    out = np.clip(np.concatenate([posed.min(1), posed.max(1)], -1), 0, size)
    # A box pushed (almost) off the film keeps one pixel, so the box list stays valid.
    out[:, :2] = np.minimum(out[:, :2], size - 1)
    out[:, 2:] = np.maximum(out[:, 2:], out[:, :2] + 1)
    return out


def film(density: np.ndarray, acq: Acquisition, rng: np.random.Generator) -> np.ndarray:
    """Expose a canonical density map as posed, degraded 8-bit film (H, W) uint8."""
    size = density.shape[0]
    posed = cv2.warpAffine(density, pose_matrix(acq, size), (size, size),
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    x, y = grid(size)
    posed += acq.gradient[0] * (x - 0.5) + acq.gradient[1] * (y - 0.5)
    # The film's response: an S-curve (sigmoid) of density, then a display gamma.
    grey = 1.0 / (1.0 + np.exp((acq.level - posed) / acq.latitude))
    low = 1.0 / (1.0 + math.exp(acq.level / acq.latitude))  # where zero density lands
    grey = np.clip((grey - low) / (1.0 - low), 0, 1) ** acq.gamma
    for side, width, value, tilt in acq.borders:
        grey[_border_mask(side, width, tilt, x, y)] = value
    if acq.marker:
        _draw_marker(grey, *acq.marker)
    # Film processing: unsharp masking, as on the release's images (crisp ribs and vessels).
    scale = size / REFERENCE_SIZE
    grey += acq.sharpen * (grey - cv2.GaussianBlur(grey, (0, 0), 4.0 * scale))
    sigma = acq.blur * scale
    if sigma > 0.2:
        grey = cv2.GaussianBlur(grey, (0, 0), sigma)
    # Quantum noise: fewer photons reach the film behind dense (white) parts.
    grey += acq.noise * (0.5 + grey) * rng.standard_normal(grey.shape, dtype=np.float32)
    return np.clip(grey * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _border_mask(side: str, width: float, tilt: float, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    slope = math.tan(tilt)
    if side == "top":
        return y < width + slope * (x - 0.5)
    if side == "bottom":
        return y > 1 - width + slope * (x - 0.5)
    if side == "left":
        return x < width + slope * (y - 0.5)
    return x > 1 - width + slope * (y - 0.5)


def _draw_marker(grey: np.ndarray, letter: str, x: float, y: float, height: float) -> None:
    """A lead marker: a white letter on a darker square, in a corner of the film."""
    size = grey.shape[0]
    bitmap = np.array([[c == "1" for c in row] for row in _GLYPHS[letter]], np.float32)
    h = max(int(height * size), 7)
    w = max(int(h * 5 / 7), 5)
    glyph = cv2.resize(bitmap, (w, h), interpolation=cv2.INTER_NEAREST)
    pad = max(h // 4, 1)
    r0, c0 = int(y * size), int(x * size)
    r1, c1 = min(r0 + h + 2 * pad, size), min(c0 + w + 2 * pad, size)
    if r1 - r0 <= 2 * pad or c1 - c0 <= 2 * pad:
        return
    box = grey[r0:r1, c0:c1]
    box[...] = np.maximum(box * 0.6, 0.18)  # a darker square around the letter, as on many films
    inner = box[pad:pad + h, pad:pad + w]
    g = glyph[: inner.shape[0], : inner.shape[1]]
    inner[...] = np.where(g > 0, 0.97, inner)
