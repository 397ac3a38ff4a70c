"""Configuration as data: nested, frozen, written as JSON and read back, errors that name the field."""

import json

import pytest

from agcnn_lab.config import Branch, ConfigError, CropFrom, Profile, Stage, TauRule
from agcnn_lab.profiles import PROFILES, get_profile


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_round_trips_through_json(name):
    profile = PROFILES[name]
    again = Profile.from_json(profile.to_json())
    assert again == profile and again.differences(profile) == []


def test_each_layer_has_its_part():
    cpu = get_profile("cpu")
    assert cpu.data.geometry.crop == 128 and cpu.data.phantom_preset == "v4"
    assert cpu.model.backbone == "mobilenet_v2" and cpu.model.pretrained
    assert cpu.model.attention.crop_from is CropFrom.SOURCE and cpu.model.attention.tau_on is TauRule.HIT_SINGLE
    assert cpu.training.stage(Stage.LOCAL).epochs == 3 and cpu.training.stage("joint") == cpu.training.stage("global")
    assert set(cpu.training.stages) == {Stage.GLOBAL, Stage.LOCAL, Stage.FUSION}


def test_names_are_enums_that_read_as_their_strings():
    assert Stage("global") is Stage.GLOBAL and Stage.GLOBAL == "global"
    assert Branch.LOCAL_WHOLE_FILM == "local_whole_film" and f"{Branch.FUSION}" == "fusion"
    assert json.dumps({Branch.LOCAL: 1}) == '{"local": 1}'


def test_with_changes_takes_dotted_paths_and_checks_them():
    cpu = get_profile("cpu")
    changed = cpu.with_changes(**{"model.attention.crop_size": 96}, training__control=False)
    assert changed.model.attention.crop_size == 96 and changed.training.control is False
    assert cpu.model.attention.crop_size == 128  # frozen: a copy, not an edit
    assert changed.differences(cpu) == ["model.attention.crop_size: 96 -> 128", "training.control: False -> True"]
    assert changed.differences(cpu, ignoring=("model.attention.",)) == ["training.control: False -> True"]
    with pytest.raises(ConfigError, match="AttentionConfig has no field 'crop'"):
        cpu.with_changes(**{"model.attention.crop": 96})


def test_an_unknown_tau_rule_or_preset_is_refused_before_any_training():
    with pytest.raises(ConfigError, match="model.attention.tau_on must be one of hit, hit_single, got 'hits'"):
        get_profile("cpu").with_changes(**{"model.attention.tau_on": "hits"})
    with pytest.raises(ConfigError, match="phantom_preset must be one of v1, v2, v3, v4, v5, v6, v7, got 'v8'"):
        get_profile("ci").with_changes(**{"data.phantom_preset": "v8"})
    for bad in (0, 1.5):
        with pytest.raises(ConfigError, match=rf"model.attention.box_area must lie in \(0, 1\] .* got {bad}"):
            get_profile("cpu").with_changes(**{"model.attention.box_area": bad})


def test_box_area_reaches_the_models_attention_crop_and_old_configurations_default_to_none():
    from agcnn_lab.experiment import build_model

    cpu = get_profile("cpu").with_changes(**{"model.pretrained": False})  # no weights needed
    assert cpu.model.attention.box_area is None and build_model(cpu).attention.box_area is None
    gaze = cpu.with_changes(**{"model.attention.box_area": 0.45})
    assert build_model(gaze).attention.box_area == 0.45
    values = gaze.to_dict()
    del values["model"]["attention"]["box_area"]  # a run folder written before the field existed
    assert Profile.from_dict(values).model.attention.box_area is None


def test_a_share_of_training_films_outside_0_to_1_is_refused_and_old_configs_read_as_all():
    for share in (0, -0.5, 1.5):
        with pytest.raises(ConfigError, match=f"training.train_fraction must lie in \\(0, 1\\], got {share}"):
            get_profile("cpu").with_changes(**{"training.train_fraction": share})
    values = get_profile("cpu").to_dict()
    del values["training"]["train_fraction"]  # a config.json written before the field existed
    assert Profile.from_dict(values) == get_profile("cpu")


def test_an_unknown_profile_names_the_choices():
    with pytest.raises(ValueError, match="unknown profile 'laptop'; choose one of ci, cpu, cpu-scratch, gpu"):
        get_profile("laptop")


def test_a_config_file_that_does_not_parse_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "c.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=f"{path}: not valid JSON"):
        Profile.read(path)
    values = get_profile("ci").to_dict()
    values["model"]["attention"]["tua"] = 0.5
    path.write_text(json.dumps(values))
    with pytest.raises(ConfigError, match=r"c.json: unknown field\(s\) model.attention.tua"):
        Profile.read(path)
    values = get_profile("ci").to_dict()
    del values["training"]["stages"]["fusion"]["epochs"]
    path.write_text(json.dumps(values))
    with pytest.raises(ConfigError, match=r"missing field\(s\) training.stages.fusion.epochs"):
        Profile.read(path)
    with pytest.raises(ConfigError, match="cannot read the configuration"):
        Profile.read(tmp_path / "absent.json")
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="a configuration is a JSON object"):
        Profile.read(path)


def test_write_is_atomic_and_reads_back(tmp_path):
    path = get_profile("cpu").write(tmp_path / "config.json")
    assert Profile.read(path) == get_profile("cpu")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_the_demo_starts_from_imagenet_and_the_scratch_profile_keeps_the_first_edition():
    cpu, scratch = get_profile("cpu"), get_profile("cpu-scratch")
    assert cpu.model.pretrained and cpu.model.backbone == "mobilenet_v2" and cpu.data.phantom_preset == "v4"
    assert not scratch.model.pretrained and scratch.model.backbone == "tiny" and scratch.data.phantom_preset == "v1"
