"""Interactive views: ipywidgets code only, wired to tested logic that lives elsewhere.

    from agcnn_lab.attention import AttentionExplorer
    from agcnn_lab.widgets import tau_explorer
    tau_explorer(AttentionExplorer(model, dataset, data.boxes))   # in a notebook cell: opens on the model's tau

The logic (agcnn_lab.attention.trace) is kept out of the widgets because ipywidgets swallows the
exceptions raised inside its callbacks: tested as plain functions, it fails loudly.
"""

from .tau_explorer import (
    READOUTS,
    SET_READOUTS,
    TAU_STEPS,
    chosen_text,
    finding_options,
    nearest_step,
    render_png,
    sweep_readouts,
    tau_explorer,
)

__all__ = ["READOUTS", "SET_READOUTS", "TAU_STEPS", "chosen_text", "finding_options", "nearest_step", "render_png", "sweep_readouts", "tau_explorer"]
