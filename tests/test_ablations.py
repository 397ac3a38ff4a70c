import json
import shutil

import pandas as pd
import pytest
import torch

from agcnn_lab.ablations import (
    CROP_FROM_INPUT,
    JOINT,
    NO_ATTENTION,
    PAPER,
    PLANS,
    TAU_HIGH,
    VARIANTS,
    AblationPlan,
    ablation_plan,
    attention_controls,
    run_ablations,
    run_variant,
    train_subset,
    variant_profile,
)
from agcnn_lab.config import Profile
from agcnn_lab.profiles import get_profile

CPU = torch.device("cpu")


@pytest.fixture()
def base(tmp_path, ci_run):
    """A copy of the ci run's stage folders: the base run the variants start from."""
    for stage in ("global", "local", "fusion"):
        shutil.copytree(ci_run.out / f"stage_{stage}", tmp_path / f"stage_{stage}")
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


def test_train_subset(ci_data):
    half = train_subset(ci_data, 0.5)
    train = ci_data.entries("train")
    assert len(half.entries("train")) == round(len(train) * 0.5)
    assert set(half.entries("train")["image"]) <= set(train["image"])
    assert half.entries("test") is ci_data.entries("test") and half.boxes is ci_data.boxes
    assert train_subset(ci_data, 1.0) is ci_data
    with pytest.raises(ValueError, match="fraction"):
        train_subset(ci_data, 0)


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


def test_the_joint_variant_says_where_it_starts():
    from agcnn_lab.ablations import _start

    assert _start(get_profile("cpu"), JOINT) == "ImageNet weights (all three)"
    assert _start(get_profile("ci"), JOINT) == "random weights (all three)"
    assert _start(get_profile("cpu"), PAPER) == "the base run's stage I"
