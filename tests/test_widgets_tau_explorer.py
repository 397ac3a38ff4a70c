"""The ipywidgets layer of the tau explorer: its observers, driven by setting control values.

Setting `.value` (or calling a button's `.click()`) from Python runs the observers synchronously
and lets their exceptions through (a browser's change would be swallowed), so every assertion
here is on what the widget shows: the readout texts and the figure's PNG, against the explorer's
own view and set-level readout of the same state. Each control is checked to change the
readouts it must, and to leave the others alone.
"""

import pytest

from agcnn_lab.attention.trace import (
    ALL,
    GRAD_CAM,
    STATISTICS,
    ExplorerState,
    readouts,
    set_readouts,
)
from agcnn_lab.data.classes import NO_FINDING
from agcnn_lab.evaluate.explorer_sweep import ExplorerSweep
from agcnn_lab.widgets.tau_explorer import (
    READOUTS,
    SET_READOUTS,
    TAU_STEPS,
    chosen_text,
    finding_options,
    nearest_step,
    render_png,
    tau_explorer,
)


@pytest.fixture(scope="module")
def explorer(ci_explorer):
    return ci_explorer


@pytest.fixture()
def widget(explorer):
    return tau_explorer(explorer)


def _state(widget) -> ExplorerState:
    c = widget.controls
    return ExplorerState(c["image"].value, round(float(c["tau"].value), 4), c["reduce"].value)


def _shown(widget) -> dict[str, str]:
    return {key: label.value for key, label in widget.readouts.items()}


def _expected(explorer, state) -> dict[str, str]:
    return {key: f"<b>{key}</b>: {text}" for key, text in readouts(explorer.view(state)).items()}


def _shown_set(widget) -> dict[str, str]:
    return {key: label.value for key, label in widget.set_readouts.items()}


def _sweep(explorer) -> ExplorerSweep:
    """One ExplorerSweep per explorer, as the widget keeps one."""
    return _SWEEPS.setdefault(id(explorer), ExplorerSweep(explorer))


_SWEEPS: dict[int, ExplorerSweep] = {}


def _expected_set(explorer, state) -> dict[str, str]:
    texts = set_readouts(_sweep(explorer).set_readout(state.tau, state.reduce))
    return {key: f"<b>all films, {key}</b>: {text}" for key, text in texts.items()}


def _assert_shows(widget, explorer) -> ExplorerState:
    """Every readout, the marker and the figure are the library's for the controls' state."""
    state = _state(widget)
    assert _shown(widget) == _expected(explorer, state)
    assert _shown_set(widget) == _expected_set(explorer, state)
    assert widget.marker.value == chosen_text(explorer, state.tau)
    assert widget.figure.value == render_png(explorer.view(state))
    return state


def _picker(widget) -> list[int]:
    return [value for _, value in widget.controls["image"].options]


def test_parts_carry_the_css_classes_a_browser_test_finds(widget):
    c = widget.controls
    assert "agcnn-tau" in c["tau"]._dom_classes
    assert "agcnn-image" in c["image"]._dom_classes
    assert "agcnn-reduce" in c["reduce"]._dom_classes
    assert "agcnn-filter" in c["finding"]._dom_classes
    assert "agcnn-chosen-tau" in widget.marker._dom_classes
    assert "agcnn-figure" in widget.figure._dom_classes
    for key in ("previous", "next", "random", "reset"):
        assert f"agcnn-{key}" in widget.buttons[key]._dom_classes
    for key in READOUTS:
        assert f"agcnn-readout-{key}" in widget.readouts[key]._dom_classes
    for key in SET_READOUTS:
        assert f"agcnn-readout-set-{key}" in widget.set_readouts[key]._dom_classes


def test_controls_offer_every_value(widget, explorer):
    c = widget.controls
    slider = c["tau"]
    steps = round((slider.max - slider.min) / slider.step) + 1
    assert [round(slider.min + k * slider.step, 2) for k in range(steps)] == list(TAU_STEPS)
    assert list(c["reduce"].options) == list(STATISTICS)  # Grad-CAM among them
    positions = [value for _, value in c["image"].options]
    assert sorted(positions) == list(range(len(explorer)))
    # The picker names each image with its findings.
    assert [label for label, _ in c["image"].options] == [explorer.describe(i) for i in positions]
    # Images with a ground-truth box come first, and the widget opens on the first one.
    with_lesions = set(explorer.truth["image"])
    flags = [explorer.names()[i] in with_lesions for i in positions]
    assert flags == sorted(flags, reverse=True) and flags[0]
    assert c["image"].value == positions[0]


