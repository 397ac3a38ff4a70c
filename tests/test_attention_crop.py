"""crop and AttentionCrop: roi_align resampling checked against hand-computed values of a linear
ramp; AttentionCrop's trace against its own forward path and the step functions.

A linear function is reproduced exactly by bilinear interpolation, and the mean of roi_align's
samples in a bin is its value at the bin centre; so away from the borders, output pixel (p, q)
of a crop of box (x0, y0, x1, y1) to S x S must equal the ramp at
(x0 + (q + 0.5) (x1 - x0) / S, y0 + (p + 0.5) (y1 - y0) / S), in continuous pixel coordinates.
"""

from __future__ import annotations

import pytest
import torch

from agcnn_lab.attention import (
    AttentionCrop,
    attention_boxes,
    centred_boxes,
    crop,
    largest_component,
    threshold_mask,
)
from agcnn_lab.data.geometry import InputGeometry, render_input

A, B, C = 1 / 300, 1 / 500, 0.05  # the ramp: value = A x + B y + C at continuous (x, y)


def ramp(height: int, width: int) -> torch.Tensor:
    """(1, 1, H, W) float source; pixel (i, j) holds the ramp at its centre (j + 0.5, i + 0.5)."""
    ys = torch.arange(height, dtype=torch.float64)[:, None] + 0.5
    xs = torch.arange(width, dtype=torch.float64)[None, :] + 0.5
    return (A * xs + B * ys + C).float()[None, None]


def expected_crop(box, size: int, flip: bool = False) -> torch.Tensor:
    x0, y0, x1, y1 = box
    centres = (torch.arange(size, dtype=torch.float64) + 0.5) / size
    xs, ys = x0 + centres * (x1 - x0), y0 + centres * (y1 - y0)
    out = A * xs[None, :] + B * ys[:, None] + C
    return (out.flip(-1) if flip else out).float()


def test_crop_resamples_a_known_pattern():
    source = ramp(80, 96).expand(2, 1, 80, 96)
    boxes = torch.tensor([[10.0, 12.0, 50.0, 60.0], [3.25, 7.5, 91.0, 70.0]])  # inside, off-grid
    crops = crop(source, boxes, 24)
    assert crops.shape == (2, 1, 24, 24)
    for i in range(2):
        torch.testing.assert_close(crops[i, 0], expected_crop(boxes[i].tolist(), 24), atol=1e-5, rtol=0)
    # Plain bilinear (one sample per bin) gives the same on a linear pattern.
    torch.testing.assert_close(crop(source, boxes, 24, sampling_ratio=1), crops, atol=1e-5, rtol=0)


def test_crop_through_frames_maps_input_boxes_to_the_source():
    source = ramp(80, 96).expand(2, 1, 80, 96)
    frames = torch.tensor([[0.1, 0.2, 0.8, 0.9, 0.0], [0.1, 0.2, 0.8, 0.9, 1.0]])
    input_box = [4.0, 8.0, 20.0, 24.0]  # in a 32 x 32 input
    crops = crop(source, torch.tensor([input_box, input_box]), 16, frames=frames, input_size=32)
    # By hand: x in the input -> x / 32 -> u0 + that * (u1 - u0) -> * 96 source pixels.
    # Unflipped: x 4..20 -> 0.125..0.625 -> u 0.1875..0.5375; y 8..24 -> 0.25..0.75 -> v 0.375..0.725.
    src_box = [0.1875 * 96, 0.375 * 80, 0.5375 * 96, 0.725 * 80]
    torch.testing.assert_close(crops[0, 0], expected_crop(src_box, 16), atol=1e-5, rtol=0)
    # Flipped input: x 4..20 of the mirrored input is x 12..28 of the unmirrored one -> u 0.3625..0.7125;
    # the crop comes back mirrored, in the input's orientation.
    src_box = [0.3625 * 96, 0.375 * 80, 0.7125 * 96, 0.725 * 80]
    torch.testing.assert_close(crops[1, 0], expected_crop(src_box, 16, flip=True), atol=1e-5, rtol=0)


