"""The attention trace behind the tau explorer, swept over every control value on a trained ci model.

Every readout is checked against a computation that does not go through the explorer: the
global branch run again, `heatmap` (or `grad_cam`) + `attention_boxes` for the box, the lesion
centre tested against the box mapped to the source, the model's own AttentionCrop for the crop;
the set-level readout against the run's own validation tau sweep and against the views.
"""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from agcnn_lab.attention import (
    REDUCTIONS,
    AttentionCrop,
    attention_boxes,
    heatmap,
    largest_component,
    upsample_heatmap,
)
from agcnn_lab.attention.gradcam import grad_cam
from agcnn_lab.attention.trace import (
    ALL,
    GRAD_CAM,
    STATISTICS,
    AttentionExplorer,
    ExplorerState,
    SetReadout,
    readouts,
    set_readouts,
)
from agcnn_lab.data.classes import CLASSES, NO_FINDING
from agcnn_lab.data.geometry import input_boxes_to_source
from agcnn_lab.evaluate.explorer_sweep import ExplorerSweep
from agcnn_lab.evaluate.localisation import box_scores, single_lesion
from agcnn_lab.evaluate.tau_sweep import TAUS
from agcnn_lab.widgets.tau_explorer import TAU_STEPS, sweep_readouts


@pytest.fixture(scope="module")
def explorer(ci_explorer):
    return ci_explorer


@pytest.fixture(scope="module")
def sweep(explorer):
    """The set-level readouts of the explorer's films (evaluate.explorer_sweep)."""
    return ExplorerSweep(explorer)


@pytest.fixture(scope="module")
def images(explorer):
    """Three images with lesions (one with two, when there is one) and one without."""
    truth = explorer.truth
    names = explorer.names()
    counts = truth["image"].value_counts()
    with_lesions = [i for i, n in enumerate(names) if n in counts.index]
    several = [i for i in with_lesions if counts[names[i]] > 1]
    without = [i for i, n in enumerate(names) if n not in counts.index]
    chosen = list(dict.fromkeys(several[:1] + with_lesions[:3]))[:3] + without[:1]
    assert len(chosen) == 4, "the ci validation split should hold images with and without lesions"
    return chosen


_FORWARD: dict = {}


def _forward(explorer, index):
    """The image and the global branch's feature maps, run here (once per image and explorer)."""
    key = (id(explorer), index)
    if key not in _FORWARD:
        sample = explorer.dataset[index]
        explorer.model.eval()
        with torch.no_grad():
            _FORWARD[key] = (sample, explorer.model.global_branch(sample.image[None]).features)
    return _FORWARD[key]


def _top_disease(explorer, index) -> int:
    """The disease the global branch scores highest on the image (Grad-CAM's target)."""
    sample, _ = _forward(explorer, index)
    with torch.no_grad():
        logits = explorer.model.global_branch(sample.image[None]).logits
    return int(logits[0, : len(CLASSES)].argmax())


def _maps(explorer, index, reduce):
    sample, features = _forward(explorer, index)
    if reduce == GRAD_CAM:
        return grad_cam(explorer.model, sample.image[None], [_top_disease(explorer, index)])
    return heatmap(features, reduce, explorer.model.disease_weight())


def _independent(explorer, index, tau, reduce):
    """Box, mask, region and hits computed without the explorer."""
    sample, features = _forward(explorer, index)
    size = sample.image.shape[-1]
    maps = _maps(explorer, index, reduce)
    # The model's own settings: the mask on the grid or on the heatmap upsampled to the input.
    attention = explorer.model.attention
    mask_maps = upsample_heatmap(maps, (size, size)) if attention.upsample else maps
    box = attention_boxes(mask_maps, tau, size, min_size=attention.min_size)
    normalised = input_boxes_to_source(box, sample.frame[None], size)[0].numpy()
    lesions = explorer.truth[explorer.truth["image"] == explorer.names()[index]]
    truth = lesions[["x0", "y0", "x1", "y1"]].to_numpy()
    hits = box_scores(np.repeat(normalised[None], len(truth), 0), truth)["hit"] if len(truth) else np.array([], bool)
    return {
        "features": features,
        "maps": maps[0].numpy(),
        "mask": (mask_maps > tau)[0].numpy(),
        "region": largest_component(mask_maps > tau)[0].numpy(),
        "box": box[0].numpy(),
        "hits": list(hits),
        "labels": list(lesions["label"]),
        "sample": sample,
    }


