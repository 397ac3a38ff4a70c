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
    assert (tau.tau, tau.choose_tau) == (0.9, False)
    assert variant_profile(profile, PAPER, AblationPlan(VARIANTS)) is profile
    short = variant_profile(profile, PAPER, AblationPlan(VARIANTS, epochs={"local": 3}))
    local = profile.stage("local")
    assert short.stage("local").epochs == 3
    assert short.stage("local").lr_drop_epoch == max(1, round(local.lr_drop_epoch * 3 / local.epochs))
    assert short.stage("global") == profile.stage("global")


def test_attention_controls_pair_each_box_with_the_whole_film_at_its_size():
    profile = get_profile("cpu")
    controls = attention_controls(profile)
    sizes = [(v.crop_from, v.tau_on, variant_profile(profile, v, AblationPlan(controls)).crop_size) for v in controls]
    same = profile.geometry.crop
    assert sizes == [("whole", None, profile.crop_size), ("source", "hit_single", profile.crop_size), ("source", "hit_single", same), ("whole", None, same)]
    assert len({v.folder for v in controls}) == len(controls)
    tight = variant_profile(profile, controls[2], AblationPlan(controls))
    assert (tight.tau_on, tight.choose_tau, tight.crop_size) == ("hit_single", True, same)


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
    run = json.loads((base / "ablations" / CROP_FROM_INPUT.folder / "run.json").read_text())
    assert run["crop_from"] == "input" and table.loc[CROP_FROM_INPUT.name, "crop from"] == "input"
    run = json.loads((base / "ablations" / NO_ATTENTION.folder / "run.json").read_text())
    assert run["crop_from"] == "whole" and table.loc[NO_ATTENTION.name, "crop from"] == "whole"
