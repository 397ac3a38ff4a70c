"""Grad-CAM of a branch, beside AG-CNN's heatmap: same (B, h, w) shape, scaled to [0, 1].

Through the grad-cam package, set up for a multi-label model: one ClassifierOutputTarget per
image, on the logits (a sigmoid would squash the gradients of confident outputs), the CAM kept
at the feature maps' resolution so it can be compared with `heatmap` and fed to
`attention_boxes`.

    from agcnn_lab.attention.gradcam import grad_cam
    cams = grad_cam(model, images, targets=[2, 0, 13])     # (3, 7, 7); model: AGCNN or Branch
    boxes = attention_boxes(cams, tau=0.7, image_size=224)
    result = model.attention.from_heatmaps(cams, images, sources, frames)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from torch import nn

from ..models.branch import Branch
from .heatmap import scale_per_image


class _Logits(nn.Module):
    """The branch seen as grad-cam expects a model: images in, (B, C) logits out."""

    def __init__(self, branch: Branch):
        super().__init__()
        self.branch = branch

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.branch(images).logits


class _FeatureGridGradCAM(GradCAM):
    """GradCAM that keeps the CAM on the target layer's grid.

    BaseCAM.compute_cam_per_layer resizes each CAM to get_target_width_height(input) with
    cv2; with None, scale_cam_image only min-max scales it.
    """

    def get_target_width_height(self, input_tensor):
        return None


def grad_cam(
    model: nn.Module, images: torch.Tensor, targets: int | Sequence[int] | torch.Tensor
) -> torch.Tensor:
    """Grad-CAM of `targets` (one class index per image, or one for all) on the last feature maps.

    model: a Branch, or an AGCNN (its global branch, the one that guides the crop).
    Returns (B, h, w) float32 on the images' device, min-max scaled per image (all zeros where
    the CAM is flat). The branch's train/eval modes, requires_grad flags and .grad tensors are
    as before the call, and grad-cam's hooks are removed, even on error.
    """
    branch = getattr(model, "global_branch", model)
    if not isinstance(branch, Branch):
        raise TypeError(f"expected a Branch or an AGCNN, got {type(model).__name__}")
    batch = images.shape[0]
    targets = torch.as_tensor(targets).flatten().tolist()
    if len(targets) == 1:
        targets = targets * batch
    if len(targets) != batch:
        raise ValueError(f"expected one target per image ({batch}), got {len(targets)}")
    num_classes = branch.classifier.out_features
    if not all(0 <= t < num_classes for t in targets):
        raise ValueError(f"targets must be class indices in [0, {num_classes}), got {targets}")

    modes = {module: module.training for module in branch.modules()}
    params = list(branch.parameters())
    saved = [(p, p.requires_grad, p.grad) for p in params]
    cam = None
    try:
        # BaseCAM calls model.zero_grad() and backward(): with the parameters frozen and the
        # input requiring grad instead (compute_input_gradient), the backward pass reaches the
        # hooked feature maps without touching any parameter's .grad.
        for p in params:
            p.requires_grad_(False)
        cam = _FeatureGridGradCAM(model=_Logits(branch), target_layers=[branch.backbone])
        cam.compute_input_gradient = True
        # Full precision: grad-cam goes through numpy, which has no bfloat16.
        with torch.enable_grad(), torch.autocast(images.device.type, enabled=False):
            maps = cam(input_tensor=images.detach().float(), targets=[ClassifierOutputTarget(t) for t in targets])
    finally:
        # Not `with cam`: BaseCAM.__exit__ swallows IndexError.
        if cam is not None:
            cam.activations_and_grads.release()
        for module, training in modes.items():
            module.train(training)
        for p, requires_grad, grad in saved:
            p.requires_grad_(requires_grad)
            p.grad = grad
    return scale_per_image(torch.from_numpy(maps).to(images.device))