def test_every_control_value_gives_the_independent_box_area_and_verdicts(explorer, images):
    for index in images:
        for reduce in STATISTICS:
            previous_cells = None
            for tau in TAU_STEPS:
                view = explorer.view(ExplorerState(index, tau, reduce))
                want = _independent(explorer, index, tau, reduce)
                size = view.image.shape[0]
                np.testing.assert_allclose(view.heatmap, want["maps"], atol=1e-5 if reduce == GRAD_CAM else 1e-6)
                assert np.array_equal(view.mask, want["mask"])
                assert np.array_equal(view.region, want["region"])
                np.testing.assert_allclose(view.box_input, want["box"], atol=1e-4)
                x0, y0, x1, y1 = want["box"]
                area = 100 * (x1 - x0) * (y1 - y0) / size**2
                assert view.area_percent == pytest.approx(area, abs=1e-6)
                assert view.hits == want["hits"]
                text = readouts(view)
                assert text["area"] == f"box area {area:.1f}% of the image"
                if want["labels"]:
                    expected = ", ".join(f"{label} {'hit' if hit else 'miss'}" for label, hit in zip(want["labels"], want["hits"], strict=True))
                    assert text["truth"] == expected
                else:
                    assert text["truth"] == "no ground-truth box on this image"
                # The crop cut from the source gives the detail of crop_size / box width, but never
                # more than the source holds under the input's window.
                most = view.source.shape[1] * view.frame_width / size
                assert view.zoom == pytest.approx(min(explorer.crop_size / (x1 - x0), most), rel=1e-4)
                assert text["zoom"] == f"crop detail {view.zoom:.1f}x the global input's"
                # A higher tau never keeps more cells.
                cells = int(view.mask.sum())
                assert previous_cells is None or cells <= previous_cells
                previous_cells = cells


def test_the_crop_is_what_the_local_branch_is_fed(explorer, images):
    """At each tau and statistic, the explorer's crop equals AttentionCrop's for that setting."""
    attention = explorer.model.attention
    for index in images[:2]:
        for reduce in REDUCTIONS:
            for tau in TAU_STEPS[::3]:
                view = explorer.view(ExplorerState(index, tau, reduce))
                want = _independent(explorer, index, tau, reduce)
                sample = want["sample"]
                crop = AttentionCrop(tau=tau, reduce=reduce, upsample=attention.upsample, crop_size=attention.crop_size, crop_from="source")
                result = crop(want["features"], sample.image[None], sample.source[None], sample.frame[None], weight=explorer.model.disease_weight())
                np.testing.assert_allclose(view.crop, result.crops[0, 0].numpy(), atol=1e-5)
                assert view.crop.shape == (explorer.crop_size, explorer.crop_size)


def test_grad_cam_explains_the_top_scored_disease(explorer, images):
    for index in images:
        view = explorer.view(ExplorerState(index, 0.5, GRAD_CAM))
        assert view.target == CLASSES[_top_disease(explorer, index)]
        assert explorer.view(ExplorerState(index, 0.5, "max")).target is None
    # The crop is the one AttentionCrop cuts from those maps (the statistic it keeps is unused).
    view = explorer.view(ExplorerState(images[0], 0.5, GRAD_CAM))
    want = _independent(explorer, images[0], 0.5, GRAD_CAM)
    sample = want["sample"]
    crop = explorer.model.attention.replace(tau=0.5, threshold=None, upsample=explorer.upsample, crop_size=explorer.crop_size, crop_from="source")
    result = crop.from_heatmaps(torch.from_numpy(want["maps"])[None], sample.image[None], sample.source[None], sample.frame[None])
    np.testing.assert_allclose(view.crop, result.crops[0, 0].numpy(), atol=1e-5)


