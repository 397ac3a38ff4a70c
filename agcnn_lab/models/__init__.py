"""AG-CNN's models: backbones, a branch (backbone -> max pooling -> FC) and the three-branch AGCNN.

    from agcnn_lab.models import AGCNN, create_backbone
    model = AGCNN("densenet121", num_classes=14, pretrained=True)
    out = model(images, sources, frames)
    out.fusion_logits.sigmoid()
"""

from .agcnn import AGCNN, AGCNNOutput
from .backbones import (
    Backbone,
    DenseNetTrunk,
    ResNetTrunk,
    create_backbone,
    list_backbones,
    register_backbone,
)
from .branch import Branch, BranchOutput
from .stems import GrayStem, ImageNetStem
from .tiny import TinyNet
from .weights import hub_checkpoint_path, imagenet_state_dict

__all__ = [
    "AGCNN",
    "AGCNNOutput",
    "Backbone",
    "Branch",
    "BranchOutput",
    "DenseNetTrunk",
    "GrayStem",
    "ImageNetStem",
    "ResNetTrunk",
    "TinyNet",
    "create_backbone",
    "hub_checkpoint_path",
    "imagenet_state_dict",
    "list_backbones",
    "register_backbone",
]
