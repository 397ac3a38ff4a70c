"""Backbones, branches and AGCNN: shapes, the input stem, checkpoints, and the tiny net's training."""

from __future__ import annotations

import io

import pytest
import torch
import torch.nn.functional as F
import torchvision

from agcnn_lab.attention import AttentionCrop, crop
from agcnn_lab.models import AGCNN, Branch, create_backbone, list_backbones
from agcnn_lab.models.stems import IMAGENET_MEAN, IMAGENET_STD

# name -> (num_features, feature side for a 64-px input)
BACKBONES = {
    "tiny": (128, 4), "resnet18": (512, 2), "resnet50": (2048, 2), "densenet121": (1024, 2), "mobilenet_v2": (1280, 2),
}


def test_registry_lists_the_backbones():
    assert set(BACKBONES) <= set(list_backbones())
    with pytest.raises(ValueError, match="resnet50"):
        create_backbone("vgg16")
    with pytest.raises(ValueError, match="ImageNet"):
        create_backbone("tiny", pretrained=True)


@pytest.mark.parametrize("name", list(BACKBONES))
def test_branch_outputs_for_every_backbone(name):
    torch.manual_seed(0)
    num_features, side = BACKBONES[name]
    branch = Branch(create_backbone(name), num_classes=14).eval()
    with torch.no_grad():
        out = branch(torch.rand(2, 1, 64, 64))
    assert branch.num_features == num_features
    assert out.features.shape == (2, num_features, side, side)
    assert out.pooled.shape == (2, num_features) and out.logits.shape == (2, 14)
    assert out.features.min() >= 0  # after the final ReLU
    torch.testing.assert_close(out.pooled, out.features.amax((2, 3)))  # global MAX pooling
    torch.testing.assert_close(out.logits, branch.classifier(out.pooled))


@pytest.mark.parametrize("name", list(BACKBONES))
def test_agcnn_outputs_and_fusion_input(name):
    torch.manual_seed(0)
    num_features, side = BACKBONES[name]
    model = AGCNN(name, AttentionCrop(crop_size=32), num_classes=14, with_no_finding=True).eval()
    images = torch.rand(2, 1, 64, 64)
    sources = (torch.rand(2, 1, 128, 128) * 255).to(torch.uint8)
    with torch.no_grad():
        out = model(images, sources)
    assert model.fusion.in_features == 2 * num_features  # the two pooled vectors
    for logits in (out.global_logits, out.local_logits, out.fusion_logits):
        assert logits.shape == (2, 15)  # 14 diseases + No Finding
    assert out.boxes.shape == (2, 4) and out.heatmaps.shape == (2, side, side)
    # The parts compose as the three-stage training calls them.
    with torch.no_grad():
        glob = model.global_branch(images)
        crops, boxes, _ = model.attend(images, sources)
        local = model.local_branch(crops)
        torch.testing.assert_close(out.local_logits, local.logits)
        torch.testing.assert_close(out.fusion_logits, model.fuse(glob, local))
    assert crops.shape == (2, 1, 32, 32)
    torch.testing.assert_close(crops, crop(sources, boxes, 32, input_size=64))


def test_mobilenet_output_stride_16_doubles_the_grid_with_the_same_weights():
    torch.manual_seed(0)
    coarse = create_backbone("mobilenet_v2").eval()
    fine = create_backbone("mobilenet_v2", output_stride=16).eval()
    fine.load_state_dict(coarse.state_dict())  # the same parameters, only strides and dilations differ
    with torch.no_grad():
        assert coarse(torch.rand(1, 1, 128, 128)).shape[-2:] == (4, 4)
        assert fine(torch.rand(1, 1, 128, 128)).shape[-2:] == (8, 8)
    assert fine.stride == 16
    with pytest.raises(ValueError, match="output_stride"):
        create_backbone("mobilenet_v2", output_stride=8)


def test_mobilenet_frozen_blocks_keep_imagenet_weights_and_statistics():
    torch.manual_seed(0)
    backbone = create_backbone("mobilenet_v2", frozen_blocks=4)
    frozen, free = backbone.body.features[:4], backbone.body.features[4:]
    assert not any(p.requires_grad for p in frozen.parameters())
    assert all(p.requires_grad for p in free.parameters())
    backbone.train()
    blocks = lambda part: [m for block in part for m in block.modules()]  # noqa: E731 (not the slice's new container)
    assert not any(m.training for m in blocks(frozen)) and all(m.training for m in blocks(free))
    before = {k: v.clone() for k, v in frozen.state_dict().items()}
    backbone(torch.rand(4, 1, 64, 64)).sum().backward()  # a training step would update BN stats
    assert all(torch.equal(before[k], v) for k, v in frozen.state_dict().items())
    with pytest.raises(ValueError, match="frozen_blocks"):
        create_backbone("mobilenet_v2", frozen_blocks=19)


