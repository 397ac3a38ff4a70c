"""A branch of AG-CNN: backbone -> last feature maps -> global MAX pooling -> FC (logits).

The paper pools with max ("Pool5"), not the average of torchvision's classifiers.

    branch = Branch(create_backbone("resnet50"), num_classes=14)
    out = branch(torch.rand(2, 1, 224, 224))
    out.logits.shape, out.pooled.shape, out.features.shape
    # (2, 14), (2, 2048), (2, 2048, 7, 7)
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .backbones import Backbone


class BranchOutput(NamedTuple):
    logits: torch.Tensor  # (B, C), before the sigmoid
    pooled: torch.Tensor  # (B, K), the max-pooled feature vector (fed to the fusion head)
    features: torch.Tensor  # (B, K, h, w), the last feature maps (the attention heatmap's input)


class Branch(nn.Module):
    def __init__(self, backbone: Backbone, num_classes: int):
        super().__init__()
        self.backbone = backbone
        self.classifier = nn.Linear(backbone.num_features, num_classes)

    @property
    def num_features(self) -> int:
        return self.backbone.num_features

    def forward(self, images: torch.Tensor) -> BranchOutput:
        features = self.backbone(images)
        pooled = torch.amax(features, dim=(2, 3))
        return BranchOutput(self.classifier(pooled), pooled, features)
