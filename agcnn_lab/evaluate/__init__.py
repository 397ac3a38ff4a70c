"""Evaluation: AUCs with confidence intervals and paired differences, localisation of the
attention and its controls (the whole film, a fixed box), the paper's table."""

from .attention_effect import (
    attention_effect,
    branch_mean_auc,
    effect_table,
    paired_scores,
    seeds_attention_effect,
)
from .auc import (
    bootstrap_ci,
    mean_auc,
    paired_bootstrap_difference,
    per_class_auc,
    rank_auc,
    seeds_paired_difference,
)
from .fixed_box import best_fixed_box, fixed_box_scores, fixed_box_sweep
from .localisation import box_scores, localisation_table, normalise_boxes
from .paper import BRANCHES, PAPER_TAU_SWEEP, comparison_table, paper_table

__all__ = [
    "BRANCHES",
    "PAPER_TAU_SWEEP",
    "attention_effect",
    "best_fixed_box",
    "bootstrap_ci",
    "box_scores",
    "branch_mean_auc",
    "comparison_table",
    "effect_table",
    "fixed_box_scores",
    "fixed_box_sweep",
    "localisation_table",
    "mean_auc",
    "normalise_boxes",
    "paired_bootstrap_difference",
    "paired_scores",
    "paper_table",
    "per_class_auc",
    "rank_auc",
    "seeds_attention_effect",
    "seeds_paired_difference",
]
