"""heatmap: max |f| over channels (and the L1 / L2 / sum variants), scaled to [0, 1] per image."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from agcnn_lab.attention import heatmap, scale_per_image, upsample_heatmap
from agcnn_lab.attention.heatmap import class_activation_maps


def test_a_strong_negative_activation_wins_under_max_abs():
    features = torch.zeros(1, 3, 2, 2)
    features[0, :, 0, 0] = torch.tensor([0.5, 0.4, 0.3])  # mildly positive everywhere in channel space
    features[0, 1, 1, 1] = -2.0  # one strongly negative activation
    features[0, 2, 0, 1] = 1.0
    h = heatmap(features, "max")[0]
    assert h[1, 1] == 1.0  # |-2| is the largest magnitude
    torch.testing.assert_close(h, torch.tensor([[0.25, 0.5], [0.0, 1.0]]))
    # The signed sum (Ien001's heatmap) ranks the same location last.
    assert heatmap(features, "sum")[0, 1, 1] == 0.0


def test_reductions_match_their_definitions():
    features = torch.randn(3, 16, 5, 4)
    magnitude = features.abs()
    expected = {
        "max": magnitude.amax(1),
        "l1": magnitude.mean(1),
        "l2": features.square().mean(1).sqrt(),
        "sum": features.sum(1),
    }
    for reduce, raw in expected.items():
        low = raw.amin((1, 2), keepdim=True)
        scaled = (raw - low) / (raw.amax((1, 2), keepdim=True) - low)
        torch.testing.assert_close(heatmap(features, reduce), scaled, atol=1e-5, rtol=0)


@pytest.mark.parametrize("reduce", ["max", "l1", "l2", "sum"])
def test_each_image_is_scaled_to_the_unit_interval(reduce):
    features = torch.randn(4, 8, 7, 7) * torch.tensor([0.01, 1.0, 100.0, 1e4]).view(4, 1, 1, 1)
    h = heatmap(features, reduce)
    assert h.shape == (4, 7, 7) and h.dtype == torch.float32
    torch.testing.assert_close(h.amin((1, 2)), torch.zeros(4))
    torch.testing.assert_close(h.amax((1, 2)), torch.ones(4))


def test_a_flat_map_scales_to_zeros_not_nan():
    features = torch.cat([torch.full((1, 4, 3, 3), 2.5), torch.zeros(1, 4, 3, 3)])
    assert torch.equal(heatmap(features), torch.zeros(2, 3, 3))
    assert torch.equal(scale_per_image(torch.full((1, 2, 2), -1.0)), torch.zeros(1, 2, 2))


def test_half_precision_features_give_float32_heatmaps():
    features = torch.rand(2, 8, 7, 7)
    torch.testing.assert_close(heatmap(features.half(), "l2"), heatmap(features, "l2"), atol=2e-3, rtol=0)
    assert heatmap(features.bfloat16()).dtype == torch.float32


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="reduce"):
        heatmap(torch.rand(1, 2, 3, 3), "mean")
    with pytest.raises(ValueError, match=r"\(B, K, h, w\)"):
        heatmap(torch.rand(2, 3, 3))


def test_upsample_matches_cv2_resize_and_stays_in_range():
    h = heatmap(torch.randn(3, 32, 7, 7))
    up = upsample_heatmap(h, 224)
    assert up.shape == (3, 224, 224)
    assert up.min() >= 0 and up.max() <= 1
    for small, big in zip(h.numpy(), up.numpy(), strict=True):
        np.testing.assert_allclose(big, cv2.resize(small, (224, 224), interpolation=cv2.INTER_LINEAR), atol=1e-5)
    assert upsample_heatmap(h, (64, 32)).shape == (3, 64, 32)


def test_cam_is_the_positive_class_evidence_of_the_classifier():
    torch.manual_seed(0)
    features = torch.rand(2, 5, 3, 3)
    weight = torch.randn(4, 5)
    raw = torch.einsum("ck,bkhw->bchw", weight, features).clamp(min=0).amax(1)
    torch.testing.assert_close(heatmap(features, "cam", weight), scale_per_image(raw))
    # One class whose weight picks channel 2: the map is that channel (where it is the evidence).
    only = torch.zeros(1, 5)
    only[0, 2] = 1.0
    torch.testing.assert_close(heatmap(features, "cam", only), scale_per_image(features[:, 2]))
    with pytest.raises(ValueError, match="needs the classifier weight"):
        heatmap(features, "cam")
    with pytest.raises(ValueError, match=r"\(C, 5\)"):
        heatmap(features, "cam", torch.randn(4, 6))


def test_class_activation_maps_keep_one_unscaled_map_per_class():
    torch.manual_seed(0)
    features = torch.rand(2, 5, 3, 3)
    weight = torch.randn(4, 5)
    maps = class_activation_maps(features, weight)
    assert maps.shape == (2, 4, 3, 3) and maps.dtype == torch.float32
    torch.testing.assert_close(maps, torch.einsum("ck,bkhw->bchw", weight, features).clamp(min=0))
    with pytest.raises(ValueError, match=r"\(C, 5\)"):
        class_activation_maps(features, torch.randn(4, 6))
