"""The tau explorer: a slider for tau, a picker for the image, a dropdown for the heatmap.

    explorer = AttentionExplorer(model, data.dataset("val", profile.data, with_source=True), data.boxes)
    tau_explorer(explorer)          # in a notebook cell: opens on the model's tau (explorer.chosen_tau)

Controls: tau (with the chosen tau named beside it and a button back to it), a filter by finding,
the image picker (each image named with its findings) with previous / next / random, and the
heatmap statistic (Grad-CAM among them). Readouts: the image's (its box, zoom and verdicts) and the
set's (every film's boxes at this tau and statistic: the tau sweep's hit and area).

The widget only wires controls to `AttentionExplorer.view` (agcnn_lab.attention.trace),
`ExplorerSweep.set_readout` (agcnn_lab.evaluate.explorer_sweep) and `draw_view`
(agcnn_lab.figures.attention), all tested without a browser. Its parts carry CSS classes so a browser test can find them: agcnn-tau, agcnn-chosen-tau,
agcnn-reset, agcnn-filter, agcnn-image, agcnn-previous, agcnn-next, agcnn-random, agcnn-reduce,
agcnn-readout-<key> (READOUTS), agcnn-readout-set-<key> (SET_READOUTS), agcnn-figure.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from contextlib import contextmanager

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..attention import REDUCTIONS
from ..attention.trace import (
    ALL,
    STATISTICS,
    AttentionExplorer,
    ExplorerState,
    readouts,
    set_readouts,
)
from ..data.classes import CLASSES, NO_FINDING
from ..evaluate.explorer_sweep import ExplorerSweep

READOUTS = ("image", "area", "zoom", "truth")  # of the image shown
SET_READOUTS = ("hit", "area")  # of every film, at the slider's tau and the statistic
TAU_STEPS = tuple(round(0.05 * k, 2) for k in range(1, 20))  # the slider's values


def render_png(view) -> bytes:
    """The five-panel figure of a view as PNG bytes."""
    from ..figures.attention import draw_view

    fig = draw_view(view)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()


def nearest_step(tau: float) -> float:
    """The slider value nearest `tau`: the slider moves by 0.05 (a configured tau may not)."""
    return min(TAU_STEPS, key=lambda step: (abs(step - tau), step))


def chosen_text(explorer: AttentionExplorer, tau: float) -> str:
    """The marker beside the slider: the chosen tau, where it comes from, and whether the slider
    is on it."""
    step = nearest_step(explorer.chosen_tau)
    on_slider = "" if abs(step - explorer.chosen_tau) < 1e-9 else f", slider step {step:.2f}"
    where = "the slider is on it" if abs(tau - step) < 1e-9 else f"the slider is at {tau:.2f}"
    return f"<b>chosen tau = {explorer.chosen_tau:.2f}</b> ({explorer.chosen_by}{on_slider}): {where}"


def finding_options(explorer: AttentionExplorer, images: list[int]) -> list[tuple[str, str]]:
    """The filter's (label, finding) pairs: All, each finding of these images (paper order) and
    No finding, each with its number of images; findings without an image are left out."""
    counts = Counter(f for i in images for f in explorer.findings(i))
    options = [(f"{ALL} ({len(images)})", ALL)]
    options += [(f"{c} ({counts[c]})", c) for c in CLASSES if counts[c]]
    normal = len(explorer.with_finding(NO_FINDING, images))
    if normal:
        options.append((f"No finding ({normal})", NO_FINDING))
    return options


def _button(description: str, css: str, tooltip: str) -> widgets.Button:
    # flex 0 0 auto: a crowded row would otherwise shrink the buttons to "p..." and "n...".
    button = widgets.Button(description=description, tooltip=tooltip, layout=widgets.Layout(width="auto", flex="0 0 auto"))
    button.add_class(css)
    return button


def tau_explorer(explorer: AttentionExplorer, state: ExplorerState | None = None, images: list[int] | None = None,
                 seed: int = 0) -> widgets.VBox:
    """Build the widget; `images` limits the picker (default: every image, lesions first).
    Without a `state`, it opens on the picker's first image at the chosen tau (snapped to the
    slider) and the model's statistic. `seed`: the random button's generator."""
    names = explorer.names()
    if images is None:
        with_lesions = set(explorer.truth["image"])
        images = sorted(range(len(names)), key=lambda i: (names[i] not in with_lesions, i))
    images = list(images)
    if not images:
        raise ValueError("the explorer needs at least one image")
    chosen = nearest_step(explorer.chosen_tau)
    sweep = ExplorerSweep(explorer)  # the readouts over every film, kept per (tau, statistic)
    state = state or ExplorerState(images[0], chosen, explorer.model.attention.reduce)
    picker = lambda positions: [(explorer.describe(i), i) for i in positions]  # noqa: E731
    tau = widgets.FloatSlider(value=state.tau, min=0.05, max=0.95, step=0.05, description="tau", continuous_update=False, readout_format=".2f")
    marker = widgets.HTML()
    reset = _button("reset to chosen tau", "agcnn-reset", f"back to tau {chosen:.2f}")
    finding = widgets.Dropdown(options=finding_options(explorer, images), value=ALL, description="finding")
    image = widgets.Dropdown(options=picker(images), value=state.image if state.image in images else images[0], description="image",
                             layout=widgets.Layout(width="460px"))
    buttons = {
        "previous": _button("previous", "agcnn-previous", "the image before this one in the picker"),
        "next": _button("next", "agcnn-next", "the image after this one in the picker"),
        "random": _button("random", "agcnn-random", "another image of the picker, at random"),
        "reset": reset,
    }
    reduce = widgets.Dropdown(options=list(STATISTICS), value=state.reduce, description="heatmap")
    figure = widgets.Image(format="png")
    labels = {key: widgets.HTML() for key in READOUTS}
    set_labels = {key: widgets.HTML() for key in SET_READOUTS}
    for part, css in ((tau, "agcnn-tau"), (marker, "agcnn-chosen-tau"), (finding, "agcnn-filter"), (image, "agcnn-image"),
                      (reduce, "agcnn-reduce"), (figure, "agcnn-figure")):
        part.add_class(css)
    for key, label in labels.items():
        label.add_class(f"agcnn-readout-{key}")
    for key, label in set_labels.items():
        label.add_class(f"agcnn-readout-set-{key}")
    paused = []  # non-empty while several controls change at once: one redraw at the end

    @contextmanager
    def one_redraw():
        paused.append(True)
        try:
            yield
        finally:
            paused.pop()
        update()

    def update(_=None) -> None:
        if paused:
            return
        current = ExplorerState(image=image.value, tau=round(float(tau.value), 4), reduce=reduce.value)
        view = explorer.view(current)
        for key, text in readouts(view).items():
            labels[key].value = f"<b>{key}</b>: {text}"
        for key, text in set_readouts(sweep.set_readout(current.tau, current.reduce)).items():
            set_labels[key].value = f"<b>all films, {key}</b>: {text}"
        marker.value = chosen_text(explorer, current.tau)
        figure.value = render_png(view)

    def step(offset: int) -> None:
        """Previous / next in the picker's order, wrapping around at its ends."""
        positions = [value for _, value in image.options]
        image.value = positions[(positions.index(image.value) + offset) % len(positions)]

    generator = random.Random(seed)

    def pick_random(_=None) -> None:
        positions = [value for _, value in image.options]
        others = [p for p in positions if p != image.value] or positions  # a move, when there is another
        image.value = generator.choice(others)

    def refilter(_=None) -> None:
        """The picker keeps the filter's images; the image shown stays if it is among them."""
        keep = explorer.with_finding(finding.value, images)
        current = image.value
        with one_redraw():
            image.options = picker(keep)  # selects the first option
            if current in keep:
                image.value = current

    for control in (tau, image, reduce):
        control.observe(update, names="value")
    finding.observe(refilter, names="value")
    buttons["previous"].on_click(lambda _: step(-1))
    buttons["next"].on_click(lambda _: step(+1))
    buttons["random"].on_click(pick_random)
    reset.on_click(lambda _: setattr(tau, "value", chosen))
    update()
    box = widgets.VBox([
        widgets.HBox([tau, reset, marker]),
        widgets.HBox([finding, reduce]),
        widgets.HBox([image, buttons["previous"], buttons["next"], buttons["random"]]),
        *labels.values(),
        *set_labels.values(),
        figure,
    ])
    box.update = update  # lets a notebook (or a test) redraw after changing several controls
    box.controls = {"tau": tau, "image": image, "reduce": reduce, "finding": finding}
    box.buttons = buttons
    box.marker = marker
    box.readouts = labels
    box.set_readouts = set_labels
    box.sweep = sweep
    box.figure = figure
    return box


def sweep_readouts(explorer: AttentionExplorer, images, taus=TAU_STEPS, reduces=REDUCTIONS) -> list[dict]:
    """Every readout for every control value: what the widget would show, as rows (image is
    the position in the explorer's dataset; "readouts" holds the texts of `readouts`)."""
    rows = []
    for index in images:
        for reduce in reduces:
            for tau in taus:
                view = explorer.view(ExplorerState(index, round(float(tau), 4), reduce))
                rows.append({"image": index, "reduce": reduce, "tau": round(float(tau), 4), "area_percent": view.area_percent, "hits": list(view.hits), "readouts": readouts(view)})
    return rows
