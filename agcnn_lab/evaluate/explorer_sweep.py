"""The tau explorer's readouts over every film: the validation tau sweep's row at one tau.

    explorer = AttentionExplorer(model, data.dataset("val", profile.data, with_source=True), data.boxes)
    sweep = ExplorerSweep(explorer)
    summary = sweep.set_readout(0.7, "max")        # SetReadout: hit, hit_single, area
    set_readouts(summary)                          # its text, in the sweep's words

The explorer (attention.trace) traces one image; scoring every film's box against the ground
truth is evaluation (evaluate.tau_sweep), so the set-level readout lives here, a layer up.
Each statistic costs one batched pass of the global branch (Grad-CAM: one backward pass too),
and each (tau, statistic) one thresholding: both are kept, so a slider moved back is instant.
"""

from __future__ import annotations

import math

import pandas as pd
import torch
from torch.utils.data import DataLoader

from ..attention.trace import GRAD_CAM, AttentionExplorer, InputsOnly, SetReadout
from .tau_sweep import (
    HeatmapSet,
    global_heatmaps,
    heatmap_set,
    source_boxes,
    tau_sweep,
    window_share,
)

__all__ = ["ExplorerSweep"]


class ExplorerSweep:
    """Every film of an AttentionExplorer at once, with the explorer's settings."""

    def __init__(self, explorer: AttentionExplorer):
        self.explorer = explorer
        self._maps: dict[str, HeatmapSet] = {}  # statistic -> every film's heatmap
        self._summaries: dict[tuple[float, str], SetReadout] = {}

    def heatmap_set(self, reduce: str) -> HeatmapSet:
        """Every film's heatmap with one statistic, from one batched pass of the global branch."""
        e = self.explorer
        e.check(None, reduce)
        if reduce not in self._maps:
            loader = DataLoader(InputsOnly(e.dataset), batch_size=e.batch_size, shuffle=False)
            if reduce == GRAD_CAM:
                self._maps[reduce] = self._grad_cam_set(loader)
            else:
                self._maps[reduce] = global_heatmaps(e.model, loader, e.device, reduce)
        return self._maps[reduce]

    def _grad_cam_set(self, loader) -> HeatmapSet:
        """global_heatmaps for Grad-CAM: each film's map of its top-scored disease."""
        from ..attention.gradcam import grad_cam  # the grad-cam package, only when asked for

        e = self.explorer
        e.model.eval()

        def maps_of(images: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                logits = e.model.global_branch(images).logits
            return grad_cam(e.model, images, e.targets(logits))

        return heatmap_set(loader, e.device, maps_of)

    def set_readout(self, tau: float, reduce: str) -> SetReadout:
        """Mean box area and pointing game (every lesion, and those alone on their film) over
        every film at (tau, statistic): evaluate.tau_sweep's row, with the boxes the views cut
        (the model's crop, with the explorer's upsample)."""
        e = self.explorer
        e.check(tau, reduce)
        key = (round(float(tau), 4), reduce)
        if key not in self._summaries:
            maps = self.heatmap_set(reduce)
            crop = e.model.attention.replace(upsample=e.upsample)  # the model's box rule, the explorer's upsample
            films = pd.DataFrame({"image": e.names()})  # maps.indices are positions in it
            if e.truth["image"].isin(set(films["image"])).any():
                row = tau_sweep(maps, e.truth, films, taus=(key[0],), crop=crop).iloc[0]
                area, lesions, hit = float(row["area"]), int(row["lesions"]), float(row["hit"])
                single, hit_single = int(row["single"]), float(row["hit_single"])
            else:  # tau_sweep refuses a set without lesions; the area still means something
                area = float(window_share(source_boxes(maps, crop.replace(tau=key[0])), maps.frames.numpy()).mean())
                lesions, hit, single, hit_single = 0, math.nan, 0, math.nan
            self._summaries[key] = SetReadout(key[0], reduce, len(e), area, lesions, hit, single, hit_single)
        return self._summaries[key]
