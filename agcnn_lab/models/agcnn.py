"""AG-CNN: a global branch, a local branch fed the attention crop, and a fusion head.

The three parts are trained in three stages (global; local with the global frozen; fusion with
both frozen), so each is reachable on its own: `global_branch`, `attend`, `local_branch`, `fuse`.

    model = AGCNN("resnet50", AttentionCrop(tau=0.7, crop_size=224), num_classes=14, pretrained=True)
    out = model(images, sources, frames)     # images (B, 1, 224, 224), sources uint8 (B, 1, 512, 512)
    out.global_logits, out.local_logits, out.fusion_logits   # (B, 14) each, before the sigmoid
    out.boxes, out.heatmaps                                  # (B, 4) input pixels, (B, 7, 7)
    control = model.whole_film_control()     # the same model, the local branch fed the whole film
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, NamedTuple

import torch
from torch import nn

from .backbones import create_backbone
from .branch import Branch, BranchOutput

if TYPE_CHECKING:  # the attention layer sits above the models: AGCNN is handed its AttentionCrop
    from ..attention import AttentionCrop, AttentionResult


class AGCNNOutput(NamedTuple):
    global_logits: torch.Tensor
    local_logits: torch.Tensor
    fusion_logits: torch.Tensor
    boxes: torch.Tensor
    heatmaps: torch.Tensor


class AGCNN(nn.Module):
    """Global and local branches of the same architecture (own weights) and a fusion head.

    attention: the AttentionCrop that turns the global features into the local branch's input
    (it holds the method's settings: tau, heatmap statistic, crop size, where the crop is cut).
    num_classes: 14 diseases; with_no_finding=True adds "No Finding" as a last output (the
    paper's 15). pretrained / weights_path: ImageNet weights for both branches' backbones.
    Extra keyword arguments go to the backbone constructor (e.g. width=24 for "tiny").
    """

    def __init__(
        self,
        backbone: str,
        attention: AttentionCrop,
        num_classes: int = 14,
        *,
        with_no_finding: bool = False,
        pretrained: bool = False,
        weights_path: str | os.PathLike | None = None,
        **backbone_kwargs,
    ):
        super().__init__()
        self.backbone_name = backbone
        self.num_classes = num_classes
        self.num_outputs = num_classes + int(with_no_finding)
        global_backbone = create_backbone(backbone, pretrained, weights_path, **backbone_kwargs)
        # The same initial weights (downloaded once), then each branch learns its own.
        local_backbone = copy.deepcopy(global_backbone)
        self.global_branch = Branch(global_backbone, self.num_outputs)
        self.local_branch = Branch(local_backbone, self.num_outputs)
        self.fusion = nn.Linear(2 * global_backbone.num_features, self.num_outputs)
        self.attention = attention

    def attend(
        self,
        images: torch.Tensor,
        sources: torch.Tensor | None = None,
        frames: torch.Tensor | None = None,
        *,
        features: torch.Tensor | None = None,
    ) -> AttentionResult:
        """The local branch's input for `images`: (crops, boxes, heatmaps).

        `features` are the global branch's maps for `images`; when None the global branch runs
        here, without gradients (nothing flows back through the attention crop anyway).
        """
        if features is None and self.attention.crop_from == "whole":
            # The whole film needs no heatmap: spare the global branch's forward pass.
            return self.attention.from_heatmaps(images.new_zeros(len(images), 1, 1), images, sources, frames)
        if features is None:
            with torch.no_grad():
                features = self.global_branch(images).features
        return self.attention.from_heatmaps(self.heatmaps(features), images, sources, frames)

    @property
    def with_no_finding(self) -> bool:
        """Whether the last output is "No Finding" (the paper's 15th): the labels it is trained on."""
        return self.num_outputs > self.num_classes

    def disease_weight(self) -> torch.Tensor:
        """The global classifier's rows of the diseases (not No Finding): the class activation
        map's weights (heatmap reduce="cam")."""
        return self.global_branch.classifier.weight[: self.num_classes]

    def heatmaps(self, features: torch.Tensor, reduce: str | None = None) -> torch.Tensor:
        """The attention heatmaps of the global features (on their device), with the attention's
        statistic or `reduce`; the class activation map takes the global classifier's weights."""
        return self.attention.heatmaps(features, self.disease_weight().to(features.device), reduce=reduce)

    def whole_film_control(self) -> AGCNN:
        """The attention's control: a copy of this model whose local branch is fed the whole film
        (the global input's window, cut from the source at the crop's size) instead of the box.

        It shares this model's global branch (the same module: frozen in stages II and III, it
        is the same for both) and starts with copies of the local branch and fusion head as they
        are now: made before stage II, the two local branches start from the same weights, so
        that after the same training the difference between them is the box's alone.
        """
        control = copy.deepcopy(self, memo={id(self.global_branch): self.global_branch})  # shared, not copied
        control.attention.crop_from = "whole"
        return control

    def fuse(self, global_out: BranchOutput, local_out: BranchOutput) -> torch.Tensor:
        """Fusion logits from the two branches' pooled vectors (concatenated, global first)."""
        return self.fusion(torch.cat([global_out.pooled, local_out.pooled], dim=1))

    def forward(
        self,
        images: torch.Tensor,
        sources: torch.Tensor | None = None,
        frames: torch.Tensor | None = None,
    ) -> AGCNNOutput:
        global_out = self.global_branch(images)
        attention = self.attend(images, sources, frames, features=global_out.features)
        local_out = self.local_branch(attention.crops)
        return AGCNNOutput(
            global_out.logits,
            local_out.logits,
            self.fuse(global_out, local_out),
            attention.boxes,
            attention.heatmaps,
        )
