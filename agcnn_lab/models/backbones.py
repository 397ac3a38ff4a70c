"""Backbones: one-channel [0, 1] images in, the last (non-negative) feature maps out.

A timm-like registry of named constructors. ResNet/DenseNet come from torchvision (ImageNet
weights through its weights API, or a local file); "tiny" is a small CNN for CPU profiles.

    backbone = create_backbone("resnet50", pretrained=True)   # or weights_path="resnet50.pth"
    features = backbone(torch.rand(2, 1, 224, 224))            # (2, 2048, 7, 7)
    backbone.num_features, backbone.stride                     # 2048, 32
    list_backbones()                                           # ['densenet121', 'mobilenet_v2', ...]
"""

from __future__ import annotations

import os
from collections.abc import Callable

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from .stems import GrayStem, ImageNetStem
from .tiny import TinyNet
from .weights import imagenet_state_dict, rename_old_densenet_keys, weights_for_backbone

_REGISTRY: dict[str, Callable[..., Backbone]] = {}


class Backbone(nn.Module):
    """stem (input normalisation) -> body (convolutions) -> feature maps (B, K, H/stride, W/stride).

    `num_features` is K, the size of the pooled vector a branch builds from the maps.
    """

    def __init__(self, stem: nn.Module, body: nn.Module, num_features: int, stride: int):
        super().__init__()
        self.stem = stem
        self.body = body
        self.num_features = num_features
        self.stride = stride

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(self.stem(images))


class ResNetTrunk(nn.Module):
    """torchvision's ResNet up to layer4, without its pooling and FC (names kept: conv1 ... layer4)."""

    def __init__(self, resnet: torchvision.models.ResNet):
        super().__init__()
        for name in ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"):
            setattr(self, name, getattr(resnet, name))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        # layer4 ends in a ReLU: the maps are already non-negative.
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class DenseNetTrunk(nn.Module):
    """torchvision's DenseNet `features` (ending at norm5) followed by the ReLU.

    torchvision applies that ReLU in place inside DenseNet.forward, which corrupts any hook on
    norm5 (Grad-CAM's activations and gradients). Here it is a separate, not-in-place op, so the
    trunk's output is a fresh tensor that nothing later modifies.
    """

    def __init__(self, densenet: torchvision.models.DenseNet):
        super().__init__()
        self.features = densenet.features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.features(x), inplace=False)


class MobileNetV2Trunk(nn.Module):
    """torchvision's MobileNetV2 `features`: inverted residual blocks ending in the 1280-channel
    1x1 convolution and its ReLU6, so the maps are non-negative (and capped at 6).

    output_stride=16 turns the last stride-2 block into stride 1 and dilates the 3x3 depthwise
    convolutions after it (as DeepLab does), which doubles the side of the feature grid, and so
    of the heatmap the attention box is cut from, without changing a single weight.

    frozen_blocks=n keeps the first n blocks (the stem convolution is block 0) as ImageNet left
    them: no gradient, batch-norm statistics fixed. Generic edge and blob filters need no
    fine-tuning, and on a CPU their backward pass, at the highest resolution, is the dearest.
    """

    def __init__(self, mobilenet: torchvision.models.MobileNetV2, output_stride: int = 32, frozen_blocks: int = 0):
        super().__init__()
        if output_stride not in (16, 32):
            raise ValueError(f"mobilenet_v2: output_stride must be 16 or 32, got {output_stride!r}")
        if not 0 <= frozen_blocks < len(mobilenet.features):
            raise ValueError(f"mobilenet_v2: frozen_blocks must lie in [0, {len(mobilenet.features)}), got {frozen_blocks!r}")
        self.features = mobilenet.features
        self.frozen_blocks = frozen_blocks
        self.features[:frozen_blocks].requires_grad_(False)
        if output_stride == 16:
            _dilate_after_last_downsampling(self.features)

    def train(self, mode: bool = True):
        super().train(mode)
        self.features[: self.frozen_blocks].eval()  # fixed batch-norm statistics as well
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


