"""attention_boxes / label_components against a plain per-image reference (numpy + scipy);
region_boxes and the pointing game by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch

from agcnn_lab.attention import (
    attention_boxes,
    centred_boxes,
    component_sizes,
    label_components,
    largest_component,
    pointing_hits,
    region_boxes,
    threshold_mask,
)

EIGHT = np.ones((3, 3), dtype=int)


# ---------------------------------------------------------------- the per-image reference
def reference_otsu_mask(heatmap: np.ndarray, bins: int = 256) -> np.ndarray:
    """skimage.filters.threshold_otsu's between-class variance, on bin indices."""
    index = np.clip((heatmap.astype(np.float32) * bins).astype(np.int64), 0, bins - 1)
    counts = np.bincount(index.ravel(), minlength=bins).astype(np.float64)
    centres = (np.arange(bins) + 0.5) / bins
    n1 = np.cumsum(counts)[:-1]
    s1 = np.cumsum(counts * centres)[:-1]
    n2, s2 = counts.sum() - n1, (counts * centres).sum() - s1
    product = n1 * n2
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(product > 0, (s1 * n2 - s2 * n1) ** 2 / np.maximum(product, 1), -1.0)
    return index > int(np.argmax(between))


def reference_box(heatmap, tau=0.7, image_size=None, threshold=None, min_size=None):
    """One image: threshold, scipy 8-connected labelling, largest region (ties: first pixel in
    raster order), its bounding box in image pixels, grown to the minimum size."""
    h, w = heatmap.shape
    height, width = (h, w) if image_size is None else (image_size, image_size) if np.isscalar(image_size) else image_size
    mask = reference_otsu_mask(heatmap) if threshold == "otsu" else heatmap > tau
    labels, count = ndi.label(mask, structure=EIGHT)
    if count == 0:
        box = [0.0, 0.0, float(width), float(height)]
    else:
        sizes = np.bincount(labels.ravel())[1:]
        candidates = np.flatnonzero(sizes == sizes.max()) + 1
        first_pixels = [np.flatnonzero(labels.ravel() == c)[0] for c in candidates]
        best = candidates[int(np.argmin(first_pixels))]
        ys, xs = np.nonzero(labels == best)
        box = [xs.min() * width / w, ys.min() * height / h, (xs.max() + 1) * width / w, (ys.max() + 1) * height / h]
    min_h, min_w = (height / 8, width / 8) if min_size is None else np.broadcast_to(min_size, 2)
    for lo, hi, minimum, limit in ((0, 2, min(min_w, width), width), (1, 3, min(min_h, height), height)):
        if box[hi] - box[lo] < minimum:
            start = min(max((box[lo] + box[hi]) / 2 - minimum / 2, 0.0), limit - minimum)
            box[lo], box[hi] = start, start + minimum
    return box


def reference_boxes(heatmaps: torch.Tensor, **kwargs) -> torch.Tensor:
    return torch.tensor([reference_box(h, **kwargs) for h in heatmaps.numpy()], dtype=torch.float32)


def smooth_maps(batch, h, w, seed, sigma=1.0):
    """Random blobby maps in [0, 1], like real heatmaps (several peaks, irregular regions)."""
    rng = np.random.default_rng(seed)
    maps = ndi.gaussian_filter(rng.random((batch, h, w)), sigma=(0, sigma, sigma))
    low = maps.min(axis=(1, 2), keepdims=True)
    maps = (maps - low) / (maps.max(axis=(1, 2), keepdims=True) - low)
    return torch.from_numpy(maps.astype(np.float32))