def test_opening_state_is_shown(widget, explorer):
    """The widget opens on the chosen tau (the model's) and the model's statistic, and says so."""
    state = _assert_shows(widget, explorer)
    assert state.tau == nearest_step(explorer.chosen_tau) == explorer.chosen_tau
    assert state.reduce == explorer.model.attention.reduce
    assert widget.marker.value == f"<b>chosen tau = {explorer.chosen_tau:.2f}</b> (the model's attention tau): the slider is on it"


def test_moving_tau_over_every_step_updates_readouts_and_figure(widget, explorer):
    figures = set()
    for tau in TAU_STEPS:
        widget.controls["tau"].value = tau
        state = _state(widget)
        assert state.tau == tau
        assert _shown(widget) == _expected(explorer, state)
        assert _shown_set(widget) == _expected_set(explorer, state)
        figures.add(widget.figure.value)
    # The mask panel writes tau, so every step draws a different figure.
    assert len(figures) == len(TAU_STEPS)
    assert widget.figure.value == render_png(explorer.view(_state(widget)))


def test_every_statistic_and_image_updates_readouts_and_figure(widget, explorer):
    c = widget.controls
    c["tau"].value = 0.5
    positions = [value for _, value in c["image"].options][:4]
    for position in positions:
        c["image"].value = position
        for reduce in STATISTICS:
            c["reduce"].value = reduce
            state = _state(widget)
            assert (state.image, state.reduce) == (position, reduce)
            assert _shown(widget) == _expected(explorer, state)
            assert _shown_set(widget) == _expected_set(explorer, state)
        assert widget.figure.value == render_png(explorer.view(_state(widget)))
    assert widget.readouts["image"].value.startswith(f"<b>image</b>: {explorer.names()[positions[-1]]}")


def test_a_given_state_and_image_subset(explorer):
    widget = tau_explorer(explorer, ExplorerState(image=2, tau=0.3, reduce="l1"), images=[2, 5, 7])
    assert [v for _, v in widget.controls["image"].options] == [2, 5, 7]
    assert _state(widget) == ExplorerState(2, 0.3, "l1")
    assert _shown(widget) == _expected(explorer, ExplorerState(2, 0.3, "l1"))
    with pytest.raises(ValueError, match="at least one image"):
        tau_explorer(explorer, images=[])


# ------------------------------------------------------------------------------------------
# Each control changes the readouts it must, and only those.


def _changes(before: dict, after: dict) -> set[str]:
    return {key for key in before if before[key] != after[key]}


def test_tau_changes_the_box_and_the_set_readouts_not_the_image(widget, explorer):
    c = widget.controls
    state = _state(widget)
    # A tau at which both this image's box and the set's mean box differ from the opening's.
    tau = next(t for t in TAU_STEPS[::-1] if explorer.view(ExplorerState(state.image, t, state.reduce)).area_percent
               != explorer.view(state).area_percent)
    image_before, set_before, marker_before = _shown(widget), _shown_set(widget), widget.marker.value
    c["tau"].value = tau
    _assert_shows(widget, explorer)
    assert {"area"} <= _changes(image_before, _shown(widget)) <= {"area", "zoom", "truth"}
    assert _changes(set_before, _shown_set(widget)) == {"hit", "area"}
    # ... in their numbers, not only in the tau they name.
    before, after = _sweep(explorer).set_readout(state.tau, state.reduce), _sweep(explorer).set_readout(tau, state.reduce)
    assert after.area != before.area and after.tau == tau
    assert widget.marker.value != marker_before and f"the slider is at {tau:.2f}" in widget.marker.value


def test_the_image_changes_the_image_readouts_not_the_set(widget, explorer):
    image_before, set_before = _shown(widget), _shown_set(widget)
    widget.controls["image"].value = _picker(widget)[1]
    _assert_shows(widget, explorer)
    assert "image" in _changes(image_before, _shown(widget))
    assert _shown_set(widget) == set_before


def test_the_statistic_changes_both(widget, explorer):
    c = widget.controls
    c["tau"].value = 0.5
    image_before_reduce = c["reduce"].value
    for reduce in [r for r in STATISTICS if r != image_before_reduce]:
        state = ExplorerState(c["image"].value, 0.5, reduce)
        if readouts(explorer.view(state))["area"] == _shown(widget)["area"].split(": ", 1)[1]:
            continue  # this statistic happens to give this image the same box: not a visible change
        image_before, set_before = _shown(widget), _shown_set(widget)
        c["reduce"].value = reduce
        _assert_shows(widget, explorer)
        assert "area" in _changes(image_before, _shown(widget))
        assert _changes(set_before, _shown_set(widget)) == {"hit", "area"}
        numbers = lambda s: (s.area, s.hit, s.hit_single)  # noqa: E731
        assert numbers(_sweep(explorer).set_readout(0.5, reduce)) != numbers(_sweep(explorer).set_readout(0.5, image_before_reduce))
        break
    else:
        pytest.fail("no statistic changes this image's box at tau 0.5")


