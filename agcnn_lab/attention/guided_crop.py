"""AttentionCrop: the whole attention step of AG-CNN for a batch, heatmap -> box -> crop.

It bundles the method's settings (tau, the heatmap statistic, the threshold and its resolution,
the crop size and where the crop is cut from) and holds no weights.

    attention = AttentionCrop(tau=0.7, reduce="max", crop_from="source")
    features = model.global_branch(images).features
    result = attention(features, images, sources=sources, frames=frames)
    result.crops, result.boxes, result.heatmaps   # (B, 1, 224, 224), (B, 4), (B, 7, 7)
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .boxes import attention_boxes
from .crop import crop
from .heatmap import REDUCTIONS, heatmap, upsample_heatmap

CROP_FROM = ("source", "input", "whole")


class AttentionResult(NamedTuple):
    crops: torch.Tensor  # (B, 1, crop_size, crop_size) float in [0, 1]: the local branch's input
    boxes: torch.Tensor  # (B, 4) (x0, y0, x1, y1) in pixels of the global input
    heatmaps: torch.Tensor  # (B, h, w) in [0, 1], at the feature maps' resolution


class AttentionCrop(nn.Module):
    """Heatmap of the global features -> largest region above tau -> crop, for a batch.

    reduce: the heatmap statistic, "max" (the paper), "l1", "l2", "sum" or "cam" (the class
        activation map: needs the classifier's weight at call time).
    threshold: None (heatmap > tau, the paper) or "otsu".
    upsample: threshold the heatmap bilinearly upsampled to the input's size (the
        re-implementations' choice) instead of on the feature grid (the default).
    crop_size: side of the crops; None means the global input's side (224 in the paper).
    crop_from: "source" cuts the box out of the high-resolution source through the input's
        frame (the paper's zoom-in); "input" cuts it out of the global input (the ablation);
        "whole" ignores the heatmap and hands the local branch the whole source at crop_size:
        the control that tells the zoom's extra resolution apart from the attention itself.
    min_size: the smallest box side in input pixels; None means an eighth of the input side.
    sampling_ratio: roi_align's; <= 0 is adaptive (averages when shrinking).
    """

    def __init__(
        self,
        tau: float = 0.7,
        reduce: str = "max",
        threshold: str | None = None,
        upsample: bool = False,
        crop_size: int | None = None,
        crop_from: str = "source",
        min_size: float | None = None,
        sampling_ratio: int = -1,
    ):
        super().__init__()
        if threshold is None and not 0 < tau < 1:
            raise ValueError(f"tau must lie in (0, 1), got {tau}")
        if threshold not in (None, "otsu"):
            raise ValueError(f"unknown threshold {threshold!r}; expected None (fixed tau) or 'otsu'")
        if reduce not in REDUCTIONS:
            raise ValueError(f"unknown reduce {reduce!r}; expected one of {', '.join(REDUCTIONS)}")
        if crop_from not in CROP_FROM:
            raise ValueError(f"unknown crop_from {crop_from!r}; expected one of {', '.join(CROP_FROM)}")
        self.tau, self.reduce, self.threshold, self.upsample = tau, reduce, threshold, upsample
        self.crop_size, self.crop_from, self.min_size = crop_size, crop_from, min_size
        self.sampling_ratio = sampling_ratio

    def forward(
        self,
        features: torch.Tensor,
        images: torch.Tensor,
        sources: torch.Tensor | None = None,
        frames: torch.Tensor | None = None,
        weight: torch.Tensor | None = None,
    ) -> AttentionResult:
        """features: the global branch's (B, K, h, w); images: its (B, 1, H, W) input.

        sources: (B, 1, Hs, Ws) uint8 or float, the images the inputs were rendered from;
        frames: (B, 5) their frames (None: each input shows its whole source, unflipped);
        weight: the global classifier's disease rows (C, K), for reduce="cam".
        """
        return self.from_heatmaps(heatmap(features, self.reduce, weight), images, sources, frames)

    @torch.no_grad()
    def from_heatmaps(
        self,
        heatmaps: torch.Tensor,
        images: torch.Tensor,
        sources: torch.Tensor | None = None,
        frames: torch.Tensor | None = None,
    ) -> AttentionResult:
        """The same from ready (B, h, w) heatmaps in [0, 1], e.g. Grad-CAM's."""
        input_hw = tuple(images.shape[-2:])
        size = self.crop_size or input_hw
        if self.crop_from == "whole":
            boxes = heatmaps.new_tensor([0.0, 0.0, input_hw[1], input_hw[0]]).expand(
                len(heatmaps), 4
            )
        else:
            mask_maps = upsample_heatmap(heatmaps, input_hw) if self.upsample else heatmaps
            boxes = attention_boxes(
                mask_maps, self.tau, input_hw, threshold=self.threshold, min_size=self.min_size
            )
        if self.crop_from == "input":
            crops = crop(images, boxes, size, sampling_ratio=self.sampling_ratio)
        elif sources is None:
            raise ValueError(
                f"crop_from={self.crop_from!r} needs the sources (and frames) the inputs were "
                "rendered from; pass crop_from='input' to crop the inputs themselves"
            )
        else:
            crops = crop(
                sources, boxes, size, frames=frames, input_size=input_hw,
                sampling_ratio=self.sampling_ratio,
            )
        return AttentionResult(crops.to(images.dtype), boxes, heatmaps)

    def extra_repr(self) -> str:
        return (
            f"tau={self.tau}, reduce={self.reduce!r}, threshold={self.threshold!r}, "
            f"upsample={self.upsample}, crop_size={self.crop_size}, crop_from={self.crop_from!r}, "
            f"min_size={self.min_size}, sampling_ratio={self.sampling_ratio}"
        )
