import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from agcnn_lab.ablations import (
    CROP_FROM_INPUT,
    JOINT,
    NO_ATTENTION,
    PAPER,
    PLANS,
    PREDICTIONS_FILE,
    TAU_HIGH,
    TAU_LOW,
    VARIANTS,
    AblationPlan,
    ablation_answers,
    ablation_differences,
    ablation_plan,
    attention_controls,
    format_differences,
    load_predictions,
    paired_differences,
    run_ablations,
    run_variant,
    save_predictions,
    variant_profile,
    verdict,
)
from agcnn_lab.config import Profile, Stage
from agcnn_lab.data.classes import CLASSES
from agcnn_lab.evaluate.auc import paired_bootstrap_difference
from agcnn_lab.profiles import get_profile
from agcnn_lab.train.predict import Predictions

CPU = torch.device("cpu")


@pytest.fixture()
def base(tmp_path, ci_run):
    """A copy of the ci run's configuration and stage folders: the base run the variants start from."""
    for stage in ("global", "local", "fusion"):
        shutil.copytree(ci_run.out / f"stage_{stage}", tmp_path / f"stage_{stage}")
    shutil.copy(ci_run.out / "config.json", tmp_path / "config.json")
    return tmp_path


def test_every_profile_has_a_plan_with_the_papers_recipe_first():
    for name in ("ci", "cpu", "gpu"):
        plan = ablation_plan(get_profile(name))
        assert plan.variants[0] == PAPER
        assert {JOINT, CROP_FROM_INPUT, NO_ATTENTION} <= set(plan.variants)
    assert ablation_plan(get_profile("ci").with_changes(name="other")) == AblationPlan(VARIANTS)
    assert PLANS["cpu"].shortened and not PLANS["ci"].shortened
    assert len({v.folder for v in VARIANTS}) == len(VARIANTS)


def test_variant_profile():
    profile = get_profile("cpu")
    tau = variant_profile(profile, TAU_HIGH, AblationPlan(VARIANTS))
    assert (tau.model.attention.tau, tau.model.attention.choose_tau, tau.training.control) == (0.9, False, False)
    assert variant_profile(profile, PAPER, AblationPlan(VARIANTS)).differences(profile) == ["training.control: False -> True"]
    short = variant_profile(profile, PAPER, AblationPlan(VARIANTS, epochs={"local": 3}))
    local = profile.training.stage("local")
    assert short.training.stage("local").epochs == 3
    assert short.training.stage("local").lr_drop_epoch == max(1, round(local.lr_drop_epoch * 3 / local.epochs))
    assert short.training.stage("global") == profile.training.stage("global")


def test_attention_controls_pair_each_box_with_the_whole_film_at_its_size():
    profile = get_profile("cpu")
    controls = attention_controls(profile)
    attention = [variant_profile(profile, v, AblationPlan(controls)).model.attention for v in controls]
    sizes = [(a.crop_from, a.tau_on, a.crop_size) for a in attention]
    same, crop = profile.data.geometry.crop, profile.model.attention.crop_size
    rule = profile.model.attention.tau_on
    assert sizes == [("whole", rule, crop), ("source", "hit_single", crop), ("source", "hit_single", same), ("whole", rule, same)]
    assert len({v.folder for v in controls}) == len(controls)
    assert attention[2].choose_tau


def test_a_shortened_plan_keeps_the_profiles_stage_one_and_records_its_share_of_films():
    # Every variant but the joint one holds a copy of the base run's stage I: its config.json must
    # say how that stage was trained, not the plan's short recipe (which only the joint one trains).
    profile, plan = get_profile("cpu"), PLANS["cpu"]
    for variant in plan.variants:
        short = variant_profile(profile, variant, plan)
        assert short.training.train_fraction == plan.train_fraction == 0.25
        assert short.training.stage("local").epochs == plan.epochs["local"]
        assert short.training.stage("fusion").epochs == plan.epochs["fusion"]
        expected = plan.epochs["global"] if variant.joint else profile.training.stage("global").epochs
        assert short.training.stages[Stage.GLOBAL].epochs == expected, variant.name
    assert variant_profile(profile, PAPER, AblationPlan(VARIANTS)).training.train_fraction == 1.0


