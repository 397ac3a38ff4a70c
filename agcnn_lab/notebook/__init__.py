"""What the notebooks share, in one namespace: the series' run folder and helpers (series) and
the exercises' self-checks (exercises).

    from agcnn_lab.notebook import describe_profile, series_dir, check_box, EXAMPLE_HEATMAP
    print(describe_profile(profile))
    check_box((64, 32, 160, 128))          # prints "Correct: ..." or what is off

The notebooks import from here only, as d2l's notebooks import from d2l, so a helper can move
between the two modules without touching a notebook.
"""

from .exercises import (
    AUC_LABELS,
    AUC_SCORES,
    EXAMPLE_CELL,
    EXAMPLE_FEATURES,
    EXAMPLE_HEATMAP,
    EXAMPLE_INPUT,
    EXAMPLE_TAU,
    check_auc_by_hand,
    check_box,
    check_extreme_classes,
    check_gain,
    check_heatmap_cell,
    check_leaked_images,
    check_steps_per_epoch,
    check_tau,
    check_top_pair,
    check_zoom,
    example_box,
    example_heatmap_value,
    leaked_patients,
    leaked_test_images,
    top_pair,
)
from .series import (
    CHESTMNIST_HINT,
    NIH_HINT,
    RealData,
    convergence_note,
    describe_profile,
    easy_and_hard,
    environment,
    find_real_data,
    on_gpu,
    predict_split,
    recipe_hours,
    recipe_readiness,
    series_dir,
    torchrun_command,
    train_recipe,
)

__all__ = [
    "AUC_LABELS",
    "AUC_SCORES",
    "CHESTMNIST_HINT",
    "EXAMPLE_CELL",
    "EXAMPLE_FEATURES",
    "EXAMPLE_HEATMAP",
    "EXAMPLE_INPUT",
    "EXAMPLE_TAU",
    "NIH_HINT",
    "RealData",
    "check_auc_by_hand",
    "check_box",
    "check_extreme_classes",
    "check_gain",
    "check_heatmap_cell",
    "check_leaked_images",
    "check_steps_per_epoch",
    "check_tau",
    "check_top_pair",
    "check_zoom",
    "convergence_note",
    "describe_profile",
    "easy_and_hard",
    "environment",
    "example_box",
    "example_heatmap_value",
    "find_real_data",
    "leaked_patients",
    "leaked_test_images",
    "on_gpu",
    "predict_split",
    "recipe_hours",
    "recipe_readiness",
    "series_dir",
    "torchrun_command",
    "train_recipe",
    "top_pair",
]