def test_uint8_sources_are_scaled_and_windowed_exactly():
    # value j / 255 in column j: the ramp A = 1/255, exact in uint8.
    columns = torch.arange(256, dtype=torch.uint8)
    source = columns.view(1, 1, 1, 256).expand(3, 1, 200, 256).contiguous()
    boxes = torch.tensor([[0.0, 0.0, 256.0, 200.0], [100.5, 20.0, 140.0, 180.0], [250.0, 190.0, 256.0, 200.0]])
    crops = crop(source, boxes, 32)
    reference = crop(source.float() / 255, boxes, 32)  # the whole source converted: no windowing
    torch.testing.assert_close(crops, reference, atol=2e-6, rtol=0)
    centres = (torch.arange(32) + 0.5) / 32
    expected = (100.5 + centres * 39.5 - 0.5) / 255  # column value at x = (x - 0.5) / 255
    torch.testing.assert_close(crops[1, 0, 5], expected, atol=1e-5, rtol=0)


def test_the_cpu_batch_split_across_threads_changes_no_bit():
    generator = torch.Generator().manual_seed(0)
    sources = (torch.rand(37, 1, 96, 96, generator=generator) * 255).to(torch.uint8)  # 37: uneven chunks
    corners = torch.rand(37, 2, generator=generator) * 40
    boxes = torch.cat([corners, corners + 20 + torch.rand(37, 2, generator=generator) * 30], 1)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(3)
        split = crop(sources, boxes, 24)
        torch.set_num_threads(1)
        whole = crop(sources, boxes, 24)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(split, whole)


def test_boxes_are_clipped_to_the_image():
    source = ramp(64, 64)
    inside = crop(source, torch.tensor([[0.0, 0.0, 32.0, 64.0]]), 8)
    outside = crop(source, torch.tensor([[-20.0, -5.0, 32.0, 80.0]]), 8)
    torch.testing.assert_close(outside, inside)


@pytest.mark.parametrize("flip", [0.0, 1.0])
def test_crop_from_source_and_from_input_agree_through_the_transforms(flip):
    # The input is rendered from the source by the data layer's resize/crop/flip; the same box
    # cut from the source (through the frame) or from the input shows the same content.
    source = (ramp(256, 256) * 0.7 * 255).round().to(torch.uint8)[0]  # max 0.99 * 255: no wrap-around
    frame = InputGeometry(resize=73, crop=64).eval_frame()
    frame[4] = flip
    image, snapped = render_input(source, frame, 64)
    box = torch.tensor([[12.0, 16.0, 44.0, 40.0]])
    from_input = crop(image[None], box, 16)
    from_source = crop(source[None], box, 16, frames=snapped[None], input_size=64)
    torch.testing.assert_close(from_source, from_input, atol=3e-3, rtol=0)  # uint8 rounding


def test_attention_crop_cuts_the_planted_region_from_the_source():
    features = torch.zeros(2, 4, 8, 8)
    features[:, 1, 2:4, 5:7] = 3.0  # rows 2-3, columns 5-6 of an 8x8 grid -> input box (80, 32, 112, 64)
    images = torch.rand(2, 1, 128, 128)
    sources = (torch.rand(2, 1, 256, 256) * 255).to(torch.uint8)
    frames = torch.tensor([[0.0, 0.0, 1.0, 1.0, 0.0], [0.25, 0.25, 0.75, 0.75, 1.0]])
    result = AttentionCrop(tau=0.7, crop_size=32)(features, images, sources, frames)
    box = torch.tensor([80.0, 32.0, 112.0, 64.0])
    torch.testing.assert_close(result.boxes, box.expand(2, 4))
    assert result.heatmaps.shape == (2, 8, 8) and result.crops.shape == (2, 1, 32, 32)
    torch.testing.assert_close(result.crops, crop(sources, box.expand(2, 4), 32, frames=frames, input_size=128))
    # Image 0's frame is the whole source, 2x the input: the box is (160, 64, 224, 128) there.
    torch.testing.assert_close(result.crops[:1], crop(sources[:1], 2 * box[None], 32))
    from_input = AttentionCrop(tau=0.7, crop_size=32, crop_from="input")(features, images)
    torch.testing.assert_close(from_input.crops, crop(images, box.expand(2, 4), 32))


