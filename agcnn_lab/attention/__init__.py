"""AG-CNN's attention: heatmap of the global features -> largest region -> crop of the source.

    from agcnn_lab.attention import heatmap, attention_boxes, crop
    h = heatmap(features)                                  # (B, 7, 7) in [0, 1], max |f|
    boxes = attention_boxes(h, tau=0.7, image_size=224)    # (B, 4) in input pixels
    crops = crop(sources, boxes, 224, frames=frames, input_size=224)
"""

from .boxes import attention_boxes, threshold_mask
from .components import component_sizes, label_components, largest_component
from .crop import crop
from .guided_crop import CROP_FROM, AttentionCrop, AttentionResult
from .heatmap import REDUCTIONS, heatmap, scale_per_image, upsample_heatmap

__all__ = [
    "CROP_FROM",
    "REDUCTIONS",
    "AttentionCrop",
    "AttentionResult",
    "attention_boxes",
    "component_sizes",
    "crop",
    "heatmap",
    "label_components",
    "largest_component",
    "scale_per_image",
    "threshold_mask",
    "upsample_heatmap",
]
