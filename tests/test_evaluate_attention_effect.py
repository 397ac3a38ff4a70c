import numpy as np
import pytest

from agcnn_lab.data import CLASSES
from agcnn_lab.evaluate import attention_effect, effect_table, paired_bootstrap_difference
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
