"""One image through the attention crop, step by step: (image, tau, statistic) in, every step out.

    explorer = AttentionExplorer(model, dataset, truth=data.boxes)   # dataset: eval, with_source
    view = explorer.view(ExplorerState(image=3, tau=0.7, reduce="max"))
    view.mask, view.region, view.box_source, view.crop, readouts(view)

The steps are AttentionCrop.trace's, with the model's attention settings but the state's tau and
statistic, so the crop shown is the one the local branch would be fed at that tau. The global
branch runs once per image (its feature maps are kept); moving tau or changing the statistic only
re-thresholds, so a slider stays responsive on a CPU. The ipywidgets around it live in
agcnn_lab.widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..data.geometry import input_boxes_to_source, source_boxes_to_input
from .boxes import pointing_hits
from .heatmap import REDUCTIONS


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
        """Detail per unit of anatomy in the crop over that in the global input (> 1: finer).

        Capped at the source's own detail: a box narrower than the crop is upsampled, which adds
        pixels, not detail, so the crop never shows more than one source pixel per pixel."""
        x0, _, x1, _ = self.box_source
        crop_resolution = min(self.crop.shape[1] / (x1 - x0), 1.0)  # source pixels per crop pixel, at most 1
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

    def attention(self, state: ExplorerState):
        """The AttentionCrop a view traces: the model's settings, with the state's tau and
        statistic, a fixed tau (the slider's, not Otsu's) and the crop cut from the source."""
        return self.model.attention.replace(
            tau=state.tau, reduce=state.reduce, threshold=None, upsample=self.upsample,
            crop_size=self.crop_size, crop_from="source",
        )

    def view(self, state: ExplorerState) -> ExplorerView:
        if not 0 <= state.image < len(self.dataset):
            raise ValueError(f"image {state.image} is out of range 0..{len(self.dataset) - 1}")
        if not 0 < state.tau < 1:
            raise ValueError(f"tau must lie in (0, 1), got {state.tau}")
        if state.reduce not in REDUCTIONS:
            raise ValueError(f"unknown heatmap statistic {state.reduce!r}; choose from {REDUCTIONS}")
        sample, features = self._sample(state.image)
        size = sample.image.shape[-1]
        frame = sample.frame[None]
        maps = self.model.heatmaps(features, state.reduce)
        steps = self.attention(state).trace(maps, sample.image[None], sample.source[None], frame)
        source_h, source_w = sample.source.shape[-2:]
        scale = np.array([source_w, source_h, source_w, source_h])
        name = self.dataset.names[state.image]
        lesions = self.truth[self.truth["image"] == name]
        normalised = lesions[["x0", "y0", "x1", "y1"]].to_numpy(dtype=np.float64).reshape(-1, 4)
        # The pointing game in normalised source coordinates, as the tau sweep scores it.
        box_normalised = input_boxes_to_source(steps.boxes, frame, size)[0].numpy()
        hits = pointing_hits(np.repeat(box_normalised[None], len(normalised), 0), normalised)
        in_input = source_boxes_to_input(torch.tensor(normalised), frame.double().expand(len(normalised), 5), size).numpy()
        labels = [c for c, v in zip(self._label_names(), sample.labels.tolist(), strict=False) if v > 0.5]
        return ExplorerView(
            state=state,
            name=name,
            labels=labels,
            image=sample.image[0].numpy(),
            heatmap=maps[0].numpy(),
            mask=steps.mask[0].numpy(),
            region=steps.region[0].numpy(),
            box_input=steps.boxes[0].numpy(),
            box_source=steps.source_boxes[0].numpy(),
            source=sample.source[0].numpy(),
            crop=steps.crops[0, 0].numpy(),
            truth=list(zip(lesions["label"], normalised * scale, strict=True)),
            truth_input=list(zip(lesions["label"], in_input, strict=True)),
            hits=[bool(h) for h in hits],
            frame_width=float(sample.frame[2] - sample.frame[0]),
        )

    def _label_names(self) -> list[str]:
        from ..data.dataset import label_columns

        return label_columns(len(self.dataset.labels[0]) > 14)
