import numpy as np
import pytest
import torch
from PIL import Image

from agcnn_lab.data.chestmnist import chestmnist_entries, read_chestmnist, read_chestmnist_arrays
from agcnn_lab.data.classes import CLASSES, NO_FINDING
from agcnn_lab.data.dataset import ChestXrayDataset
from agcnn_lab.data.geometry import InputGeometry

GEOMETRY = InputGeometry(resize=8, crop=8, flip=False)


def arrays(n=5, size=8, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, size, size), dtype=np.uint8)
    labels = rng.integers(0, 2, (n, 14), dtype=np.uint8)
    labels[0] = 0  # a No Finding row
    return images, labels


def write_npz(path, **overrides):
    data = {}
    for i, split in enumerate(["train", "val", "test"]):
        data[f"{split}_images"], data[f"{split}_labels"] = arrays(n=5 + i, seed=i)
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    np.savez_compressed(path, **data)
    return path


@pytest.fixture
def npz(tmp_path):
    return write_npz(tmp_path / "chestmnist.npz")


@pytest.mark.parametrize("split, n, seed", [("train", 5, 0), ("val", 6, 1), ("test", 7, 2)])
def test_each_split_reads_as_a_chest_xray_dataset(npz, split, n, seed):
    images, labels = arrays(n, seed=seed)
    dataset = read_chestmnist(npz, split, geometry=GEOMETRY)
    assert isinstance(dataset, ChestXrayDataset) and len(dataset) == n
    assert dataset.train == (split == "train")
    sample = dataset[3]
    assert sample.image.shape == (1, 8, 8) and sample.index == 3
    torch.testing.assert_close(dataset.read_source(3)[0], torch.from_numpy(images[3]))
    if not dataset.train:  # the eval frame is the whole 8 x 8 image; training crops at random
        torch.testing.assert_close(sample.image[0], torch.from_numpy(images[3]).float() / 255)
    torch.testing.assert_close(sample.labels, torch.from_numpy(labels[3]).float())
    assert dataset.names[3] == f"chestmnist_{split}_000003.png"


def test_the_entries_mark_no_finding_and_an_unknown_patient():
    _, labels = arrays()
    entries = chestmnist_entries(labels, "val")
    assert list(entries.columns) == ["image", "patient_id", *CLASSES, NO_FINDING]
    assert entries["image"].iloc[0] == "chestmnist_val_000000.png"
    assert (entries["patient_id"] == -1).all()
    np.testing.assert_array_equal(entries[list(CLASSES)].to_numpy(), labels)
    np.testing.assert_array_equal(entries[NO_FINDING], labels.sum(axis=1) == 0)
    assert entries[NO_FINDING].iloc[0] == 1


def test_train_and_no_finding_can_be_chosen(npz):
    dataset = read_chestmnist(npz, "train", geometry=GEOMETRY, train=False, with_no_finding=True)
    assert not dataset.train
    assert dataset[0].labels.tolist() == [0.0] * 14 + [1.0]


def test_a_trailing_channel_axis_is_dropped(tmp_path):
    images, labels = arrays()
    path = write_npz(tmp_path / "c.npz", train_images=images[..., None])
    got, _ = read_chestmnist_arrays(path, "train")
    np.testing.assert_array_equal(got, images)


@pytest.mark.parametrize("channels, mode", [(3, "RGB"), (4, "RGBA")])
def test_colour_images_become_gray_as_pil_makes_them(tmp_path, channels, mode):
    rgb = np.random.default_rng(3).integers(0, 256, (5, 8, 8, channels), dtype=np.uint8)
    path = write_npz(tmp_path / "c.npz", train_images=rgb)
    got, _ = read_chestmnist_arrays(path, "train")
    expected = np.stack([np.asarray(Image.fromarray(im, mode).convert("RGB").convert("L")) for im in rgb])
    np.testing.assert_array_equal(got, expected)


def test_float_or_bool_labels_of_0_and_1_are_accepted(tmp_path):
    _, labels = arrays()
    path = write_npz(tmp_path / "c.npz", train_labels=labels.astype(np.float64))
    assert read_chestmnist_arrays(path, "train")[1].dtype == np.uint8
    path = write_npz(tmp_path / "d.npz", train_labels=labels.astype(bool))
    np.testing.assert_array_equal(read_chestmnist_arrays(path, "train")[1], labels)


def bad_labels():
    labels = arrays()[1].astype(np.int64)
    labels[2, 5] = 2
    return labels


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"train_images": None}, "no array 'train_images'"),
        ({"train_labels": None}, "no array 'train_labels'"),
        ({"train_images": arrays()[0].astype(np.float32)}, "expected uint8 pixels, got float32"),
        ({"train_images": np.zeros((5, 8, 6), np.uint8)}, r"expected square images .* got shape \(5, 8, 6\)"),
        ({"train_images": np.zeros((5, 8, 8, 2), np.uint8)}, "expected square images"),
        ({"train_images": np.zeros((0, 8, 8), np.uint8), "train_labels": np.zeros((0, 14))}, "holds no images"),
        ({"train_labels": np.zeros((5, 13), np.uint8)}, r"expected N x 14 labels .* got shape \(5, 13\)"),
        ({"train_labels": np.zeros(5, np.uint8)}, "expected N x 14 labels"),
        ({"train_labels": bad_labels()}, "must be 0 or 1; 1 are not, e.g. 2 at row 2, class Nodule"),
        ({"train_labels": np.zeros((4, 14), np.uint8)}, "5 train_images but 4 train_labels"),
        ({"train_labels": np.array([["a"] * 14] * 5)}, "expected numeric 0/1 labels"),
    ],
)
def test_bad_contents_are_clear_errors_naming_the_file(tmp_path, overrides, message):
    path = write_npz(tmp_path / "bad.npz", **overrides)
    with pytest.raises(ValueError, match=message) as caught:
        read_chestmnist(path, "train")
    assert str(path) in str(caught.value)


def test_an_unknown_split_is_refused(npz):
    with pytest.raises(ValueError, match=f"{npz}: unknown split 'validation'; expected one of train, val, test"):
        read_chestmnist(npz, "validation")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path / 'nope.npz'}: no such ChestMNIST file"):
        read_chestmnist(tmp_path / "nope.npz", "train")


def test_a_file_that_is_not_an_npz_is_named(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not an archive at all")
    with pytest.raises(ValueError, match=f"{garbage}: not a readable npz archive"):
        read_chestmnist(garbage, "train")
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match=f"{single}: a single .npy array"):
        read_chestmnist(single, "train")
