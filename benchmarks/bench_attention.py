"""Batched attention crop (heatmap -> box -> roi_align crop) against the per-image reference.

The reference does what the public re-implementations do, one image at a time: feature maps to
numpy, max |f| heatmap, (cv2 upsample), scipy.ndimage.label with 8-connectivity, the largest
region, its bounding box, PIL crop of the source and resize, back to a torch tensor. Both paths
cut the box out of the high-resolution source through each input's frame and must give the
same boxes. The inputs are synthetic (feature maps with one blob per image over noise, smooth
uint8 sources, eval and random train frames): the speed of this step does not depend on what
the network learnt.

    python benchmarks/bench_attention.py                       # CPU, batch 64, 224 px, 512-px source
    python benchmarks/bench_attention.py --device cuda         # the same on a GPU
    python benchmarks/bench_attention.py --tiny                # also time a training step of "tiny"

It prints Markdown for BENCHMARKS.md: the command, the machine, and the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import cv2
import numpy as np
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F
from PIL import Image

from agcnn_lab.attention import AttentionCrop, attention_boxes, crop, heatmap, upsample_heatmap
from agcnn_lab.data.geometry import InputGeometry

EIGHT_CONNECTED = np.ones((3, 3), dtype=int)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--input", type=int, default=224, help="side of the global input")
    p.add_argument("--source", type=int, default=512, help="side of the high-resolution source")
    p.add_argument("--channels", type=int, default=2048, help="K, the feature maps (ResNet-50: 2048)")
    p.add_argument("--stride", type=int, default=32, help="input side / feature side (ResNet-50: 32)")
    p.add_argument("--tau", type=float, default=0.7)
    p.add_argument("--repeat", type=int, default=10, help="timed runs; the median is reported")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true", help="also time a training step of the tiny backbone")
    return p.parse_args(argv)


# ---------------------------------------------------------------- synthetic inputs
def make_inputs(args, device):
    g = torch.Generator().manual_seed(args.seed)
    b, k, side = args.batch, args.channels, args.input // args.stride
    # Feature maps: non-negative noise plus one blob per image, strongest in a random subset of
    # channels, so that the heatmaps have a main region, side peaks and ties (like real ones).
    ys, xs = torch.meshgrid(torch.arange(side, dtype=torch.float32), torch.arange(side, dtype=torch.float32), indexing="ij")
    centres = torch.rand(b, 2, generator=g) * side
    sigma = 0.6 + torch.rand(b, generator=g) * 1.2
    blob = torch.exp(-((ys - centres[:, 0, None, None]) ** 2 + (xs - centres[:, 1, None, None]) ** 2) / (2 * sigma[:, None, None] ** 2))
    gains = torch.relu(torch.randn(b, k, 1, 1, generator=g)) * 3
    features = torch.relu(torch.randn(b, k, side, side, generator=g)) * 0.5 + gains * blob[:, None]
    # Sources: smooth uint8 images (low-frequency noise plus grain), like radiographs in spirit.
    coarse = torch.rand(b, 1, 16, 16, generator=g)
    smooth = F.interpolate(coarse, size=(args.source, args.source), mode="bicubic", align_corners=False)
    sources = ((smooth + 0.03 * torch.randn(smooth.shape, generator=g)).clamp(0, 1) * 255).round().to(torch.uint8)
    # Frames: half the paper's test transform, half random training crops (with flips).
    geometry = InputGeometry(resize=round(args.input * 256 / 224), crop=args.input)
    frames = torch.stack([geometry.eval_frame() if i % 2 == 0 else geometry.train_frame(g) for i in range(b)])
    images = torch.zeros(b, 1, args.input, args.input)  # only its shape matters here
    return features.to(device), images.to(device), sources.to(device), frames.to(device)


# ---------------------------------------------------------------- the per-image reference
def reference(features, sources, frames, *, tau, input_size, crop_size, upsample):
    """The peers' loop: numpy, scipy labelling and PIL, one image at a time."""
    maps = features.cpu().numpy()
    source_images = sources.cpu().numpy()
    frame_rows = frames.cpu().tolist()
    crops, boxes = [], []
    for f, source, frame in zip(maps, source_images, frame_rows, strict=True):
        h = np.abs(f).max(axis=0)
        span = h.max() - h.min()
        h = (h - h.min()) / span if span > 0 else np.zeros_like(h)
        if upsample:
            h = cv2.resize(h, (input_size, input_size), interpolation=cv2.INTER_LINEAR)
        labels, count = ndi.label(h > tau, structure=EIGHT_CONNECTED)
        cell = input_size / h.shape[0]
        if count == 0:
            box = [0.0, 0.0, float(input_size), float(input_size)]
        else:
            largest = int(np.argmax(np.bincount(labels.ravel())[1:])) + 1
            ys, xs = np.nonzero(labels == largest)
            box = [xs.min() * cell, ys.min() * cell, (xs.max() + 1) * cell, (ys.max() + 1) * cell]
        minimum = input_size / 8
        for lo, hi in ((0, 2), (1, 3)):
            if box[hi] - box[lo] < minimum:
                start = min(max((box[lo] + box[hi]) / 2 - minimum / 2, 0.0), input_size - minimum)
                box[lo], box[hi] = start, start + minimum
        boxes.append(box)
        # Input box -> source pixels through the frame (undo the flip, place in the window).
        x0, y0, x1, y1 = (v / input_size for v in box)
        u0, v0, u1, v1, flip = frame
        if flip > 0.5:
            x0, x1 = 1 - x1, 1 - x0
        height, width = source.shape[-2:]
        region = (
            (u0 + x0 * (u1 - u0)) * width,
            (v0 + y0 * (v1 - v0)) * height,
            (u0 + x1 * (u1 - u0)) * width,
            (v0 + y1 * (v1 - v0)) * height,
        )
        patch = Image.fromarray(source[0]).resize((crop_size, crop_size), Image.Resampling.BILINEAR, box=region)
        if flip > 0.5:
            patch = patch.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        crops.append(torch.from_numpy(np.array(patch)).float().div_(255))
    return torch.stack(crops)[:, None].to(features.device), torch.tensor(boxes, dtype=torch.float32)