def test_the_papers_variant_of_a_full_plan_is_the_base_run(base, ci_run, ci_data, ci_profile):
    run, metrics = run_variant(PAPER, ci_profile, ci_data, base, CPU, AblationPlan(VARIANTS), progress=False)
    assert run.tau == ci_run.tau
    for branch in ("global", "local", "fusion"):
        assert metrics[branch]["mean_auc"] == pytest.approx(ci_run.metrics[branch]["mean_auc"], abs=1e-6)
    assert json.loads((base / "ablations" / PAPER.folder / "metrics.json").read_text()) == json.loads(json.dumps(metrics))


def test_a_shortened_plan_trains_every_variant_the_same_short_way(base, ci_run, ci_data, ci_profile):
    plan = AblationPlan((PAPER, CROP_FROM_INPUT, NO_ATTENTION, TAU_HIGH), epochs={"local": 1, "fusion": 1}, train_fraction=0.5)
    table = run_ablations(ci_profile, ci_data, base, CPU, plan, progress=False)
    assert list(table.index) == [PAPER.name, CROP_FROM_INPUT.name, NO_ATTENTION.name, TAU_HIGH.name]
    assert (table["epochs"] == "1+1").all()
    assert table.loc[PAPER.name, "paper fusion"] == 0.868
    assert table[["global", "local", "fusion"]].notna().all().all()
    for variant in plan.variants:
        out = base / "ablations" / variant.folder
        assert len(pd.read_csv(out / "stage_local" / "log.csv")) == 1
        saved = load_predictions(out / PREDICTIONS_FILE)  # the test predictions its metrics come from
        assert len(saved.indices) == len(ci_data.entries("test")) and set(saved.probs) == {"global", "local", "fusion"}
        # Stage I is the base run's, untouched: the global branch is the same for every variant.
        assert (out / "stage_global" / "best.pt").read_bytes() == (base / "stage_global" / "best.pt").read_bytes()
        assert table.loc[variant.name, "global"] == pytest.approx(ci_run.metrics["global"]["mean_auc"], abs=1e-6)
    # Tau: the base run's rule (chosen on validation) unless the variant fixes it.
    assert table.loc[PAPER.name, "tau"] == table.loc[CROP_FROM_INPUT.name, "tau"] == ci_run.tau
    assert table.loc[TAU_HIGH.name, "tau"] == 0.9
    assert set(table["starts from"]) == {"the base run's stage I"}  # no joint variant in this plan
    for variant, where in ((CROP_FROM_INPUT, "input"), (NO_ATTENTION, "whole")):
        config = Profile.read(base / "ablations" / variant.folder / "config.json")
        assert config.model.attention.crop_from == where and table.loc[variant.name, "crop from"] == where
    config = Profile.read(base / "ablations" / PAPER.folder / "config.json")  # what the folder holds
    assert config.training.train_fraction == 0.5
    assert config.training.stage("global") == ci_profile.training.stage("global")


def test_stages_two_and_three_are_copied_only_from_a_base_of_the_same_configuration(base, ci_data, ci_profile):
    # The base ran another heatmap: its stage I is this variant's, its stages II and III are not.
    ci_profile.with_changes(**{"model.attention.reduce": "l2"}).write(base / "config.json")
    run_variant(PAPER, ci_profile, ci_data, base, CPU, AblationPlan(VARIANTS), progress=False)
    out = base / "ablations" / PAPER.folder
    assert (out / "stage_global" / "best.pt").read_bytes() == (base / "stage_global" / "best.pt").read_bytes()
    # trained here, not copied (copytree keeps a file's modification time)
    assert (out / "stage_local" / "log.json").stat().st_mtime_ns > (base / "stage_local" / "log.json").stat().st_mtime_ns


def test_a_variant_refuses_a_base_whose_stage_one_was_trained_otherwise(base, ci_data, ci_profile):
    other = ci_profile.with_changes(**{"training.seed": 7})
    other.write(base / "config.json")
    with pytest.raises(ValueError, match=r"training\.seed: 7 -> 0"):
        run_variant(TAU_HIGH, ci_profile, ci_data, base, CPU, AblationPlan(VARIANTS), progress=False)
    assert not (base / "ablations" / TAU_HIGH.folder / "stage_local").exists()  # refused before training


def test_the_joint_variant_says_where_it_starts():
    from agcnn_lab.ablations import _start

    assert _start(get_profile("cpu"), JOINT) == "ImageNet weights (all three)"
    assert _start(get_profile("ci"), JOINT) == "random weights (all three)"
    assert _start(get_profile("cpu"), PAPER) == "the base run's stage I"