def test_readouts_name_the_image_and_its_findings(explorer, images):
    labels = explorer._label_names()
    for index in images:
        view = explorer.view(ExplorerState(index, 0.5, "max"))
        findings = [c for c, v in zip(labels, explorer.dataset.labels[index].tolist(), strict=True) if v > 0.5 and c != "No Finding"]
        row = explorer.dataset.entries.iloc[index]
        assert findings == [c for c in labels if c != "No Finding" and row[c]]
        assert readouts(view)["image"] == f"{explorer.names()[index]}: {', '.join(findings) or 'No Finding'}"


def test_truth_boxes_land_where_the_source_boxes_are(explorer, images):
    for index in images:
        view = explorer.view(ExplorerState(index, 0.7, "max"))
        height, width = view.source.shape
        lesions = explorer.truth[explorer.truth["image"] == view.name]
        for (label, box), (_, row) in zip(view.truth, lesions.iterrows(), strict=True):
            assert label == row.label
            np.testing.assert_allclose(box, [row.x0 * width, row.y0 * height, row.x1 * width, row.y1 * height])


def test_sweep_readouts_covers_every_control_value(explorer, images):
    rows = sweep_readouts(explorer, images[:2])
    assert len(rows) == 2 * len(TAU_STEPS) * len(REDUCTIONS)
    assert {r["tau"] for r in rows} == set(TAU_STEPS)
    assert {r["reduce"] for r in rows} == set(REDUCTIONS)
    for row in rows[:: len(TAU_STEPS) - 1]:
        view = explorer.view(ExplorerState(row["image"], row["tau"], row["reduce"]))
        assert row["readouts"] == readouts(view)
        assert row["hits"] == view.hits


def test_the_slider_steps_are_the_documented_grid():
    assert TAU_STEPS[0] == 0.05 and TAU_STEPS[-1] == 0.95 and len(TAU_STEPS) == 19
    assert all(abs(b - a - 0.05) < 1e-9 for a, b in zip(TAU_STEPS, TAU_STEPS[1:], strict=False))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (ExplorerState(image=10_000), "out of range"),
        (ExplorerState(tau=0.0), "tau must lie in"),
        (ExplorerState(tau=1.0), "tau must lie in"),
        (ExplorerState(reduce="mean"), "unknown heatmap statistic"),
    ],
)
def test_invalid_states_are_refused(explorer, sweep, state, message):
    with pytest.raises(ValueError, match=message):
        explorer.view(state)
    if state.image == 0:  # the set-level readout refuses the same tau and statistic
        with pytest.raises(ValueError, match=message):
            sweep.set_readout(state.tau, state.reduce)


def test_a_dataset_without_sources_is_refused(ci_run, ci_data, ci_profile):
    with pytest.raises(ValueError, match="with_source=True"):
        AttentionExplorer(ci_run.model, ci_data.dataset("val", ci_profile.data), ci_data.boxes)


def test_the_figure_draws_every_step(explorer, images):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from agcnn_lab.figures.attention import PANELS, draw_view, plot_attention_grid

    view = explorer.view(ExplorerState(images[0], 0.5, "max"))
    fig = draw_view(view)
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_title() for ax in axes] == list(PANELS)
    # One colour bar, on the heatmap panel, naming the statistic; every text legible.
    (bar,) = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert bar.get_ylabel() == "max |f_k| (AG-CNN), [0, 1]"
    assert bar.get_position().x0 < axes[1].get_position().x0
    sizes = [t.get_fontsize() for ax in fig.axes for t in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts] if t.get_text()]
    assert min(sizes) >= 7 and fig._suptitle.get_fontsize() >= 10
    # The mask panel says how many cells pass, and writes each cell's value when the mask is
    # the feature grid itself (a mask on the upsampled heatmap has too many cells to label).
    texts = [t.get_text() for t in axes[1].texts]
    on_grid = view.mask.shape == view.heatmap.shape
    assert len(texts) == (view.mask.size if on_grid else 0)
    if not on_grid:
        assert view.mask.shape == view.image.shape  # upsampled to the input
    assert axes[1].get_xlabel() == f"{int(view.mask.sum())} of {view.mask.size} cells > tau 0.50"
    plt.close(fig)
    views = [explorer.view(ExplorerState(i, 0.7, "l2")) for i in images[:2]]
    fig = plot_attention_grid(views)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 10 and len(fig.axes) == 11  # one colour bar for the heatmap column
    assert [ax.get_title() for ax in panels[:5]] == list(PANELS)
    for k, view in enumerate(views):
        below = panels[5 * k + 3].get_xlabel().replace("\n", " ")
        assert below == f"{readouts(view)['area']}; {readouts(view)['truth']}"
        assert panels[5 * k].get_xlabel().replace("\n", " ").startswith(view.name)
    plt.close(fig)
    fig = draw_view(explorer.view(ExplorerState(images[0], 0.5, GRAD_CAM)))
    (bar,) = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert bar.get_ylabel().startswith("Grad-CAM of ")
    plt.close(fig)


