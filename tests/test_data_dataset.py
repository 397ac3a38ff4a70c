import numpy as np
import pandas as pd
import torch

from agcnn_lab.data import CLASSES, NO_FINDING
from agcnn_lab.data.dataset import ChestXrayDataset, Sample, SampleWithSource
from agcnn_lab.data.geometry import InputGeometry
from agcnn_lab.data.sources import ArraySource, FolderSource


def _entries(names, diseased):
    frame = pd.DataFrame({"image": names})
    for c in CLASSES:
        frame[c] = 0
    frame.loc[diseased, "Nodule"] = 1
    frame[NO_FINDING] = (frame[list(CLASSES)].sum(axis=1) == 0).astype(int)
    return frame


def _array_source(n=6, size=64):
    images = np.stack([np.full((size, size), 20 * i, dtype=np.uint8) for i in range(n)])
    names = [f"{i}.png" for i in range(n)]
    return ArraySource(images, names), names


def test_eval_sample_shapes_labels_and_frame():
    source, names = _array_source()
    dataset = ChestXrayDataset(_entries(names, [2]), source, InputGeometry(resize=36, crop=32))
    sample = dataset[2]
    assert isinstance(sample, Sample)
    assert sample.image.shape == (1, 32, 32) and sample.image.dtype == torch.float32
    assert torch.allclose(sample.image, torch.full((1, 32, 32), 40 / 255))
    assert sample.labels.shape == (14,) and sample.labels[CLASSES.index("Nodule")] == 1
    assert sample.index == 2
    assert torch.allclose(sample.frame, torch.tensor([4 / 64, 4 / 64, 60 / 64, 60 / 64, 0.0]))  # 64 * 2/36 rounds to 4


def test_no_finding_output_and_source_come_along():
    source, names = _array_source()
    dataset = ChestXrayDataset(_entries(names, [1]), source, InputGeometry(36, 32), train=True, with_no_finding=True, with_source=True)
    sample = dataset[0]
    assert isinstance(sample, SampleWithSource)
    assert sample.labels.shape == (15,) and sample.labels[-1] == 1
    assert sample.source.shape == (1, 64, 64) and sample.source.dtype == torch.uint8


def test_loader_with_workers_collates_named_fields():
    source, names = _array_source()
    dataset = ChestXrayDataset(_entries(names, [0, 3]), source, InputGeometry(36, 32), train=True, with_source=True)
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=6, num_workers=2)))
    assert batch.image.shape == (6, 1, 32, 32) and batch.source.shape == (6, 1, 64, 64)
    assert batch.index.tolist() == list(range(6))
    assert batch.labels[:, CLASSES.index("Nodule")].tolist() == [1, 0, 0, 1, 0, 0]


def test_real_pngs_with_a_source_size(nih_sample, real_entries):
    names = sorted(p.name for p in (nih_sample / "images").glob("*.png"))[:2]
    entries = real_entries[real_entries["image"].isin(names)]
    dataset = ChestXrayDataset(entries, FolderSource(nih_sample), with_source=True, source_size=512)
    sample = dataset[0]
    assert sample.image.shape == (1, 224, 224) and sample.source.shape == (1, 512, 512)
    assert 0.1 < sample.image.mean() < 0.9


def test_missing_label_columns_are_named():
    source, names = _array_source()
    try:
        ChestXrayDataset(pd.DataFrame({"image": names}), source)
    except ValueError as err:
        assert "Atelectasis" in str(err)
    else:
        raise AssertionError("no error")
