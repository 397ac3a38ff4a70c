"""Connected components of a batch of masks, on the masks' device, without a per-image loop.

8-connectivity, as scipy.ndimage.label with a 3x3 structure. Each component is labelled by the
flat index (row * w + column) of its first pixel in raster order; background is -1. The
labelling runs a FastSV-style parallel union-find (Zhang, Azad & Hu, 2020): every pixel keeps
a parent; each round hooks parents onto the smallest grandparent found in the 3x3
neighbourhood, then shortcuts. Parents only decrease and stay inside the component, so the
fixed point is each component's smallest index. Few rounds are needed in practice: 3 to 6 on a
7x7 grid, 8 to 10 for 224x224 masks (blobs or random noise); each round is a handful of
elementwise ops over the batch, and one host sync to test convergence.

On the CPU the same labels come from scipy.ndimage.label, run once over the whole batch (a 3-D
structure that links pixels within an image only): its compiled single pass beats the rounds of
tensor ops there, where there is no device to keep the data on.

    labels = label_components(mask)              # (B, h, w) int64, -1 = background
    largest = largest_component(mask)            # (B, h, w) bool, one component per image
    sizes = component_sizes(labels)              # (B, h*w): size of the component labelled i
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

# 8-connectivity inside each image of a (B, h, w) stack, no link between images.
_STRUCTURE = np.zeros((3, 3, 3), dtype=bool)
_STRUCTURE[1] = True


METHODS = ("auto", "scipy", "union-find")


def label_components(mask: torch.Tensor, method: str = "auto") -> torch.Tensor:
    """Label the 8-connected components of a (B, h, w) bool mask (see the module docstring).

    method: "union-find" (the tensor rounds, on the mask's device), "scipy" (CPU masks only),
    or "auto": scipy on the CPU, union-find elsewhere. Both give the same labels.
    """
    if mask.ndim != 3:
        raise ValueError(f"expected masks (B, h, w), got shape {tuple(mask.shape)}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if method == "scipy" and mask.device.type != "cpu":
        raise ValueError(f"method 'scipy' labels CPU masks only, got a mask on {mask.device}")
    batch, height, width = mask.shape
    n = height * width
    # Parents are pixel indices; float32 holds them exactly up to 2**24 pixels (a 4096² map) and
    # lets the neighbourhood minimum run as fast elementwise ops. Slot n is the background sink.
    if n >= 2**24:
        raise ValueError(f"masks of {height}x{width} are too large to label (at most 2**24 pixels)")
    if method == "scipy" or (method == "auto" and mask.device.type == "cpu"):
        return _label_components_scipy(mask)
    background = float(n)
    inside = mask.reshape(batch, n)
    parent = torch.arange(n + 1, dtype=torch.float32, device=mask.device).expand(batch, n + 1).clone()
    parent[:, :n].masked_fill_(~inside, background)
    for _ in range(n + 1):  # never reached: the rounds are O(log n); this only bounds the loop
        index = parent.long()
        grandparent = parent.gather(1, index)
        smallest = _min_3x3(grandparent[:, :n].view(batch, height, width), background)
        smallest = smallest.reshape(batch, n).masked_fill_(~inside, background)
        updated = torch.minimum(parent, grandparent)  # shortcut
        updated[:, :n] = torch.minimum(updated[:, :n], smallest)  # hook the pixel itself
        updated.scatter_reduce_(1, index[:, :n], smallest, reduce="amin")  # hook its parent
        if torch.equal(updated, parent):
            break
        parent = updated
    labels = parent[:, :n].long().view(batch, height, width)
    return labels.masked_fill_(~mask, -1)


def _label_components_scipy(mask: torch.Tensor) -> torch.Tensor:
    """label_components on the CPU: scipy's labels renamed to their first pixel's flat index."""
    batch, height, width = mask.shape
    n = height * width
    scipy_labels, count = ndimage.label(mask.numpy(force=True), structure=_STRUCTURE)
    flat = scipy_labels.reshape(-1)
    # scipy numbers components in raster order over the whole stack, so label k first appears
    # where the running maximum first reaches k.
    first = np.searchsorted(np.maximum.accumulate(flat), np.arange(1, count + 1))
    names = np.concatenate([[-1], first % n])  # within-image flat index; 0 -> background
    return torch.from_numpy(names[flat].reshape(batch, height, width)).to(torch.int64)


def component_sizes(labels: torch.Tensor) -> torch.Tensor:
    """(B, h, w) labels -> (B, h*w) counts: entry i is the size of the component labelled i."""
    batch, n = labels.shape[0], labels[0].numel()
    flat = labels.reshape(batch, n)
    slots = torch.where(flat >= 0, flat, n)  # background counted in a spare slot, then dropped
    sizes = torch.zeros(batch, n + 1, dtype=torch.int64, device=labels.device)
    sizes.scatter_add_(1, slots, torch.ones_like(slots))
    return sizes[:, :n]


def largest_component(mask: torch.Tensor) -> torch.Tensor:
    """The largest 8-connected component of each (h, w) mask of a (B, h, w) batch.

    Ties go to the component whose first pixel comes first in raster order (top row first,
    then leftmost). An empty mask stays empty.
    """
    labels = label_components(mask)
    # argmax returns the first maximum: the smallest label, i.e. the raster-order tie-break.
    best = component_sizes(labels).argmax(dim=1)
    return (labels == best.view(-1, 1, 1)) & mask


def _min_3x3(values: torch.Tensor, fill: float) -> torch.Tensor:
    """Minimum over each pixel's 3x3 neighbourhood of a (B, h, w) map, `fill` outside the map.

    Two separable passes of shifted minima: cheaper on a CPU than -max_pool2d(-x)
    (benchmarks/bench_attention.py times both).
    """
    padded = F.pad(values, (1, 1, 1, 1), value=fill)
    rows = torch.minimum(torch.minimum(padded[:, :, :-2], padded[:, :, 1:-1]), padded[:, :, 2:])
    return torch.minimum(torch.minimum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])
