"""AG-CNN's attention: heatmap of the global features -> largest region -> crop of the source.

    from agcnn_lab.attention import heatmap, attention_boxes, crop, AttentionCrop
    h = heatmap(features)                                  # (B, 7, 7) in [0, 1], max |f|
    boxes = attention_boxes(h, tau=0.7, image_size=224)    # (B, 4) in input pixels
    crops = crop(sources, boxes, 224, frames=frames, input_size=224)
    steps = AttentionCrop(tau=0.7).trace(h, images, sources, frames)   # every step kept

Grad-CAM, the class-specific map the heatmap is compared with, is in agcnn_lab.attention.gradcam
(not imported here: it pulls in the grad-cam package).
"""

from .boxes import attention_boxes, centred_boxes, pointing_hits, region_boxes, threshold_mask
from .components import component_sizes, label_components, largest_component
from .crop import crop, to_source_pixels
from .guided_crop import CROP_FROM, AttentionCrop, AttentionResult, AttentionTrace
from .heatmap import REDUCTIONS, heatmap, scale_per_image, upsample_heatmap
from .trace import (
    STATISTICS,
    AttentionExplorer,
    ExplorerState,
    ExplorerView,
    SetReadout,
    readouts,
    set_readouts,
)

__all__ = [
    "CROP_FROM",
    "REDUCTIONS",
    "STATISTICS",
    "AttentionCrop",
    "AttentionExplorer",
    "AttentionResult",
    "AttentionTrace",
    "ExplorerState",
    "ExplorerView",
    "SetReadout",
    "attention_boxes",
    "centred_boxes",
    "component_sizes",
    "crop",
    "heatmap",
    "label_components",
    "largest_component",
    "pointing_hits",
    "readouts",
    "region_boxes",
    "scale_per_image",
    "set_readouts",
    "threshold_mask",
    "to_source_pixels",
    "upsample_heatmap",
]
