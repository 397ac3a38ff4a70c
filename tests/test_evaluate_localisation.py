import numpy as np
import pandas as pd
import pytest

from agcnn_lab.evaluate import box_scores, localisation_table, normalise_boxes


def test_box_scores_by_hand():
    attention = np.array([[0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 1.0, 1.0], [0.6, 0.6, 0.9, 0.9]])
    truth = np.array([[0.25, 0.25, 0.75, 0.75], [0.1, 0.1, 0.2, 0.2], [0.0, 0.0, 0.1, 0.1]])
    scores = box_scores(attention, truth)
    assert scores["iou"] == pytest.approx([0.0625 / 0.4375, 0.01, 0.0])
    assert scores["iobb"] == pytest.approx([0.25, 1.0, 0.0])
    assert scores["hit"].tolist() == [True, True, False]  # (0.5, 0.5) lies on the first box's edge


def test_table_per_class_and_missing_attention():
    sizes = pd.DataFrame({"image": ["a", "b"], "width": [100, 200], "height": [100, 200]})
    boxes = pd.DataFrame({"image": ["a", "b", "b"], "label": ["Nodule", "Mass", "Nodule"], "x": [10, 0, 150], "y": [10, 0, 150], "w": [10, 100, 20], "h": [10, 100, 20]})
    truth = normalise_boxes(boxes, sizes)
    assert truth.iloc[2][["x0", "y0", "x1", "y1"]].tolist() == pytest.approx([0.75, 0.75, 0.85, 0.85])
    attention = pd.DataFrame({"image": ["a", "b"], "x0": [0.0, 0.0], "y0": [0.0, 0.0], "x1": [0.5, 0.6], "y1": [0.5, 0.6]})
    table = localisation_table(attention, truth)
    assert table.loc["Nodule", "lesions"] == 2 and table.loc["Nodule", "hit"] == 0.5
    assert table.loc["Mass", "iobb"] == pytest.approx(1.0)
    assert table.loc["all", "hit"] == pytest.approx(2 / 3)
    # a holds one lesion (hit), b two: only a's counts for the single-lesion pointing game.
    assert table.loc["all", ["single", "hit_single"]].tolist() == [1, 1.0]
    assert table.loc["Nodule", "single"] == 1 and np.isnan(table.loc["Mass", "hit_single"])
    with pytest.raises(ValueError, match="no attention box for 2 lesion image"):
        localisation_table(attention.iloc[:1], truth)
    with pytest.raises(ValueError, match="no image size"):
        normalise_boxes(boxes, sizes.iloc[:1])