def test_whole_ignores_the_heatmap_and_shows_the_whole_framed_source():
    features = torch.zeros(2, 4, 8, 8)
    features[:, 1, 2:4, 5:7] = 3.0  # a hot region the control must ignore
    images = torch.rand(2, 1, 128, 128)
    sources = (torch.rand(2, 1, 256, 256) * 255).to(torch.uint8)
    frames = torch.tensor([[0.0, 0.0, 1.0, 1.0, 0.0], [0.25, 0.25, 0.75, 0.75, 1.0]])
    result = AttentionCrop(tau=0.7, crop_size=32, crop_from="whole")(
        features, images, sources, frames
    )
    whole = torch.tensor([0.0, 0.0, 128.0, 128.0]).expand(2, 4)
    torch.testing.assert_close(result.boxes, whole)
    torch.testing.assert_close(
        result.crops, crop(sources, whole, 32, frames=frames, input_size=128)
    )
    # Image 0 shows its whole source: the "crop" is the source resized to 32 px.
    torch.testing.assert_close(
        result.crops[:1], crop(sources[:1], torch.tensor([[0.0, 0.0, 256.0, 256.0]]), 32)
    )
    with pytest.raises(ValueError, match="crop_from='whole' needs the sources"):
        AttentionCrop(crop_from="whole")(features, images)


def test_attention_crop_settings_are_checked():
    with pytest.raises(ValueError, match="sources"):
        AttentionCrop()(torch.rand(1, 4, 7, 7), torch.rand(1, 1, 224, 224))
    for bad in ({"crop_from": "thumbnail"}, {"tau": 1.0}, {"reduce": "mean"}, {"threshold": "mean"},
                {"box_area": 0.0}, {"box_area": 1.2}):
        with pytest.raises(ValueError):
            AttentionCrop(**bad)


def test_upsampled_thresholding_and_default_crop_size():
    features = torch.zeros(1, 2, 7, 7)
    features[0, 0, 3, 3] = 1.0  # one hot cell: on the grid, the box is that cell
    images = torch.rand(1, 1, 224, 224)
    grid = AttentionCrop(crop_from="input")(features, images)
    torch.testing.assert_close(grid.boxes, torch.tensor([[96.0, 96.0, 128.0, 128.0]]))
    assert grid.crops.shape == (1, 1, 224, 224)  # crop_size None: the input's size
    # Upsampled bilinearly, the hot cell spreads: the region above 0.7 is a smaller square
    # around the cell's centre (112, 112), grown to the minimum side 224 / 8 = 28.
    up = AttentionCrop(crop_from="input", upsample=True)(features, images)
    torch.testing.assert_close(up.boxes, torch.tensor([[98.0, 98.0, 126.0, 126.0]]))


def _planted(batch: int = 3, seed: int = 0):
    """Random heatmaps (one flat, so one empty mask), inputs, uint8 sources and frames."""
    generator = torch.Generator().manual_seed(seed)
    heatmaps = torch.rand(batch, 7, 7, generator=generator)
    heatmaps[-1] = 0.0
    images = torch.rand(batch, 1, 112, 112, generator=generator)
    sources = (torch.rand(batch, 1, 200, 240, generator=generator) * 255).to(torch.uint8)
    frames = torch.tensor([[0.0, 0.0, 1.0, 1.0, 0.0], [0.1, 0.2, 0.8, 0.9, 1.0], [0.05, 0.0, 0.95, 1.0, 0.0]])[:batch]
    return heatmaps, images, sources, frames


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"upsample": True},
        {"threshold": "otsu", "min_size": 4.0},
        {"crop_from": "input", "tau": 0.5},
        {"crop_from": "whole"},
        {"crop_size": 24, "sampling_ratio": 2},
    ],
)
def test_trace_is_the_forward_path_with_every_step_kept(settings):
    heatmaps, images, sources, frames = _planted()
    attention = AttentionCrop(**settings)
    result = attention.from_heatmaps(heatmaps, images, sources, frames)
    steps = attention.trace(heatmaps, images, sources, frames)
    assert torch.equal(steps.boxes, result.boxes) and torch.equal(steps.crops, result.crops)
    assert torch.equal(steps.heatmaps, heatmaps)
    assert torch.equal(attention.boxes(heatmaps, 112), result.boxes)
    if attention.crop_from == "whole":
        assert steps.mask.all() and steps.region.all()
        return
    side = 112 if attention.upsample else 7
    assert steps.thresholded.shape == steps.mask.shape == steps.region.shape == (3, side, side)
    assert torch.equal(steps.mask, threshold_mask(steps.thresholded, attention.tau, attention.threshold))
    assert torch.equal(steps.region, largest_component(steps.mask))
    expected = attention_boxes(steps.thresholded, attention.tau, 112, threshold=attention.threshold, min_size=attention.min_size)
    assert torch.equal(steps.boxes, expected)
    assert not steps.mask[-1].any()  # the flat map: nothing above tau, the whole input
    torch.testing.assert_close(steps.boxes[-1], torch.tensor([0.0, 0.0, 112.0, 112.0]))


