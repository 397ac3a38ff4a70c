"""Every number of the AG-CNN paper (Guan et al., 2018) in one place: its recipe and its results.

    from agcnn_lab import paper
    paper.RECIPE.tau, paper.RECIPE.batch_sizes        # 0.7, (128, 64, 64)
    paper.MEAN_AUC[("resnet50", "fusion")]            # 0.868
    paper.ABLATIONS["tau = 0.9"]                      # (global, local, fusion) test mean AUC

The recipe is what the `gpu` profile and the configuration's defaults are made of; the results
are what every run of this package is set beside (evaluate.paper builds the tables). The values
are the paper's, not this package's: nothing here is measured.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd


class Recipe(NamedTuple):
    """How the paper trains (Section 4.1): the same for all three stages unless a field says otherwise."""

    backbone: str = "resnet50"  # and densenet121
    input_size: int = 224  # both branches
    resize: int = 256  # then the (random | centre) crop of input_size
    outputs: int = 15  # the 14 diseases and No Finding
    tau: float = 0.7
    lr: float = 0.01
    lr_drop_epoch: int = 20  # lr divided by 10 every 20 epochs
    momentum: float = 0.9
    weight_decay: float = 1e-4
    epochs: int = 50  # a stage
    batch_sizes: tuple[int, int, int] = (128, 64, 64)  # global, local, fusion


RECIPE = Recipe()
FILM_SIZE = 1024  # ChestX-ray14's films are 1024 x 1024 px, the frame of its box list: the paper's source

# Guan et al. 2018, Table 1; per-class AUC in CLASSES order, then the mean over the 14.
TABLE_1 = [
    ("Wang et al. 2017", "resnet50", "-", ".716 .807 .784 .609 .706 .671 .633 .806 .708 .835 .815 .769 .708 .767 .738"),
    ("Yao et al. 2017", "-", "-", ".772 .904 .859 .695 .792 .717 .713 .841 .788 .882 .829 .767 .765 .914 .803"),
    ("CheXNet (other split)", "densenet121", "-", ".821 .905 .883 .720 .862 .777 .763 .893 .794 .893 .926 .804 .814 .939 .842"),
    ("Kumar et al. (other split)", "densenet161", "-", ".762 .913 .864 .692 .750 .666 .715 .859 .784 .888 .898 .756 .774 .802 .795"),
    ("AG-CNN", "resnet50", "global", ".818 .904 .881 .728 .863 .780 .783 .897 .807 .892 .918 .815 .800 .889 .841"),
    ("AG-CNN", "resnet50", "local", ".798 .881 .862 .707 .826 .736 .716 .872 .805 .874 .898 .808 .770 .887 .817"),
    ("AG-CNN", "resnet50", "fusion", ".844 .937 .904 .753 .893 .827 .776 .919 .842 .919 .941 .857 .836 .903 .868"),
    ("AG-CNN", "densenet121", "global", ".832 .906 .887 .717 .870 .791 .732 .891 .808 .905 .912 .823 .802 .883 .840"),
    ("AG-CNN", "densenet121", "local", ".797 .865 .851 .704 .829 .733 .710 .850 .802 .882 .874 .801 .769 .872 .810"),
    ("AG-CNN", "densenet121", "fusion", ".853 .939 .903 .754 .902 .828 .774 .921 .842 .924 .932 .864 .837 .921 .871"),
]  # fmt: skip

# tau = 0.1 ... 0.9, ResNet-50, test set (global fixed at .841).
PAPER_TAU_SWEEP = pd.DataFrame(
    {
        "tau": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        "local": [0.828, 0.831, 0.822, 0.822, 0.819, 0.825, 0.817, 0.804, 0.751],
        "fusion": [0.861, 0.865, 0.859, 0.858, 0.858, 0.867, 0.868, 0.866, 0.863],
    }
)

# The training-order ablation of the paper (ResNet-50, test mean AUC global/local/fusion).
PAPER_TRAINING_ORDER = pd.DataFrame(
    [
        ("GL -> F", 0.831, 0.800, 0.833),
        ("all jointly", 0.847, 0.815, 0.849),
        ("G -> LF", 0.841, 0.809, 0.843),
        ("G -> L -> F, all fine-tuned in stage III", 0.852, 0.819, 0.854),
        ("G -> L -> F (the paper)", 0.841, 0.817, 0.868),
    ],
    columns=["order", "global", "local", "fusion"],
)

# The training-order and tau variants the package re-runs (ablations.py): global, local, fusion.
ABLATIONS: dict[str, tuple[float, float, float]] = {
    "G -> L -> F": (0.841, 0.817, 0.868),
    "all jointly": (0.847, 0.815, 0.849),
    "tau = 0.3": (0.841, 0.822, 0.859),
    "tau = 0.9": (0.841, 0.751, 0.863),
}

# Test mean AUC of each AG-CNN branch, from Table 1.
MEAN_AUC: dict[tuple[str, str], float] = {
    (backbone, branch): float(numbers.split()[-1])
    for model, backbone, branch, numbers in TABLE_1
    if model == "AG-CNN"
}