def peers_loop(features, sources, frames, *, tau, input_size, crop_size):
    """The loop as the public re-implementations publish it (Ien001/AG-CNN's
    Attention_gen_patchs), changed only to cut from the high-resolution source through the
    frame and to use max |f|: uint8 heatmap, cv2 resize and threshold, labelling with a
    Python loop over the labels, argwhere, a numpy crop, PIL RGB + torchvision
    Resize/ToTensor/Normalize per crop, and a growing torch.cat."""
    from torchvision import transforms

    preprocess = transforms.Compose(
        [transforms.Resize((crop_size, crop_size)), transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]
    )
    maps = features.data.cpu().numpy()
    patches = torch.FloatTensor().to(features.device)
    for i in range(maps.shape[0]):
        cam = np.abs(maps[i]).max(axis=0)
        cam = cam - np.min(cam)
        cam = cam / max(np.max(cam), 1e-12)
        cam_img = np.uint8(255 * cam)
        _, binary = cv2.threshold(cv2.resize(cam_img, (input_size, input_size)), int(255 * tau), 255, cv2.THRESH_BINARY)
        labels, count = ndi.label(binary, structure=EIGHT_CONNECTED)
        best, best_size = 0, 0
        for k in range(1, count + 1):
            if np.sum(labels == k) > best_size:
                best, best_size = k, np.sum(labels == k)
        mask = binary * (labels == best) if best_size else binary
        ind = np.argwhere(mask != 0)
        if len(ind) == 0:
            ind = np.array([[0, 0], [input_size - 1, input_size - 1]])
        min_h, min_w = ind[:, 0].min(), ind[:, 1].min()
        max_h, max_w = ind[:, 0].max(), ind[:, 1].max()
        u0, v0, u1, v1, flip = frames[i].tolist()
        source = sources[i, 0].cpu().numpy()
        height, width = source.shape
        if flip > 0.5:
            min_w, max_w = input_size - 1 - max_w, input_size - 1 - min_w
        top = int((v0 + min_h / input_size * (v1 - v0)) * height)
        bottom = max(int((v0 + (max_h + 1) / input_size * (v1 - v0)) * height), top + 1)
        left = int((u0 + min_w / input_size * (u1 - u0)) * width)
        right = max(int((u0 + (max_w + 1) / input_size * (u1 - u0)) * width), left + 1)
        image_crop = source[top:bottom, left:right]
        patch = preprocess(Image.fromarray(image_crop.astype("uint8")).convert("RGB"))
        patches = torch.cat((patches, patch.unsqueeze(0).to(features.device)), 0)
    return patches


