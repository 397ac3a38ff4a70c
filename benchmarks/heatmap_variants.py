"""Does another heatmap from the same global branch find the lesions in a smaller box?

    .venv/bin/python benchmarks/heatmap_variants.py                       # runs/demo-cpu
    .venv/bin/python benchmarks/heatmap_variants.py --run runs/exp-seed1 --min-hit 0.85
    .venv/bin/python benchmarks/heatmap_variants.py --box-areas 0.35 0.45   # and centred boxes

A finished run's global branch (its best stage-I weights), its validation split only (the test
split is not read). For each heatmap: the tau sweep, the tau the package's rule would choose (the
highest whose box holds `--min-hit` of the single lesions) and, beside it, the best FIXED box of
the same area placed from the training lesions (evaluate.fixed_box). Variants:

- `max`: the paper's max_k |f_k|, the profile's heatmap (the reference row);
- `excess`: max_k (|f_k| - mean_k), where mean_k(x, y) is channel k's mean over the training
  films labelled No Finding at that place: a radiologist reads a film against normal anatomy, so
  channels that fire on every chest (the mediastinum, the hila) should not draw the box;
- `excess-l2`: the root mean square of that excess over the channels (the paper's "l2" on it);
- `cam`: the class activation map of the branch's own classifier (heatmap reduce="cam", a
  documented departure): max over the diseases of max(0, sum_k w_ck f_k);
- `cam-belief`: the same maps summed over the diseases, each weighted by the branch's own
  probability of that disease (where the branch suspects disease, not where any disease's
  channels fire);
- `stride-8`: max |f| on a grid twice as fine (16x16 at 128 px): the atrous trick applied once
  more to the same weights (the last two stride-2 convolutions set to stride 1, the 3x3
  convolutions after each dilated by 2), no retraining.

With `--box-areas A ...`, one more row per A: max |f|, its region at each tau, and a box of A of
the window centred on the region's heatmap-weighted centre (`model.attention.box_area`,
attention.centred_boxes) instead of the region's bounding box: the same zoom for every film, so
the fixed box it must beat has exactly its area.

Printed: one Markdown table (heatmap, tau, box as a share of the window and of the source film,
hit_single, the fixed box's hit_single at that area) and each variant's full sweep.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from agcnn_lab.attention import AttentionCrop
from agcnn_lab.attention.heatmap import class_activation_maps, heatmap, scale_per_image
from agcnn_lab.data.classes import CLASSES
from agcnn_lab.evaluate.fixed_box import fixed_box_sweep
from agcnn_lab.evaluate.tau_sweep import choose_tau, heatmap_set, tau_sweep
from agcnn_lab.experiment import load_data, load_run
from agcnn_lab.report import markdown_table
from agcnn_lab.train.loader import make_loader


def normal_mean(branch: nn.Module, loader) -> torch.Tensor:
    """(K, h, w): each channel's mean |f| at each place over the films of `loader`."""
    total, count = None, 0
    for batch in loader:
        features = branch(batch.image).features.abs().float()
        total = features.sum(0) if total is None else total + features.sum(0)
        count += len(features)
    return total / count


def variants(branch: nn.Module, normal: torch.Tensor, weight: torch.Tensor) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    def of(statistic):
        return lambda images: scale_per_image(statistic(branch(images).features.abs().float()))

    return {
        "max": of(lambda f: f.amax(1)),
        "excess": of(lambda f: (f - normal).clamp(min=0).amax(1)),
        "excess-l2": of(lambda f: (f - normal).clamp(min=0).pow(2).mean(1).sqrt()),
        "cam": lambda images: heatmap(branch(images).features, reduce="cam", weight=weight),
        "cam-belief": lambda images: believed_cam(branch(images), weight),
    }


def believed_cam(output, weight: torch.Tensor) -> torch.Tensor:
    """sum_c p_c max(0, sum_k w_ck f_k), p_c the branch's own probability of disease c: each
    disease's map weighted by how far the branch believes the film shows it, so a disease's
    map that fires on every chest (the heart's border for Cardiomegaly) draws the box only on
    the films where that disease is suspected."""
    maps = class_activation_maps(output.features, weight)
    belief = torch.sigmoid(output.logits[:, : len(weight)].float())
    return scale_per_image((belief[:, :, None, None] * maps).sum(1))