# The paired differences against the reference row ------------------------------------------


def _predictions(probs: dict, labels, indices=None) -> Predictions:
    n = len(labels)
    return Predictions(
        indices=np.arange(n) if indices is None else indices, labels=labels, probs=probs, boxes=np.full((n, 4), np.nan)
    )


def _planted(n=300, seed=0):
    """Labels, a weak score (the reference) and a strong one (a variant that is better by far)."""
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, len(CLASSES))) < 0.3).astype(np.float32)
    weak = 0.3 * labels + rng.random(labels.shape)
    strong = 3.0 * labels + rng.random(labels.shape)
    return labels, weak, strong


def test_paired_differences_find_a_planted_difference_and_none_between_identical_predictions():
    labels, weak, strong = _planted()
    predictions = {
        "reference": _predictions({"local": weak, "fusion": weak}, labels),
        "better": _predictions({"local": strong, "fusion": weak.copy()}, labels),
    }
    table = paired_differences(predictions, branches=("local", "fusion"), n_boot=200)
    assert table.attrs["reference"] == "reference"
    assert list(table.index) == [("reference", "local"), ("reference", "fusion"), ("better", "local"), ("better", "fusion")]
    planted = table.loc[("better", "local")]
    expected = paired_bootstrap_difference(labels, strong, weak, n_boot=200)
    assert planted["d"] == pytest.approx(expected["mean"]) and planted["d"] > 0.2
    assert 0 < planted["low"] < planted["d"] < planted["high"]
    assert planted["Nodule d"] == pytest.approx(expected["auc"]["Nodule"])
    assert [planted["Nodule low"], planted["Nodule high"]] == pytest.approx(expected["ci95_auc"]["Nodule"])
    assert verdict(planted["low"], planted["high"]).startswith("higher")
    for row in (table.loc[("better", "fusion")], table.loc[("reference", "local")]):  # identical predictions
        assert row["d"] == 0 and row["low"] <= 0 <= row["high"] and row["Mass d"] == 0
        assert verdict(row["low"], row["high"]).startswith("no difference")
    # The shortcut for identical predictions says what the bootstrap says.
    same = paired_bootstrap_difference(labels, weak, weak, n_boot=50)
    assert same["mean"] == 0 and same["ci95"] == [0.0, 0.0]
    # The other way round, with another reference: the sign turns.
    turned = paired_differences(predictions, reference="better", branches=("local",), classes=(), n_boot=200)
    assert turned.loc[("reference", "local"), "d"] == pytest.approx(-planted["d"])
    assert list(turned.columns) == ["d", "low", "high"]


def test_paired_differences_refuse_what_cannot_be_paired():
    labels, weak, strong = _planted(n=60)
    reference = _predictions({"local": weak}, labels)
    with pytest.raises(ValueError, match="same films"):
        paired_differences({"a": reference, "b": _predictions({"local": strong}, labels, indices=np.arange(60)[::-1])}, branches=("local",))
    with pytest.raises(ValueError, match="reference 'c'"):
        paired_differences({"a": reference}, reference="c", branches=("local",))
    with pytest.raises(ValueError, match="no 'fusion'"):
        paired_differences({"a": reference}, branches=("fusion",))
    with pytest.raises(ValueError, match="unknown class"):
        paired_differences({"a": reference}, branches=("local",), classes=("Nodules",))


def test_variant_predictions_round_trip_and_are_read_from_the_folders(tmp_path):
    labels, weak, strong = _planted(n=120)
    saved = {PAPER: weak, CROP_FROM_INPUT: strong}
    for variant, scores in saved.items():
        path = save_predictions(tmp_path / "ablations" / variant.folder / PREDICTIONS_FILE, _predictions({"local": scores}, labels))
        back = load_predictions(path)
        assert np.array_equal(back.probs["local"], scores) and np.array_equal(back.labels, labels)
        assert np.array_equal(back.indices, np.arange(120)) and np.isnan(back.boxes).all()
    table = ablation_differences(tmp_path, (PAPER, CROP_FROM_INPUT), branches=("local",), n_boot=100)
    assert table.attrs["reference"] == PAPER.name
    assert table.loc[(CROP_FROM_INPUT.name, "local"), "d"] == pytest.approx(
        paired_bootstrap_difference(labels, strong, weak, n_boot=100)["mean"])
    with pytest.raises(FileNotFoundError, match="run_variant"):
        ablation_differences(tmp_path, AblationPlan((PAPER, TAU_LOW)))


