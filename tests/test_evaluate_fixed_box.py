import time

import numpy as np
import pandas as pd
import pytest

from agcnn_lab.evaluate import best_fixed_box, fixed_box_scores, fixed_box_sweep

COLUMNS = ["image", "label", "x0", "y0", "x1", "y1"]


def lesions(centres, images=None, half=0.01) -> pd.DataFrame:
    """Small square lesions around the given (x, y) centres, each alone on its image unless
    `images` says otherwise."""
    images = images or [f"img{i}" for i in range(len(centres))]
    return pd.DataFrame(
        [[image, "Nodule", x - half, y - half, x + half, y + half] for image, (x, y) in zip(images, centres, strict=True)],
        columns=COLUMNS,
    )


def test_clustered_lesions_pull_the_box_into_their_corner():
    rng = np.random.default_rng(0)
    corner = rng.uniform(0.7, 0.9, size=(200, 2))  # bottom-right
    spread = rng.uniform(0.0, 1.0, size=(50, 2))
    truth = lesions(np.vstack([corner, spread]))
    x0, y0, x1, y1 = best_fixed_box(truth, area=0.04)
    assert x0 >= 0.6 and y0 >= 0.6  # the box sits in the corner ...
    assert fixed_box_scores((x0, y0, x1, y1), lesions(corner))["hit"] > 0.9  # ... and holds the cluster


def test_area_one_is_the_whole_image_and_holds_every_lesion():
    truth = lesions(np.random.default_rng(1).uniform(size=(30, 2)))
    box = best_fixed_box(truth, area=1.0)
    assert box == pytest.approx((0.0, 0.0, 1.0, 1.0))
    scores = fixed_box_scores(box, truth)
    assert scores == {"hit": 1.0, "hit_single": 1.0, "lesions": 30, "single": 30}


@pytest.mark.parametrize("area", [0.01, 0.1, 0.3, 0.6, 0.9])
def test_the_box_has_the_area_asked_for_and_stays_in_the_image(area):
    truth = lesions(np.random.default_rng(2).uniform(0.05, 0.95, size=(100, 2)))
    x0, y0, x1, y1 = best_fixed_box(truth, area=area, step=0.05)
    assert 0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0
    assert (x1 - x0) * (y1 - y0) == pytest.approx(area, rel=1e-6)
    assert any((x1 - x0) / (y1 - y0) == pytest.approx(ratio) for ratio in (0.5, 0.75, 1.0, 1.33, 2.0))


def test_by_hand_and_the_single_lesion_choice():
    # Boxes 0.2 x 0.2 on a 0.1 grid. Single-lesion centres at 0.12, 0.18, 0.25 (on the diagonal):
    # the box from 0.1 to 0.3 holds all three, the one from 0 to 0.2 two, from 0.2 to 0.4 one.
    singles = lesions([(0.12, 0.12), (0.18, 0.18), (0.25, 0.25)])
    crowded = lesions([(0.8, 0.8), (0.82, 0.82), (0.84, 0.84), (0.86, 0.86)], images=["m"] * 4)  # one film
    train = pd.concat([singles, crowded], ignore_index=True)
    assert best_fixed_box(train, 0.04, aspect_ratios=(1.0,), step=0.1) == pytest.approx((0.1, 0.1, 0.3, 0.3))
    # Counting every lesion, the crowded film's four outweigh the three singles.
    x0, y0, x1, y1 = best_fixed_box(train, 0.04, aspect_ratios=(1.0,), step=0.1, single_only=False)
    assert x0 <= 0.8 and x1 >= 0.86 and y0 <= 0.8 and y1 >= 0.86
    # Scored on the training lesions: 3 of 7 lesions, 3 of 3 single ones.
    scores = fixed_box_scores((0.1, 0.1, 0.3, 0.3), train)
    assert scores == {"hit": pytest.approx(3 / 7), "hit_single": 1.0, "lesions": 7, "single": 3}


def test_the_vectorised_count_matches_a_loop_over_boxes():
    rng = np.random.default_rng(5)
    truth = lesions(np.round(rng.uniform(size=(60, 2)), 1))  # centres on the grid: edges count as inside
    centres = truth[["x0", "x1"]].mean(axis=1).to_numpy(), truth[["y0", "y1"]].mean(axis=1).to_numpy()
    best = 0
    for ratio in (0.5, 1.0, 2.0):
        w, h = np.sqrt(0.08 * ratio), np.sqrt(0.08 / ratio)
        for x0 in np.append(np.arange(0, 1 - w, 0.1), 1 - w):
            for y0 in np.append(np.arange(0, 1 - h, 0.1), 1 - h):
                inside = (x0 <= centres[0]) & (centres[0] <= x0 + w) & (y0 <= centres[1]) & (centres[1] <= y0 + h)
                best = max(best, int(inside.sum()))
    box = best_fixed_box(truth, 0.08, aspect_ratios=(0.5, 1.0, 2.0), step=0.1)
    assert fixed_box_scores(box, truth)["hit"] * len(truth) == pytest.approx(best)


def test_shapes_that_do_not_fit_are_skipped_and_errors_are_clear():
    truth = lesions([(0.5, 0.5)])
    # area 0.8 at w/h = 2 would need w = 1.26: only the shapes that fit remain.
    x0, y0, x1, y1 = best_fixed_box(truth, 0.8, aspect_ratios=(2.0, 1.0))
    assert x1 - x0 == pytest.approx(np.sqrt(0.8))
    with pytest.raises(ValueError, match="no aspect ratio"):
        best_fixed_box(truth, 0.8, aspect_ratios=(2.0,))
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        best_fixed_box(truth, 1.5)
    with pytest.raises(ValueError, match="no single-lesion training lesions"):
        best_fixed_box(lesions([(0.5, 0.5), (0.6, 0.6)], images=["a", "a"]), 0.1)


def test_the_sweep_chooses_on_train_and_scores_on_the_other_set():
    rng = np.random.default_rng(3)
    train = lesions(rng.uniform(0.1, 0.4, size=(100, 2)))  # top-left
    test = lesions(np.vstack([rng.uniform(0.1, 0.4, size=(50, 2)), rng.uniform(0.6, 0.9, size=(50, 2))]))
    sweep = fixed_box_sweep(train, test, areas=[0.09, 1.0])
    assert list(sweep.columns) == ["area", "x0", "y0", "x1", "y1", "hit", "hit_single", "lesions", "single"]
    assert sweep["area"].tolist() == [0.09, 1.0]
    assert 0.4 < sweep.loc[0, "hit"] <= 0.5  # the top-left half of the test lesions at most
    assert sweep.loc[1, ["hit", "hit_single", "lesions", "single"]].tolist() == [1.0, 1.0, 100, 100]


def test_two_thousand_lesions_take_well_under_a_second():
    centres = np.random.default_rng(4).uniform(size=(2000, 2))
    truth = lesions(centres)
    start = time.perf_counter()
    box = best_fixed_box(truth, area=0.1)
    assert time.perf_counter() - start < 0.5
    # The chosen box holds at least as many centres as the area's share, give or take.
    assert fixed_box_scores(box, truth)["hit"] >= 0.1
