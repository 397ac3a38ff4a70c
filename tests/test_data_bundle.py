import pytest

from agcnn_lab.data.bundle import train_subset


def test_train_subset_keeps_a_share_of_the_training_films_only(ci_data):
    half = train_subset(ci_data, 0.5)
    train = ci_data.entries("train")
    assert len(half.entries("train")) == round(len(train) * 0.5)
    assert set(half.entries("train")["image"]) <= set(train["image"])
    assert half.entries("test") is ci_data.entries("test") and half.boxes is ci_data.boxes
    assert list(train_subset(ci_data, 0.5).entries("train")["image"]) == list(half.entries("train")["image"])
    assert train_subset(ci_data, 1.0) is ci_data
    for fraction in (0, 1.5):
        with pytest.raises(ValueError, match="fraction"):
            train_subset(ci_data, fraction)
