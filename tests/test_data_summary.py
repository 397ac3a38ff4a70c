import pandas as pd
import pytest

from agcnn_lab.data.summary import (
    box_sizes,
    cooccurrence,
    images_per_patient,
    labels_per_image,
    prevalence,
)


def test_box_sizes_are_percentages_of_the_image():
    boxes = pd.DataFrame(
        {"image": ["a", "b", "c"], "label": ["Nodule", "Nodule", "Cardiomegaly"],
         "x0": [0.1, 0.5, 0.2], "y0": [0.1, 0.5, 0.3], "x1": [0.15, 0.6, 0.8], "y1": [0.2, 0.55, 0.7]}
    )
    table = box_sizes(boxes)
    assert list(table.index) == ["Nodule", "Cardiomegaly"]
    assert table.loc["Nodule", "boxes"] == 2
    assert table.loc["Nodule", "width %"] == pytest.approx(7.5)  # median of 5 and 10
    assert table.loc["Cardiomegaly", "area %"] == pytest.approx(24.0)


def test_summaries_of_the_real_table(real_entries):
    table = prevalence(real_entries)
    assert table.index[0] == "No Finding" and table.loc["Hernia", "images"] == 227
    co = cooccurrence(real_entries)
    assert (co.to_numpy() == co.to_numpy().T).all() and co.loc["Mass", "Mass"] == table.loc["Mass", "images"]
    assert cooccurrence(real_entries, normalise=True).loc["Mass", "Mass"] == 1.0
    assert images_per_patient(real_entries).sum() == len(real_entries)
    assert labels_per_image(real_entries).sum() == len(real_entries)
