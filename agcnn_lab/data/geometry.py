"""Where a network input sits in its source image: the paper's resize/crop/flip as a *frame*.

A frame is a float tensor (..., 5): (u0, v0, u1, v1, flip). (u0, v0, u1, v1) is the window
of the source image that the input shows, in source coordinates normalised to [0, 1]
(u horizontal, v vertical); flip = 1 when the input was mirrored left-right after the crop.
Frames let the attention crop go back to the high-resolution source (the paper's "zoom in")
and let localisation be scored in the frame of the ground-truth boxes.

    geometry = InputGeometry(resize=256, crop=224)
    frame = geometry.eval_frame()                     # resize 256, centre crop 224
    image = render_input(source_uint8, frame, 224)    # (1, 224, 224) float in [0, 1]
    source_boxes = input_boxes_to_source(boxes, frames, input_size=224)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torchvision.transforms.v2 import functional as TF

FRAME_SIZE = 5


@dataclass(frozen=True)
class InputGeometry:
    """The paper's transforms: resize to `resize`², then a (random resized | centre) crop of `crop`².

    `scale` and `ratio` are RandomResizedCrop's ranges (torchvision's defaults are the paper's);
    `flip` turns on the random horizontal flip of training. A profile shrinks these for CPUs.
    """

    resize: int = 256
    crop: int = 224
    scale: tuple[float, float] = (0.08, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip: bool = True

    def __post_init__(self):
        if not 0 < self.crop <= self.resize:
            raise ValueError(f"need 0 < crop <= resize, got crop={self.crop}, resize={self.resize}")
        if not 0 < self.scale[0] <= self.scale[1] <= 1:
            raise ValueError(f"scale must satisfy 0 < low <= high <= 1, got {self.scale}")
        if not 0 < self.ratio[0] <= self.ratio[1]:
            raise ValueError(f"ratio must satisfy 0 < low <= high, got {self.ratio}")

    def eval_frame(self) -> torch.Tensor:
        """Resize, then the centre crop."""
        margin = (self.resize - self.crop) / (2 * self.resize)
        return torch.tensor([margin, margin, 1 - margin, 1 - margin, 0.0])

    def train_frame(self, generator: torch.Generator | None = None) -> torch.Tensor:
        """Resize, then RandomResizedCrop (torchvision's sampling) and a random flip."""
        rand = lambda: float(torch.rand((), generator=generator))  # noqa: E731
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        window = None
        for _ in range(10):  # torchvision's ten tries, then the centre fallback
            area = self.scale[0] + rand() * (self.scale[1] - self.scale[0])
            aspect = math.exp(log_ratio[0] + rand() * (log_ratio[1] - log_ratio[0]))
            w, h = math.sqrt(area * aspect), math.sqrt(area / aspect)
            if w <= 1 and h <= 1:
                u0, v0 = rand() * (1 - w), rand() * (1 - h)
                window = (u0, v0, u0 + w, v0 + h)
                break
        if window is None:
            window = (0.0, 0.0, 1.0, 1.0)
        flip = float(self.flip and rand() < 0.5)
        return torch.tensor([*window, flip])


def snap_frame(frame: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    """Round a frame's window to whole source pixels: (frame as rendered, (top, left, h, w))."""
    left = min(max(int(round(float(frame[0]) * width)), 0), width - 1)
    top = min(max(int(round(float(frame[1]) * height)), 0), height - 1)
    right = min(max(int(round(float(frame[2]) * width)), left + 1), width)
    bottom = min(max(int(round(float(frame[3]) * height)), top + 1), height)
    snapped = torch.tensor(
        [left / width, top / height, right / width, bottom / height, float(frame[4])]
    )
    return snapped, (top, left, bottom - top, right - left)


def render_input(source: torch.Tensor, frame: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut the frame's window out of a uint8 source (H, W) or (1, H, W), resize it to size².

    Returns (image (1, size, size) float32 in [0, 1], the frame snapped to whole pixels).
    """
    if source.ndim == 2:
        source = source.unsqueeze(0)
    snapped, (top, left, h, w) = snap_frame(frame, source.shape[-2], source.shape[-1])
    image = TF.resized_crop(source, top, left, h, w, [size, size], antialias=True)
    if snapped[4] > 0.5:
        image = image.flip(-1)
    return image.float().div_(255.0), snapped


def input_boxes_to_source(boxes: torch.Tensor, frames: torch.Tensor, input_size: int) -> torch.Tensor:
    """Map (B, 4) boxes (x0, y0, x1, y1) in input pixels to normalised source coordinates.

    Undoes the flip, then places the box inside the frame's window.
    """
    frames = frames.to(boxes)
    x0, y0, x1, y1 = (boxes / input_size).unbind(-1)
    flipped = frames[..., 4] > 0.5
    x0, x1 = torch.where(flipped, 1 - x1, x0), torch.where(flipped, 1 - x0, x1)
    u0, v0, u1, v1 = frames[..., 0], frames[..., 1], frames[..., 2], frames[..., 3]
    width, height = u1 - u0, v1 - v0
    return torch.stack([u0 + x0 * width, v0 + y0 * height, u0 + x1 * width, v0 + y1 * height], -1)


def source_boxes_to_input(boxes: torch.Tensor, frames: torch.Tensor, input_size: int) -> torch.Tensor:
    """The inverse of `input_boxes_to_source`: normalised source boxes to input pixels (unclipped)."""
    frames = frames.to(boxes)
    u0, v0, u1, v1 = frames[..., 0], frames[..., 1], frames[..., 2], frames[..., 3]
    x0 = (boxes[..., 0] - u0) / (u1 - u0)
    x1 = (boxes[..., 2] - u0) / (u1 - u0)
    y0 = (boxes[..., 1] - v0) / (v1 - v0)
    y1 = (boxes[..., 3] - v0) / (v1 - v0)
    flipped = frames[..., 4] > 0.5
    x0, x1 = torch.where(flipped, 1 - x1, x0), torch.where(flipped, 1 - x0, x1)
    return torch.stack([x0, y0, x1, y1], -1) * input_size