def test_trace_source_boxes_are_where_the_crop_is_cut():
    heatmaps, images, sources, frames = _planted()
    steps = AttentionCrop(crop_size=32).trace(heatmaps, images, sources, frames)
    # Image 0 shows its whole 240 x 200 source: input pixels scale by (240 / 112, 200 / 112).
    scale = torch.tensor([240 / 112, 200 / 112, 240 / 112, 200 / 112])
    torch.testing.assert_close(steps.source_boxes[0], steps.boxes[0] * scale)
    # Cutting the source boxes straight from the sources gives the crops (mirrored when the
    # input was), so the box drawn on the source is the one the local branch sees.
    direct = crop(sources, steps.source_boxes, 32)
    torch.testing.assert_close(steps.crops[0], direct[0])
    torch.testing.assert_close(steps.crops[1], direct[1].flip(-1))
    on_input = AttentionCrop(crop_from="input").trace(heatmaps, images)
    assert torch.equal(on_input.source_boxes, on_input.boxes)
    with pytest.raises(ValueError, match="needs the sources"):
        AttentionCrop().trace(heatmaps, images)


def test_replace_keeps_every_other_setting_and_checks_the_new_ones():
    attention = AttentionCrop(tau=0.6, reduce="l2", upsample=True, crop_size=48, min_size=5.0, sampling_ratio=2)
    changed = attention.replace(tau=0.3, crop_from="input")
    assert changed.settings() == {**attention.settings(), "tau": 0.3, "crop_from": "input"}
    assert attention.tau == 0.6  # the original is left alone
    with pytest.raises(ValueError, match="tau must lie"):
        attention.replace(tau=1.5)
    with pytest.raises(TypeError, match="unknown setting"):
        attention.replace(size=3)


def test_from_config_builds_the_crop_the_configuration_describes():
    from agcnn_lab.profiles import get_profile

    config = get_profile("ci").with_changes(**{
        "model.attention.tau": 0.4, "model.attention.reduce": "l2", "model.attention.upsample": True,
        "model.attention.crop_size": 48, "model.attention.crop_from": "input", "model.attention.box_area": 0.5,
    }).model.attention
    built = AttentionCrop.from_config(config)
    assert built.settings() == {**AttentionCrop().settings(), "tau": 0.4, "reduce": "l2", "upsample": True,
                                "crop_size": 48, "crop_from": "input", "box_area": 0.5}
    assert AttentionCrop.from_config(config, tau=0.8, upsample=False).settings() == {
        **built.settings(), "tau": 0.8, "upsample": False}
    with pytest.raises(TypeError, match="unknown setting"):
        AttentionCrop.from_config(config, size=3)


@pytest.mark.parametrize("upsample", [False, True])
def test_box_area_cuts_a_box_of_that_area_centred_on_the_region(upsample):
    heatmaps, images, sources, frames = _planted()
    attention = AttentionCrop(tau=0.6, upsample=upsample, box_area=0.36, crop_size=32)
    steps = attention.trace(heatmaps, images, sources, frames)
    expected = centred_boxes(steps.region, steps.thresholded, 0.36, 112)
    assert torch.equal(steps.boxes, expected)
    assert torch.equal(attention.from_heatmaps(heatmaps, images, sources, frames).crops, steps.crops)
    sides = steps.boxes[:, 2:] - steps.boxes[:, :2]
    torch.testing.assert_close(sides, torch.full_like(sides, 0.6 * 112))  # the same zoom for every film
    assert attention.replace(tau=0.5).box_area == 0.36 and "box_area=0.36" in repr(attention)
