import pytest

from agcnn_lab.ablations import AblationPlan, Variant, variant_profile
from agcnn_lab.profiles import PROFILES, TAU_RULES, get_profile


def test_every_profile_reads_a_known_tau_rule():
    assert {p.tau_on for p in PROFILES.values()} <= set(TAU_RULES)
    assert get_profile("cpu").with_changes(tau_on="hit_single").tau_on == "hit_single"


def test_an_unknown_tau_rule_is_refused_before_any_training():
    with pytest.raises(ValueError, match="Profile 'cpu': tau_on must be one of hit, hit_single, got 'hits'"):
        get_profile("cpu").with_changes(tau_on="hits")
    with pytest.raises(ValueError, match="got 'single'"):
        variant_profile(get_profile("ci"), Variant("typo", tau_on="single"), AblationPlan(()))


def test_an_unknown_profile_names_the_choices():
    with pytest.raises(ValueError, match="unknown profile 'laptop'; choose one of ci, cpu, cpu-scratch, gpu"):
        get_profile("laptop")


def test_an_unknown_phantom_preset_is_refused_before_any_data_is_made():
    with pytest.raises(ValueError, match="phantom_preset must be one of v1, v2, got 'v3'"):
        get_profile("ci").with_changes(phantom_preset="v3")


def test_the_demo_starts_from_imagenet_and_the_scratch_profile_keeps_the_first_edition():
    cpu, scratch = get_profile("cpu"), get_profile("cpu-scratch")
    assert cpu.pretrained and cpu.backbone == "mobilenet_v2" and cpu.phantom_preset == "v2"
    assert not scratch.pretrained and scratch.backbone == "tiny" and scratch.phantom_preset == "v1"
