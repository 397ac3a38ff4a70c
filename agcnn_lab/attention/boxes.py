"""Attention boxes: the bounding box of the largest connected region of heatmap > tau (the
paper's), or a box of a fixed area centred on that region (centred_boxes, a departure).

Batched on the heatmaps' device. Cell (i, j) of an (h, w) heatmap covers the pixels
[j*W/w, (j+1)*W/w) x [i*H/h, (i+1)*H/h) of an image of size (H, W); boxes are (x0, y0, x1, y1)
floats in those pixels, torchvision's convention (x1, y1 exclusive edges).

    boxes = attention_boxes(heatmap(features), tau=0.7, image_size=224)       # (B, 4)
    boxes = attention_boxes(heatmaps, image_size=(224, 224), threshold="otsu")
    mask = threshold_mask(heatmaps, tau=0.7)                                  # (B, h, w) bool
    boxes = region_boxes(largest_component(mask), image_size=224)             # the same boxes
    hits = pointing_hits(boxes, truth_boxes)      # (B,) bool: truth centre inside the box
    gaze = centred_boxes(largest_component(mask), heatmaps, area=0.45, image_size=224)  # fixed area

attention_boxes is the three steps in one call; AttentionCrop runs them one by one so that its
trace can keep each step's output.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .components import largest_component

OTSU_BINS = 256


def threshold_mask(heatmaps: torch.Tensor, tau: float = 0.7, threshold: str | None = None) -> torch.Tensor:
    """(B, h, w) heatmaps in [0, 1] -> (B, h, w) bool mask: heatmap > tau, or Otsu's split.

    Otsu (threshold="otsu") histograms each map into 256 bins of [0, 1] and keeps the bins
    above the split that maximises the between-class variance (the first, on ties); tau is
    then ignored.
    """
    if heatmaps.ndim != 3:
        raise ValueError(f"expected heatmaps (B, h, w), got shape {tuple(heatmaps.shape)}")
    if threshold is None:
        if not 0 < tau < 1:
            raise ValueError(f"tau must lie in (0, 1), got {tau}")
        return heatmaps > tau
    if threshold == "otsu":
        return _otsu_mask(heatmaps)
    raise ValueError(f"unknown threshold {threshold!r}; expected None (fixed tau) or 'otsu'")


def attention_boxes(
    heatmaps: torch.Tensor,
    tau: float = 0.7,
    image_size: int | tuple[int, int] | None = None,
    *,
    threshold: str | None = None,
    min_size: float | tuple[float, float] | None = None,
) -> torch.Tensor:
    """(B, h, w) heatmaps in [0, 1] -> (B, 4) float32 boxes in pixels of an `image_size` image.

    `image_size` is an int or (H, W); by default the heatmap's own size (a cell is a pixel).
    An empty mask (a flat heatmap, or nothing above tau) gives the whole image. Boxes narrower
    or shorter than `min_size` (pixels, an int or (height, width); by default an eighth of the
    image side) grow about their centre to that size, shifted to stay inside the image.
    """
    return region_boxes(largest_component(threshold_mask(heatmaps, tau, threshold)), image_size, min_size=min_size)


def region_boxes(
    region: torch.Tensor,
    image_size: int | tuple[int, int] | None = None,
    *,
    min_size: float | tuple[float, float] | None = None,
) -> torch.Tensor:
    """(B, h, w) bool regions -> (B, 4) float32 bounding boxes in pixels of an `image_size` image.

    `image_size` and `min_size` as in attention_boxes; an empty region gives the whole image.
    """
    if region.ndim != 3:
        raise ValueError(f"expected regions (B, h, w), got shape {tuple(region.shape)}")
    _, h, w = region.shape
    height, width = _pair(image_size) if image_size is not None else (h, w)
    min_h, min_w = _pair(min_size) if min_size is not None else (height / 8, width / 8)

    rows, cols = region.any(dim=2), region.any(dim=1)  # (B, h), (B, w)
    found = rows.any(dim=1)
    # argmax returns the first maximum: the first and (on the flipped axis) the last True.
    top = rows.float().argmax(dim=1)
    bottom = h - rows.flip(1).float().argmax(dim=1)  # exclusive
    left = cols.float().argmax(dim=1)
    right = w - cols.flip(1).float().argmax(dim=1)

    scale = torch.tensor([width / w, height / h, width / w, height / h], device=region.device)
    boxes = torch.stack([left, top, right, bottom], dim=1).float() * scale
    whole = torch.tensor([0.0, 0.0, float(width), float(height)], device=region.device)
    boxes = torch.where(found[:, None], boxes, whole)

    x0, x1 = _grow(boxes[:, 0], boxes[:, 2], min(float(min_w), width), width)
    y0, y1 = _grow(boxes[:, 1], boxes[:, 3], min(float(min_h), height), height)
    return torch.stack([x0, y0, x1, y1], dim=1)


def centred_boxes(
    region: torch.Tensor,
    weights: torch.Tensor,
    area: float,
    image_size: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """(B, h, w) bool regions and (B, h, w) heatmaps -> (B, 4) float32 boxes of a fixed share
    `area` of an `image_size` image, each centred on its region's heatmap-weighted centre.

    A departure from the paper, whose box is the region's bounding box (region_boxes): there a
    hot cell anywhere stretches the box and the zoom varies from film to film; here the region
    only says where to look, and every film is looked at through the same window, as a reader's
    gaze rests on the suspicious spot. The box has the image's aspect ratio and is shifted to
    stay inside it. An empty region (or one with no weight) is centred on the whole map's
    weighted centre; a map with no weight at all, on the image's centre.
    """
    if region.ndim != 3 or weights.shape != region.shape:
        raise ValueError(f"expected regions and heatmaps of one shape (B, h, w), got {tuple(region.shape)} "
                         f"and {tuple(weights.shape)}")
    if not 0 < area <= 1:
        raise ValueError(f"a box area is a share of the image in (0, 1], got {area}")
    _, h, w = region.shape
    height, width = _pair(image_size) if image_size is not None else (h, w)
    weights = weights.float().clamp(min=0)
    inside = weights * region
    # Where the region carries no weight, fall back to the whole map, then to uniform weights.
    empty = inside.sum(dim=(1, 2)) <= 0
    inside = torch.where(empty[:, None, None], weights, inside)
    flat = inside.sum(dim=(1, 2)) <= 0
    inside = torch.where(flat[:, None, None], torch.ones_like(inside), inside)
    total = inside.sum(dim=(1, 2))
    ys = (torch.arange(h, device=region.device, dtype=torch.float32) + 0.5) * (height / h)
    xs = (torch.arange(w, device=region.device, dtype=torch.float32) + 0.5) * (width / w)
    centre_y = (inside.sum(dim=2) * ys).sum(dim=1) / total
    centre_x = (inside.sum(dim=1) * xs).sum(dim=1) / total
    side_h, side_w = math.sqrt(area) * height, math.sqrt(area) * width
    y0 = (centre_y - side_h / 2).clamp(0.0, height - side_h)
    x0 = (centre_x - side_w / 2).clamp(0.0, width - side_w)
    return torch.stack([x0, y0, x0 + side_w, y0 + side_h], dim=1)


def pointing_hits(boxes, truth) -> np.ndarray:
    """The pointing game: does the centre of truth box i lie in box i (edges included)?

    Paired (N, 4) (x0, y0, x1, y1) arrays in one coordinate frame (e.g. normalised to the
    source); returns (N,) bool. Compared in float64, whatever the inputs' dtypes.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    truth = np.asarray(truth, dtype=np.float64).reshape(-1, 4)
    centre_x = (truth[:, 0] + truth[:, 2]) / 2
    centre_y = (truth[:, 1] + truth[:, 3]) / 2
    hit = (boxes[:, 0] <= centre_x) & (centre_x <= boxes[:, 2])
    return hit & (boxes[:, 1] <= centre_y) & (centre_y <= boxes[:, 3])