def test_whole_film_control_shares_the_global_branch_and_starts_as_a_copy():
    torch.manual_seed(0)
    model = AGCNN("tiny", AttentionCrop(crop_size=32)).eval()
    control = model.whole_film_control()
    assert control.global_branch is model.global_branch
    assert control.local_branch is not model.local_branch
    for (name, a), b in zip(model.local_branch.state_dict().items(), control.local_branch.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert torch.equal(model.fusion.weight, control.fusion.weight)
    assert control.attention.crop_from == "whole" and control.attention.crop_size == 32
    images = torch.rand(2, 1, 64, 64)
    sources = (torch.rand(2, 1, 128, 128) * 255).to(torch.uint8)
    crops, boxes, _ = control.attend(images, sources)
    torch.testing.assert_close(boxes, torch.tensor([[0.0, 0.0, 64.0, 64.0]] * 2))
    torch.testing.assert_close(crops, crop(sources, boxes, 32, input_size=64))
    with torch.no_grad():  # training the control leaves the model's local branch alone
        control.local_branch.classifier.weight.add_(1.0)
    assert not torch.equal(control.local_branch.classifier.weight, model.local_branch.classifier.weight)


def test_branches_have_their_own_weights():
    model = AGCNN("tiny", AttentionCrop())
    glob, local = model.global_branch.classifier.weight, model.local_branch.classifier.weight
    assert glob.data_ptr() != local.data_ptr()
    with torch.no_grad():
        glob.add_(1.0)
    assert not torch.equal(glob, local)


def test_imagenet_stem_repeats_the_channel_and_normalises():
    torch.manual_seed(0)
    backbone = create_backbone("resnet18").eval()
    tv = torchvision.models.resnet18()
    tv.load_state_dict({**backbone.body.state_dict(), "fc.weight": tv.fc.weight, "fc.bias": tv.fc.bias})
    tv.eval()
    images = torch.rand(2, 1, 64, 64)
    rgb = (images.repeat(1, 3, 1, 1) - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    trunk = torch.nn.Sequential(*list(tv.children())[:-2])  # torchvision's ResNet without pool and fc
    with torch.no_grad():
        torch.testing.assert_close(backbone(images), trunk(rgb))
    with pytest.raises(ValueError, match="one-channel"):
        backbone(torch.rand(1, 3, 64, 64))


def test_densenet_trunk_matches_torchvision_without_in_place_relu():
    torch.manual_seed(0)
    backbone = create_backbone("densenet121").eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        norm5 = backbone.body.features(x)
        features = backbone.body(x)
    torch.testing.assert_close(features, F.relu(norm5))
    assert norm5.min() < 0  # norm5's output itself is untouched (no in-place ReLU)


def test_tiny_backbone_geometry_and_width():
    backbone = create_backbone("tiny", width=8)
    assert backbone.num_features == 64 and backbone.stride == 16
    assert backbone(torch.rand(2, 1, 128, 128)).shape == (2, 64, 8, 8)


def test_state_dict_round_trip_with_weights_only():
    torch.manual_seed(0)
    model = AGCNN("tiny", AttentionCrop(), with_no_finding=True).eval()
    keys = model.state_dict().keys()
    assert {k.split(".")[0] for k in keys} == {"global_branch", "local_branch", "fusion"}
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    torch.manual_seed(1)
    restored = AGCNN("tiny", AttentionCrop(), with_no_finding=True).eval()
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    images, sources = torch.rand(2, 1, 64, 64), torch.rand(2, 1, 96, 96)
    with torch.no_grad():
        for a, b in zip(model(images, sources), restored(images, sources), strict=True):
            torch.testing.assert_close(a, b)


def test_channels_last_gives_the_same_outputs():
    torch.manual_seed(0)
    model = AGCNN("resnet18", AttentionCrop(crop_size=64)).eval()
    images, sources = torch.rand(2, 1, 64, 64), (torch.rand(2, 1, 128, 128) * 255).to(torch.uint8)
    with torch.no_grad():
        expected = model(images, sources)
        model = model.to(memory_format=torch.channels_last)
        got = model(images.contiguous(memory_format=torch.channels_last), sources)
    for a, b in zip(got, expected, strict=True):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_tiny_net_learns_one_channel_findings_from_scratch():
    # Two faint "findings" on noisy grey films (contrast about one noise sigma): a bright disc
    # (class 0) and a dark horizontal band (class 1), anywhere. Untrained, the AUCs are about
    # 0.5; 30 SGD steps must take both above 0.9.
    generator = torch.Generator().manual_seed(0)

    def films(n):
        yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
        images = 0.5 + 0.1 * torch.randn(n, 1, 64, 64, generator=generator)
        labels = (torch.rand(n, 2, generator=generator) < 0.5).float()
        centres = torch.rand(n, 3, generator=generator) * 44 + 10
        for i in range(n):
            if labels[i, 0]:
                disc = (xx - centres[i, 0]) ** 2 + (yy - centres[i, 1]) ** 2 < 36
                images[i, 0][disc] += 0.12
            if labels[i, 1]:
                band = (yy - centres[i, 2]).abs() < 2
                images[i, 0][band] -= 0.1
        return images.clamp(0, 1), labels

    torch.manual_seed(0)
    branch = Branch(create_backbone("tiny"), num_classes=2)
    optimiser = torch.optim.SGD(branch.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    for _ in range(30):
        images, labels = films(32)
        loss = F.binary_cross_entropy_with_logits(branch(images).logits, labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    images, labels = films(128)
    with torch.no_grad():
        scores = branch.eval()(images).logits
    for k in range(2):
        positive, negative = scores[labels[:, k] == 1, k], scores[labels[:, k] == 0, k]
        auc = (positive[:, None] > negative[None, :]).float().mean()
        assert auc > 0.9, f"class {k}: AUC {auc:.3f}"