# ---------------------------------------------------------------- timing
def timed(fn, device, repeat):
    """Median and min wall time in ms of fn() over `repeat` runs, after two warm-up runs."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(2):
        fn()
    times = []
    for _ in range(repeat):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def fmt(ms):
    return f"{ms[0]:.1f} ({ms[1]:.1f})"


def machine(device):
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{model}, {os.cpu_count()} logical CPUs, {torch.get_num_threads()} torch threads"


def bench_resolution(args, device, inputs, upsample):
    features, images, sources, frames = inputs
    attention = AttentionCrop(tau=args.tau, upsample=upsample, crop_size=args.input)
    input_hw = (args.input, args.input)

    ref = lambda: reference(features, sources, frames, tau=args.tau, input_size=args.input, crop_size=args.input, upsample=upsample)  # noqa: E731
    ours = lambda: attention(features, images, sources, frames)  # noqa: E731
    ref_crops, ref_boxes = ref()
    result = ours()
    same = (result.boxes.cpu() - ref_boxes).abs().amax(dim=1) < 1e-3
    diff = (result.crops - ref_crops).abs()

    t_ref, t_ours = timed(ref, device, args.repeat), timed(ours, device, args.repeat)
    peers = lambda: peers_loop(features, sources, frames, tau=args.tau, input_size=args.input, crop_size=args.input)  # noqa: E731
    t_peers = timed(peers, device, max(3, args.repeat // 3)) if upsample else None
    # The batched path, stage by stage.
    maps = heatmap(features)
    mask_maps = upsample_heatmap(maps, input_hw) if upsample else maps
    boxes = attention_boxes(mask_maps, args.tau, input_hw)
    stages = {
        "heatmap": timed(lambda: heatmap(features), device, args.repeat),
        "boxes": timed(lambda: attention_boxes(upsample_heatmap(maps, input_hw) if upsample else maps, args.tau, input_hw), device, args.repeat),
        "crop": timed(lambda: crop(sources, boxes, args.input, frames=frames, input_size=args.input), device, args.repeat),
    }
    return {
        "upsample": upsample,
        "reference": t_ref,
        "peers": t_peers,
        "batched": t_ours,
        "stages": stages,
        "same_boxes": int(same.sum()),
        "crop_diff": (diff.amax().item(), diff.mean().item()),
        "boxes": boxes,
    }


def crop_variants(args, device, inputs, boxes):
    """roi_align alternatives for the crop step (what dominates on CPU)."""
    _, _, sources, frames = inputs
    as_float = sources.float().div_(255)
    three = as_float.expand(-1, 3, -1, -1).contiguous()
    kw = {"frames": frames, "input_size": args.input}
    size = args.input
    return {
        "uint8 source, adaptive sampling (default)": timed(lambda: crop(sources, boxes, size, **kw), device, args.repeat),
        "uint8 source, sampling_ratio=1": timed(lambda: crop(sources, boxes, size, sampling_ratio=1, **kw), device, args.repeat),
        "uint8 source, sampling_ratio=2": timed(lambda: crop(sources, boxes, size, sampling_ratio=2, **kw), device, args.repeat),
        "uint8 source converted whole, then cropped": timed(lambda: crop(sources.float().div_(255), boxes, size, **kw), device, args.repeat),
        "float source (conversion not counted)": timed(lambda: crop(as_float, boxes, size, **kw), device, args.repeat),
        "float source, 3 channels (the peers' RGB)": timed(lambda: crop(three, boxes, size, **kw), device, args.repeat),
    }


def bench_tiny_step(device, repeat):
    from agcnn_lab.models import Branch, create_backbone

    torch.manual_seed(0)
    branch = Branch(create_backbone("tiny"), num_classes=14).to(device)
    optimiser = torch.optim.SGD(branch.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    images = torch.rand(64, 1, 128, 128, device=device)
    labels = (torch.rand(64, 14, device=device) < 0.2).float()

    def step():
        loss = F.binary_cross_entropy_with_logits(branch(images).logits, labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()

    return timed(step, device, repeat)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    load_before = os.getloadavg()
    inputs = make_inputs(args, device)
    results = [bench_resolution(args, device, inputs, upsample) for upsample in (False, True)]
    variants = crop_variants(args, device, inputs, results[0]["boxes"])
    tiny = bench_tiny_step(device, args.repeat) if args.tiny else None
    load_after = os.getloadavg()

    side = args.input // args.stride
    command = "python benchmarks/bench_attention.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"### Attention crop, batched vs per image ({device.type})\n")
    print(f"Command: `{command.strip()}`  ")
    print(f"Device: {machine(device)}; torch {torch.__version__}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after.  ")
    print(
        f"Batch {args.batch}, {args.channels} feature maps of {side}x{side}, {args.input}-px inputs, "
        f"uint8 {args.source}-px sources, tau {args.tau}; median (min) of {args.repeat} runs, ms.\n"
    )
    print("| threshold on | per-image reference | batched | speed-up | batched: heatmap / boxes / crop | same boxes | crop vs PIL: max / mean abs diff |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        where = f"{args.input}x{args.input} upsampled" if r["upsample"] else f"{side}x{side} feature grid"
        s = r["stages"]
        print(
            f"| {where} | {fmt(r['reference'])} | {fmt(r['batched'])} | {r['reference'][0] / r['batched'][0]:.2f}x "
            f"| {s['heatmap'][0]:.1f} / {s['boxes'][0]:.1f} / {s['crop'][0]:.1f} | {r['same_boxes']}/{args.batch} "
            f"| {r['crop_diff'][0]:.3f} / {r['crop_diff'][1]:.4f} |"
        )
    peers = next(r for r in results if r["peers"])
    print(
        f"\nAgainst the loop as the peers publish it (Ien001/AG-CNN's Attention_gen_patchs: uint8 "
        f"heatmap, cv2, a Python loop over the labels, PIL RGB + Resize/ToTensor/Normalize per crop, "
        f"growing torch.cat), which thresholds at {args.input} px: {fmt(peers['peers'])} ms, "
        f"{peers['peers'][0] / results[0]['batched'][0]:.1f}x the batched crop on the feature grid, "
        f"{peers['peers'][0] / peers['batched'][0]:.1f}x the batched crop thresholded at {args.input} px."
    )
    print(f"\nThe crop step alone (roi_align, {args.batch} crops of {args.input}x{args.input}), ms:\n")
    print("| variant | median (min) |")
    print("| --- | --- |")
    for name, t in variants.items():
        print(f"| {name} | {fmt(t)} |")
    if max(load_before[0], load_after[0]) > 0.75 * (os.cpu_count() or 1):
        print("\n**The machine was busy (see the load average): re-run these figures when it is quiet.**")
    if tiny:
        print(f"\nTiny backbone, one SGD step (forward + backward) on 64 images of 128 px: {fmt(tiny)} ms.")


if __name__ == "__main__":
    main()