def _differences(rows: dict) -> pd.DataFrame:
    """A paired_differences table from {(variant, branch): (d, low, high)}, Nodule and Mass
    set to the mean's numbers minus 0.05 (they lose more than the mean)."""
    records = []
    for (variant, branch), (d, low, high) in rows.items():
        record = {"variant": variant, "branch": branch, "d": d, "low": low, "high": high}
        for c in ("Nodule", "Mass"):
            record.update({f"{c} d": d - 0.05, f"{c} low": low - 0.05, f"{c} high": high - 0.05})
        records.append(record)
    table = pd.DataFrame(records).set_index(["variant", "branch"])
    table.attrs["reference"] = PAPER.name
    return table


def test_the_answers_to_notebook_05s_questions_come_from_the_differences():
    rows = {(PAPER.name, b): (0.0, 0.0, 0.0) for b in ("global", "local", "fusion")}
    rows.update({
        (CROP_FROM_INPUT.name, "local"): (-0.04, -0.06, -0.02), (CROP_FROM_INPUT.name, "fusion"): (-0.01, -0.03, 0.01),
        (JOINT.name, "global"): (0.02, 0.01, 0.03), (JOINT.name, "local"): (0.0, -0.01, 0.01), (JOINT.name, "fusion"): (-0.02, -0.03, -0.01),
        (TAU_HIGH.name, "local"): (-0.03, -0.05, -0.01), (TAU_HIGH.name, "fusion"): (0.0, -0.01, 0.01),
        (NO_ATTENTION.name, "local"): (0.02, 0.01, 0.03), (NO_ATTENTION.name, "fusion"): (0.0, -0.01, 0.01),
    })
    answers = ablation_answers(_differences(rows))
    assert [a[:3] for a in answers] == ["(1)", "(2)", "(3)", "(4)"]
    assert "local: mean -0.040 [-0.060, -0.020] (interval below 0)" in answers[0]
    assert "Nodule -0.090 [-0.110, -0.070]" in answers[0] and "The d of Nodule, Mass lies below the mean's" in answers[0]
    assert "global +0.020 [+0.010, +0.030] (interval above 0)" in answers[1] and "fusion -0.020 [-0.030, -0.010] (interval below 0)" in answers[1]
    assert "shows in the point estimates" in answers[1]
    assert "-0.030 [-0.050, -0.010] (interval below 0)" in answers[2] and "0.817 -> 0.751" in answers[2]
    # (4) is the reference minus the whole film: the whole-film row's difference, turned.
    assert "local -0.020 [-0.030, -0.010] (interval below 0)" in answers[3]
    assert re.search(r"fusion [+-]0\.000 \[-0\.010, \+0\.010\] \(interval holds 0\)", answers[3])
    only_paper = ablation_answers(_differences({(PAPER.name, b): (0.0, 0.0, 0.0) for b in ("global", "local", "fusion")}))
    assert all("The plan has no" in a for a in only_paper)


def test_the_differences_formatted_for_reading():
    rows = {(PAPER.name, "local"): (0.0, 0.0, 0.0), (TAU_HIGH.name, "local"): (-0.03, -0.05, -0.01),
            (TAU_LOW.name, "local"): (0.01, -0.01, 0.02)}
    shown = format_differences(_differences(rows))
    assert list(shown.index) == [(TAU_HIGH.name, "local"), (TAU_LOW.name, "local")]  # the reference's rows dropped
    assert list(shown.columns) == ["mean AUC: d [95% CI]", "Nodule: d [95% CI]", "Mass: d [95% CI]", "mean AUC: the interval says"]
    assert shown.loc[(TAU_HIGH.name, "local")].tolist() == [
        "-0.030 [-0.050, -0.010]", "-0.080 [-0.100, -0.060]", "-0.080 [-0.100, -0.060]", "interval below 0"]
    assert shown.loc[(TAU_LOW.name, "local"), "mean AUC: the interval says"] == "interval holds 0"
    assert verdict(float("nan"), 0.1) .startswith("undefined") and verdict(0.01, 0.02, short=True) == "interval above 0"
