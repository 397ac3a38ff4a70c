import pandas as pd
import pytest

from agcnn_lab.data import (
    half_of_patients,
    image_split,
    official_split,
    patient_overlap,
    patient_split,
)


@pytest.fixture(scope="module")
def official(real_entries, nih_sample):
    return official_split(
        real_entries, nih_sample / "train_val_list.txt.gz", nih_sample / "test_list.txt.gz", 0.1, seed=0
    )


def test_official_lists_sizes_and_no_patient_in_two_parts(official):
    assert len(official.train) + len(official.val) == 86_524
    assert len(official.test) == 25_596
    assert abs(len(official.val) / 86_524 - 0.1) < 0.01
    for a, b in [(official.train, official.test), (official.train, official.val), (official.val, official.test)]:
        assert patient_overlap(a, b) == 0


def test_image_split_leaks_thousands_of_patients_patient_split_none(real_entries):
    leaky = image_split(real_entries, (0.7, 0.1, 0.2), seed=0)
    clean = patient_split(real_entries, (0.7, 0.1, 0.2), seed=0)
    assert patient_overlap(leaky.train, leaky.test) > 5_000
    assert patient_overlap(clean.train, clean.test) == 0
    assert patient_overlap(clean.train, clean.val) == 0
    for split in (leaky, clean):
        sizes = [len(part) for part in split]
        assert sum(sizes) == len(real_entries)
        assert abs(sizes[0] / len(real_entries) - 0.7) < 0.01


def test_splits_are_deterministic_and_seed_dependent(real_entries):
    a = patient_split(real_entries, seed=3)
    b = patient_split(real_entries, seed=3)
    c = patient_split(real_entries, seed=4)
    pd.testing.assert_frame_equal(a.test, b.test)
    assert not a.test["image"].equals(c.test["image"])
    x, y = image_split(real_entries, seed=1), image_split(real_entries, seed=1)
    pd.testing.assert_frame_equal(x.val, y.val)


def test_official_split_rejects_orphans_and_double_listing(real_entries):
    few = real_entries.iloc[:4]
    names = few["image"].tolist()
    with pytest.raises(ValueError, match="in neither list, e.g. 00000001_002.png"):
        official_split(few, names[:2], names[3:])
    with pytest.raises(ValueError, match="in both lists"):
        official_split(few, names, names[:1])
    with pytest.raises(ValueError, match="val_fraction"):
        official_split(few, names, [], val_fraction=1.5)


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.7, 0.2, 0.2), (1.2, -0.1, -0.1)])
def test_bad_fractions(real_entries, fractions):
    with pytest.raises(ValueError, match="fractions must be three non-negative numbers"):
        patient_split(real_entries.iloc[:10], fractions)


def test_official_lists_with_a_byte_order_mark_keep_their_first_image(real_entries, tmp_path):
    few = real_entries.iloc[:4]
    names = few["image"].tolist()
    (tmp_path / "train_val_list.txt").write_text("\ufeff" + "\n".join(names[:3]) + "\n", encoding="utf-8")
    (tmp_path / "test_list.txt").write_text("\ufeff" + names[3] + "\n", encoding="utf-8")
    split = official_split(few, tmp_path / "train_val_list.txt", tmp_path / "test_list.txt", 0.0)
    assert split.train["image"].tolist() == names[:3] and split.test["image"].tolist() == names[3:]


def test_half_of_patients_never_splits_a_patient():
    images = pd.Index([f"{p:08d}_{f:03d}.png" for p in range(50) for f in range(3)])
    first = half_of_patients(images)
    by_patient = pd.Series(first, index=[name.split("_")[0] for name in images]).groupby(level=0).nunique()
    assert (by_patient == 1).all()
    assert 0.3 < first.mean() < 0.7
    assert (half_of_patients(images) == first).all() and not (half_of_patients(images, seed=1) == first).all()
