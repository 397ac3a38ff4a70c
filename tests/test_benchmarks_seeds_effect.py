"""benchmarks/seeds_effect.py: a setting's attention effect over its training seeds, from run folders."""

import numpy as np
import pandas as pd
import pytest
from repo_scripts import load_script

from agcnn_lab.data.classes import CLASSES
from agcnn_lab.profiles import get_profile

seeds_effect = load_script("benchmarks/seeds_effect.py")


def _run(folder, seed: int, gain: float, profile=None):
    """A run folder with config.json and predictions.csv: the crop-fed branches see the truth
    through less noise than their whole-film controls when gain > 0."""
    rng = np.random.default_rng(seed)
    films = 240
    truth = np.random.default_rng(0).random((films, len(CLASSES))) < 0.3  # the same films in every run
    frames = []
    for split in ("val", "test"):
        images = [f"{split}_{i:05d}.png" for i in range(films)]
        for branch in ("local", "local_whole_film", "fusion", "fusion_whole_film"):
            noise = 1.0 if branch.endswith("whole_film") else 1.0 - gain
            frame = pd.DataFrame(truth + rng.normal(0, noise, truth.shape), columns=list(CLASSES))
            frame.insert(0, "branch", branch)
            frame.insert(0, "split", split)
            frame.insert(0, "image", images)
            for k, name in enumerate(CLASSES):
                frame[f"true_{name}"] = truth[:, k].astype(int)
            frames.append(frame)
    folder.mkdir(parents=True)
    pd.concat(frames, ignore_index=True).to_csv(folder / "predictions.csv", index=False)
    (profile or get_profile("cpu")).with_changes(**{"training.seed": seed}).write(folder / "config.json")
    return str(folder)


def test_a_planted_gain_is_found_and_a_null_one_is_not(tmp_path):
    gained = [_run(tmp_path / f"gain{s}", s, 0.5) for s in range(3)]
    null = [_run(tmp_path / f"null{s}", s, 0.0) for s in range(3)]
    rows = seeds_effect.effect_rows("gain", seeds_effect.split_effects(seeds_effect.read_setting("gain", gained), ["val"], 200))
    rows += seeds_effect.effect_rows("null", seeds_effect.split_effects(seeds_effect.read_setting("null", null), ["test"], 200))
    (gain, null_row) = rows
    assert (gain["split"], gain["seeds"], null_row["split"]) == ("val", 3, "test")
    low = float(gain["local"].split("[")[1].split(",")[0])
    assert low > 0
    low, high = (float(x) for x in null_row["local"].split("[")[1].rstrip("]").split(","))
    assert low < 0 < high
    assert len(gain["local, each seed"].split(" / ")) == 3
    assert float(gain["Nodule (local)"].split("[")[1].split(",")[0]) > 0  # the gain is planted in every class


def test_runs_of_one_setting_must_differ_in_their_seed_alone(tmp_path):
    first = _run(tmp_path / "a", 0, 0.2)
    other = _run(tmp_path / "b", 1, 0.2, get_profile("cpu").with_changes(**{"model.attention.reduce": "cam"}))
    with pytest.raises(SystemExit, match=r"differs from .* beyond its seed \(model.attention.reduce"):
        seeds_effect.read_setting("mixed", [first, other])
    twin = _run(tmp_path / "c", 0, 0.2)
    with pytest.raises(SystemExit, match="two share a training seed"):
        seeds_effect.read_setting("twins", [first, twin])
    with pytest.raises(SystemExit, match=r"absent: no config.json; 'missing' needs its finished runs"):
        seeds_effect.read_setting("missing", [first, str(tmp_path / "absent")])


def test_the_default_settings_name_three_seeds_or_more_each_once():
    assert all(len(runs) >= 3 and len(set(runs)) == len(runs) for runs in seeds_effect.LEVERS.values())
    assert len(seeds_effect.LEVERS["v7 small forms, seeds 0-5 (tau 0.6)"]) == 6
    assert seeds_effect.LEVERS["tau 0.7 (the rule)"][0] == "runs/tau0.7-demo-cpu"


def test_by_disease_each_disease_has_its_effect_and_the_whole_films_auc(tmp_path):
    gained = [_run(tmp_path / f"gain{s}", s, 0.5) for s in range(3)]
    tables = seeds_effect.read_setting("gain", gained)
    effects = seeds_effect.split_effects(tables, ["val"], n_boot=100)
    table = seeds_effect.disease_rows(tables, "val", effects["val"])
    assert list(table.index) == [*CLASSES, "mean"]
    assert list(table.columns) == ["local_whole_film AUC", "local: crop - whole film",
                                   "fusion_whole_film AUC", "fusion: crop - whole film"]
    lows = [float(cell.split("[")[1].split(",")[0]) for cell in table["local: crop - whole film"]]
    assert all(low > 0 for low in lows)  # the gain is planted in every disease
    assert all(0.5 < float(auc) < 1 for auc in table["local_whole_film AUC"])
    rows = seeds_effect.effect_rows("gain", effects)
    mean = float(table.loc["mean", "local: crop - whole film"].split(" [")[0])
    assert abs(mean - float(rows[0]["local"].split(" [")[0])) <= 0.0005  # the summary's mean, to its rounding


def test_twins_read_their_whole_film_control_from_their_control_runs(tmp_path):
    bases = [_run(tmp_path / f"base{s}", s, 0.0) for s in range(2)]
    twins = []
    for s, base in enumerate(bases):  # a crop-only twin: the base's table without the whole-film branches
        table = pd.read_csv(f"{base}/predictions.csv")
        folder = tmp_path / f"twin{s}"
        folder.mkdir()
        table[~table["branch"].str.endswith("whole_film")].to_csv(folder / "predictions.csv", index=False)
        get_profile("cpu").with_changes(**{"training.seed": s, "model.attention.box_area": 0.45,
                                           "training.control": False}).write(folder / "config.json")
        twins.append(str(folder))
    tables = seeds_effect.read_setting("centred", twins, bases)
    assert all({"local", "local_whole_film", "fusion", "fusion_whole_film"} <= set(t["branch"]) for t in tables)
    with pytest.raises(SystemExit, match="2 run\\(s\\) but 1 control run"):
        seeds_effect.read_setting("centred", twins, bases[:1])
    with pytest.raises(SystemExit, match="differs from its control"):
        seeds_effect.read_setting("centred", twins, bases[::-1])  # seed 0's twin beside seed 1's run
