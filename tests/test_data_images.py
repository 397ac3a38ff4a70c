import numpy as np
import pytest
from PIL import Image

from agcnn_lab.data import ImageReadError, read_image

GRADIENT = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (7, 1))  # (7, 25), not square on purpose


def test_every_real_sample_image_is_uint8_1024(nih_sample):
    paths = sorted((nih_sample / "images").glob("*.png"))
    assert len(paths) == 23
    for path in paths:
        pixels = read_image(path)
        assert pixels.dtype == np.uint8 and pixels.shape == (1024, 1024), path
        assert pixels.std() > 10  # a radiograph, not a blank


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P"])
def test_eight_bit_flavours_read_as_the_same_gray(tmp_path, mode):
    path = tmp_path / f"{mode}.png"
    Image.fromarray(GRADIENT).convert(mode).save(path)
    assert np.array_equal(read_image(path), GRADIENT)


def test_sixteen_bit_is_rescaled_not_clipped(tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(GRADIENT.astype(np.uint16) * 257).save(path)  # 8 -> 16 bit, as copies do
    assert Image.open(path).mode.startswith("I")
    assert np.array_equal(read_image(path), GRADIENT)
    top = tmp_path / "top.png"
    Image.fromarray(np.array([[0, 32768, 65535]], dtype=np.uint16)).save(top)
    assert read_image(top).tolist() == [[0, 128, 255]]


def test_missing_empty_truncated_and_non_image_files_name_the_file(tmp_path):
    with pytest.raises(ImageReadError, match="gone.png: no such image file"):
        read_image(tmp_path / "gone.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty.png: the file is empty"):
        read_image(tmp_path / "empty.png")
    full = tmp_path / "full.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(full)
    (tmp_path / "cut.png").write_bytes(full.read_bytes()[:300])
    with pytest.raises(ImageReadError, match="cut.png: cannot decode"):
        read_image(tmp_path / "cut.png")
    (tmp_path / "text.png").write_text("not a png at all")
    with pytest.raises(ImageReadError, match="text.png: not an image file"):
        read_image(tmp_path / "text.png")


def test_image_read_error_is_a_value_error():
    assert issubclass(ImageReadError, ValueError)