def densify(branch: nn.Module) -> None:
    """Halve the output stride of a (stride-16) trunk in place: the last stride-2 convolution
    gets stride 1 and every 3x3 convolution after it twice its dilation (and padding)."""
    convs = [m for m in branch.modules() if isinstance(m, nn.Conv2d)]
    last = max(i for i, conv in enumerate(convs) if conv.stride == (2, 2))
    convs[last].stride = (1, 1)
    for conv in convs[last + 1 :]:
        if conv.kernel_size == (3, 3):
            step = conv.dilation[0] * 2
            conv.dilation, conv.padding = (step, step), (step, step)


def summary_row(name: str, sweep: pd.DataFrame, min_hit: float, window: float, train_truth: pd.DataFrame,
                val_truth: pd.DataFrame) -> dict:
    """A heatmap's row: the rule's tau (the highest whose box holds `min_hit` of the single
    lesions), its box as a share of the window and of the film (`window`: the window's share of
    the film), its single-lesion pointing game and the best fixed box's at that area."""
    tau = choose_tau(sweep, min_hit, on="hit_single")
    chosen = sweep[np.isclose(sweep["tau"], tau)].iloc[0]
    fixed = fixed_box_sweep(train_truth, val_truth, [chosen["area"] * window]).iloc[0]
    return {
        "heatmap": name, "tau": tau, "box (window)": f"{chosen['area']:.0%}",
        "box (film)": f"{chosen['area'] * window:.0%}", "hit_single": f"{chosen['hit_single']:.0%}",
        "fixed box, hit_single": f"{fixed['hit_single']:.0%}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default="runs/demo-cpu", help="a finished run folder (default: runs/demo-cpu)")
    parser.add_argument("--min-hit", type=float, default=0.85, help="the tau rule's share of single lesions")
    parser.add_argument("--box-areas", type=float, nargs="*", default=[],
                        help="also max |f| with a box of each share of the window centred on its region")
    args = parser.parse_args()
    bad = [a for a in args.box_areas if not 0 < a <= 1]
    if bad:
        raise SystemExit(f"--box-areas: each is a share of the window in (0, 1], got {bad[0]}")

    device = torch.device("cpu")
    run = load_run(args.run, device)
    profile, model = run.profile, run.model
    data = load_data(profile, progress=False)
    if data.boxes is None:
        raise SystemExit(f"{args.run}: its data has no lesion boxes, so no pointing game can be played")
    model.eval()
    branch = model.global_branch

    def loader(part: str, rows=None):
        dataset = data.dataset(part, profile.data, with_no_finding=model.with_no_finding)
        if rows is not None:
            dataset = torch.utils.data.Subset(dataset, rows)
        return make_loader(dataset, profile.training.eval_batch_size, profile.training, shuffle=False)

    train = data.entries("train")
    normal_rows = np.flatnonzero(train[list(CLASSES)].to_numpy().sum(axis=1) == 0)
    geometry = profile.data.geometry
    window = (geometry.crop / geometry.resize) ** 2  # the input window's share of the source film
    val_truth = data.boxes[data.boxes["image"].isin(set(data.entries("val")["image"]))]
    train_truth = data.boxes[data.boxes["image"].isin(set(train["image"]))]
    paper_box = AttentionCrop.from_config(profile.model.attention, box_area=None)  # the run's crop, the paper's box

    with torch.no_grad():
        normal = normal_mean(branch, loader("train", normal_rows))
        makers = variants(branch, normal, model.disease_weight())
        sweeps = {name: tau_sweep(heatmap_set(loader("val"), device, maps_of), data.boxes, data.entries("val"), crop=paper_box)
                  for name, maps_of in makers.items()}
        if args.box_areas:
            plain = heatmap_set(loader("val"), device, makers["max"])
            for area in args.box_areas:
                sweeps[f"max, centred {area:g}"] = tau_sweep(plain, data.boxes, data.entries("val"),
                                                             crop=paper_box.replace(box_area=area))
        densify(branch)
        sweeps["stride-8"] = tau_sweep(heatmap_set(loader("val"), device, makers["max"]), data.boxes,
                                       data.entries("val"), crop=paper_box)

    rows = [summary_row(name, sweep, args.min_hit, window, train_truth, val_truth) for name, sweep in sweeps.items()]
    print(f"{args.run}, validation: {len(normal_rows)} No Finding training films make the normal mean; "
          f"{int(sweeps['max']['single'].iloc[0])} single-lesion films\n")
    print(markdown_table(pd.DataFrame(rows).set_index("heatmap")))
    for name, sweep in sweeps.items():
        print(f"\n{name}\n")
        print(markdown_table(sweep.round(3).set_index("tau")))


if __name__ == "__main__":
    main()
