"""The ipywidgets layer of the tau explorer: its observers, driven by setting control values.

Setting `.value` from Python runs the observers synchronously and lets their exceptions through
(a browser's change would be swallowed), so every assertion here is on what the widget shows:
the readout texts and the figure's PNG, against the explorer's own view of the same state.
"""

import pytest

from agcnn_lab.attention import REDUCTIONS
from agcnn_lab.attention.trace import ExplorerState, readouts
from agcnn_lab.widgets.tau_explorer import READOUTS, TAU_STEPS, render_png, tau_explorer


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


def test_parts_carry_the_css_classes_a_browser_test_finds(widget):
    c = widget.controls
    assert "agcnn-tau" in c["tau"]._dom_classes
    assert "agcnn-image" in c["image"]._dom_classes
    assert "agcnn-reduce" in c["reduce"]._dom_classes
    assert "agcnn-figure" in widget.figure._dom_classes
    for key in READOUTS:
        assert f"agcnn-readout-{key}" in widget.readouts[key]._dom_classes


def test_controls_offer_every_value(widget, explorer):
    c = widget.controls
    slider = c["tau"]
    steps = round((slider.max - slider.min) / slider.step) + 1
    assert [round(slider.min + k * slider.step, 2) for k in range(steps)] == list(TAU_STEPS)
    assert list(c["reduce"].options) == list(REDUCTIONS)
    positions = [value for _, value in c["image"].options]
    assert sorted(positions) == list(range(len(explorer)))
    # Images with a ground-truth box come first, and the widget opens on the first one.
    with_lesions = set(explorer.truth["image"])
    flags = [explorer.names()[i] in with_lesions for i in positions]
    assert flags == sorted(flags, reverse=True) and flags[0]
    assert c["image"].value == positions[0]


def test_opening_state_is_shown(widget, explorer):
    state = _state(widget)
    assert _shown(widget) == _expected(explorer, state)
    assert widget.figure.value == render_png(explorer.view(state))


def test_moving_tau_over_every_step_updates_readouts_and_figure(widget, explorer):
    figures = set()
    for tau in TAU_STEPS:
        widget.controls["tau"].value = tau
        state = _state(widget)
        assert state.tau == tau
        assert _shown(widget) == _expected(explorer, state)
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
        for reduce in REDUCTIONS:
            c["reduce"].value = reduce
            state = _state(widget)
            assert (state.image, state.reduce) == (position, reduce)
            assert _shown(widget) == _expected(explorer, state)
        assert widget.figure.value == render_png(explorer.view(_state(widget)))
    assert widget.readouts["image"].value.startswith(f"<b>image</b>: {explorer.names()[positions[-1]]}")


def test_a_given_state_and_image_subset(explorer):
    widget = tau_explorer(explorer, ExplorerState(image=2, tau=0.3, reduce="l1"), images=[2, 5, 7])
    assert [v for _, v in widget.controls["image"].options] == [2, 5, 7]
    assert _state(widget) == ExplorerState(2, 0.3, "l1")
    assert _shown(widget) == _expected(explorer, ExplorerState(2, 0.3, "l1"))
    with pytest.raises(ValueError, match="at least one image"):
        tau_explorer(explorer, images=[])
