"""AttentionCrop: the whole attention step of AG-CNN for a batch, heatmap -> box -> crop.

It bundles the method's settings (tau, the heatmap statistic, the threshold and its resolution,
the box's kind, the crop size and where the crop is cut from) and holds no weights.

    attention = AttentionCrop(tau=0.7, reduce="max", crop_from="source")
    features = model.global_branch(images).features
    result = attention(features, images, sources=sources, frames=frames)
    result.crops, result.boxes, result.heatmaps   # (B, 1, 224, 224), (B, 4), (B, 7, 7)

    boxes = attention.boxes(heatmaps, 224)        # the box step alone (the tau sweep's)
    steps = attention.trace(heatmaps, images, sources, frames)   # every step, for the explorer
    steps.mask, steps.region, steps.source_boxes  # (B, 7, 7) bool, (B, 7, 7) bool, (B, 4)
    wider = attention.replace(tau=0.5)            # the same settings but one
    gaze = attention.replace(box_area=0.45)       # a box of 45% of the input centred on the region

forward, from_heatmaps, boxes and trace run the same steps (`_locate`, `_cut`); trace only
keeps what the others drop, so what the explorer shows is what the local branch is fed.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .boxes import centred_boxes, region_boxes, threshold_mask
from .components import largest_component
from .crop import crop, to_source_pixels
from .heatmap import REDUCTIONS, heatmap, upsample_heatmap

CROP_FROM = ("source", "input", "whole")


class AttentionResult(NamedTuple):
    crops: torch.Tensor  # (B, 1, crop_size, crop_size) float in [0, 1]: the local branch's input
    boxes: torch.Tensor  # (B, 4) (x0, y0, x1, y1) in pixels of the global input
    heatmaps: torch.Tensor  # (B, h, w) in [0, 1], at the feature maps' resolution


class AttentionTrace(NamedTuple):
    """Every intermediate of AttentionCrop for a batch, in the order they are made."""

    heatmaps: torch.Tensor  # (B, h, w) in [0, 1], at the feature maps' resolution
    thresholded: torch.Tensor  # (B, h', w') the map the threshold is applied to: the heatmap, or
    # the heatmap upsampled to the input's size (upsample=True)
    mask: torch.Tensor  # (B, h', w') bool: above tau (or Otsu's split); all True for "whole"
    region: torch.Tensor  # (B, h', w') bool: the mask's largest 8-connected region
    boxes: torch.Tensor  # (B, 4) (x0, y0, x1, y1) in pixels of the global input
    source_boxes: torch.Tensor  # (B, 4) the same boxes in pixels of the image they are cut
    # from (the source; the input itself for crop_from="input"), before clipping to it
    crops: torch.Tensor  # (B, 1, crop_size, crop_size) float in [0, 1]: the local branch's input


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
    box_area: None cuts the region's bounding box (the paper); a share of the input in (0, 1]
        cuts a box of that area centred on the region's heatmap-weighted centre instead
        (boxes.centred_boxes: the region says where to look, every film gets the same zoom).
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
        box_area: float | None = None,
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
        if box_area is not None and not 0 < box_area <= 1:
            raise ValueError(f"box_area is a share of the input in (0, 1] (or None: the region's bounding box), got {box_area}")
        self.box_area = box_area
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

    def heatmaps(self, features: torch.Tensor, weight: torch.Tensor | None = None, reduce: str | None = None) -> torch.Tensor:
        """The (B, h, w) heatmaps of the global features with this crop's statistic (or `reduce`);
        weight: the global classifier's disease rows, for "cam"."""
        return heatmap(features, reduce or self.reduce, weight)

    @torch.no_grad()
    def from_heatmaps(
        self,
        heatmaps: torch.Tensor,
        images: torch.Tensor,
        sources: torch.Tensor | None = None,
        frames: torch.Tensor | None = None,
    ) -> AttentionResult:
        """The same from ready (B, h, w) heatmaps in [0, 1], e.g. Grad-CAM's."""
        *_, boxes = self._locate(heatmaps, tuple(images.shape[-2:]))
        crops = self._cut(boxes, images, sources, frames)
        return AttentionResult(crops.to(images.dtype), boxes, heatmaps)

    @torch.no_grad()
    def boxes(self, heatmaps: torch.Tensor, input_size: int | tuple[int, int]) -> torch.Tensor:
        """The box step alone: (B, h, w) heatmaps -> (B, 4) boxes in pixels of an input of
        `input_size` (an int or (H, W)), as from_heatmaps would cut them."""
        *_, boxes = self._locate(heatmaps, _pair(input_size))
        return boxes

    @torch.no_grad()
    def trace(
        self,
        heatmaps: torch.Tensor,
        images: torch.Tensor,
        sources: torch.Tensor | None = None,
        frames: torch.Tensor | None = None,
    ) -> AttentionTrace:
        """from_heatmaps, keeping every step: heatmap, thresholded map, mask, largest region,
        boxes (input and source pixels) and crops (see AttentionTrace)."""
        input_hw = tuple(images.shape[-2:])
        thresholded, mask, region, boxes = self._locate(heatmaps, input_hw)
        crops = self._cut(boxes, images, sources, frames)
        if self.crop_from == "input":
            source_boxes = boxes
        else:
            source_boxes = to_source_pixels(boxes.float().to(sources.device), frames, input_hw, tuple(sources.shape[-2:]))
        return AttentionTrace(heatmaps, thresholded, mask, region, boxes, source_boxes, crops.to(images.dtype))

    def _locate(self, heatmaps: torch.Tensor, input_hw: tuple[int, int]):
        """heatmaps -> (thresholded map, mask, largest region, boxes in input pixels)."""
        if self.crop_from == "whole":
            everything = torch.ones_like(heatmaps, dtype=torch.bool)
            whole = heatmaps.new_tensor([0.0, 0.0, input_hw[1], input_hw[0]]).expand(len(heatmaps), 4)
            return heatmaps, everything, everything, whole
        thresholded = upsample_heatmap(heatmaps, input_hw) if self.upsample else heatmaps
        mask = threshold_mask(thresholded, self.tau, self.threshold)
        region = largest_component(mask)
        if self.box_area is not None:
            return thresholded, mask, region, centred_boxes(region, thresholded, self.box_area, input_hw)
        return thresholded, mask, region, region_boxes(region, input_hw, min_size=self.min_size)

    def _cut(self, boxes, images, sources, frames) -> torch.Tensor:
        """Crop the boxes (input pixels) out of the inputs or, through the frames, the sources."""
        input_hw = tuple(images.shape[-2:])
        size = self.crop_size or input_hw
        if self.crop_from == "input":
            return crop(images, boxes, size, sampling_ratio=self.sampling_ratio)
        if sources is None:
            raise ValueError(
                f"crop_from={self.crop_from!r} needs the sources (and frames) the inputs were "
                "rendered from; pass crop_from='input' to crop the inputs themselves"
            )
        return crop(
            sources, boxes, size, frames=frames, input_size=input_hw, sampling_ratio=self.sampling_ratio
        )

    def settings(self) -> dict:
        """The constructor's arguments that rebuild this AttentionCrop."""
        return {
            "tau": self.tau, "reduce": self.reduce, "threshold": self.threshold,
            "upsample": self.upsample, "crop_size": self.crop_size, "crop_from": self.crop_from,
            "min_size": self.min_size, "sampling_ratio": self.sampling_ratio, "box_area": self.box_area,
        }

    @classmethod
    def from_config(cls, config, **changes) -> AttentionCrop:
        """The crop a configuration's `model.attention` (config.AttentionConfig) describes, but for
        `changes` (checked as replace's): the model's own crop, and every crop built only for its
        boxes (the notebooks' and the evaluation's), which must cut the boxes the model cuts."""
        crop_from = getattr(config.crop_from, "value", config.crop_from)  # the config's enum, or its value
        settings = {"tau": config.tau, "reduce": config.reduce, "upsample": config.upsample,
                    "crop_size": config.crop_size, "crop_from": crop_from, "box_area": config.box_area}
        return cls(**settings).replace(**changes)

    def replace(self, **changes) -> AttentionCrop:
        """A new AttentionCrop with this one's settings, but for `changes` (checked as in
        the constructor): the explorer's tau slider, the tau sweep's grid."""
        unknown = set(changes) - set(self.settings())
        if unknown:
            raise TypeError(f"unknown setting(s) {sorted(unknown)}; expected some of {sorted(self.settings())}")
        return AttentionCrop(**{**self.settings(), **changes})

    def extra_repr(self) -> str:
        return (
            f"tau={self.tau}, reduce={self.reduce!r}, threshold={self.threshold!r}, "
            f"upsample={self.upsample}, crop_size={self.crop_size}, crop_from={self.crop_from!r}, "
            f"min_size={self.min_size}, sampling_ratio={self.sampling_ratio}, box_area={self.box_area}"
        )


def _pair(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else tuple(size)