def test_a_mask_on_the_feature_grid_writes_every_cell(explorer, images, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from agcnn_lab.figures.attention import draw_view

    monkeypatch.setattr(explorer, "upsample", False)  # the paper's setting: threshold on the grid
    view = explorer.view(ExplorerState(images[0], 0.5, "max"))
    assert view.mask.shape == view.heatmap.shape
    fig = draw_view(view)
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert len(texts) == view.mask.size
    assert texts[0] == f"{view.heatmap[0, 0]:.2f}" or texts[0] == f"{view.heatmap[0, 0]:.3f}"
    plt.close(fig)


def test_the_zoom_readout_is_capped_at_the_sources_detail():
    from agcnn_lab.attention.trace import ExplorerView

    def view(box_width):
        return ExplorerView(state=ExplorerState(0), name="x.png", labels=[], image=np.zeros((110, 110)),
                            heatmap=np.zeros((4, 4)), mask=np.zeros((4, 4), bool), region=np.zeros((4, 4), bool),
                            box_input=np.array([0, 0, 10, 10]), box_source=np.array([0, 0, box_width, box_width]),
                            source=np.zeros((512, 512), np.uint8), crop=np.zeros((128, 128)), truth=[], truth_input=[],
                            hits=[], frame_width=1.0)

    assert view(256).zoom == pytest.approx((128 / 256) / (110 / 512))  # a wide box: the crop shrinks it
    assert view(64).zoom == pytest.approx(512 / 110)  # narrower than the crop: capped at the source, 4.65x
    assert readouts(view(64))["zoom"] == "crop detail 4.7x the global input's"


# ------------------------------------------------------------------------------------------
# Every film at once: the set-level readout, the chosen tau, the findings.


def test_the_set_readout_is_the_runs_validation_tau_sweep(explorer, sweep, ci_run):
    """At the model's statistic, the set-level readout at each swept tau is the row of the tau
    sweep train_run ran on the same validation films before stage II."""
    table = ci_run.sweep.set_index("tau")
    reduce = explorer.model.attention.reduce
    for tau in TAUS:
        summary = sweep.set_readout(tau, reduce)
        row = table.loc[tau]
        assert (summary.tau, summary.reduce, summary.images) == (tau, reduce, len(explorer))
        assert summary.area == pytest.approx(row["area"], abs=1e-6)
        assert summary.hit == pytest.approx(row["hit"]) and summary.lesions == row["lesions"]
        assert summary.hit_single == pytest.approx(row["hit_single"], nan_ok=True) and summary.single == row["single"]


@pytest.mark.parametrize("reduce", STATISTICS)
def test_the_set_readout_pools_the_views(explorer, sweep, reduce):
    """Each statistic (Grad-CAM included): the mean of the views' box areas, and the hits of the
    views' lesions, pooled as the tau sweep pools them (all lesions; those alone on their film)."""
    for tau in (0.3, 0.6, 0.85):
        views = [explorer.view(ExplorerState(i, tau, reduce)) for i in range(len(explorer))]
        summary = sweep.set_readout(tau, reduce)
        assert summary.area == pytest.approx(np.mean([v.area_percent for v in views]) / 100, abs=1e-6)
        hits = [h for v in views for h in v.hits]
        alone = single_lesion(pd.Series([v.name for v in views for _ in v.hits]))
        assert summary.lesions == len(hits) > 0
        assert summary.hit == pytest.approx(np.mean(hits))
        assert summary.single == int(alone.sum())
        assert summary.hit_single == pytest.approx(np.mean(np.array(hits)[alone]))


def test_the_set_readout_is_cached_per_tau_and_statistic(explorer, sweep, monkeypatch):
    first = sweep.set_readout(0.45, "l2")
    maps = sweep.heatmap_set("l2")
    assert sweep.set_readout(0.45, "l1").reduce == "l1"  # its own entry
    # Moving back needs no new pass and no new thresholding: the same object comes back.
    monkeypatch.setattr("agcnn_lab.evaluate.explorer_sweep.tau_sweep", lambda *a, **k: pytest.fail("recomputed"))
    assert sweep.set_readout(0.45, "l2") is first
    assert sweep.set_readout(0.4500001, "l2") is first  # the slider's floats, rounded
    assert sweep.heatmap_set("l2") is maps


def test_set_readouts_say_the_sweeps_columns():
    summary = SetReadout(tau=0.7, reduce="max", images=40, area=0.2345, lesions=12, hit=0.75, single=6, hit_single=0.5)
    assert set_readouts(summary) == {
        "hit": "over 40 films at tau 0.70, max: lesion centre in the box for 75% of 12 lesions (hit); "
               "50% of the 6 alone on their film (hit_single)",
        "area": "over 40 films at tau 0.70, max: mean box area 23.4% of the image (area)",
    }
    nothing = SetReadout(tau=0.7, reduce="max", images=40, area=0.2345, lesions=0, hit=math.nan, single=0, hit_single=math.nan)
    assert set_readouts(nothing)["hit"] == "over 40 films at tau 0.70, max: no ground-truth box on these films"


def test_without_ground_truth_the_set_readout_keeps_the_area(explorer, sweep):
    bare = AttentionExplorer(explorer.model, explorer.dataset)
    summary = ExplorerSweep(bare).set_readout(0.6, "max")
    assert summary.lesions == 0 and math.isnan(summary.hit) and math.isnan(summary.hit_single)
    assert summary.area == pytest.approx(sweep.set_readout(0.6, "max").area)


def test_the_chosen_tau_is_the_models(explorer, ci_run):
    """The run chose its tau on validation (the ci profile's rule) and trained the local branch
    with it: the model's attention holds it, and the explorer opens on it."""
    assert explorer.chosen_tau == ci_run.model.attention.tau == ci_run.tau
    assert explorer.chosen_by == "the model's attention tau"
    state = explorer.chosen_state(3)
    assert state == ExplorerState(3, ci_run.tau, explorer.model.attention.reduce)
    given = AttentionExplorer(explorer.model, explorer.dataset, explorer.truth, chosen_tau=0.35, chosen_by="validation rule")
    assert (given.chosen_tau, given.chosen_by) == (0.35, "validation rule")
    with pytest.raises(ValueError, match="chosen tau"):
        AttentionExplorer(explorer.model, explorer.dataset, chosen_tau=1.0)


def test_findings_describe_and_filter_the_images(explorer):
    entries = explorer.dataset.entries
    everything = list(range(len(explorer)))
    for index in everything:
        want = [c for c in CLASSES if entries.iloc[index][c]]
        assert explorer.findings(index) == want
        assert explorer.describe(index) == f"{explorer.names()[index]}: {', '.join(want) or 'No Finding'}"
        assert explorer.describe(index) == readouts(explorer.view(ExplorerState(index, 0.5)))["image"]
    assert explorer.with_finding(ALL) == everything
    assert explorer.with_finding(NO_FINDING) == [i for i in everything if not explorer.findings(i)]
    finding = next(f for i in everything for f in explorer.findings(i))
    kept = explorer.with_finding(finding, everything[::-1])
    assert kept == [i for i in everything[::-1] if entries.iloc[i][finding]] and kept
