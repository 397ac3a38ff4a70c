"""benchmarks/zoom_vs_pixels.py: the attention effect against the local input size."""

import json

import pandas as pd
import pytest
from repo_scripts import load_script

pixels = load_script("benchmarks/zoom_vs_pixels.py")


def test_a_twin_at_another_size_trains_only_stages_two_and_three(ci_run, ci_data):
    base = ci_run.out
    size = ci_run.profile.model.attention.crop_size - 16
    before = (base / "stage_global" / "best.pt").read_bytes()
    twin = pixels.ensure_run(base, size, data=ci_data)
    assert twin == base.with_name(f"{base.name}-local{size}")
    assert json.loads((twin / "config.json").read_text())["model"]["attention"]["crop_size"] == size
    # stage I is the base run's, not retrained: the same log, the same weights file
    assert (twin / "stage_global" / "log.json").read_text() == (base / "stage_global" / "log.json").read_text()
    assert (twin / "stage_global" / "best.pt").read_bytes() == before
    assert (base / "stage_global" / "best.pt").read_bytes() == before
    assert (twin / "report.md").is_file() and (twin / "whole_film" / "stage_local" / "log.json").is_file()
    assert pixels.ensure_run(base, size, data=ci_data) == twin  # finished: nothing trained again
    assert pixels.finished_runs(base, [size + 16, size, size - 8]) == [twin, base]  # no twin at size - 8
    assert not base.with_name(f"{base.name}-local{size - 8}").exists()  # and none trained

    table = pixels.effect_table([base, twin])
    assert table["input px"].tolist() == [size, size + 16, size, size + 16]
    assert table["branch"].tolist() == ["local", "local", "fusion", "fusion"]
    metrics = json.loads((twin / "metrics.json").read_text())
    row = table.iloc[0]
    assert row["effect"] == metrics["attention_effect"]["local"]["mean"]
    assert row["val effect"] == pytest.approx(row["val crop"] - row["val whole film"])
    figure = pixels.plot_effect_by_input_size(table)
    assert [ax.get_title() for ax in figure.axes] == ["local: crop vs whole film", "fusion: crop vs whole film"]
    two = pd.concat([pixels.effect_table([base, twin], "seed 0"), pixels.effect_table([base, twin], "seed 1")])
    legend = pixels.plot_effect_by_input_size(two).axes[0].get_legend()
    assert [text.get_text() for text in legend.get_texts()][-2:] == ["seed 0", "seed 1"]


def test_a_base_run_without_results_is_refused_before_any_work(tmp_path, ci_profile):
    ci_profile.write(tmp_path / "config.json")
    with pytest.raises(SystemExit, match="no metrics.json"):
        pixels.ensure_run(tmp_path, ci_profile.model.attention.crop_size)
    with pytest.raises(SystemExit, match="no finished stage I"):
        pixels.ensure_run(tmp_path, 32)
    assert not (tmp_path.with_name(f"{tmp_path.name}-local32")).exists()
