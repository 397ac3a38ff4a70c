"""The tau explorer: a slider for tau, a picker for the image, a dropdown for the heatmap.

    explorer = AttentionExplorer(model, data.dataset("val", profile.data, with_source=True), data.boxes)
    tau_explorer(explorer)          # in a notebook cell

The widget only wires controls to `AttentionExplorer.view` (agcnn_lab.attention.trace) and
`draw_view` (agcnn_lab.figures.attention), both tested without a browser. Its parts carry CSS classes (agcnn-tau, agcnn-image, agcnn-reduce,
agcnn-readout-*, agcnn-figure) so a browser test can find them.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..attention import REDUCTIONS
from ..attention.trace import AttentionExplorer, ExplorerState, readouts

READOUTS = ("image", "area", "zoom", "truth")


def render_png(view) -> bytes:
    """The five-panel figure of a view as PNG bytes."""
    from ..figures.attention import draw_view

    fig = draw_view(view)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    plt.close(fig)
    return buffer.getvalue()


def tau_explorer(explorer: AttentionExplorer, state: ExplorerState | None = None, images: list[int] | None = None) -> widgets.VBox:
    """Build the widget; `images` limits the picker (default: every image, lesions first).
    Without a `state`, it opens on the picker's first image."""
    names = explorer.names()
    if images is None:
        with_lesions = set(explorer.truth["image"])
        images = sorted(range(len(names)), key=lambda i: (names[i] not in with_lesions, i))
    images = list(images)
    if not images:
        raise ValueError("the explorer needs at least one image")
    state = state or ExplorerState(image=images[0])
    tau = widgets.FloatSlider(value=state.tau, min=0.05, max=0.95, step=0.05, description="tau", continuous_update=False, readout_format=".2f")
    image = widgets.Dropdown(options=[(names[i], i) for i in images], value=state.image if state.image in images else images[0], description="image")
    reduce = widgets.Dropdown(options=list(REDUCTIONS), value=state.reduce, description="heatmap")
    figure = widgets.Image(format="png")
    labels = {key: widgets.HTML() for key in READOUTS}
    tau.add_class("agcnn-tau")
    image.add_class("agcnn-image")
    reduce.add_class("agcnn-reduce")
    figure.add_class("agcnn-figure")
    for key, label in labels.items():
        label.add_class(f"agcnn-readout-{key}")

    def update(_=None) -> None:
        view = explorer.view(ExplorerState(image=image.value, tau=round(float(tau.value), 4), reduce=reduce.value))
        for key, text in readouts(view).items():
            labels[key].value = f"<b>{key}</b>: {text}"
        figure.value = render_png(view)

    for control in (tau, image, reduce):
        control.observe(update, names="value")
    update()
    box = widgets.VBox([widgets.HBox([tau, image, reduce]), *labels.values(), figure])
    box.update = update  # lets a notebook (or a test) redraw after changing several controls
    box.controls = {"tau": tau, "image": image, "reduce": reduce}
    box.readouts = labels
    box.figure = figure
    return box


TAU_STEPS = tuple(round(0.05 * k, 2) for k in range(1, 20))  # the slider's values


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
