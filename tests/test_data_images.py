import warnings

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


def _png_declaring(path, width, height):
    """A PNG of a few bytes whose header declares width x height: no pixels behind it."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    idat = zlib.compress(b"\0" * 16)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


def test_a_header_declaring_a_huge_frame_is_refused_before_decoding(tmp_path):
    path = _png_declaring(tmp_path / "bomb.png", 100_000, 100_000)  # beyond PIL's own limit too
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a PIL warning would fail the test
        with pytest.raises(ImageReadError, match=r"bomb.png: refused as a decompression bomb"):
            read_image(path)


def test_our_limit_holds_even_where_pil_warns_or_is_lifted(tmp_path, monkeypatch):
    from PIL import Image as PILImage

    from agcnn_lab.data import images

    path = _png_declaring(tmp_path / "wide.png", 9000, 9000)  # above ours, below PIL's error
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", None)  # some notebook lifted PIL's limit
    with pytest.raises(ImageReadError, match=r"wide.png: .*declares 9000 x 9000 pixels"):
        read_image(path)
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 40 * 40)  # PIL warns between 1x and 2x
    monkeypatch.setattr(images, "MAX_PIXELS", 10**9)
    small = tmp_path / "small.png"
    PILImage.fromarray(np.zeros((50, 50), dtype=np.uint8)).save(small)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageReadError, match=r"small.png: refused as a decompression bomb"):
            read_image(small)
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 10**9)
    assert read_image(small).shape == (50, 50)  # the warning filter did not outlive the call
