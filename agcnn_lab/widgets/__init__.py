"""Interactive views. The logic is in pure, tested functions (explorer.py); the ipywidgets
layer (tau_explorer.py) only wires controls to them, because ipywidgets swallows exceptions
raised inside callbacks."""

from .explorer import AttentionExplorer, ExplorerState, ExplorerView, readouts

__all__ = ["AttentionExplorer", "ExplorerState", "ExplorerView", "readouts"]
