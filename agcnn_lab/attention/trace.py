"""One image through the attention crop, step by step: (image, tau, statistic) in, every step out.

    explorer = AttentionExplorer(model, dataset, truth=data.boxes)   # dataset: eval, with_source
    view = explorer.view(ExplorerState(image=3, tau=0.7, reduce="max"))
    view.mask, view.region, view.box_source, view.crop, readouts(view)
    summary = ExplorerSweep(explorer).set_readout(0.7, "max")   # every film: evaluate.explorer_sweep
    summary.hit, summary.hit_single, summary.area, set_readouts(summary)
    explorer.view(explorer.chosen_state(3))         # the model's own tau and statistic
    explorer.view(ExplorerState(3, 0.7, "grad-cam"))  # Grad-CAM of the top-scored disease

The steps are AttentionCrop.trace's, with the model's attention settings but the state's tau and
statistic, so the crop shown is the one the local branch would be fed at that tau. The global
branch runs once per image (its feature maps are kept); moving tau or changing the statistic only
re-thresholds, so a slider stays responsive on a CPU. The set-level readout (the validation tau
sweep's row at one tau over the explorer's films) scores boxes against the ground truth, so it lives
a layer up, in evaluate.explorer_sweep; its record and its text (SetReadout, set_readouts) are here.
The ipywidgets around it live in agcnn_lab.widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from ..data.classes import CLASSES, NO_FINDING
from ..data.geometry import input_boxes_to_source, source_boxes_to_input
from .boxes import pointing_hits
from .heatmap import GRAD_CAM, REDUCTIONS

STATISTICS = (*REDUCTIONS, GRAD_CAM)  # what the explorer thresholds: the attention's statistics, and Grad-CAM
ALL = "All"  # the finding filter that keeps every image


@dataclass(frozen=True)
class ExplorerState:
    image: int = 0  # position in the explorer's dataset
    tau: float = 0.7
    reduce: str = "max"  # one of STATISTICS


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
    target: str | None = None  # the disease Grad-CAM explains (statistic "grad-cam"), else None

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


@dataclass(frozen=True)
class SetReadout:
    """The boxes of every film of the explorer at one (tau, statistic): the tau sweep's row."""

    tau: float
    reduce: str
    images: int  # films
    area: float  # mean box area, a fraction of the global input (the sweep's `area`)
    lesions: int  # ground-truth boxes on these films
    hit: float  # share of the lesions whose centre lies in their film's box (`hit`); nan without lesions
    single: int  # lesions alone on their film
    hit_single: float  # the same share over those (`hit_single`); nan without any


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


def set_readouts(summary: SetReadout) -> dict[str, str]:
    """The set-level text, in the tau sweep's words (its columns in brackets), so the numbers can
    be found in the sweep's table of notebook 03."""
    films = f"over {summary.images} films at tau {summary.tau:.2f}, {summary.reduce}"
    if summary.lesions:
        alone = f"{summary.hit_single:.0%} of the {summary.single} alone on their film" if summary.single else "no lesion alone on its film"
        hit = f"{films}: lesion centre in the box for {summary.hit:.0%} of {summary.lesions} lesions (hit); {alone} (hit_single)"
    else:
        hit = f"{films}: no ground-truth box on these films"
    return {
        "hit": hit,
        "area": f"{films}: mean box area {100 * summary.area:.1f}% of the image (area)",
    }


