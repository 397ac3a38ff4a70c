"""benchmarks/fusion_held_out.py: the cross-fitted fusion on validation predictions."""

import numpy as np
import pandas as pd
from repo_scripts import load_script

from agcnn_lab.data.classes import CLASSES

held_out = load_script("benchmarks/fusion_held_out.py")


def planted_predictions(films: int = 240, seed: int = 0) -> pd.DataFrame:
    """Validation predictions where the global branch is noise and the local branch knows every
    disease (a noisy copy of the truth); the run's fusion is the plain mean of the two."""
    rng = np.random.default_rng(seed)
    images = [f"{i // 2:08d}_{i % 2:03d}.png" for i in range(films)]  # two films per patient
    truth = rng.random((films, len(CLASSES))) < 0.3
    truth[:2] = [True], [False]  # every class defined
    global_ = rng.uniform(0.05, 0.95, truth.shape)
    local = np.clip(0.2 + 0.6 * truth + rng.normal(0, 0.25, truth.shape), 0.01, 0.99)
    frames = []
    for branch, scores in {"global": global_, "local": local, "fusion": (global_ + local) / 2}.items():
        frame = pd.DataFrame(scores, columns=list(CLASSES))
        frame.insert(0, "branch", branch)
        frame.insert(0, "split", "val")
        frame.insert(0, "image", images)
        for k, name in enumerate(CLASSES):
            frame[f"true_{name}"] = truth[:, k].astype(int)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_a_fusion_fit_on_held_out_films_learns_which_branch_to_trust():
    aucs = held_out.fusion_aucs(planted_predictions(), "local", "fusion")
    # the noise branch dilutes the mean; the held-out fit weighs it down
    assert aucs["cross-fitted fusion"] > aucs["logit mean (stage III's start)"] + 0.02
    assert aucs["cross-fitted mixing weight"] > aucs["logit mean (stage III's start)"] + 0.02


def test_the_mixing_weight_moves_to_the_branch_that_knows():
    rng = np.random.default_rng(1)
    truth = rng.random(200) < 0.4
    features = np.column_stack([rng.normal(size=200), truth + rng.normal(0, 0.3, 200)])  # global noise, local knows
    first = np.arange(200) < 100
    scores = held_out.cross_fit_mixing(features, truth, first)
    np.testing.assert_allclose(scores, features[:, 1])  # a = 0 on both halves: the local branch alone


def test_a_mixing_weight_half_with_one_class_only_keeps_the_mean():
    features = np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 4.0], [5.0, 1.0]])
    truth = np.array([0, 0, 1, 0])
    first = np.array([True, True, False, False])
    scores = held_out.cross_fit_mixing(features, truth, first)
    assert scores[2] == 2.0 and scores[3] == 3.0


def test_a_half_with_one_class_only_scores_with_the_mean():
    features = np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 4.0], [5.0, 1.0]])
    truth = np.array([0, 0, 1, 0])
    first = np.array([True, True, False, False])  # the first half has no positive film
    scores = held_out.cross_fit_scores(features, truth, first)
    assert scores[2] == 2.0 and scores[3] == 3.0
