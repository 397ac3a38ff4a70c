"""The attention heatmap: per location, a statistic of the K feature maps, scaled to [0, 1].

AG-CNN uses H(x, y) = max_k |f_k(x, y)|. The paper's variants are "l1" (mean |f_k|) and "l2"
(sqrt of the mean f_k^2); "sum" (the signed channel sum) is what the Ien001 re-implementation
uses. On post-ReLU maps "sum" and "l1" give the same scaled heatmap, and "max" is max f_k.

    features = branch(images).features        # (B, K, h, w)
    h = heatmap(features)                      # (B, h, w), min 0 and max 1 per image
    h_l2 = heatmap(features, reduce="l2")
    h_big = upsample_heatmap(h, 224)           # (B, 224, 224), bilinear
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

REDUCTIONS = ("max", "l1", "l2", "sum")


def heatmap(features: torch.Tensor, reduce: str = "max") -> torch.Tensor:
    """(B, K, h, w) feature maps -> (B, h, w) float32 heatmaps, min-max scaled per image.

    A flat map (all values equal) scales to all zeros.
    """
    if features.ndim != 4:
        raise ValueError(f"expected feature maps (B, K, h, w), got shape {tuple(features.shape)}")
    features = features.detach()
    if reduce == "max":
        # abs + amax is several times faster on CPU than vector_norm(ord=inf).
        raw = features.abs().amax(dim=1)
    elif reduce == "l1":
        raw = torch.linalg.vector_norm(features, ord=1, dim=1, dtype=torch.float32) / features.shape[1]
    elif reduce == "l2":
        norm = torch.linalg.vector_norm(features, ord=2, dim=1, dtype=torch.float32)
        raw = norm / math.sqrt(features.shape[1])
    elif reduce == "sum":
        raw = features.sum(dim=1, dtype=torch.float32)
    else:
        raise ValueError(f"unknown reduce {reduce!r}; expected one of {', '.join(REDUCTIONS)}")
    return scale_per_image(raw.float())


def scale_per_image(maps: torch.Tensor) -> torch.Tensor:
    """Min-max scale each (h, w) map of a (B, h, w) batch to [0, 1]; flat maps become zeros."""
    flat = maps.flatten(1)
    low = flat.amin(dim=1).view(-1, 1, 1)
    span = flat.amax(dim=1).view(-1, 1, 1) - low
    scaled = (maps - low) / torch.where(span > 0, span, torch.ones_like(span))
    return scaled.clamp_(0, 1)


def upsample_heatmap(heatmaps: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Bilinear (half-pixel centres, as cv2.resize) upsampling of (B, h, w) heatmaps to `size`.

    The paper leaves open whether the mask is thresholded on the feature grid or on the
    upsampled map; this is the second choice. Bilinear weights are convex: values stay in [0, 1].
    """
    size = (size, size) if isinstance(size, int) else tuple(size)
    return F.interpolate(heatmaps[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
