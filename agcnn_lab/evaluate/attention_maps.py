"""AG-CNN's heatmap beside its variants and Grad-CAM, and how well each one finds the lesions.

    maps = method_heatmaps(model, images, targets)        # {"max": (B, h, w), "l1": ..., "grad-cam": ...}
    table = localisation_by_method(model, data, profile, "val", device, tau=0.7)

- max, l1, l2, sum: statistics over the K feature maps of the global branch (attention.heatmap);
  the paper's is max |f_k|. They do not depend on the class.
- grad-cam: the gradient-weighted map of one class (attention.gradcam), here the lesion's own class:
  the most favourable reading for Grad-CAM, which needs a class while AG-CNN's map does not.

Each map gives a box at tau exactly as the attention crop does (largest region above tau,
on the feature grid or upsampled as the profile says); each box is scored against the lesion's
ground-truth box: pointing game (hit), IoBB, IoU, and the box's share of the image (area).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from ..attention import REDUCTIONS, AttentionCrop
from ..attention.gradcam import grad_cam
from ..attention.heatmap import GRAD_CAM
from ..data.classes import class_index
from ..data.geometry import input_boxes_to_source
from .fixed_box import best_fixed_box, fixed_box_scores
from .localisation import box_scores
from .tau_sweep import window_share

METHODS = (*REDUCTIONS, GRAD_CAM)


def method_heatmaps(model, images: torch.Tensor, targets: Sequence[int] | None = None, methods: Sequence[str] = METHODS) -> dict[str, torch.Tensor]:
    """(B, h, w) maps in [0, 1] of each method for a batch; "grad-cam" needs `targets`
    (one class index per image)."""
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown method(s) {sorted(unknown)}; choose from {METHODS}")
    model.eval()
    with torch.no_grad():
        features = model.global_branch(images).features
    maps = {}
    for method in methods:
        if method == GRAD_CAM:
            if targets is None:
                raise ValueError("grad-cam needs targets: the class of each image")
            maps[method] = grad_cam(model, images, list(targets))
        else:
            maps[method] = model.heatmaps(features, method)
    return maps


def lesion_batches(dataset, lesions: pd.DataFrame, batch_size: int, device: torch.device):
    """lesion_samples' lesions in batches: (their rows, their images on `device`, their frames)."""
    for start in range(0, len(lesions), batch_size):
        rows = lesions.iloc[start : start + batch_size]
        samples = [dataset[int(i)] for i in rows["position"]]
        yield rows, torch.stack([s.image for s in samples]).to(device), torch.stack([s.frame for s in samples])


def lesion_samples(data, profile, part: str) -> tuple[object, pd.DataFrame]:
    """The evaluation dataset of `part` and its lesions: one row per ground-truth box, with the
    dataset position of its image (`position`) and the index of its class (`target`)."""
    dataset = data.dataset(part, profile.data)
    if data.boxes is None:
        raise ValueError(f"{data.name} has no ground-truth boxes")
    position = {name: i for i, name in enumerate(dataset.names)}
    lesions = data.boxes[data.boxes["image"].isin(position)].reset_index(drop=True)
    if lesions.empty:
        raise ValueError(f"no ground-truth box falls on the {part} split")
    return dataset, lesions.assign(position=lesions["image"].map(position), target=lesions["label"].map(class_index))


def _boxes(maps: torch.Tensor, tau: float, size: int, profile, upsample: bool) -> torch.Tensor:
    """The boxes the profile's AttentionCrop would cut from these maps (of any method) at `tau`."""
    return AttentionCrop.from_config(profile.model.attention, tau=tau, upsample=upsample).boxes(maps, size)


