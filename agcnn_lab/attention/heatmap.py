"""The attention heatmap: per location, a statistic of the K feature maps, scaled to [0, 1].

AG-CNN uses H(x, y) = max_k |f_k(x, y)|. The paper's variants are "l1" (mean |f_k|) and "l2"
(sqrt of the mean f_k^2); "sum" (the signed channel sum) is what the Ien001 re-implementation
uses. On post-ReLU maps "sum" and "l1" give the same scaled heatmap, and "max" is max f_k.

"cam", a departure from the paper, is the class activation map (Zhou et al., 2016) of the
branch's own classifier: H = max over the diseases c of max(0, sum_k w_ck f_k). The channel
statistics weigh every channel alike, so channels that fire on normal anatomy (ribs, hila, the
heart's border) light up the whole chest; the classifier's weights keep only the channels that
are evidence for a finding. It needs those weights (`weight`, (C, K): the disease rows).

    features = branch(images).features        # (B, K, h, w)
    h = heatmap(features)                      # (B, h, w), min 0 and max 1 per image
    h_l2 = heatmap(features, reduce="l2")
    h_big = upsample_heatmap(h, 224)           # (B, 224, 224), bilinear
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

REDUCTIONS = ("max", "l1", "l2", "sum", "cam")
GRAD_CAM = "grad-cam"  # the other map the explorer and 02 compare: not a reduction, attention.gradcam computes it


def heatmap(features: torch.Tensor, reduce: str = "max", weight: torch.Tensor | None = None) -> torch.Tensor:
    """(B, K, h, w) feature maps -> (B, h, w) float32 heatmaps, min-max scaled per image.

    A flat map (all values equal) scales to all zeros. `weight` (C, K): the classifier rows of
    the diseases, for "cam" only.
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
    elif reduce == "cam":
        raw = class_activation_maps(features, weight).amax(dim=1)
    else:
        raise ValueError(f"unknown reduce {reduce!r}; expected one of {', '.join(REDUCTIONS)}")
    return scale_per_image(raw.float())


def class_activation_maps(features: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    """(B, K, h, w) feature maps and the classifier's disease rows (C, K) -> (B, C, h, w) float32
    maps max(0, sum_k w_ck f_k), one per disease, unscaled ("cam" takes their maximum)."""
    if weight is None or weight.ndim != 2 or weight.shape[1] != features.shape[1]:
        shape = None if weight is None else tuple(weight.shape)
        raise ValueError(f"reduce='cam' needs the classifier weight (C, {features.shape[1]}), got {shape}")
    maps = torch.einsum("ck,bkhw->bchw", weight.detach().float(), features.detach().float())
    return maps.clamp(min=0)


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
