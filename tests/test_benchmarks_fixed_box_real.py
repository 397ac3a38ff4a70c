"""benchmarks/fixed_box_real.py: the fixed-box rival, the box-centre spread and the box sizes, release beside phantom."""

import numpy as np
import pandas as pd
from repo_scripts import load_script

fixed_box_real = load_script("benchmarks/fixed_box_real.py")


def boxes_around(centres: np.ndarray, label: str, side: float = 0.1) -> pd.DataFrame:
    """One square box per film (two films per patient), centred at the given (x, y) points."""
    names = [f"{i // 2:08d}_{i % 2:03d}.png" for i in range(len(centres))]
    return pd.DataFrame({"image": names, "label": label,
                         "x0": centres[:, 0] - side / 2, "y0": centres[:, 1] - side / 2,
                         "x1": centres[:, 0] + side / 2, "y1": centres[:, 1] + side / 2})


def test_centre_spread_is_zero_for_boxes_in_one_place_and_grows_with_their_scatter():
    rng = np.random.default_rng(0)
    still = boxes_around(np.full((40, 2), 0.5), "Effusion")
    loose = boxes_around(0.5 + rng.normal(0, 0.1, (40, 2)), "Nodule")
    spread = fixed_box_real.centre_spread(pd.concat([still, loose], ignore_index=True))
    assert spread.loc["Effusion", "boxes"] == 40 and spread.loc["Nodule", "boxes"] == 40
    assert spread.loc["Effusion", ["sd x", "sd y"]].max() < 1e-12
    assert 0.07 < spread.loc["Nodule", "sd y"] < 0.13 and 0.07 < spread.loc["Nodule", "sd x"] < 0.13


def test_the_fixed_box_holds_lesions_that_sit_still_and_misses_scattered_ones():
    rng = np.random.default_rng(1)
    still = boxes_around(np.full((200, 2), 0.3) + rng.normal(0, 0.01, (200, 2)), "Mass")
    scattered = boxes_around(rng.uniform(0.1, 0.9, (200, 2)), "Mass")
    held = fixed_box_real.rival_table(still, [0.1])["all lesions"].iloc[0]
    missed = fixed_box_real.rival_table(scattered, [0.1])["all lesions"].iloc[0]
    assert held == 1.0
    assert missed < 0.4


def test_view_share_counts_all_films_and_the_boxed_ones_apart():
    table = pd.DataFrame({"image": ["a.png", "b.png", "c.png", "d.png"], "view": ["PA", "PA", "PA", "AP"]})
    share = fixed_box_real.view_share(table, {"c.png", "d.png"})
    assert share.loc["PA", "all films"] == 0.75 and share.loc["AP", "all films"] == 0.25
    assert share.loc["PA", "films with a box"] == 0.5 and share.loc["AP", "films with a box"] == 0.5


def test_box_sides_are_the_square_root_of_the_box_area_per_class():
    square = boxes_around(np.full((10, 2), 0.5), "Nodule", side=0.06)
    wide = boxes_around(np.full((10, 2), 0.5), "Effusion", side=0.2)
    wide["y1"] = wide["y0"] + 0.05  # 0.2 wide, 0.05 high: the side of a square of that area is 0.1
    sides = fixed_box_real.box_sides(pd.concat([square, wide], ignore_index=True))
    assert np.allclose(sides.loc["Nodule"], 0.06) and np.allclose(sides.loc["Effusion"], 0.1)
    assert list(sides.columns) == ["side p10", "side p50", "side p90"]
