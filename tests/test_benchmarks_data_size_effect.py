"""benchmarks/data_size_effect.py: the attention effect against the size of the training set."""

import json

import numpy as np
import pandas as pd
import pytest
from repo_scripts import load_script

from agcnn_lab.data.classes import CLASSES
from agcnn_lab.profiles import get_profile

data_size_effect = load_script("benchmarks/data_size_effect.py")

BRANCHES = ("global", "local", "local_whole_film", "fusion", "fusion_whole_film")


def _run(folder, seed: int, patients: int, gain: float, **changes):
    """A finished run folder: config.json, run.json and predictions.csv, where the crop-fed
    branches see the truth through less noise than their whole-film controls when gain > 0."""
    rng = np.random.default_rng(seed + patients)
    films = 200
    truth = np.random.default_rng(patients).random((films, len(CLASSES))) < 0.3  # one film set a size
    frames = []
    for split in ("val", "test"):
        for branch in BRANCHES:
            noise = 1.0 - gain if branch in ("local", "fusion") else 1.0
            frame = pd.DataFrame(truth + rng.normal(0, noise, truth.shape), columns=list(CLASSES))
            frame.insert(0, "branch", branch)
            frame.insert(0, "split", split)
            frame.insert(0, "image", [f"{split}_{i:05d}.png" for i in range(films)])
            for k, name in enumerate(CLASSES):
                frame[f"true_{name}"] = truth[:, k].astype(int)
            frames.append(frame)
    folder.mkdir(parents=True)
    pd.concat(frames, ignore_index=True).to_csv(folder / "predictions.csv", index=False)
    profile = get_profile("cpu").with_changes(**{"training.seed": seed, "data.phantom_patients": patients,
                                                 "data.root": f"data/phantom-p{patients}", **changes})
    profile.write(folder / "config.json")
    (folder / "run.json").write_text(json.dumps({"sizes": {"train": 2 * patients, "val": films, "test": films}}))
    return str(folder)


def _setting(tmp_path, patients: int, gain: float, seeds=(0, 1, 2), **changes):
    return [_run(tmp_path / f"p{patients}-s{s}", s, patients, gain, **changes) for s in seeds]


def test_a_gain_that_grows_with_the_data_is_found_at_the_larger_size_only(tmp_path):
    small, large = _setting(tmp_path, 100, 0.0), _setting(tmp_path, 400, 0.5)
    settings = [data_size_effect.read_setting(runs) for runs in (large, small)]
    data_size_effect.check_one_axis(settings)
    table = data_size_effect.size_rows(settings, ["test"], n_boot=200)
    assert list(table["patients"]) == [100, 400]  # sorted by size
    assert list(table["training films"]) == [200, 800]
    null, gain = table.iloc[0], table.iloc[1]
    assert gain["local lo"] > 0 and gain["fusion lo"] > 0
    assert null["local lo"] < 0 < null["local hi"]
    assert gain["local"] > gain["local_whole_film"]
    assert len(gain["local, each seed"].split(" / ")) == 3
    assert "[" in data_size_effect.printable(table).loc[400, "effect local"]


def test_settings_that_differ_beyond_their_size_are_refused(tmp_path):
    plain = data_size_effect.read_setting(_setting(tmp_path, 100, 0.0))
    cam = data_size_effect.read_setting(_setting(tmp_path, 400, 0.0, **{"model.attention.reduce": "cam"}))
    with pytest.raises(SystemExit, match=r"beyond the phantom's size \(model.attention.reduce"):
        data_size_effect.check_one_axis([plain, cam])
    twin = data_size_effect.read_setting([_run(tmp_path / "twin", 5, 100, 0.0)])
    with pytest.raises(SystemExit, match="same number of patients"):
        data_size_effect.check_one_axis([plain, twin])


def test_runs_of_one_size_must_differ_in_their_seed_alone(tmp_path):
    runs = _setting(tmp_path, 100, 0.0, seeds=(0, 1)) + [_run(tmp_path / "other", 2, 200, 0.0)]
    with pytest.raises(SystemExit, match="beyond its seed"):
        data_size_effect.read_setting(runs)


def test_an_unfinished_run_is_named_before_any_work(tmp_path):
    runs = _setting(tmp_path, 100, 0.0)
    (tmp_path / "p100-s1" / "run.json").unlink()
    with pytest.raises(SystemExit, match=r"p100-s1: no run.json"):
        data_size_effect.main(["--setting", *runs, "--setting", *runs, "--out", str(tmp_path / "f.png")])


def test_the_command_prints_the_table_and_draws_the_figure(tmp_path, capsys):
    out = tmp_path / "fig.png"
    data_size_effect.main(["--setting", *_setting(tmp_path, 100, 0.0), "--setting", *_setting(tmp_path, 400, 0.5),
                           "--n-boot", "100", "--out", str(out)])
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith("| 400 | 800 | test |")]
    assert len(rows) == 1 and rows[0].count("[") == 2  # both effects with their intervals
    assert out.stat().st_size > 10_000
    with pytest.raises(SystemExit, match="two or more --setting"):
        data_size_effect.main(["--setting", *_setting(tmp_path / "one", 100, 0.0)])
