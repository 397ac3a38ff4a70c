"""Evaluation: AUCs with confidence intervals, localisation of the attention, the paper's table."""

from .auc import bootstrap_ci, mean_auc, per_class_auc, rank_auc
from .localisation import box_scores, localisation_table, normalise_boxes
from .paper import BRANCHES, PAPER_TAU_SWEEP, comparison_table, paper_table

__all__ = [
    "BRANCHES",
    "PAPER_TAU_SWEEP",
    "bootstrap_ci",
    "box_scores",
    "comparison_table",
    "localisation_table",
    "mean_auc",
    "normalise_boxes",
    "paper_table",
    "per_class_auc",
    "rank_auc",
]
