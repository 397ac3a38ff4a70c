"""benchmarks/centred_box.py: the pointing game of the paper's box, the centred box and the fixed
box against the box's share of the film."""

import numpy as np
import pandas as pd
import pytest
import torch
from repo_scripts import load_script

from agcnn_lab.attention import AttentionCrop
from agcnn_lab.evaluate.tau_sweep import HeatmapSet

centred_box = load_script("benchmarks/centred_box.py")

IDENTITY = [0.0, 0.0, 1.0, 1.0, 0.0]


def shifted_films():
    """Four films, each with one lesion; the patient (the heatmap's warm region) sits in a
    different corner of each film, the lesion and the heatmap's peak inside it, so that a box
    that follows the heatmap finds every lesion and a fixed box of a quarter of the film half."""
    maps, truth = [], []
    corners = [(0, 0), (0, 4), (4, 0), (4, 4)]  # the warm 4x4 block's top-left cell on an 8x8 grid
    for i, (row, col) in enumerate(corners):
        heat = torch.zeros(8, 8)
        heat[row : row + 4, col : col + 4] = 0.5
        heat[row + 1, col + 2] = 1.0  # the lesion's cell
        maps.append(heat)
        x, y = (col + 2.5) / 8, (row + 1.5) / 8
        truth.append([f"f{i}", "Nodule", x - 0.02, y - 0.02, x + 0.02, y + 0.02])
    heatmaps = HeatmapSet(np.arange(4), torch.stack(maps), torch.tensor([IDENTITY] * 4), input_size=8)
    truth = pd.DataFrame(truth, columns=["image", "label", "x0", "y0", "x1", "y1"])
    return heatmaps, truth, pd.DataFrame({"image": truth["image"]})


def test_the_centred_box_follows_the_patient_where_the_fixed_box_cannot():
    maps, truth, entries = shifted_films()
    curves = centred_box.box_curves(maps, truth, entries, truth, window=1.0, tau=0.4, crop=AttentionCrop(),
                                    areas=(0.25,), taus=(0.4, 0.9))
    table = curves.set_index(["kind", "setting"])
    assert table.loc[("centred on the region at tau 0.4", "area 0.25"), "hit_single"] == 1.0
    assert table.loc[("centred on the whole heatmap (tau 0.1)", "area 0.25"), "hit_single"] == 1.0
    # The best fixed quarter (a wide one) holds two lesions side by side, never more.
    assert table.loc[("fixed box", "area 0.25"), "hit_single"] == pytest.approx(0.5)
    # The paper's box: the warm block at tau 0.4 (a quarter of the film), its hottest cell at 0.9.
    assert table.loc[("paper's box", "tau 0.4"), ["film", "hit_single"]].tolist() == pytest.approx([0.25, 1.0])
    assert table.loc[("paper's box", "tau 0.9"), "film"] == pytest.approx(1 / 64)
    # `film` is the box's share of the source film: the window's share times the window's area.
    half = centred_box.box_curves(maps, truth, entries, truth, window=0.5, tau=0.4, crop=AttentionCrop(),
                                  areas=(0.25,), taus=(0.4,))
    assert half.set_index("kind").loc["fixed box", "film"] == pytest.approx(0.125)


def test_mean_curves_average_the_runs_row_by_row_and_the_figure_shades_the_goal():
    one = pd.DataFrame({"kind": ["paper's box", "fixed box"], "setting": ["tau 0.6", "area 0.45"],
                        "film": [0.5, 0.35], "hit_single": [0.9, 0.8]})
    two = one.assign(film=[0.6, 0.35], hit_single=[1.0, 0.8])
    mean = centred_box.mean_curves([one, two])
    assert mean["film"].tolist() == pytest.approx([0.55, 0.35])
    assert mean["hit_single"].tolist() == pytest.approx([0.95, 0.8])
    figure = centred_box.plot_box_curves(mean, "validation")
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert labels == ["the goal's corner", "paper's box", "fixed box"]


def test_a_folder_that_is_not_a_finished_run_is_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr("sys.argv", ["centred_box.py", "--run", str(tmp_path / "absent")])
    with pytest.raises(SystemExit, match="absent: not a finished run folder"):
        centred_box.main()