# ---------------------------------------------------------------- connected components
@pytest.mark.parametrize("method", ["union-find", "scipy"])
@pytest.mark.parametrize(("shape", "density"), [((7, 7), 0.5), ((8, 8), 0.6), ((13, 29), 0.45), ((64, 64), 0.55)])
def test_label_components_matches_scipy_partition(shape, density, method):
    mask = torch.from_numpy(np.random.default_rng(1).random((16, *shape)) < density)
    labels = label_components(mask, method)
    for image, got in zip(mask.numpy(), labels.numpy(), strict=True):
        expected, count = ndi.label(image, structure=EIGHT)
        assert (got[~image] == -1).all()
        for c in range(1, count + 1):
            members = expected == c
            first = np.flatnonzero(members.ravel())[0]
            assert (got[members] == first).all(), "one label per component: its first pixel's index"
        assert len(np.unique(got[image])) == count


@pytest.mark.parametrize("density", [0.0, 0.3, 0.6, 1.0])
def test_both_methods_give_the_same_labels(density):
    mask = torch.from_numpy(np.random.default_rng(2).random((9, 31, 17)) < density)
    torch.testing.assert_close(label_components(mask, "scipy"), label_components(mask, "union-find"))
    assert label_components(mask).dtype == torch.int64


def test_label_components_checks_its_method():
    with pytest.raises(ValueError, match="unknown method 'bfs'"):
        label_components(torch.ones(1, 3, 3, dtype=torch.bool), "bfs")


@pytest.mark.parametrize("method", ["union-find", "scipy"])
def test_label_components_follows_a_long_snake(method):
    # A serpentine path: one component whose geodesic length is most of the grid.
    snake = np.zeros((15, 15), dtype=bool)
    snake[::2] = True
    for r in range(1, 15, 2):
        snake[r, 14 if r % 4 == 1 else 0] = True
    labels = label_components(torch.from_numpy(snake)[None], method)
    assert (labels[0][torch.from_numpy(snake)] == 0).all()


def test_diagonal_neighbours_connect():
    mask = torch.tensor([[[1, 0, 0], [0, 1, 0], [0, 0, 1]]], dtype=torch.bool)
    assert label_components(mask)[0].tolist() == [[0, -1, -1], [-1, 0, -1], [-1, -1, 0]]
    assert component_sizes(label_components(mask))[0, 0] == 3


def test_largest_component_tie_goes_to_the_first_in_raster_order():
    mask = torch.zeros(1, 7, 7, dtype=torch.bool)
    mask[0, 4:6, 0:2] = True  # 4 pixels, first pixel (4, 0)
    mask[0, 1:3, 5:7] = True  # 4 pixels, first pixel (1, 5): earlier in raster order
    largest = largest_component(mask)[0]
    assert largest[1:3, 5:7].all() and largest.sum() == 4


# ---------------------------------------------------------------- boxes
@pytest.mark.parametrize(
    ("shape", "image_size", "tau"),
    [((7, 7), 224, 0.7), ((8, 8), 128, 0.5), ((7, 7), 224, 0.9), ((14, 10), (100, 70), 0.6), ((56, 56), 224, 0.7)],
)
def test_boxes_match_the_reference_on_random_maps(shape, image_size, tau):
    maps = smooth_maps(64, *shape, seed=sum(shape))
    got = attention_boxes(maps, tau, image_size)
    expected = reference_boxes(maps, tau=tau, image_size=image_size)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)


def test_boxes_match_the_reference_on_quantised_maps_with_ties():
    # Few distinct values: many equal-size components, so the tie-break is exercised.
    maps = torch.from_numpy(np.random.default_rng(3).integers(0, 3, (256, 7, 7)).astype(np.float32) / 2)
    got = attention_boxes(maps, 0.7, 224)
    torch.testing.assert_close(got, reference_boxes(maps, tau=0.7, image_size=224), atol=1e-4, rtol=0)


def test_boxes_match_the_reference_with_otsu():
    maps = torch.cat([smooth_maps(32, 7, 7, seed=5), smooth_maps(16, 56, 56, seed=6).flatten(1)[:, :49].view(16, 7, 7)])
    got = attention_boxes(maps, image_size=224, threshold="otsu")
    expected = reference_boxes(maps, image_size=224, threshold="otsu")
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=0)
    for heatmap, mask in zip(maps.numpy(), threshold_mask(maps, threshold="otsu").numpy(), strict=True):
        assert (mask == reference_otsu_mask(heatmap)).all()


