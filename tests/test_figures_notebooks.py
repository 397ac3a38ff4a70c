"""The figures the notebooks draw beyond the report's: heatmap methods, ablations."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from agcnn_lab.figures.ablations import plot_ablations  # noqa: E402
from agcnn_lab.figures.heatmaps import TITLES, plot_heatmap_methods  # noqa: E402


def test_heatmap_methods_grid():
    rng = np.random.default_rng(0)
    images = rng.random((2, 64, 64))
    maps = {m: rng.random((2, 4, 4)) for m in ("max", "grad-cam")}
    truth = [[("Nodule", (10, 10, 20, 20))], []]
    boxes = {"max": np.array([[0, 0, 32, 32], [16, 16, 48, 48]])}
    fig = plot_heatmap_methods(images, maps, truth=truth, boxes=boxes, row_labels=["a", "b"])
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(fig.axes) - len(panels) == 1  # one colour bar for every heatmap: they share the scale
    axes = np.array(panels).reshape(2, 3)
    assert [ax.get_title() for ax in axes[0]] == ["input + lesion box", TITLES["max"], TITLES["grad-cam"]]
    assert len(axes[0, 0].patches) == 1 and len(axes[0, 1].patches) == 2 and len(axes[1, 2].patches) == 0
    assert axes[1, 0].get_ylabel() == "b"
    plt.close(fig)


def test_ablation_bars_and_paper_ticks():
    table = pd.DataFrame(
        {"tau": [0.7, 0.9], "crop from": ["source", "input"], "global": [0.7, 0.7], "local": [0.72, 0.6], "fusion": [0.75, 0.71],
         "paper global": [0.841, np.nan], "paper local": [0.817, np.nan], "paper fusion": [0.868, np.nan]},
        index=pd.Index(["paper: G -> L -> F", "crop from the input"], name="variant"),
    )
    fig = plot_ablations(table)
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[1].startswith("crop from the input\n(tau 0.9, crop from input)")
    assert "0.750" in [t.get_text() for t in ax.texts]
    plt.close(fig)


def test_tau_sweep_draws_the_single_lesion_pointing_game_when_the_sweep_has_it():
    from agcnn_lab.figures.tau import plot_tau_sweep

    sweep = pd.DataFrame({"tau": [0.3, 0.5], "area": [0.6, 0.3], "hit": [0.9, 0.7], "iobb": [0.8, 0.6]})
    labels = lambda fig: [line.get_label() for line in fig.axes[0].get_lines()]  # noqa: E731
    without = plot_tau_sweep(sweep, chosen=0.3)
    with_single = plot_tau_sweep(sweep.assign(hit_single=[1.0, 0.8]), chosen=0.3)
    assert "... on single-lesion films" not in labels(without)
    assert "... on single-lesion films" in labels(with_single)
    single = next(line for line in with_single.axes[0].get_lines() if line.get_label() == "... on single-lesion films")
    assert list(single.get_ydata()) == [1.0, 0.8]
    plt.close("all")


def test_ablation_differences_panel_draws_each_variant_against_the_reference():
    index = pd.Index(["paper: G -> L -> F", "crop from the input", "tau = 0.9"], name="variant")
    table = pd.DataFrame(
        {"tau": [0.7, 0.7, 0.9], "crop from": ["source", "input", "source"], "global": [0.7] * 3,
         "local": [0.72, 0.6, 0.65], "fusion": [0.75, 0.71, 0.74]},
        index=index,
    )
    rows = []
    for variant in index:
        for branch in ("global", "local", "fusion"):
            d = 0.0 if variant == index[0] or branch == "global" else -0.05
            rows.append({"variant": variant, "branch": branch, "d": d, "low": d - 0.02, "high": d + 0.02})
    differences = pd.DataFrame(rows).set_index(["variant", "branch"])
    differences.attrs["reference"] = index[0]
    fig = plot_ablations(table, differences)
    bars, right = fig.axes
    assert len(bars.patches) == 9
    # One error bar per branch, each with a point for the two variants (not the reference).
    bars_by_branch = {c.get_label(): c for c in right.containers}
    assert set(bars_by_branch) == {"global", "local", "fusion"}
    assert all(len(c.lines[0].get_xdata()) == 2 for c in bars_by_branch.values())
    assert list(bars_by_branch["local"].lines[0].get_xdata()) == [-0.05, -0.05]
    assert "paper: G -> L -> F" in right.get_xlabel()
    assert any(list(line.get_xdata()) == [0, 0] for line in right.get_lines())  # the reference's line at 0
    plt.close(fig)
