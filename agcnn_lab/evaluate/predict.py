"""What the files of a run say about its predictions: metrics.json's AUCs, predictions.csv's rows.

    test = predict_split(model, data, profile, "test", device)   # train.predict: the one prediction loop
    metrics = branch_metrics(test)                               # branch -> mean AUC, per class, 95% CIs
    frame = predictions_frame(test, data.entries("test"), split="test")
"""

from __future__ import annotations

import pandas as pd

from ..data.classes import CLASSES
from ..data.dataset import label_columns
from ..train.predict import Predictions
from .auc import bootstrap_ci, mean_auc, per_class_auc

__all__ = ["ATTENTION_BOX_COLUMNS", "Predictions", "attention_frame", "branch_metrics", "predictions_frame"]


def branch_metrics(result: Predictions, n_boot: int = 1000, seed: int = 0) -> dict:
    """metrics.json's mapping: branch -> {"mean_auc", "auc": {class: ...}, "ci95": {...}}."""
    out = {}
    for branch, probs in result.probs.items():
        out[branch] = {
            "mean_auc": mean_auc(result.labels, probs),
            "auc": per_class_auc(result.labels, probs),
            "ci95": bootstrap_ci(result.labels, probs, n_boot=n_boot, seed=seed),
        }
    return out


def predictions_frame(result: Predictions, entries: pd.DataFrame, split: str) -> pd.DataFrame:
    """Long table: image, split, branch, one probability column per class, true_<class> columns."""
    images = entries["image"].to_numpy()[result.indices]
    truth = {f"true_{c}": result.labels[:, k].astype(int) for k, c in enumerate(CLASSES)}
    frames = []
    for branch, probs in result.probs.items():
        columns = {"image": images, "split": split, "branch": branch}
        columns.update({c: probs[:, k] for k, c in enumerate(label_columns(probs.shape[1] > len(CLASSES)))})
        frames.append(pd.DataFrame({**columns, **truth}))
    return pd.concat(frames, ignore_index=True)


ATTENTION_BOX_COLUMNS = ["image", "split", "x0", "y0", "x1", "y1"]  # a run's attention_boxes.csv


def attention_frame(result: Predictions, entries: pd.DataFrame) -> pd.DataFrame:
    """image, x0, y0, x1, y1: the attention box of each image in normalised source coordinates."""
    images = entries["image"].to_numpy()[result.indices]
    x0, y0, x1, y1 = result.boxes.T
    return pd.DataFrame({"image": images, "x0": x0, "y0": y0, "x1": x1, "y1": y1})
