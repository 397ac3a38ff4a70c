"""The tau explorer's logic: (image, tau, heatmap statistic) in, every step of the crop out.

    explorer = AttentionExplorer(model, dataset, truth=data.boxes)   # dataset: eval, with_source
    view = explorer.view(ExplorerState(image=3, tau=0.7, reduce="max"))
    view.mask, view.region, view.box_source, view.crop, readouts(view)

The global branch runs once per image (its feature maps are kept); moving tau or changing the
statistic only re-thresholds, so a slider stays responsive on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..attention import (
    REDUCTIONS,
    crop,
    largest_component,
    threshold_mask,
    upsample_heatmap,
)
from ..attention.boxes import attention_boxes
from ..data.geometry import input_boxes_to_source, source_boxes_to_input


@dataclass(frozen=True)
class ExplorerState:
    image: int = 0  # position in the explorer's dataset
    tau: float = 0.7
    reduce: str = "max"


@dataclass
class ExplorerView:
    state: ExplorerState
    name: str  # the image's file name
    labels: list[str]  # its findings
    image: np.ndarray  # (S, S) the global input, [0, 1]
    heatmap: np.ndarray  # (h, w) in [0, 1]
    mask: np.ndarray  # (h, w) bool: heatmap > tau
    region: np.ndarray  # (h, w) bool: the largest 8-connected region of the mask
    box_input: np.ndarray  # (4,) x0, y0, x1, y1 in input pixels
    box_source: np.ndarray  # (4,) the same box in source pixels
    source: np.ndarray  # (Hs, Ws) uint8: the high-resolution image the crop is cut from
    crop: np.ndarray  # (c, c) [0, 1]: what the local branch sees
    truth: list[tuple[str, np.ndarray]]  # (label, box in source pixels) of each lesion
    truth_input: list[tuple[str, np.ndarray]]  # the same boxes in input pixels
    hits: list[bool]  # per lesion: its centre lies in the attention box
    frame_width: float  # width of the input's window, as a fraction of the source's width

    @property
    def area_percent(self) -> float:
        """Box area as a percentage of the global input's area."""
        x0, y0, x1, y1 = self.box_input
        return float(100 * (x1 - x0) * (y1 - y0) / (self.image.shape[0] * self.image.shape[1]))

    @property
    def zoom(self) -> float:
        """Pixels per unit of anatomy in the crop over those in the global input (> 1: finer)."""
        x0, _, x1, _ = self.box_source
        crop_resolution = self.crop.shape[1] / (x1 - x0)  # crop pixels per source pixel
        input_resolution = self.image.shape[1] / (self.source.shape[1] * self.frame_width)
        return float(crop_resolution / input_resolution)


def readouts(view: ExplorerView) -> dict[str, str]:
    """The explorer's text: box area, zoom, and hit or miss for the ground-truth lesions."""
    if view.truth:
        verdicts = ", ".join(f"{label} {'hit' if hit else 'miss'}" for (label, _), hit in zip(view.truth, view.hits, strict=True))
    else:
        verdicts = "no ground-truth box on this image"
    return {
        "image": f"{view.name}: {', '.join(view.labels) or 'No Finding'}",
        "area": f"box area {view.area_percent:.1f}% of the image",
        "zoom": f"crop detail {view.zoom:.1f}x the global input's",
        "truth": verdicts,
    }


class AttentionExplorer:
    """Holds a trained model's global branch and an eval dataset that yields sources."""

    def __init__(self, model, dataset, truth: pd.DataFrame | None = None, device: torch.device | str = "cpu", crop_size: int | None = None):
        if not getattr(dataset, "with_source", False):
            raise ValueError("the explorer needs a dataset made with with_source=True")
        self.model, self.dataset, self.device = model, dataset, torch.device(device)
        self.truth = truth if truth is not None else pd.DataFrame(columns=["image", "label", "x0", "y0", "x1", "y1"])
        self.crop_size = crop_size or model.attention.crop_size or dataset.geometry.crop
        self.upsample = model.attention.upsample
        self._features: dict[int, tuple] = {}

    def __len__(self) -> int:
        return len(self.dataset)

    def names(self) -> list[str]:
        return list(self.dataset.names)

    @torch.no_grad()
    def _sample(self, index: int):
        if index not in self._features:
            sample = self.dataset[index]
            self.model.eval()
            features = self.model.global_branch(sample.image[None].to(self.device)).features.cpu()
            self._features[index] = (sample, features)
        return self._features[index]

    def view(self, state: ExplorerState) -> ExplorerView:
        if not 0 <= state.image < len(self.dataset):
            raise ValueError(f"image {state.image} is out of range 0..{len(self.dataset) - 1}")
        if not 0 < state.tau < 1:
            raise ValueError(f"tau must lie in (0, 1), got {state.tau}")
        if state.reduce not in REDUCTIONS:
            raise ValueError(f"unknown heatmap statistic {state.reduce!r}; choose from {REDUCTIONS}")
        sample, features = self._sample(state.image)
        size = sample.image.shape[-1]
        maps = self.model.heatmaps(features, state.reduce)
        mask_maps = upsample_heatmap(maps, size) if self.upsample else maps
        mask = threshold_mask(mask_maps, state.tau)
        box = attention_boxes(mask_maps, state.tau, size, min_size=self.model.attention.min_size)
        frame = sample.frame[None]
        crops = crop(sample.source[None], box, self.crop_size, frames=frame, input_size=size)
        source_h, source_w = sample.source.shape[-2:]
        scale = np.array([source_w, source_h, source_w, source_h])
        box_source = input_boxes_to_source(box, frame, size)[0].numpy() * scale
        name = self.dataset.names[state.image]
        lesions = self.truth[self.truth["image"] == name]
        truth, truth_input, hits = [], [], []
        for _, row in lesions.iterrows():
            normalised = np.array([row.x0, row.y0, row.x1, row.y1], dtype=np.float64)
            truth.append((row.label, normalised * scale))
            in_input = source_boxes_to_input(torch.tensor(normalised[None]), frame.double(), size)[0].numpy()
            truth_input.append((row.label, in_input))
            cx, cy = (normalised[0] + normalised[2]) / 2 * source_w, (normalised[1] + normalised[3]) / 2 * source_h
            hits.append(bool(box_source[0] <= cx <= box_source[2] and box_source[1] <= cy <= box_source[3]))
        labels = [c for c, v in zip(self._label_names(), sample.labels.tolist(), strict=False) if v > 0.5]
        return ExplorerView(
            state=state,
            name=name,
            labels=labels,
            image=sample.image[0].numpy(),
            heatmap=maps[0].numpy(),
            mask=mask[0].numpy(),
            region=largest_component(mask)[0].numpy(),
            box_input=box[0].numpy(),
            box_source=box_source,
            source=sample.source[0].numpy(),
            crop=crops[0, 0].numpy(),
            truth=truth,
            truth_input=truth_input,
            hits=hits,
            frame_width=float(sample.frame[2] - sample.frame[0]),
        )

    def _label_names(self) -> list[str]:
        from ..data.dataset import label_columns

        return label_columns(len(self.dataset.labels[0]) > 14)
