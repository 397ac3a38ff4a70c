"""grad_cam: one target per image on the logits, at the feature grid, leaving the model as it was."""

from __future__ import annotations

import pytest
import torch

from agcnn_lab.attention import AttentionCrop, attention_boxes, heatmap
from agcnn_lab.attention.gradcam import grad_cam
from agcnn_lab.models import AGCNN, Branch, create_backbone


def manual_grad_cam(branch: Branch, images: torch.Tensor, targets: list[int]) -> torch.Tensor:
    """Grad-CAM by hand (Selvaraju et al.): channel weights = spatial mean of d logit / d maps."""
    branch.eval()
    features = branch.backbone(images)
    logits = branch.classifier(features.amax(dim=(2, 3)))
    picked = logits[torch.arange(len(targets)), torch.tensor(targets)].sum()
    (grads,) = torch.autograd.grad(picked, features)
    cam = torch.relu((grads.mean(dim=(2, 3), keepdim=True) * features).sum(1))
    low = cam.amin((1, 2), keepdim=True)
    span = cam.amax((1, 2), keepdim=True) - low
    return ((cam - low) / torch.where(span > 0, span, torch.ones_like(span))).detach()


@pytest.fixture
def branch():
    torch.manual_seed(0)
    b = Branch(create_backbone("tiny"), num_classes=5)
    with torch.no_grad():  # a few large classifier weights so that targets differ clearly
        b.classifier.weight.mul_(20)
    return b


def test_matches_the_definition_with_a_different_target_per_image(branch):
    branch.eval()  # a train-mode forward would move BatchNorm's running statistics
    images = torch.rand(4, 1, 64, 64)
    targets = [0, 3, 1, 4]
    cams = grad_cam(branch, images, targets)
    assert cams.shape == (4, 4, 4) == heatmap(branch(images).features).shape
    torch.testing.assert_close(cams, manual_grad_cam(branch, images, targets), atol=1e-5, rtol=0)
    # Each image's CAM depends on its own target: swapping targets changes it.
    swapped = grad_cam(branch, images, [3, 0, 4, 1])
    assert (swapped - cams).abs().amax() > 0.05
    torch.testing.assert_close(swapped, manual_grad_cam(branch, images, [3, 0, 4, 1]), atol=1e-5, rtol=0)


def test_leaves_modes_flags_grads_and_hooks_as_they_were(branch):
    branch.train()
    branch.backbone.body.stem.eval()  # a mixed state, as in staged training
    branch.backbone.body.stages.requires_grad_(False)  # partly frozen
    images = torch.rand(2, 1, 64, 64)
    branch(images).logits.sum().backward()  # some accumulated gradients
    modes = {name: m.training for name, m in branch.named_modules()}
    flags = {name: p.requires_grad for name, p in branch.named_parameters()}
    grads = {name: None if p.grad is None else p.grad.clone() for name, p in branch.named_parameters()}

    grad_cam(branch, images, 1)

    assert {name: m.training for name, m in branch.named_modules()} == modes
    assert {name: p.requires_grad for name, p in branch.named_parameters()} == flags
    for name, p in branch.named_parameters():
        assert (p.grad is None) == (grads[name] is None), name
        if p.grad is not None:
            assert torch.equal(p.grad, grads[name]), name
    assert not branch.backbone._forward_hooks
    assert not images.requires_grad


def test_works_on_a_frozen_eval_branch(branch):
    branch.eval().requires_grad_(False)
    images = torch.rand(3, 1, 64, 64)
    cams = grad_cam(branch, images, torch.tensor([2, 2, 0]))
    torch.testing.assert_close(cams, manual_grad_cam(branch.requires_grad_(True), images, [2, 2, 0]), atol=1e-5, rtol=0)


def test_densenet_in_place_relu_is_handled():
    torch.manual_seed(0)
    branch = Branch(create_backbone("densenet121"), num_classes=3)
    images = torch.rand(2, 1, 64, 64)
    cams = grad_cam(branch, images, [2, 0])
    assert cams.shape == (2, 2, 2)
    torch.testing.assert_close(cams, manual_grad_cam(branch, images, [2, 0]), atol=1e-5, rtol=0)


def test_agcnn_uses_its_global_branch_and_feeds_attention_boxes():
    torch.manual_seed(0)
    model = AGCNN("tiny", AttentionCrop(), num_classes=4)
    images = torch.rand(2, 1, 128, 128)
    cams = grad_cam(model, images, [1, 2])
    torch.testing.assert_close(cams, grad_cam(model.global_branch, images, [1, 2]))
    assert cams.min() >= 0 and cams.max() <= 1
    assert attention_boxes(cams, 0.7, 128).shape == (2, 4)
    result = model.attention.from_heatmaps(cams, images, sources=images)
    assert result.crops.shape == (2, 1, 128, 128)


def test_bad_targets_raise_and_release_the_hooks(branch):
    images = torch.rand(2, 1, 64, 64)
    with pytest.raises(ValueError, match="one target per image"):
        grad_cam(branch, images, [0, 1, 2])
    with pytest.raises(ValueError, match="class indices"):
        grad_cam(branch, images, [0, 5])
    with pytest.raises(TypeError):
        grad_cam(torch.nn.Linear(2, 2), images, 0)
    assert not branch.backbone._forward_hooks
