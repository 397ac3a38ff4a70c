"""Cut boxes out of a batch of images and resize them, with torchvision's roi_align.

With `frames`, the boxes are in the pixels of the network input (`input_size`) and are mapped
through the input's frame (its resize/crop/flip, see agcnn_lab.data.geometry) to the
high-resolution source they are cut from: the paper's "zoom in". The crop is mirrored when the
input was, so it has the input's orientation.

    crops = crop(sources, boxes, 224, frames=frames, input_size=224)  # from the uint8 source
    crops = crop(images, boxes, 224)                                   # from the input itself
    crops.shape                                                        # (B, 1, 224, 224), [0, 1]
    to_source_pixels(boxes, frames, 224, (512, 512))                   # where they are cut
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import torch
from torchvision.ops import roi_align

from agcnn_lab.data.geometry import input_boxes_to_source


def crop(
    images: torch.Tensor,
    boxes: torch.Tensor,
    size: int | tuple[int, int],
    *,
    frames: torch.Tensor | None = None,
    input_size: int | tuple[int, int] | None = None,
    sampling_ratio: int = -1,
) -> torch.Tensor:
    """Crop box b of image b, resized to `size`: (B, C, H, W) images -> (B, C, *size) float.

    images: float in [0, 1], or uint8 (scaled to [0, 1]). The crops are float32.
    boxes: (B, 4) (x0, y0, x1, y1) in pixels of `images`; or, when `input_size` is given, in
        pixels of an input of that size whose place in `images` is given by `frames` ((B, 5);
        the whole image, unflipped, when None). Boxes are clipped to the image.
    sampling_ratio: roi_align's samples per output pixel and axis; <= 0 means adaptive,
        ceil(box side / output side), which averages when shrinking (as PIL's resize does).
    """
    if images.ndim != 4 or boxes.shape != (images.shape[0], 4):
        raise ValueError(
            f"expected images (B, C, H, W) and boxes (B, 4), got {tuple(images.shape)} and {tuple(boxes.shape)}"
        )
    size = (size, size) if isinstance(size, int) else tuple(size)
    batch, _, height, width = images.shape
    boxes = boxes.float().to(images.device)
    if input_size is not None:
        boxes = to_source_pixels(boxes, frames, input_size, (height, width))
    elif frames is not None:
        raise ValueError("frames need input_size, the side of the input the boxes refer to")
    # Clip: a box inside the image reads no pixel outside it, which the windowing below relies on.
    limits = torch.tensor([width, height, width, height], dtype=boxes.dtype, device=boxes.device)
    boxes = torch.minimum(boxes.clamp(min=0), limits)

    scale = 1.0
    if not images.is_floating_point():
        scale = 1.0 / torch.iinfo(images.dtype).max
        if images.device.type == "cpu":
            # Converting a whole 512² uint8 batch to float costs more than the crops; convert
            # only the windows the boxes read.
            images, boxes = _box_windows(images, boxes)
        else:
            images = images.float()
    else:
        images = images.to(boxes.dtype)  # roi_align wants one dtype for both (half -> float32)
    crops = _roi_align(images, boxes, size, sampling_ratio)
    if scale != 1.0:
        crops = crops.mul_(scale)
    if frames is not None:
        flipped = frames[:, 4].to(crops.device) > 0.5
        crops = torch.where(flipped.view(-1, 1, 1, 1), crops.flip(-1), crops)
    return crops


_POOL: tuple[int, int, ThreadPoolExecutor] | None = None  # (its process, its threads, the pool)
_MIN_CHUNK = 8  # fewer boxes per thread than this, and handing them to the pool costs more than it saves


def _roi_align(images: torch.Tensor, boxes: torch.Tensor, size: tuple[int, int], sampling_ratio: int) -> torch.Tensor:
    """roi_align of box b in image b. torchvision's CPU kernel runs on one core whatever
    torch's thread setting, so on the CPU the batch is split across torch's threads (the
    kernel releases the GIL); the result is the same to the bit."""
    global _POOL
    threads = min(torch.get_num_threads(), images.shape[0] // _MIN_CHUNK)
    if images.device.type != "cpu" or threads < 2:
        return _roi_align_chunk(images, boxes, size, sampling_ratio)
    # A forked child (a DataLoader worker) inherits the pool object but not its threads.
    if _POOL is None or _POOL[0] != os.getpid() or _POOL[1] < threads:
        if _POOL is not None and _POOL[0] == os.getpid():
            _POOL[2].shutdown(wait=False)  # outgrown: more threads were asked for
        _POOL = (os.getpid(), threads, ThreadPoolExecutor(max_workers=threads, thread_name_prefix="agcnn-crop"))
    chunks = zip(images.chunk(threads), boxes.chunk(threads), strict=True)
    return torch.cat(list(_POOL[2].map(lambda chunk: _roi_align_chunk(*chunk, size, sampling_ratio), chunks)))


def _roi_align_chunk(images, boxes, size, sampling_ratio):
    rois = torch.cat([torch.arange(len(boxes), dtype=boxes.dtype, device=boxes.device)[:, None], boxes], 1)
    return roi_align(images, rois, size, spatial_scale=1.0, sampling_ratio=sampling_ratio, aligned=True)


def to_source_pixels(
    boxes: torch.Tensor,
    frames: torch.Tensor | None,
    input_size: int | tuple[int, int],
    image_hw: tuple[int, int],
) -> torch.Tensor:
    """(B, 4) boxes in pixels of an `input_size` input -> pixels of the (H, W) image it was
    rendered from through `frames` ((B, 5); None: the whole image, unflipped). Not clipped."""
    in_h, in_w = (input_size, input_size) if isinstance(input_size, int) else input_size
    height, width = image_hw
    if frames is None:
        frames = boxes.new_tensor([0.0, 0.0, 1.0, 1.0, 0.0]).expand(boxes.shape[0], 5)
    if frames.shape != (boxes.shape[0], 5):
        raise ValueError(f"expected frames (B, 5), got {tuple(frames.shape)}")
    # Normalise to input_size = 1, so non-square inputs go through the same mapping.
    unit = boxes / boxes.new_tensor([in_w, in_h, in_w, in_h])
    normalised = input_boxes_to_source(unit, frames.to(boxes), input_size=1)
    return normalised * boxes.new_tensor([width, height, width, height])


def _box_windows(images: torch.Tensor, boxes: torch.Tensor):
    """Gather, per image, a window that holds every pixel roi_align reads for its box, as float.

    The windows share one size (the largest box's, plus a margin) and replicate the border where
    they stick out of the image; boxes come back in window pixels. roi_align (aligned=True)
    samples in [x0 - 0.5, x1 - 0.5] and reads floor(x) and floor(x) + 1, so one pixel of margin
    each side suffices; roi_align then reads exactly the values it would read in the full image.
    """
    batch, channels, height, width = images.shape
    left = (boxes[:, 0] - 1).floor().clamp(0, width - 1).long()
    top = (boxes[:, 1] - 1).floor().clamp(0, height - 1).long()
    win_w = int(((boxes[:, 2] + 2).ceil() - left).max().clamp(1, width))
    win_h = int(((boxes[:, 3] + 2).ceil() - top).max().clamp(1, height))
    rows = (top[:, None] + torch.arange(win_h, device=images.device)).clamp_(max=height - 1)
    cols = (left[:, None] + torch.arange(win_w, device=images.device)).clamp_(max=width - 1)
    strips = images.gather(2, rows.view(batch, 1, win_h, 1).expand(batch, channels, win_h, width))
    windows = strips.gather(3, cols.view(batch, 1, 1, win_w).expand(batch, channels, win_h, win_w))
    offsets = torch.stack([left, top, left, top], dim=1).to(boxes.dtype)
    return windows.float(), boxes - offsets