def localisation_by_method(
    model,
    data,
    profile,
    part: str,
    device: torch.device,
    tau: float,
    methods: Sequence[str] = METHODS,
    upsample: bool | None = None,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """Per method: lesions, pointing game (hit), IoBB, IoU and mean box area (share of the
    input's view of the source) of its boxes at `tau` on the lesions of `part`."""
    upsample = profile.model.attention.upsample if upsample is None else upsample
    dataset, lesions = lesion_samples(data, profile, part)
    batch_size = batch_size or profile.training.eval_batch_size
    boxes: dict[str, list[torch.Tensor]] = {m: [] for m in methods}
    all_frames = []
    for rows, images, frames in lesion_batches(dataset, lesions, batch_size, device):
        size = images.shape[-1]
        maps = method_heatmaps(model, images, rows["target"].tolist(), methods)
        for method, m in maps.items():
            found = _boxes(m.float().cpu(), tau, size, profile, upsample)
            boxes[method].append(input_boxes_to_source(found, frames, size))
        all_frames.append(frames)
    frames = torch.cat(all_frames).numpy()
    truth = lesions[["x0", "y0", "x1", "y1"]].to_numpy()
    records = []
    for method in methods:
        found = torch.cat(boxes[method]).numpy()
        scores = box_scores(found, truth)
        area = window_share(found, frames)
        records.append(
            {"method": method, "lesions": len(truth), "hit": scores["hit"].mean(), "iobb": scores["iobb"].mean(), "iou": scores["iou"].mean(), "area": area.mean()}
        )
    return pd.DataFrame(records).set_index("method")


def beside_fixed_box(scores: pd.DataFrame, data, profile, part: str) -> pd.DataFrame:
    """`scores` (localisation_by_method's table) with, per method, the pointing game of the best
    FIXED box of the same area: one box placed once from the training lesions, that never looks
    at the image. A heatmap earns its hit rate only where it beats this column."""
    _, lesions = lesion_samples(data, profile, part)
    train = data.boxes[data.boxes["image"].isin(set(data.entries("train")["image"]))]
    geometry = profile.data.geometry
    window = (geometry.crop / geometry.resize) ** 2  # the evaluation input's share of the source
    fixed = [fixed_box_scores(best_fixed_box(train, min(area * window, 1.0), single_only=False), lesions)["hit"]
             for area in scores["area"]]
    return scores.assign(**{"fixed box hit": fixed, "hit - fixed": scores["hit"].to_numpy() - np.asarray(fixed)})


def truth_in_input(lesions: pd.DataFrame, images: Sequence[str], frames: torch.Tensor, size: int) -> list:
    """Per film of `images` (its frame in `frames`): [(label, box in pixels of its `size` input)]
    for every lesion of `lesions` (normalised source coordinates) on that film."""
    from ..data.geometry import source_boxes_to_input

    truth = []
    for image, frame in zip(images, frames, strict=True):
        boxes = lesions[lesions["image"] == image]
        normalised = torch.tensor(boxes[["x0", "y0", "x1", "y1"]].to_numpy(), dtype=torch.float64)
        in_input = source_boxes_to_input(normalised, frame.double().expand(len(boxes), 5), size).numpy()
        truth.append(list(zip(boxes["label"], in_input, strict=True)))
    return truth


def method_examples(
    model,
    data,
    profile,
    part: str,
    device: torch.device,
    count: int = 4,
    tau: float | None = None,
    methods: Sequence[str] = METHODS,
    upsample: bool | None = None,
) -> dict:
    """What figures.heatmaps.plot_heatmap_methods draws for `count` lesion images of `part`
    (each of a different finding where possible; Grad-CAM explains the image's first lesion):
    images (N, S, S), maps {method: (N, h, w)}, boxes {method: (N, 4)} at `tau` (None: no
    boxes), truth (per image, [(label, box in input pixels)]) and row labels."""
    upsample = profile.model.attention.upsample if upsample is None else upsample
    dataset, lesions = lesion_samples(data, profile, part)
    chosen, seen = [], set()
    for row in lesions.drop_duplicates("image").itertuples():
        if row.label not in seen:
            chosen.append(row)
            seen.add(row.label)
    for row in lesions.drop_duplicates("image").itertuples():  # fewer findings than count: repeat
        if len(chosen) >= count:
            break
        if row.image not in {c.image for c in chosen}:
            chosen.append(row)
    chosen = chosen[:count]
    samples = [dataset[int(row.position)] for row in chosen]
    images = torch.stack([s.image for s in samples]).to(device)
    frames = torch.stack([s.frame for s in samples])
    size = images.shape[-1]
    maps = {m: v.float().cpu() for m, v in method_heatmaps(model, images, [int(r.target) for r in chosen], methods).items()}
    truth = truth_in_input(lesions, [row.image for row in chosen], frames, size)
    return {
        "images": images[:, 0].cpu().numpy(),
        "maps": {m: v.numpy() for m, v in maps.items()},
        "boxes": None if tau is None else {m: _boxes(v, tau, size, profile, upsample).numpy()
                                           for m, v in maps.items()},
        "truth": truth,
        "row_labels": [f"{row.image}\n{row.label}" for row in chosen],
    }
