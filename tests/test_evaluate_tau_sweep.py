import numpy as np
import pandas as pd
import pytest
import torch

from agcnn_lab.attention import AttentionCrop
from agcnn_lab.evaluate.localisation import single_lesion
from agcnn_lab.evaluate.tau_sweep import HeatmapSet, choose_tau, tau_sweep

IDENTITY = [0.0, 0.0, 1.0, 1.0, 0.0]  # the input is the whole source, not flipped


def two_films() -> tuple[HeatmapSet, pd.DataFrame, pd.DataFrame]:
    """Film a: one lesion top-left, the heatmap's peak on it. Film b: lesions top-left and
    bottom-right, the peak on the first; a gentle slope elsewhere, so that a low tau keeps
    the whole film."""
    ramp = torch.linspace(0.0, 0.4, 16).view(4, 4)
    maps = torch.stack([ramp.clone(), ramp.clone()])
    maps[:, 0, 0] = 1.0
    heatmaps = HeatmapSet(np.array([0, 1]), maps, torch.tensor([IDENTITY, IDENTITY]), input_size=4)
    entries = pd.DataFrame({"image": ["a", "b"]})
    top_left, bottom_right = [0.05, 0.05, 0.2, 0.2], [0.8, 0.8, 0.95, 0.95]
    truth = pd.DataFrame(
        [["a", "Nodule", *top_left], ["b", "Nodule", *top_left], ["b", "Mass", *bottom_right]],
        columns=["image", "label", "x0", "y0", "x1", "y1"],
    )
    return heatmaps, truth, entries


def test_single_lesion_marks_the_films_with_one_lesion():
    assert single_lesion(pd.Series(["a", "b", "b", "c"])).tolist() == [True, False, False, True]


def test_the_sweep_counts_every_lesion_and_the_single_ones_apart():
    heatmaps, truth, entries = two_films()
    sweep = tau_sweep(heatmaps, truth, entries, taus=(0.01, 0.9)).set_index("tau")
    # tau 0.01: the whole film, every lesion inside. tau 0.9: the top-left cell only.
    assert sweep.loc[0.01, ["hit", "hit_single"]].tolist() == [1.0, 1.0]
    assert sweep.loc[0.9, "hit"] == pytest.approx(2 / 3)  # b's second lesion is outside
    assert sweep.loc[0.9, "hit_single"] == 1.0  # a's only lesion is inside
    assert sweep.loc[0.9, "area"] == pytest.approx(1 / 16)
    assert sweep["lesions"].tolist() == [3, 3] and sweep["single"].tolist() == [1, 1]
    # The rule: on every lesion only the whole film holds 85% of them; on single films the cell does.
    assert choose_tau(sweep.reset_index(), 0.85) == 0.01
    assert choose_tau(sweep.reset_index(), 0.85, on="hit_single") == 0.9


def test_choose_tau_names_a_missing_column_and_falls_back_to_the_lowest_tau():
    sweep = pd.DataFrame({"tau": [0.3, 0.5], "hit": [0.6, 0.5]})
    assert choose_tau(sweep, 0.85) == 0.3
    with pytest.raises(ValueError, match="no column 'hit_single'"):
        choose_tau(sweep, 0.85, on="hit_single")


def test_with_box_area_every_tau_gives_boxes_of_that_area_centred_on_the_region():
    heatmaps, truth, entries = two_films()
    sweep = tau_sweep(heatmaps, truth, entries, taus=(0.01, 0.9), crop=AttentionCrop(box_area=0.25)).set_index("tau")
    assert sweep["area"].tolist() == pytest.approx([0.25, 0.25])
    # tau 0.9: the region is the top-left cell; the half-side box in the corner holds both
    # top-left lesions and not b's bottom-right one. tau 0.01: the region is the whole film,
    # whose weighted centre lies near the middle (the slope outweighs the peak): a quarter of
    # the film there holds neither corner.
    assert sweep.loc[0.9, ["hit", "hit_single"]].tolist() == pytest.approx([2 / 3, 1.0])
    assert sweep.loc[0.01, ["hit", "hit_single"]].tolist() == [0.0, 0.0]


def test_the_sweep_cuts_the_boxes_of_the_crop_it_is_given():
    """Every setting of the crop but its tau reaches the boxes (a sweep that dropped one would
    score boxes the model never cuts): here the smallest box side, half the input."""
    heatmaps, truth, entries = two_films()
    crop = AttentionCrop(min_size=2)
    sweep = tau_sweep(heatmaps, truth, entries, taus=(0.9,), crop=crop).set_index("tau")
    assert sweep.loc[0.9, "area"] == pytest.approx(1 / 4)  # the top-left cell grown to 2 x 2
    expected = crop.replace(tau=0.9).boxes(heatmaps.heatmaps, 4) / 4
    assert sweep.loc[0.9, "area"] == pytest.approx(float(((expected[:, 2] - expected[:, 0]) * (expected[:, 3] - expected[:, 1])).mean()))
    assert crop.tau == 0.7  # the crop given is not changed
    with pytest.raises(ValueError, match="thresholds by 'otsu', which no tau moves"):
        tau_sweep(heatmaps, truth, entries, crop=AttentionCrop(threshold="otsu"))
