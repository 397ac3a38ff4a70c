import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from agcnn_lab.data import CLASSES
from agcnn_lab.evaluate.rescued import positive_ranks, rescue_counts, rescued_cases


def _toy():
    # Two classes used (Atelectasis, Cardiomegaly); 6 images.
    labels = np.zeros((6, 14))
    labels[[0, 1, 2], 0] = 1  # Atelectasis positives: 0, 1, 2
    labels[[3], 1] = 1  # Cardiomegaly positive: 3
    glob = np.full((6, 14), 0.5)
    local = np.full((6, 14), 0.5)
    # Atelectasis negatives (3, 4, 5) score 0.2, 0.4, 0.6 in both branches.
    glob[[3, 4, 5], 0] = local[[3, 4, 5], 0] = [0.2, 0.4, 0.6]
    glob[[0, 1, 2], 0] = [0.1, 0.9, 0.4]  # image 0 below every negative, image 2 ties one
    local[[0, 1, 2], 0] = [0.7, 0.3, 0.4]  # image 0 rescued, image 1 lost
    return labels, {"global": glob, "local": local}, [f"img{i}" for i in range(6)]


def test_ranks_are_each_positives_share_of_negatives_below_it():
    labels, probs, names = _toy()
    ranks = positive_ranks(labels, probs, names)
    atel = ranks[ranks["class"] == "Atelectasis"].set_index("image")
    assert atel.loc["img0", "global"] == 0.0
    assert atel.loc["img1", "global"] == 1.0
    assert atel.loc["img2", "global"] == pytest.approx((1 + 0.5) / 3)  # above 0.2, ties 0.4
    assert atel.loc["img0", "local"] == 1.0
    assert atel.loc["img1", "local"] == pytest.approx(1 / 3)
    # Classes with no positive image, or no negative, are left out.
    assert set(ranks["class"]) == {"Atelectasis", "Cardiomegaly"}


def test_mean_rank_of_a_class_is_its_auc():
    rng = np.random.default_rng(0)
    labels = (rng.random((200, 14)) < 0.2).astype(float)
    probs = {"global": rng.random((200, 15)), "local": rng.random((200, 15)).round(1)}  # ties in local
    ranks = positive_ranks(labels, probs, [str(i) for i in range(200)])
    for k, name in enumerate(CLASSES):
        part = ranks[ranks["class"] == name]
        for branch in ("global", "local"):
            assert part[branch].mean() == pytest.approx(roc_auc_score(labels[:, k], probs[branch][:, k]))


def test_rescued_and_lost():
    labels, probs, names = _toy()
    ranks = positive_ranks(labels, probs, names)
    rescued = rescued_cases(ranks)
    assert list(rescued["image"]) == ["img0"]
    assert rescued.loc[0, "gain"] == pytest.approx(1.0)
    counts = rescue_counts(ranks)
    assert counts.loc["Atelectasis", ["findings", "rescued", "lost"]].tolist() == [3, 1, 1]
    assert counts.loc["all", ["findings", "rescued", "lost"]].tolist() == [4, 1, 1]
    assert counts.loc["Atelectasis", "global AUC"] == pytest.approx(roc_auc_score(labels[:, 0], probs["global"][:, 0]))
    # The reverse question: what the global branch rescues from the local one.
    assert list(rescued_cases(ranks, by="global", against="local")["image"]) == ["img1"]


def test_mismatched_inputs_are_refused():
    labels, probs, names = _toy()
    with pytest.raises(ValueError, match="names do not match"):
        positive_ranks(labels, probs, names[:-1])
    with pytest.raises(ValueError, match="rows of scores"):
        positive_ranks(labels, {"global": probs["global"][:-1]}, names)


def test_on_a_trained_run(ci_run, ci_data):
    test = ci_run.test
    names = ci_data.entries("test")["image"].to_numpy()[test.indices]
    ranks = positive_ranks(test.labels, test.probs, names)
    positives = test.labels[:, :14].sum(0)
    assert isinstance(ranks, pd.DataFrame) and len(ranks) == int(positives[positives < len(test.labels)].sum())
    counts = rescue_counts(ranks)
    for name in counts.index.drop("all"):
        assert counts.loc[name, "local AUC"] == pytest.approx(ci_run.metrics["local"]["auc"][name], abs=1e-9)