def test_planted_region_gives_its_cells_in_pixels():
    heatmaps = torch.zeros(2, 7, 7)
    heatmaps[0, 2:4, 1:5] = 1.0  # rows 2-3, columns 1-4
    heatmaps[0, 6, 6] = 0.9  # a smaller separate region
    heatmaps[1, 0:7, 3] = 0.8  # a full-height column
    boxes = attention_boxes(heatmaps, 0.7, 224)
    cell = 224 / 7
    torch.testing.assert_close(boxes[0], torch.tensor([1 * cell, 2 * cell, 5 * cell, 4 * cell]))
    torch.testing.assert_close(boxes[1], torch.tensor([3 * cell, 0.0, 4 * cell, 224.0]))


def test_flat_and_empty_heatmaps_give_the_whole_image():
    heatmaps = torch.stack([torch.zeros(7, 7), torch.ones(7, 7), torch.full((7, 7), 0.3)])
    expected = torch.tensor([0.0, 0.0, 128.0, 96.0]).expand(3, 4)
    torch.testing.assert_close(attention_boxes(heatmaps, 0.7, (96, 128)), expected)
    torch.testing.assert_close(attention_boxes(heatmaps, image_size=(96, 128), threshold="otsu"), expected)


@pytest.mark.parametrize("tau", [0.0, 1.0, -0.1, 1.5])
def test_tau_outside_the_open_unit_interval_raises(tau):
    with pytest.raises(ValueError, match="tau"):
        attention_boxes(torch.rand(2, 7, 7), tau, 224)


def test_unknown_threshold_and_bad_shape_raise():
    with pytest.raises(ValueError, match="threshold"):
        attention_boxes(torch.rand(2, 7, 7), 0.7, 224, threshold="mean")
    with pytest.raises(ValueError, match=r"\(B, h, w\)"):
        attention_boxes(torch.rand(7, 7), 0.7, 224)


def test_small_boxes_grow_to_the_minimum_size_inside_the_image():
    heatmaps = torch.zeros(3, 224, 224)
    heatmaps[0, 100:104, 50:52] = 1.0  # a 2x4-pixel spot in the middle
    heatmaps[1, 0:2, 220:224] = 1.0  # in the top-right corner
    heatmaps[2, 10:200, 10:200] = 1.0  # large: untouched
    boxes = attention_boxes(heatmaps, 0.5, 224)  # default minimum: 224 / 8 = 28
    torch.testing.assert_close(boxes[0], torch.tensor([37.0, 88.0, 65.0, 116.0]))
    torch.testing.assert_close(boxes[1], torch.tensor([196.0, 0.0, 224.0, 28.0]))
    torch.testing.assert_close(boxes[2], torch.tensor([10.0, 10.0, 200.0, 200.0]))
    boxes = attention_boxes(heatmaps, 0.5, 224, min_size=(8, 40))  # (height, width)
    torch.testing.assert_close(boxes[0], torch.tensor([31.0, 98.0, 71.0, 106.0]))
    torch.testing.assert_close(boxes, reference_boxes(heatmaps, tau=0.5, image_size=224, min_size=(8, 40)))


def test_boxes_stay_on_the_heatmaps_device_and_dtype():
    boxes = attention_boxes(torch.rand(4, 7, 7, dtype=torch.float64), 0.7, 224)
    assert boxes.dtype == torch.float32 and boxes.device.type == "cpu" and boxes.shape == (4, 4)


def test_region_boxes_are_the_last_step_of_attention_boxes():
    maps = torch.rand(5, 7, 7, generator=torch.Generator().manual_seed(3))
    region = largest_component(threshold_mask(maps, 0.6))
    torch.testing.assert_close(region_boxes(region, 224, min_size=10.0), attention_boxes(maps, 0.6, 224, min_size=10.0))
    cell = torch.zeros(1, 4, 4, dtype=torch.bool)
    cell[0, 1, 2] = True  # row 1, column 2 of a 4x4 grid on a 64 x 128 (H x W) image
    torch.testing.assert_close(region_boxes(cell, (64, 128), min_size=1.0), torch.tensor([[64.0, 16.0, 96.0, 32.0]]))
    with pytest.raises(ValueError, match="regions"):
        region_boxes(cell[0])