def _grow(low: torch.Tensor, high: torch.Tensor, minimum: float, limit: float):
    """Widen the intervals [low, high) shorter than `minimum` about their centre, inside [0, limit]."""
    short = (high - low) < minimum
    start = ((low + high) / 2 - minimum / 2).clamp(0.0, limit - minimum)
    return torch.where(short, start, low), torch.where(short, start + minimum, high)


def _otsu_mask(heatmaps: torch.Tensor) -> torch.Tensor:
    batch = heatmaps.shape[0]
    bins = (heatmaps.reshape(batch, -1) * OTSU_BINS).long().clamp_(0, OTSU_BINS - 1)
    # float64: counts and bin-centre sums are exact, so the variances (and the split) do not
    # depend on the summation order of the device. (MPS has no float64.)
    dtype = torch.float32 if heatmaps.device.type == "mps" else torch.float64
    counts = torch.zeros(batch, OTSU_BINS, dtype=dtype, device=heatmaps.device)
    counts.scatter_add_(1, bins, torch.ones_like(bins, dtype=dtype))
    centres = (torch.arange(OTSU_BINS, dtype=dtype, device=heatmaps.device) + 0.5) / OTSU_BINS
    below = counts.cumsum(1)[:, :-1]  # class 1 = bins 0..k, for the splits k = 0 .. bins-2
    below_sum = (counts * centres).cumsum(1)[:, :-1]
    above = counts.sum(1, keepdim=True) - below
    above_sum = (counts * centres).sum(1, keepdim=True) - below_sum
    # Between-class variance up to a constant: n1 n2 (mean1 - mean2)^2 = (s1 n2 - s2 n1)^2 / (n1 n2).
    product = below * above
    between = (below_sum * above - above_sum * below).square() / product.clamp(min=1)
    between = torch.where(product > 0, between, torch.full_like(between, -1.0))
    split = between.argmax(dim=1)
    return (bins > split[:, None]).view_as(heatmaps)


def _pair(size) -> tuple[float, float]:
    if isinstance(size, (int, float)):
        return size, size
    height, width = size
    return height, width
