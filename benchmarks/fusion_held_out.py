"""Would a fusion fit on films the branches never trained on favour the crop? (no training)

    .venv/bin/python benchmarks/fusion_held_out.py                      # runs/demo-cpu
    .venv/bin/python benchmarks/fusion_held_out.py --run runs/exp-seed1

Stage III keeps its start, the mean of the two branches' logits, because one epoch on the
training films lowers validation: the frozen branches are surer on films they were trained on,
and a layer fit there learns to trust them too much (stacking's trap). The principled fix fits
the fusion on predictions of films neither branch saw. This script measures it with a finished
run's validation predictions alone (predictions.csv; the test split is not read): per disease c,
a logistic regression on (logit global_c, logit local_c), fit on one half of the validation
patients and scored on the other half, then the halves swapped (cross-fitting), for the crop's
local branch and for the whole-film control's. A second, more constrained fit: per disease one
mixing weight a of the logits, a * global + (1 - a) * local with a in {0, 0.25, 0.5, 0.75, 1},
chosen on one half and scored on the other (one number a disease, where the regression fits
three): the fusion that lets the global branch keep the findings the crop drops. Printed: the
mean validation AUC of the run's fusion, of the logit mean (its start) and of the two
cross-fitted fusions, crop and whole film, and the crop's margin under each.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import logit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from agcnn_lab.data.classes import CLASSES
from agcnn_lab.data.splits import half_of_patients
from agcnn_lab.report import markdown_table

PAIRS = (("local", "fusion"), ("local_whole_film", "fusion_whole_film"))
MIXING_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # of the global branch's logit


def branch_frame(predictions: pd.DataFrame, split: str, branch: str) -> pd.DataFrame:
    rows = predictions[(predictions["split"] == split) & (predictions["branch"] == branch)]
    if rows.empty:
        raise SystemExit(f"predictions.csv has no {branch!r} rows on the {split} split")
    return rows.set_index("image").sort_index()


def cross_fit(features: np.ndarray, truth: np.ndarray, first: np.ndarray, fit) -> np.ndarray:
    """Scores of `fit(features, truth)` (a scoring function) fit on one half and applied to the
    other, both ways; a half with one class only (nothing to fit) scores the other with the
    features' mean."""
    scores = np.zeros(len(truth))
    for fit_rows, score_rows in ((first, ~first), (~first, first)):
        if truth[fit_rows].min() == truth[fit_rows].max():
            scores[score_rows] = features[score_rows].mean(axis=1)
        else:
            scores[score_rows] = fit(features[fit_rows], truth[fit_rows])(features[score_rows])
    return scores


def cross_fit_scores(features: np.ndarray, truth: np.ndarray, first: np.ndarray) -> np.ndarray:
    """cross_fit of a logistic regression on the two logits."""
    return cross_fit(features, truth, first, lambda x, y: LogisticRegression().fit(x, y).decision_function)


def best_mixing(features: np.ndarray, truth: np.ndarray):
    """a * global + (1 - a) * local with the a of MIXING_WEIGHTS that scores best here (ties: the
    one nearest the mean, 0.5)."""
    weight = max(MIXING_WEIGHTS, key=lambda a: (roc_auc_score(truth, features @ [a, 1 - a]), -abs(a - 0.5)))
    return lambda rows: rows @ [weight, 1 - weight]


def cross_fit_mixing(features: np.ndarray, truth: np.ndarray, first: np.ndarray) -> np.ndarray:
    """cross_fit of one mixing weight of the two logits (best_mixing)."""
    return cross_fit(features, truth, first, best_mixing)


def fusion_aucs(predictions: pd.DataFrame, local: str, fusion: str, split: str = "val") -> dict[str, float]:
    """Mean AUC over the diseases defined on `split`: the run's fusion, the logit mean, the cross-fit."""
    global_ = branch_frame(predictions, split, "global")
    local_ = branch_frame(predictions, split, local).loc[global_.index]
    fusion_ = branch_frame(predictions, split, fusion).loc[global_.index]
    first = half_of_patients(global_.index)
    aucs = {"fusion (the run's)": [], "logit mean (stage III's start)": [], "cross-fitted fusion": [],
            "cross-fitted mixing weight": []}
    for name in CLASSES:
        truth = global_[f"true_{name}"].to_numpy()
        if truth.min() == truth.max():
            continue
        features = np.column_stack([logit(np.clip(frame[name].to_numpy(), 1e-7, 1 - 1e-7)) for frame in (global_, local_)])
        aucs["fusion (the run's)"].append(roc_auc_score(truth, fusion_[name]))
        aucs["logit mean (stage III's start)"].append(roc_auc_score(truth, features.mean(axis=1)))
        aucs["cross-fitted fusion"].append(roc_auc_score(truth, cross_fit_scores(features, truth, first)))
        aucs["cross-fitted mixing weight"].append(roc_auc_score(truth, cross_fit_mixing(features, truth, first)))
    return {key: float(np.mean(values)) for key, values in aucs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", default="runs/demo-cpu", help="a finished run folder with the whole-film control")
    args = parser.parse_args()
    path = Path(args.run) / "predictions.csv"
    if not path.is_file():
        raise SystemExit(f"{path}: not found; evaluate the run first (agcnn-lab demo or evaluate)")
    predictions = pd.read_csv(path)
    crop, whole = (fusion_aucs(predictions, local, fusion) for local, fusion in PAIRS)
    table = pd.DataFrame({"crop": crop, "whole film": whole})
    table["crop - whole film"] = table["crop"] - table["whole film"]
    films = int((predictions["split"] == "val").sum() / predictions["branch"].nunique())
    print(f"{args.run}, validation split ({films} films), mean AUC over the diseases\n")
    print(markdown_table(table.round(4).rename_axis("fusion")))


if __name__ == "__main__":
    main()
