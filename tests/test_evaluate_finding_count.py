"""The attention effect by the film's number of findings (evaluate.finding_count)."""

import numpy as np
import pandas as pd
import pytest

from agcnn_lab.data.classes import CLASSES, NO_FINDING
from agcnn_lab.evaluate.finding_count import COLUMNS, effect_by_finding_count, finding_bins


def predictions_table(labels, sides: dict, images=None, split="test") -> pd.DataFrame:
    """predictions.csv's long table from (N, C) labels and {branch: (N, C) scores}."""
    images = images or [f"img{i:04d}.png" for i in range(len(labels))]
    frames = []
    for branch, scores in sides.items():
        frame = pd.DataFrame(1 / (1 + np.exp(-scores)), columns=list(CLASSES))
        frame.insert(0, "branch", branch)
        frame.insert(0, "split", split)
        frame.insert(0, "image", images)
        frame[NO_FINDING] = 0.5
        for k, c in enumerate(CLASSES):
            frame[f"true_{c}"] = labels[:, k]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def planted(n=800, seed=0):
    """Nodule and Effusion positives: where the finding is alone on its film, the crop's branch
    sees it and the control does not; on films with two or more findings, both see it alike."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((n, len(CLASSES)), dtype=int)
    nodule, effusion, mass = (CLASSES.index(c) for c in ("Nodule", "Effusion", "Mass"))
    films = rng.permutation(n)
    alone = films[:120]
    labels[alone[:60], nodule] = 1
    labels[alone[60:], effusion] = 1
    crowded = films[120:240]  # Nodule + Effusion (2 findings), half also Mass (3)
    labels[crowded, nodule] = labels[crowded, effusion] = 1
    labels[crowded[:60], mass] = 1
    branch = rng.normal(0, 1, labels.shape)
    control = branch.copy()
    for k in (nodule, effusion):
        seen = np.intersect1d(alone, np.flatnonzero(labels[:, k]))
        branch[seen, k] = rng.normal(2.0, 1, len(seen))
        control[seen, k] = rng.normal(0.0, 1, len(seen))
        shared = rng.normal(1.5, 1, len(crowded))
        branch[crowded, k] = control[crowded, k] = shared
    return labels, predictions_table(labels, {"local": branch, "local_whole_film": control})


def test_finding_bins_by_hand():
    labels = np.zeros((4, len(CLASSES)), dtype=int)
    labels[0, 0] = 1  # alone
    labels[1, [0, 1]] = 1  # two findings
    labels[2, [0, 1, 2, 3]] = 1  # four
    names, stratum = finding_bins(labels)
    assert names == ["1", "2", "3+"]
    assert stratum[0, 0] == 0 and stratum[1, 0] == stratum[1, 1] == 1 and (stratum[2, :4] == 2).all()
    assert (stratum[3] == -1).all() and stratum[0, 1] == -1  # negatives are in no bin
    names, stratum = finding_bins(labels, bounds=(1, 3))
    assert names == ["1-2", "3+"] and stratum[1, 0] == 0 and stratum[2, 0] == 1


def test_the_gain_of_findings_alone_on_their_film_is_found_there_only():
    _, predictions = planted()
    table = effect_by_finding_count(predictions, n_boot=300, seed=1)
    assert list(table.columns) == COLUMNS
    rows = table.set_index("bin")
    assert rows["findings_lo"].tolist() == [1, 2, 3] and rows["findings_hi"].iloc[:2].tolist() == [1, 2]
    assert np.isnan(rows.loc["3+", "findings_hi"])
    assert rows.loc["1", "positives"] == 120 and rows.loc["1", "classes"] == "Effusion, Nodule"
    assert rows.loc["1", "effect"] > 0.3 and rows.loc["1", "ci_lo"] > 0
    assert rows.loc["2", "positives"] == 120 and rows.loc["3+", "positives"] == 60 * 3
    for crowded in ("2", "3+"):
        assert rows.loc[crowded, "ci_lo"] <= 0 <= rows.loc[crowded, "ci_hi"]


def test_runs_pooled_must_score_the_same_films():
    _, predictions = planted()
    other = predictions.assign(image=predictions["image"].str.replace("img0", "other"))
    with pytest.raises(ValueError, match="run 1 was scored on other test films"):
        effect_by_finding_count([predictions, other], n_boot=5)


@pytest.mark.parametrize("bounds, message", [((0, 2), "start at 1"), ((1, 3, 2), "increase"), ((1.5,), "integers")])
def test_bad_bounds_are_refused_before_any_work(bounds, message):
    with pytest.raises(ValueError, match=message):
        effect_by_finding_count(pd.DataFrame(), bounds=bounds)