def _dilate_after_last_downsampling(features: nn.Sequential) -> None:
    """Stride 1 for the last stride-2 convolution; dilation 2 for the 3x3 convolutions after it."""
    convs = [m for m in features.modules() if isinstance(m, nn.Conv2d)]
    last = max(i for i, conv in enumerate(convs) if conv.stride == (2, 2))
    convs[last].stride = (1, 1)
    for conv in convs[last + 1 :]:
        if conv.kernel_size == (3, 3):
            conv.dilation, conv.padding = (2, 2), (2, 2)


def register_backbone(constructor: Callable[..., Backbone]) -> Callable[..., Backbone]:
    """Add `constructor` to the registry under its function name."""
    _REGISTRY[constructor.__name__] = constructor
    return constructor


def list_backbones() -> list[str]:
    return sorted(_REGISTRY)


def create_backbone(
    name: str, pretrained: bool = False, weights_path: str | os.PathLike | None = None, **kwargs
) -> Backbone:
    """Build the backbone `name`; ImageNet weights with pretrained=True or from `weights_path`.

    `weights_path` is a torchvision checkpoint file (the one torch.hub downloads), loaded with
    weights_only=True; giving it implies pretrained. Extra keyword arguments go to the
    constructor (e.g. width=24 for "tiny").
    """
    try:
        constructor = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown backbone {name!r}; expected one of {', '.join(list_backbones())}") from None
    return constructor(pretrained=pretrained or weights_path is not None, weights_path=weights_path, **kwargs)


def _torchvision_backbone(builder, weights, trunk, num_features, pretrained, weights_path, rename=None):
    model = builder(weights=None)
    if pretrained:
        state = imagenet_state_dict(weights, weights_path)
        model.load_state_dict(rename(state) if rename else state)  # strict: a wrong file fails here
    return Backbone(ImageNetStem(), trunk(model), num_features=num_features, stride=32)


@register_backbone
def resnet18(pretrained: bool = False, weights_path=None) -> Backbone:
    tv = torchvision.models
    return _torchvision_backbone(
        tv.resnet18, weights_for_backbone("resnet18"), ResNetTrunk, 512, pretrained, weights_path
    )


@register_backbone
def resnet50(pretrained: bool = False, weights_path=None) -> Backbone:
    tv = torchvision.models
    return _torchvision_backbone(
        tv.resnet50, weights_for_backbone("resnet50"), ResNetTrunk, 2048, pretrained, weights_path
    )


@register_backbone
def densenet121(pretrained: bool = False, weights_path=None) -> Backbone:
    tv = torchvision.models
    return _torchvision_backbone(
        tv.densenet121,
        weights_for_backbone("densenet121"),
        DenseNetTrunk,
        1024,
        pretrained,
        weights_path,
        rename=rename_old_densenet_keys,
    )


@register_backbone
def mobilenet_v2(pretrained: bool = False, weights_path=None, output_stride: int = 32, frozen_blocks: int = 0) -> Backbone:
    tv = torchvision.models
    model = tv.mobilenet_v2(weights=None)
    if pretrained:
        model.load_state_dict(imagenet_state_dict(weights_for_backbone("mobilenet_v2"), weights_path))
    return Backbone(ImageNetStem(), MobileNetV2Trunk(model, output_stride, frozen_blocks), num_features=1280, stride=output_stride)


@register_backbone
def tiny(pretrained: bool = False, weights_path=None, width: int = 16, blocks=(1, 2, 2)) -> Backbone:
    if pretrained:
        raise ValueError("the 'tiny' backbone has no ImageNet weights; it trains from scratch")
    body = TinyNet(width=width, blocks=tuple(blocks))
    return Backbone(GrayStem(), body, num_features=body.num_features, stride=body.stride)
