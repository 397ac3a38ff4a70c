"""TinyNet: a small CNN that trains from scratch on one-channel radiographs, on a laptop CPU.

Four resolutions (stride 2 each) give a stride-16 last feature map: 8x8 for a 128-px input,
like ResNet-50's 7x7 for 224 px, so the attention heatmap has the paper's granularity.
Widths double per stage (16-32-64-128 by default); each stage after the stem is a strided
convolution and residual blocks (1, 2, 2 by default), so the net stays easy to train without
ImageNet weights, and cheap enough to train on a laptop's CPU (`python
benchmarks/bench_attention.py --tiny` times a step; BENCHMARKS.md has the figures). Keep it in
NCHW on CPU: channels_last makes these small convolutions slower there.

    net = TinyNet(width=16)
    features = net(torch.rand(64, 1, 128, 128))   # (64, 128, 8, 8), non-negative
    net.num_features                              # 128
    net.stride                                    # 16
"""

from __future__ import annotations

import torch
from torch import nn


def conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus the identity, then ReLU (ResNet's basic block)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        # Start each block as the identity: the net begins shallow and deepens as it learns.
        nn.init.zeros_(self.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        # Not in place: the block's output may be a hooked feature map (Grad-CAM).
        return torch.relu(x + self.bn2(self.conv2(out)))


class TinyNet(nn.Module):
    """Stem at 1/2 resolution, then one stage per entry of `blocks`, each halving the
    resolution and doubling the width: three stages (the default) give stride 16 and widths
    w, 2w, 4w, 8w; two stages give stride 8 (an 8x8 map for a 64-px input).

    `blocks` gives the number of residual blocks of each stage.
    """

    def __init__(self, width: int = 16, blocks: tuple[int, ...] = (1, 2, 2), in_channels: int = 1):
        super().__init__()
        if width < 1:
            raise ValueError(f"width must be positive, got {width}")
        if len(blocks) < 1 or min(blocks) < 0:
            raise ValueError(f"blocks must be one or more non-negative counts, got {blocks}")
        self.stride = 2 ** (len(blocks) + 1)
        self.stem = nn.Sequential(conv_bn_relu(in_channels, width, 2), conv_bn_relu(width, width))
        stages, channels = [], width
        for count in blocks:
            layers = [conv_bn_relu(channels, 2 * channels, 2)]
            layers += [ResidualBlock(2 * channels) for _ in range(count)]
            stages.append(nn.Sequential(*layers))
            channels *= 2
        self.stages = nn.Sequential(*stages)
        self.num_features = channels
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))
