import numpy as np
import pandas as pd
import pytest

from agcnn_lab.data import CLASSES
from agcnn_lab.evaluate import (
    attention_effect,
    branch_mean_auc,
    effect_table,
    mean_auc,
    paired_bootstrap_difference,
    seeds_attention_effect,
)
from agcnn_lab.report import markdown_table


def _branches(n=300, seed=0):
    """Labels and four branches' scores: the crop-fed branches see the signal, their whole-film
    controls see it through more noise."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 14)) < 0.3).astype(int)
    noisy = lambda scale: y + rng.normal(scale=scale, size=y.shape)  # noqa: E731
    probs = {"local": noisy(1.0), "local_whole_film": noisy(2.0), "fusion": noisy(0.7), "fusion_whole_film": noisy(0.7)}
    return y, probs


def test_effect_is_the_paired_difference_crop_minus_whole_film():
    y, probs = _branches()
    probs["global"] = probs["fusion"]  # other branches are ignored
    effect = attention_effect(y, probs, n_boot=100, seed=4)
    assert set(effect) == {"local", "fusion"}
    assert effect["local"] == paired_bootstrap_difference(y, probs["local"], probs["local_whole_film"], n_boot=100, seed=4)
    assert effect["fusion"] == paired_bootstrap_difference(y, probs["fusion"], probs["fusion_whole_film"], n_boot=100, seed=4)
    assert effect["local"]["mean"] > 0 and effect["local"]["ci95"][0] > 0  # the crop's planted gain


def test_a_missing_branch_is_named():
    y, probs = _branches(n=20)
    del probs["fusion_whole_film"]
    with pytest.raises(ValueError, match="needs the branch.*fusion_whole_film"):
        attention_effect(y, probs)
    with pytest.raises(ValueError, match="local, local_whole_film, fusion, fusion_whole_film; got none"):
        attention_effect(y, {})


def test_effect_table_has_a_row_per_class_and_the_mean_and_renders():
    y, probs = _branches()
    y[:, 3] = 0  # an undefined class: empty cells, not "nan"
    effect = attention_effect(y, probs, n_boot=50)
    table = effect_table(effect)
    assert list(table.index) == [*CLASSES, "mean"] and table.index.name == "class"
    assert list(table.columns) == ["local", "local ci95", "fusion", "fusion ci95"]
    assert table.loc["mean", "local"] == effect["local"]["mean"]
    low, high = effect["fusion"]["ci95"]
    assert table.loc["mean", "fusion ci95"] == f"[{low:+.3f}, {high:+.3f}]"
    assert table.loc["Atelectasis", "local ci95"].startswith("[+")  # the crop helps: both ends positive
    assert np.isnan(table.loc[CLASSES[3], "local"]) and table.loc[CLASSES[3], "local ci95"] == ""
    markdown = markdown_table(table)
    assert markdown.splitlines()[0] == "| class | local | local ci95 | fusion | fusion ci95 |"
    assert "nan" not in markdown and len(markdown.splitlines()) == 2 + 15


def _table(y, probs, images, split="test") -> pd.DataFrame:
    """predictions.csv's long table for the given branches."""
    frames = []
    for branch, scores in probs.items():
        frame = pd.DataFrame(scores, columns=list(CLASSES))
        frame.insert(0, "branch", branch)
        frame.insert(0, "split", split)
        frame.insert(0, "image", images)
        for k, name in enumerate(CLASSES):
            frame[f"true_{name}"] = y[:, k]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_seeds_effect_pools_runs_in_any_film_order_and_finds_a_planted_gain():
    images = np.array([f"{i:05d}.png" for i in range(300)])
    runs = []
    for seed in range(3):
        y, probs = _branches(seed=0)  # the same labels in every run
        probs = {b: s + np.random.default_rng(seed).normal(scale=0.1, size=s.shape) for b, s in probs.items()}
        order = np.random.default_rng(seed).permutation(len(images))  # each run lists its films its own way
        runs.append((y, probs, _table(y[order], {b: s[order] for b, s in probs.items()}, images[order])))
    effect = seeds_attention_effect([table for _, _, table in runs], n_boot=100)
    each = [attention_effect(y, probs, n_boot=100)["local"]["mean"] for y, probs, _ in runs]
    assert effect["runs"]["local"] == pytest.approx(each)
    assert effect["local"]["mean"] == pytest.approx(np.mean(each)) and effect["local"]["ci95"][0] > 0
    assert effect["local"]["pairs"] == 3
    low, high = effect["fusion"]["ci95"]  # no gain planted on the fusion
    assert low < 0 < high


def test_seeds_effect_compares_the_pairs_it_is_given():
    images = np.array([f"{i:05d}.png" for i in range(300)])
    y, probs = _branches()
    other = {"local_other": probs["local_whole_film"], "fusion_other": probs["fusion_whole_film"]}
    table = _table(y, {"local": probs["local"], "fusion": probs["fusion"], **other}, images)
    controls = {"local": "local_other", "fusion": "fusion_other"}
    named = seeds_attention_effect([table], n_boot=50, controls=controls)
    default = seeds_attention_effect([_table(y, probs, images)], n_boot=50)
    assert named["local"] == default["local"] and named["fusion"] == default["fusion"]
    with pytest.raises(ValueError, match=r"no predictions of branch 'local_whole_film' on split 'test'; the table has"):
        seeds_attention_effect([table], n_boot=10)  # the default pairs need the whole-film control


def test_seeds_effect_refuses_runs_on_other_films_or_labels():
    images = np.array([f"{i:05d}.png" for i in range(50)])
    y, probs = _branches(n=50)
    first = _table(y, probs, images)
    with pytest.raises(ValueError, match="run 1 was scored on other test films than run 0"):
        seeds_attention_effect([first, _table(y, probs, np.array([f"x{i}.png" for i in range(50)]))], n_boot=10)
    flipped = y.copy()
    flipped[0, 0] = 1 - flipped[0, 0]
    with pytest.raises(ValueError, match="run 1 labels the test films otherwise than run 0"):
        seeds_attention_effect([first, _table(flipped, probs, images)], n_boot=10)
    with pytest.raises(ValueError, match="no predictions on split 'val'"):
        seeds_attention_effect([first], split="val", n_boot=10)
    with pytest.raises(ValueError, match="no runs given"):
        seeds_attention_effect([])


def test_branch_mean_auc_scores_one_branch_on_one_split_and_names_a_missing_one():
    y, probs = _branches()
    images = np.array([f"{i:05d}.png" for i in range(len(y))])
    table = pd.concat([_table(y, probs, images, "val"), _table(y, {"local": probs["fusion"]}, images, "test")])
    assert branch_mean_auc(table, "val", "local_whole_film") == pytest.approx(mean_auc(y, probs["local_whole_film"]))
    assert branch_mean_auc(table, "test", "local") == pytest.approx(mean_auc(y, probs["fusion"]))
    with pytest.raises(ValueError, match="no predictions of branch 'global' on split 'val'"):
        branch_mean_auc(table, "val", "global")