class InputsOnly(Dataset):
    """The explorer's dataset without the sources, which a batch does not need for boxes and
    which the default collate could not stack (they may differ in size); index = position."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, position: int):
        from ..data.dataset import Sample

        sample = self.dataset[position]
        return Sample(sample.image, sample.labels, position, sample.frame)


class AttentionExplorer:
    """Holds a trained model's global branch and an eval dataset that yields sources.

    chosen_tau: the tau the widget opens on and resets to (default: the model's attention tau,
    the one its local branch is trained with); chosen_by says where it comes from, in words.
    batch_size: of the pass over every film that the set-level readouts need.
    """

    def __init__(self, model, dataset, truth: pd.DataFrame | None = None, device: torch.device | str = "cpu", crop_size: int | None = None,
                 chosen_tau: float | None = None, chosen_by: str | None = None, batch_size: int = 32):
        if not getattr(dataset, "with_source", False):
            raise ValueError("the explorer needs a dataset made with with_source=True")
        self.model, self.dataset, self.device = model, dataset, torch.device(device)
        self.truth = truth if truth is not None else pd.DataFrame(columns=["image", "label", "x0", "y0", "x1", "y1"])
        self.crop_size = crop_size or model.attention.crop_size or dataset.geometry.crop
        self.upsample = model.attention.upsample
        self.chosen_tau = float(model.attention.tau if chosen_tau is None else chosen_tau)
        if not 0 < self.chosen_tau < 1:
            raise ValueError(f"the chosen tau must lie in (0, 1), got {self.chosen_tau}")
        self.chosen_by = chosen_by or ("the model's attention tau" if chosen_tau is None else "given")
        self.batch_size = batch_size
        self._features: dict[int, tuple] = {}  # position -> (sample, feature maps, logits)
        self._cams: dict[int, torch.Tensor] = {}  # position -> (1, h, w) Grad-CAM

    def __len__(self) -> int:
        return len(self.dataset)

    def names(self) -> list[str]:
        return list(self.dataset.names)

    def findings(self, index: int) -> list[str]:
        """The findings of the image at `index` (its labels, without No Finding)."""
        values = self.dataset.labels[index].tolist()
        return [c for c, v in zip(self._label_names(), values, strict=True) if v > 0.5 and c != NO_FINDING]

    def describe(self, index: int) -> str:
        """The image's name and findings: the picker's label, the same text as readouts' "image"."""
        return f"{self.dataset.names[index]}: {', '.join(self.findings(index)) or 'No Finding'}"

    def with_finding(self, finding: str, images=None) -> list[int]:
        """The positions among `images` (default: all, in their order) of the films with `finding`:
        ALL keeps them all, NO_FINDING keeps the films without any."""
        images = range(len(self)) if images is None else images
        if finding == ALL:
            return list(images)
        if finding == NO_FINDING:
            return [i for i in images if not self.findings(i)]
        return [i for i in images if finding in self.findings(i)]

    def chosen_state(self, image: int = 0) -> ExplorerState:
        """The setting the local branch is trained with: the chosen tau, the model's statistic."""
        return ExplorerState(image, self.chosen_tau, self.model.attention.reduce)

    @torch.no_grad()
    def _sample(self, index: int):
        if index not in self._features:
            sample = self.dataset[index]
            self.model.eval()
            out = self.model.global_branch(sample.image[None].to(self.device))
            self._features[index] = (sample, out.features.cpu(), out.logits.cpu())
        return self._features[index]

    def targets(self, logits: torch.Tensor) -> list[int]:
        """Grad-CAM's class per image: the disease the global branch scores highest (No Finding
        left out). Not the lesion's own class: the crop at test time cannot know it."""
        return logits[:, : self.model.num_classes].argmax(dim=1).tolist()

    def _grad_cam(self, index: int) -> torch.Tensor:
        """(1, h, w) Grad-CAM of the image's top-scored disease; computed once (a backward pass)."""
        from .gradcam import grad_cam  # the grad-cam package, only when Grad-CAM is asked for

        if index not in self._cams:
            sample, _, logits = self._sample(index)
            self._cams[index] = grad_cam(self.model, sample.image[None].to(self.device), self.targets(logits)).float().cpu()
        return self._cams[index]

    @staticmethod
    def check(tau: float | None, reduce: str) -> None:
        if tau is not None and not 0 < tau < 1:
            raise ValueError(f"tau must lie in (0, 1), got {tau}")
        if reduce not in STATISTICS:
            raise ValueError(f"unknown heatmap statistic {reduce!r}; choose from {STATISTICS}")

    def attention(self, state: ExplorerState):
        """The AttentionCrop a view traces: the model's settings, with the state's tau and
        statistic, a fixed tau (the slider's, not Otsu's) and the crop cut from the source.
        Grad-CAM is no statistic of the crop's: its maps come ready, so the model's stays."""
        reduce = state.reduce if state.reduce in REDUCTIONS else self.model.attention.reduce
        return self.model.attention.replace(
            tau=state.tau, reduce=reduce, threshold=None, upsample=self.upsample,
            crop_size=self.crop_size, crop_from="source",
        )

    def view(self, state: ExplorerState) -> ExplorerView:
        if not 0 <= state.image < len(self.dataset):
            raise ValueError(f"image {state.image} is out of range 0..{len(self.dataset) - 1}")
        self.check(state.tau, state.reduce)
        sample, features, logits = self._sample(state.image)
        size = sample.image.shape[-1]
        frame = sample.frame[None]
        target = None
        if state.reduce == GRAD_CAM:
            maps = self._grad_cam(state.image)
            target = CLASSES[self.targets(logits)[0]]
        else:
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
        return ExplorerView(
            state=state,
            name=name,
            labels=self.findings(state.image),
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
            target=target,
        )

    def _label_names(self) -> list[str]:
        from ..data.dataset import label_columns

        return label_columns(len(self.dataset.labels[0]) > 14)