def test_grad_cam_is_a_statistic_of_the_widget(widget, explorer):
    widget.controls["reduce"].value = GRAD_CAM
    state = _assert_shows(widget, explorer)
    assert explorer.view(state).target is not None


def test_the_filter_restricts_the_picker(widget, explorer):
    c = widget.controls
    everything = _picker(widget)
    options = finding_options(explorer, everything)
    assert options[0] == (f"All ({len(everything)})", ALL)
    assert [value for _, value in c["finding"].options] == [value for _, value in options]
    findings = [value for _, value in options if value not in (ALL, NO_FINDING)]
    assert findings and NO_FINDING in [value for _, value in options]
    for finding in [*findings, NO_FINDING]:
        set_before = _shown_set(widget)
        c["finding"].value = finding
        kept = _picker(widget)
        assert kept == [i for i in everything if i in explorer.with_finding(finding)] and kept
        for label, _ in c["finding"].options:  # the counts the filter shows are the picker's
            if label.startswith(finding if finding != NO_FINDING else "No finding"):
                assert label.endswith(f"({len(kept)})")
        for label, index in c["image"].options:
            assert label == explorer.describe(index)
            assert (finding in label) if finding != NO_FINDING else label.endswith(": No Finding")
        assert c["image"].value in kept
        _assert_shows(widget, explorer)
        assert _shown_set(widget) == set_before  # the set is every film, whatever the picker shows
    # The image shown stays when the filter keeps it.
    c["finding"].value = findings[0]
    shown = _picker(widget)[-1]
    c["image"].value = shown
    c["finding"].value = ALL
    assert _picker(widget) == everything and c["image"].value == shown
    _assert_shows(widget, explorer)


def test_previous_next_and_random_move_the_image(widget, explorer):
    c, b = widget.controls, widget.buttons
    order = _picker(widget)
    start = c["image"].value
    b["next"].click()
    assert c["image"].value == order[order.index(start) + 1]
    before = _shown(widget)
    _assert_shows(widget, explorer)
    b["previous"].click()
    assert c["image"].value == start
    assert _shown(widget) != before
    b["previous"].click()  # wraps around
    assert c["image"].value == order[-1]
    b["next"].click()
    assert c["image"].value == order[0]
    seen = set()
    for _ in range(3 * len(order)):
        current = c["image"].value
        b["random"].click()
        assert c["image"].value != current and c["image"].value in order
        seen.add(c["image"].value)
    _assert_shows(widget, explorer)
    assert len(seen) > 1
    # Within the filter: the buttons move among the filtered images only.
    c["finding"].value = NO_FINDING
    kept = _picker(widget)
    for _ in range(len(kept) + 1):
        b["next"].click()
        assert c["image"].value in kept
    b["random"].click()
    assert c["image"].value in kept


def test_reset_returns_to_the_chosen_tau(widget, explorer):
    c = widget.controls
    opening = _shown(widget), _shown_set(widget), widget.marker.value
    chosen = nearest_step(explorer.chosen_tau)
    c["tau"].value = 0.85 if chosen != 0.85 else 0.5
    assert widget.marker.value != opening[2]
    widget.buttons["reset"].click()
    assert c["tau"].value == chosen
    state = _assert_shows(widget, explorer)
    assert state.tau == chosen
    assert (_shown(widget), _shown_set(widget), widget.marker.value) == opening


def test_a_chosen_tau_off_the_slider_opens_on_its_nearest_step(explorer):
    from agcnn_lab.attention.trace import AttentionExplorer

    off = AttentionExplorer(explorer.model, explorer.dataset, explorer.truth, chosen_tau=0.73, chosen_by="configured")
    widget = tau_explorer(off)
    assert widget.controls["tau"].value == nearest_step(0.73) == 0.75
    assert widget.marker.value == "<b>chosen tau = 0.73</b> (configured, slider step 0.75): the slider is on it"
    widget.controls["tau"].value = 0.3
    widget.buttons["reset"].click()
    assert widget.controls["tau"].value == 0.75
