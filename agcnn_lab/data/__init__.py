"""The data layer: read the ChestX-ray14 release (and its look-alikes), split it, cache it."""

from .chestmnist import read_chestmnist
from .classes import CLASSES, NO_FINDING, class_index
from .images import ImageReadError, read_image
from .nih import prepare_nih
from .splits import (
    Split,
    half_of_patients,
    image_split,
    official_split,
    patient_overlap,
    patient_split,
)
from .tables import TableError, read_boxes, read_entries, read_image_list

__all__ = [
    "CLASSES",
    "NO_FINDING",
    "ImageReadError",
    "Split",
    "TableError",
    "class_index",
    "half_of_patients",
    "image_split",
    "official_split",
    "patient_overlap",
    "patient_split",
    "prepare_nih",
    "read_boxes",
    "read_chestmnist",
    "read_entries",
    "read_image",
    "read_image_list",
]