def test_pointing_hits_counts_the_truth_centre_on_the_edge_as_inside():
    boxes = np.array([[0.25, 0.25, 0.5, 0.5]] * 3, dtype=np.float32)  # binary fractions: exact
    truth = np.array([[0.375, 0.375, 0.625, 0.625], [0.0, 0.0, 0.125, 0.125], [0.5, 0.5, 0.75, 0.75]])
    # Centres (0.5, 0.5) on the corner, (0.0625, 0.0625) and (0.625, 0.625) outside.
    assert pointing_hits(boxes, truth).tolist() == [True, False, False]
    assert pointing_hits(np.zeros((0, 4)), np.zeros((0, 4))).shape == (0,)


def test_centred_boxes_sit_on_the_weighted_centre_of_the_region_at_a_fixed_area():
    maps = torch.zeros(3, 8, 8)
    maps[0, 2:4, 2:4] = 1.0  # centre (3, 3) cells = (48, 48) px of 128: a box of 1/4 of the image
    maps[1, 0, 0] = 1.0  # in the corner: the box is shifted to stay inside
    maps[1, 0, 1] = 0.8
    maps[2, 4, 4], maps[2, 4, 6] = 1.0, 0.5  # weights 2 : 1 over one region -> centre between, nearer 4
    region = largest_component(threshold_mask(maps, 0.1)) | (maps > 0.1)
    boxes = centred_boxes(region, maps, area=0.25, image_size=128)
    torch.testing.assert_close(boxes[0], torch.tensor([16.0, 16.0, 80.0, 80.0]))
    torch.testing.assert_close(boxes[1], torch.tensor([0.0, 0.0, 64.0, 64.0]))
    centre_x = (4.5 * 1.0 + 6.5 * 0.5) / 1.5 * 16  # cell centres 4.5 and 6.5, in 16-px cells
    torch.testing.assert_close(boxes[2], torch.tensor([centre_x - 32, 40.0, centre_x + 32, 104.0]))
    # Every box has the same area, a quarter of the image, whatever the region's extent.
    sides = boxes[:, 2:] - boxes[:, :2]
    torch.testing.assert_close(sides.prod(dim=1), torch.full((3,), 128 * 128 / 4))


def test_centred_boxes_keep_the_image_aspect_ratio_and_fall_back_when_the_region_is_empty():
    maps = torch.zeros(2, 4, 4)
    maps[0, 3, 0] = 1.0  # a hot cell outside the (empty) region: the whole map's centre is used
    region = torch.zeros(2, 4, 4, dtype=torch.bool)
    boxes = centred_boxes(region, maps, area=0.25, image_size=(64, 128))  # (H, W)
    torch.testing.assert_close(boxes[0], torch.tensor([0.0, 32.0, 64.0, 64.0]))  # bottom-left, inside
    torch.testing.assert_close(boxes[1], torch.tensor([32.0, 16.0, 96.0, 48.0]))  # no weight: the centre
    whole = centred_boxes(region, maps, area=1.0, image_size=(64, 128))
    torch.testing.assert_close(whole, torch.tensor([0.0, 0.0, 128.0, 64.0]).expand(2, 4))


@pytest.mark.parametrize("area", [0.0, -0.2, 1.5])
def test_centred_boxes_refuse_an_area_outside_the_unit_interval_and_mismatched_shapes(area):
    maps = torch.rand(2, 4, 4)
    with pytest.raises(ValueError, match="box area"):
        centred_boxes(maps > 0.5, maps, area=area)
    with pytest.raises(ValueError, match="one shape"):
        centred_boxes(maps[:1] > 0.5, maps, area=0.5)
