"""Ground-truth boxes in the frame every other part uses: normalised (x0, y0, x1, y1) of the image.

    truth = normalise_boxes(read_boxes("BBox_List_2017.csv"), sizes)   # sizes: image, width, height

NIH's box list gives (x, y, w, h) in pixels of the 1024-px original; dividing by the size of the
image the box was drawn on makes it independent of the cache's resolution and of the input's.
"""

from __future__ import annotations

import pandas as pd


def normalise_boxes(boxes: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    """Ground-truth rows (image, label, x, y, w, h in pixels) to normalised (x0, y0, x1, y1).

    `sizes` has image, width, height: the size of the image the boxes were drawn on.
    """
    merged = boxes.merge(sizes[["image", "width", "height"]], on="image", how="left", validate="many_to_one")
    unknown = merged["image"][merged["width"].isna()]
    if len(unknown):
        raise ValueError(f"no image size for box image(s) {', '.join(unknown.iloc[:3])}")
    return pd.DataFrame(
        {
            "image": merged["image"],
            "label": merged["label"],
            "x0": merged["x"] / merged["width"],
            "y0": merged["y"] / merged["height"],
            "x1": (merged["x"] + merged["w"]) / merged["width"],
            "y1": (merged["y"] + merged["h"]) / merged["height"],
        }
    )
