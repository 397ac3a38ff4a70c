import numpy as np
import pytest
import torch

from agcnn_lab.attention import heatmap
from agcnn_lab.attention.gradcam import grad_cam
from agcnn_lab.evaluate.attention_maps import (
    METHODS,
    lesion_samples,
    localisation_by_method,
    method_heatmaps,
)

CPU = torch.device("cpu")


def test_method_heatmaps_are_the_library_maps(ci_run, ci_data, ci_profile):
    dataset = ci_data.dataset("val", ci_profile.data)
    images = torch.stack([dataset[i].image for i in range(3)])
    maps = method_heatmaps(ci_run.model, images, targets=[0, 4, 5])
    assert list(maps) == list(METHODS)
    with torch.no_grad():
        features = ci_run.model.global_branch(images).features
    for method in ("max", "l1", "l2", "sum"):
        torch.testing.assert_close(maps[method], heatmap(features, method))
    torch.testing.assert_close(maps["grad-cam"], grad_cam(ci_run.model, images, [0, 4, 5]))
    for m in maps.values():
        assert m.shape == features.shape[:1] + features.shape[2:] and float(m.min()) >= 0 and float(m.max()) <= 1
    with pytest.raises(ValueError, match="needs targets"):
        method_heatmaps(ci_run.model, images)
    with pytest.raises(ValueError, match="unknown method"):
        method_heatmaps(ci_run.model, images, methods=("mean",))


def test_the_papers_map_scores_as_the_evaluation_does(ci_run, ci_data, ci_profile):
    """"max" at the run's tau gives the boxes the model crops: its scores on the test lesions are
    those of localisation.csv."""
    table = localisation_by_method(ci_run.model, ci_data, ci_profile, "test", CPU, tau=ci_run.tau, batch_size=7)
    assert list(table.index) == list(METHODS)
    reference = ci_run.localisation.loc["all"]
    assert table.loc["max", "lesions"] == reference["lesions"]
    for column in ("hit", "iobb", "iou"):
        assert table.loc["max", column] == pytest.approx(reference[column], abs=1e-6)
    assert ((table["area"] > 0) & (table["area"] <= 1 + 1e-6)).all()
    assert table[["hit", "iobb", "iou"]].apply(lambda c: c.between(0, 1)).all().all()


def test_lesion_samples(ci_data, ci_profile):
    dataset, lesions = lesion_samples(ci_data, ci_profile, "val")
    assert len(lesions) == ci_data.boxes["image"].isin(set(dataset.names)).sum()
    for row in lesions.itertuples():
        assert dataset.names[row.position] == row.image
    assert np.all((lesions["target"] >= 0) & (lesions["target"] < 14))


def test_method_examples_feed_the_figure(ci_run, ci_data, ci_profile):
    from agcnn_lab.evaluate.attention_maps import method_examples
    from agcnn_lab.figures.heatmaps import plot_heatmap_methods

    examples = method_examples(ci_run.model, ci_data, ci_profile, "val", CPU, count=3, tau=0.7)
    n, size = len(examples["images"]), ci_profile.data.geometry.crop
    assert n == 3 and examples["images"].shape == (3, size, size)
    assert set(examples["maps"]) == set(examples["boxes"]) == set(METHODS)
    for m in METHODS:
        assert examples["boxes"][m].shape == (3, 4) and examples["maps"][m].shape[0] == 3
    labels = [label.split("\n")[1] for label in examples["row_labels"]]
    assert len(set(labels)) == min(3, ci_data.boxes["label"].nunique())
    for truth, label in zip(examples["truth"], labels, strict=True):
        assert label in [t[0] for t in truth]
        for _, box in truth:
            assert box[0] < box[2] and box[1] < box[3]
    fig = plot_heatmap_methods(examples["images"], examples["maps"], examples["truth"], examples["boxes"], examples["row_labels"])
    assert len([ax for ax in fig.axes if ax.get_label() != "<colorbar>"]) == 3 * (len(METHODS) + 1)


def test_each_method_sits_beside_the_fixed_box_of_its_area(ci_run, ci_data, ci_profile):
    from agcnn_lab.evaluate.attention_maps import beside_fixed_box
    from agcnn_lab.evaluate.fixed_box import best_fixed_box, fixed_box_scores

    scores = localisation_by_method(ci_run.model, ci_data, ci_profile, "val", CPU, tau=ci_run.tau, methods=("max", "l1"))
    table = beside_fixed_box(scores, ci_data, ci_profile, "val")
    assert list(table.index) == ["max", "l1"] and table["fixed box hit"].between(0, 1).all()
    np.testing.assert_allclose(table["hit - fixed"], table["hit"] - table["fixed box hit"])
    # The column is what the fixed-box module gives for that area, placed on the training lesions.
    geometry = ci_profile.data.geometry
    train = ci_data.boxes[ci_data.boxes["image"].isin(set(ci_data.entries("train")["image"]))]
    val = ci_data.boxes[ci_data.boxes["image"].isin(set(ci_data.entries("val")["image"]))]
    area = min(table.loc["max", "area"] * (geometry.crop / geometry.resize) ** 2, 1.0)
    want = fixed_box_scores(best_fixed_box(train, area, single_only=False), val.reset_index(drop=True))["hit"]
    assert table.loc["max", "fixed box hit"] == pytest.approx(want)
