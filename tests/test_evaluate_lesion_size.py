"""The attention effect by lesion size (evaluate.lesion_size) and its figure (figures.lesion_size)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from agcnn_lab.data.classes import CLASSES, NO_FINDING  # noqa: E402
from agcnn_lab.evaluate.auc import rank_auc  # noqa: E402
from agcnn_lab.evaluate.lesion_size import effect_by_lesion_size, weighted_auc  # noqa: E402
from agcnn_lab.figures.lesion_size import plot_effect_by_lesion_size, plot_when_zoom_pays  # noqa: E402

SMALL, LARGE = 0.04, 0.20  # lesion sides: bins "3-6%" and "12-100%" of the default edges
LOCALISED = ("Mass", "Nodule")


def _box(image, label, side, x=0.3, y=0.3):
    return {"image": image, "label": label, "x0": x, "y0": y, "x1": x + side, "y1": y + side}


def synthetic(n=500, per_size=40, seed=0):
    """Films where the crop's branch sees small lesions and its whole-film control does not;
    large lesions are equally plain to both (one shared signal, a little noise each)."""
    rng = np.random.default_rng(seed)
    images = [f"img{i:04d}.png" for i in range(n)]
    truth = np.zeros((n, len(CLASSES)), dtype=int)
    signal = rng.normal(0, 1, (n, len(CLASSES)))  # negatives' scores: shared by both sides
    branch_signal, control_signal = signal.copy(), signal.copy()
    boxes = []
    films = rng.permutation(n)
    for j, name in enumerate(LOCALISED):
        k = CLASSES.index(name)
        chosen = films[j * 2 * per_size : (j + 1) * 2 * per_size]
        small, large = chosen[:per_size], chosen[per_size:]
        truth[chosen, k] = 1
        # Small lesions: informative for the branch, noise for the control.
        branch_signal[small, k] = rng.normal(2.0, 1, per_size)
        control_signal[small, k] = rng.normal(0.0, 1, per_size)
        # Large lesions: one informative signal for both.
        shared = rng.normal(1.5, 1, per_size)
        branch_signal[large, k] = shared
        control_signal[large, k] = shared
        boxes += [_box(images[i], name, SMALL) for i in small] + [
            _box(images[i], name, LARGE) for i in large
        ]
    frames = []
    for branch, base in (
        ("local", branch_signal),
        ("local_whole_film", control_signal),
        ("global", signal),
    ):
        scores = 1 / (1 + np.exp(-(base + 0.2 * rng.normal(0, 1, base.shape))))
        frame = pd.DataFrame(scores, columns=list(CLASSES))
        frame.insert(0, "branch", branch)
        frame.insert(0, "split", "test")
        frame.insert(0, "image", images)
        frame[NO_FINDING] = 1 - scores.max(axis=1)
        for k, c in enumerate(CLASSES):
            frame[f"true_{c}"] = truth[:, k]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True), pd.DataFrame(boxes)


@pytest.fixture(scope="module")
def data():
    return synthetic()


def test_zoom_pays_on_small_lesions_only(data):
    predictions, boxes = data
    table = effect_by_lesion_size(predictions, boxes, n_boot=300, seed=1)
    assert list(table.columns) == [
        "bin",
        "size_lo",
        "size_hi",
        "positives",
        "classes",
        "effect",
        "ci_lo",
        "ci_hi",
        "auc_branch",
        "auc_control",
    ]
    assert table["bin"].tolist() == ["0-3%", "3-6%", "6-12%", "12-100%"]
    rows = table.set_index("bin")
    small, large = rows.loc["3-6%"], rows.loc["12-100%"]
    assert small["positives"] == 80 and large["positives"] == 80
    assert small["classes"] == "Mass, Nodule"
    assert small["effect"] > 0.2 and small["ci_lo"] > 0
    assert large["ci_lo"] <= 0 <= large["ci_hi"]
    assert abs(large["effect"]) < 0.05
    for row in (small, large):
        assert row["ci_lo"] <= row["effect"] <= row["ci_hi"]
        assert row["effect"] == pytest.approx(row["auc_branch"] - row["auc_control"])
    # Bins without a lesion: no effect, no positives.
    for empty in ("0-3%", "6-12%"):
        assert rows.loc[empty, "positives"] == 0 and np.isnan(rows.loc[empty, "effect"])


def test_bin_auc_is_positives_in_bin_against_all_negatives(data):
    predictions, boxes = data
    one = boxes[boxes["label"] == "Mass"]  # one localised class: the bin's AUC is that class's
    table = effect_by_lesion_size(predictions, one, n_boot=10).set_index("bin")
    test = predictions[predictions["branch"] == "local"].set_index("image")
    small = set(one.loc[np.isclose(one["x1"] - one["x0"], SMALL), "image"])
    keep = test["true_Mass"].eq(0) | test.index.isin(small)
    expected = roc_auc_score(test.loc[keep, "true_Mass"], test.loc[keep, "Mass"])
    assert table.loc["3-6%", "auc_branch"] == pytest.approx(expected)
    assert table.loc["3-6%", "classes"] == "Mass"


def test_a_film_counts_in_the_bin_of_its_largest_lesion(data):
    predictions, boxes = data
    small_films = boxes.loc[
        np.isclose(boxes["x1"] - boxes["x0"], SMALL) & (boxes["label"] == "Mass"), "image"
    ]
    large_films = boxes.loc[
        np.isclose(boxes["x1"] - boxes["x0"], LARGE) & (boxes["label"] == "Mass"), "image"
    ]
    extra = [
        _box(image, "Mass", LARGE, x=0.6) for image in small_films.iloc[:5]
    ]  # small + large: large bin
    extra += [
        _box(image, "Mass", SMALL, x=0.6) for image in large_films.iloc[:7]
    ]  # large + small: stays large
    table = effect_by_lesion_size(
        predictions, pd.concat([boxes, pd.DataFrame(extra)]), n_boot=10
    ).set_index("bin")
    assert table.loc["3-6%", "positives"] == 80 - 5
    assert table.loc["12-100%", "positives"] == 80 + 5


def test_edges_set_the_bins(data):
    predictions, boxes = data
    table = effect_by_lesion_size(predictions, boxes, edges=(0.1, 0.2), n_boot=10)
    # One bin [10%, 20%], closed on the right: the large lesions (side 0.20) only.
    assert table["bin"].tolist() == ["10-20%"] and table["positives"].tolist() == [80]
    table = effect_by_lesion_size(predictions, boxes, edges=(0.05, 0.1), n_boot=10)
    assert table["positives"].tolist() == [0]  # small (0.04) below, large (0.20) above: no bin


def test_classes_with_fewer_than_three_positives_are_skipped(data):
    predictions, boxes = data
    nodule_small = boxes.index[
        (boxes["label"] == "Nodule") & np.isclose(boxes["x1"] - boxes["x0"], SMALL)
    ]
    # Two small Nodules keep their box; the others lose it (no box: in no bin).
    table = effect_by_lesion_size(predictions, boxes.drop(nodule_small[2:]), n_boot=10).set_index(
        "bin"
    )
    assert table.loc["3-6%", "classes"] == "Mass"
    assert table.loc["3-6%", "positives"] == 40


def test_weighted_auc_is_sklearns_auc_and_the_resampled_auc():
    rng = np.random.default_rng(3)
    score = np.round(rng.normal(0, 1, 60), 1)  # rounding makes ties
    positive = rng.random(60) < 0.3
    negative = ~positive & (rng.random(60) < 0.8)  # some films are in neither group
    keep = positive | negative
    auc = weighted_auc(score, positive, negative, np.ones((1, 60)))[0]
    assert auc == pytest.approx(roc_auc_score(positive[keep], score[keep]))
    # Counting films by how often a resample drew them is scoring the resample.
    rows = rng.integers(0, 60, size=(5, 60))
    weights = np.stack([np.bincount(r, minlength=60) for r in rows])
    for r, w in zip(rows, weights, strict=True):
        drawn = r[keep[r]]
        expected = rank_auc(positive[drawn][:, None].astype(float), score[drawn][:, None])[0]
        assert weighted_auc(score, positive, negative, w[None])[0] == pytest.approx(expected)


def test_missing_branch_is_named(data):
    predictions, boxes = data
    with pytest.raises(ValueError, match="fusion_whole_film"):
        effect_by_lesion_size(
            predictions, boxes, branch="local", control="fusion_whole_film", n_boot=10
        )
    with pytest.raises(ValueError, match="'fusion'"):
        effect_by_lesion_size(predictions, boxes, branch="fusion", n_boot=10)


def test_bad_inputs_raise(data):
    predictions, boxes = data
    with pytest.raises(ValueError, match="no boxes"):
        effect_by_lesion_size(predictions, boxes.iloc[:0], n_boot=10)
    with pytest.raises(ValueError, match="no boxes"):
        effect_by_lesion_size(predictions, None, n_boot=10)
    with pytest.raises(ValueError, match="split 'val'"):
        effect_by_lesion_size(predictions, boxes, split="val", n_boot=10)
    with pytest.raises(ValueError, match="no box lies"):
        effect_by_lesion_size(predictions, boxes.assign(image="elsewhere.png"), n_boot=10)
    with pytest.raises(ValueError, match="normalised"):
        effect_by_lesion_size(predictions, boxes.assign(x1=boxes["x1"] * 512), n_boot=10)
    with pytest.raises(ValueError, match="increasing"):
        effect_by_lesion_size(predictions, boxes, edges=(0, 0.1, 0.05), n_boot=10)
    with pytest.raises(ValueError, match="true_Mass"):
        effect_by_lesion_size(predictions.drop(columns="true_Mass"), boxes, n_boot=10)


def test_figure_has_one_errorbar_per_bin(data):
    predictions, boxes = data
    table = effect_by_lesion_size(predictions, boxes, n_boot=50)
    fig = plot_effect_by_lesion_size(table, title="local")
    try:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == len(table)
        assert [t.get_text() for t in ax.get_xticklabels()] == table["bin"].tolist()
        assert ax.get_ylabel() == "AUC(crop) - AUC(whole film)"
        assert len(ax.get_legend().get_texts()) == 3
        # Each bin's count sits on a white ground, legible where it crosses the zero line.
        counts = [t for t in ax.texts if t.get_text().startswith("n=") or "too few" in t.get_text()]
        assert len(counts) == len(table)
        assert all(t.get_bbox_patch() is not None and t.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0)
                   for t in counts)
    finally:
        plt.close(fig)
    bare = plot_effect_by_lesion_size(table, legend=False)
    try:
        assert bare.axes[0].get_legend() is None
    finally:
        plt.close(bare)


def test_side_by_side_figure_shares_its_y_range_and_names_what_it_pools(data):
    predictions, boxes = data
    table = effect_by_lesion_size(predictions, boxes, n_boot=50)
    fusion = table.assign(effect=table["effect"] * 3, ci_lo=table["ci_lo"] * 3, ci_hi=table["ci_hi"] * 3)
    for runs, scope in ((1, "(test)"), (3, "(test, 3 runs pooled)")):
        fig = plot_when_zoom_pays({"local": table, "fusion": fusion}, runs=runs)
        try:
            local, fused = fig.axes
            assert local.get_ylim() == fused.get_ylim()
            assert local.get_title() == f"local: crop vs whole film {scope}"
            assert fused.get_title() == f"fusion: crop vs whole film {scope}"
            # one key for both panels, below them: no panel carries its own
            assert local.get_legend() is None and fused.get_legend() is None
            assert [t.get_text() for t in fig.legends[0].get_texts()] == [
                "crop wins (CI above 0)", "whole film wins (CI below 0)", "no difference shown (CI holds 0)"]
        finally:
            plt.close(fig)
    with pytest.raises(ValueError, match="runs must be at least 1"):
        plot_when_zoom_pays({"local": table}, runs=0)
    with pytest.raises(ValueError, match="no table to draw"):
        plot_when_zoom_pays({})


def test_runs_are_pooled_as_the_mean_of_their_aucs_on_one_resample(data):
    predictions, boxes = data
    alone = effect_by_lesion_size(predictions, boxes, n_boot=200, seed=3)
    shuffled = predictions.sample(frac=1.0, random_state=0)  # the same run, rows in another order
    twice = effect_by_lesion_size([predictions, shuffled], boxes, n_boot=200, seed=3)
    pd.testing.assert_frame_equal(alone, twice)
    other, _ = synthetic(seed=5)  # another training: other scores on the same films and labels
    other = other.assign(**{f"true_{c}": predictions[f"true_{c}"].to_numpy() for c in CLASSES})
    second = effect_by_lesion_size(other, boxes, n_boot=200, seed=3)
    pooled = effect_by_lesion_size([predictions, other], boxes, n_boot=200, seed=3)
    kept = alone["effect"].notna() & second["effect"].notna()
    assert kept.any()
    np.testing.assert_allclose(pooled["effect"][kept], (alone["effect"][kept] + second["effect"][kept]) / 2)
    assert (pooled["ci_lo"][kept] <= pooled["effect"][kept]).all() and (pooled["effect"][kept] <= pooled["ci_hi"][kept]).all()


def test_pooled_runs_on_other_films_or_labels_are_refused(data):
    predictions, boxes = data
    fewer = predictions[predictions["image"] != predictions["image"].iloc[0]]
    with pytest.raises(ValueError, match="run 1 was scored on other test films than run 0"):
        effect_by_lesion_size([predictions, fewer], boxes, n_boot=10)
    relabelled = predictions.assign(true_Nodule=1 - predictions["true_Nodule"])
    with pytest.raises(ValueError, match="run 1 labels the test films otherwise"):
        effect_by_lesion_size([predictions, relabelled], boxes, n_boot=10)
    with pytest.raises(ValueError, match="no predictions given"):
        effect_by_lesion_size([], boxes, n_boot=10)


def test_lesion_side_is_the_square_root_of_the_normalised_box_area():
    from agcnn_lab.evaluate.lesion_size import lesion_side

    corners = np.array([[0.1, 0.1, 0.16, 0.16], [0.0, 0.5, 0.2, 0.55]])  # a 0.06 square; 0.2 x 0.05
    assert np.allclose(lesion_side(corners), [0.06, 0.1])
