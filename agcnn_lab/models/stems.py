"""Input stems: what turns the data layer's one-channel [0, 1] images into a backbone's input.

The data layer yields (B, 1, H, W) float images in [0, 1]. The stems live INSIDE the model, so
every image the model sees (the global input, a crop from the uint8 source) gets the same
treatment, and nothing outside the model has to know which backbone it feeds.

    stem = ImageNetStem()
    x = torch.rand(2, 1, 224, 224)
    y = stem(x)               # (2, 3, 224, 224): the grey channel repeated, ImageNet mean/std
    GrayStem()(x).shape       # (2, 1, 224, 224): (x - 0.5) / 0.25
"""

from __future__ import annotations

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageNetStem(nn.Module):
    """Repeat the grey channel to RGB and normalise with ImageNet's mean/std.

    Repeating (rather than summing the first convolution's kernels into one channel) keeps the
    ImageNet checkpoints loadable unchanged and is exact at the zero-padded borders.
    """

    def __init__(self, mean=IMAGENET_MEAN, std=IMAGENET_STD):
        super().__init__()
        # Non-persistent: constants of the method, not learnt state; checkpoints stay torchvision-shaped.
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 1:
            raise ValueError(f"expected one-channel images (B, 1, H, W), got {tuple(x.shape)}")
        return (x - self.mean) / self.std  # broadcasting does the repeat


class GrayStem(nn.Module):
    """A fixed normalisation of one-channel [0, 1] images, for backbones trained from scratch."""

    def __init__(self, mean: float = 0.5, std: float = 0.25):
        super().__init__()
        self.mean, self.std = mean, std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 1:
            raise ValueError(f"expected one-channel images (B, 1, H, W), got {tuple(x.shape)}")
        return (x - self.mean) / self.std

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"
