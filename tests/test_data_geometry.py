import pytest
import torch

from agcnn_lab.data.geometry import (
    InputGeometry,
    input_boxes_to_source,
    render_input,
    snap_frame,
    source_boxes_to_input,
)


def test_eval_frame_is_resize_then_centre_crop():
    frame = InputGeometry(resize=256, crop=224).eval_frame()
    assert torch.allclose(frame, torch.tensor([16 / 256, 16 / 256, 240 / 256, 240 / 256, 0.0]))


def test_train_frames_follow_random_resized_crop_ranges():
    geometry = InputGeometry(resize=256, crop=224, scale=(0.25, 0.5), ratio=(1.0, 1.0))
    generator = torch.Generator().manual_seed(0)
    frames = torch.stack([geometry.train_frame(generator) for _ in range(200)])
    areas = (frames[:, 2] - frames[:, 0]) * (frames[:, 3] - frames[:, 1])
    assert areas.min() >= 0.25 - 1e-6 and areas.max() <= 0.5 + 1e-6
    assert frames[:, :4].min() >= 0 and frames[:, :4].max() <= 1
    assert 0.3 < frames[:, 4].mean() < 0.7  # about half are flipped
    no_flip = InputGeometry(flip=False).train_frame(generator)
    assert no_flip[4] == 0


def test_bad_geometry():
    with pytest.raises(ValueError, match="crop <= resize"):
        InputGeometry(resize=100, crop=128)
    with pytest.raises(ValueError, match="scale"):
        InputGeometry(scale=(0.5, 0.2))


def test_render_cuts_the_window_and_mirrors():
    source = torch.arange(64, dtype=torch.uint8).reshape(8, 8) * 3
    frame = torch.tensor([0.25, 0.5, 0.75, 1.0, 0.0])  # columns 2..5, rows 4..7
    image, snapped = render_input(source, frame, 4)
    assert torch.equal(snapped, frame)
    assert torch.allclose(image[0] * 255, source[4:8, 2:6].float())
    mirrored, _ = render_input(source, torch.tensor([0.25, 0.5, 0.75, 1.0, 1.0]), 4)
    assert torch.allclose(mirrored[0], image[0].flip(-1))


def test_snap_rounds_to_pixels_and_keeps_one_pixel():
    snapped, (top, left, h, w) = snap_frame(torch.tensor([0.5, 0.5, 0.5, 0.5, 0.0]), 10, 10)
    assert (top, left, h, w) == (5, 5, 1, 1)
    assert torch.allclose(snapped[:4], torch.tensor([0.5, 0.5, 0.6, 0.6]))


@pytest.mark.parametrize("flip", [0.0, 1.0])
def test_box_mapping_round_trips_and_matches_pixels(flip):
    frames = torch.tensor([[0.25, 0.5, 0.75, 1.0, flip]])
    boxes = torch.tensor([[0.0, 0.0, 2.0, 4.0]])  # left half of a 4-px input
    source = input_boxes_to_source(boxes, frames, input_size=4)
    expected = [0.25, 0.5, 0.5, 1.0] if flip == 0 else [0.5, 0.5, 0.75, 1.0]
    assert torch.allclose(source, torch.tensor([expected]))
    assert torch.allclose(source_boxes_to_input(source, frames, input_size=4), boxes)
