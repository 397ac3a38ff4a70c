import json

import pandas as pd

from agcnn_lab.report import (
    FUSION_GAIN_GOAL,
    box_kind,
    class_table,
    kept_epochs_line,
    result_checks,
    write_report,
)


def _metrics(global_auc, fusion_auc, nodule_local=0.8, nodule_global=0.6):
    def branch(mean, nodule):
        auc = {c: mean for c in ("Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Pneumonia", "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia")}
        auc["Nodule"] = nodule
        return {"mean_auc": mean, "auc": auc, "ci95": {"mean_auc": (mean - 0.02, mean + 0.02)}}

    return {"global": branch(global_auc, nodule_global), "local": branch(global_auc + 0.01, nodule_local), "fusion": branch(fusion_auc, nodule_local)}


def _effect(local, nodule, fusion, low=None):
    def difference(mean, nodule_d):
        return {"mean": mean, "ci95": [mean - 0.01 if low is None else low, mean + 0.01], "auc": {"Nodule": nodule_d}, "ci95_auc": {"Nodule": [nodule_d - 0.02, nodule_d + 0.02]}}

    return {"local": difference(local, nodule), "fusion": difference(fusion, 0.0)}


def _pointing(hit_single, area, fixed):
    return {"area": area, "hit": hit_single, "hit_single": hit_single, "lesions": 50, "single": 30,
            "fixed_box": {"box": [0, 0, 0.5, 0.5], "hit": fixed, "hit_single": fixed}}


def test_checks_pass_and_fail_on_the_stated_goals():
    metrics = _metrics(0.70, 0.70 + FUSION_GAIN_GOAL + 0.001)
    metrics["attention_effect"] = _effect(0.03, 0.06, 0.015)
    metrics["pointing"] = _pointing(0.9, 0.3, 0.6)
    checks = result_checks(metrics)
    assert [c.passed for c in checks] == [True] * 6
    assert [c.isolates_attention for c in checks] == [True, True, True, True, False, False]
    metrics = _metrics(0.70, 0.72, nodule_local=0.5)
    metrics["attention_effect"] = _effect(0.03, 0.04, 0.005, low=-0.001)  # CI touches 0: no pass
    metrics["pointing"] = _pointing(0.9, 0.3, 0.95)  # a fixed box does better
    checks = result_checks(metrics)
    assert [c.passed for c in checks] == [False] * 6
    assert "fusion 0.720 - global 0.700 = +0.020" in checks[4].detail
    assert "not the attention's alone" in checks[4].line and "not the attention" not in checks[0].line
    metrics["pointing"] = _pointing(0.9, 0.4, 0.5)  # a box too large
    assert not result_checks(metrics)[3].passed


def test_without_the_control_only_the_branch_comparisons_are_checked():
    localisation = pd.DataFrame({"lesions": [10], "hit": [0.9], "single": [5], "hit_single": [0.9]}, index=["all"])
    checks = result_checks(_metrics(0.70, 0.75), localisation)
    assert [c.isolates_attention for c in checks] == [True, False, False]


def test_class_table_has_the_papers_column():
    table = class_table(_metrics(0.7, 0.75))
    assert table.loc["Nodule", "paper fusion (resnet50)"] == 0.827
    assert list(table.columns[:3]) == ["global", "local", "fusion"]


def _section(text: str, title: str) -> str:
    """The body of the report's section whose heading contains `title` (empty when absent)."""
    for part in text.split("\n## ")[1:]:
        heading, _, body = part.partition("\n")
        if title in heading:
            return body
    return ""


def test_report_of_a_ci_run(ci_run, ci_data, ci_profile):
    path = write_report(ci_run, ci_data)
    text = path.read_text()
    metrics = json.loads((path.parent / "metrics.json").read_text())
    # Every figure it names exists, and every figure written is named.
    for figure in ("curves.png", "roc.png", "class_aucs.png", "attention.png", "tau_sweep.png"):
        assert (path.parent / figure).stat().st_size > 10_000, figure
        assert f"({figure})" in text
    # The AUC table holds this run's numbers beside the paper's.
    table = _section(text, "Test mean AUC")
    for branch in ("global", "local", "fusion"):
        assert f"| {branch} | {metrics[branch]['mean_auc']:.3f} |" in table
    assert "0.868" in table
    # The configuration it describes is the run's: sizes, tau.
    side, crop_side = ci_profile.data.geometry.crop, ci_profile.model.attention.crop_size
    assert f"{side} px" in text and f"{crop_side} px" in text and f"tau = {ci_run.tau:g}" in text
    assert "box: the region's bounding box." in text  # the ci profile's box is the paper's
    # The whole-film control has its section, with both branches' numbers from metrics.json and
    # one row per class and the mean in the paired-difference table.
    effect = _section(text, "the crop against the whole film")
    for branch in ("local_whole_film", "fusion_whole_film"):
        assert f"| {branch} |" in effect and f"{metrics[branch]['mean_auc']:.3f}" in effect
    rows = [line for line in effect.splitlines() if line.startswith("| ") and "---" not in line]
    # The differences carry their sign, as their intervals do: the mean row reads "+0.006 [-0.001, ...".
    effect_of = metrics["attention_effect"]
    mean_row = "| mean | " + " | ".join(
        f"{effect_of[b]['mean']:+.3f} | [{effect_of[b]['ci95'][0]:+.3f}, {effect_of[b]['ci95'][1]:+.3f}]"
        for b in ("local", "fusion")) + " |"
    assert mean_row in rows
    # Where the box cut: one row per bin of metrics.json's attention_effect_by_box.
    by_box = metrics["attention_effect_by_box"]
    assert set(by_box) == {"local", "fusion"} and list(by_box["local"]) == ["in the box", "cut away"]
    assert "Where the box cut" in effect
    for where, cell in by_box["local"].items():
        expected = "too few positives" if cell["effect"] is None else f"{cell['effect']:+.3f} [{cell['ci95'][0]:+.3f}"
        assert any(line.startswith(f"| {where} | {cell['positives']} | {expected}") for line in rows), where
    # Every check is a line of its section, and a branch comparison is labelled as one.
    checks = result_checks(metrics, ci_run.localisation)
    section = _section(text, "The result the method exists for")
    assert all(check.line in section for check in checks)
    # Which epoch each stage kept, the control's stages included.
    assert kept_epochs_line(ci_run.histories) in text
    assert all(f"{stage} " in kept_epochs_line(ci_run.histories) for stage in ("global", "fusion", "fusion_whole_film"))


def test_a_share_of_the_training_images_is_said_and_all_of_them_goes_unsaid():
    from agcnn_lab.report import training_share

    assert training_share(1.0) == ""
    assert training_share(0.25) == " (stages II and III: 25% of the training images, training.train_fraction)"


def test_the_kept_epoch_line_names_a_kept_start():
    histories = {
        "global": [{"epoch": 1, "val_mean_auc": 0.90}, {"epoch": 2, "val_mean_auc": 0.93}, {"epoch": 3, "val_mean_auc": 0.93}],
        "fusion": [{"epoch": 0, "val_mean_auc": 0.95}, {"epoch": 1, "val_mean_auc": 0.94}],
    }
    line = kept_epochs_line(histories)
    assert "global 2 of 3 (validation mean AUC 0.9300)" in line  # the first of equals, as fit_stage keeps
    assert "fusion 0 (its start: the ensemble of the two branches) of 1 (validation mean AUC 0.9500)" in line
    assert kept_epochs_line({}) == ""


def test_the_bottom_line_states_the_effect_and_its_verdict():
    from agcnn_lab.report import attention_effect_summary

    metrics = _metrics(0.70, 0.72)
    assert "skipped the whole-film control" in attention_effect_summary(metrics)
    for branch, mean in (("local_whole_film", 0.73), ("fusion_whole_film", 0.72)):
        metrics[branch] = {"mean_auc": mean}
    metrics["attention_effect"] = _effect(-0.02, 0.0, 0.0, low=-0.03)
    metrics["attention_effect"]["local"]["ci95"] = [-0.03, -0.01]
    metrics["attention_effect"]["fusion"]["ci95"] = [-0.01, 0.01]
    text = attention_effect_summary(metrics).splitlines()
    assert text[0].startswith("local: crop 0.710 vs whole film 0.730, d = -0.020 [-0.030, -0.010]") and "loses" in text[0]
    assert "interval holds 0" in text[1] and text[2].startswith("fusion - global = +0.020")
    metrics["attention_effect"]["local"]["ci95"] = [0.01, 0.03]
    assert "earns its own gain" in attention_effect_summary(metrics).splitlines()[0]


def test_the_box_kind_names_a_centred_box_and_its_area():
    from agcnn_lab.config import AttentionConfig

    assert box_kind(AttentionConfig()) == "box: the region's bounding box"
    assert box_kind(AttentionConfig(box_area=0.45)).startswith("box: 45% of the input, centred on the region")


def test_where_the_box_cut_is_a_table_of_both_branches():
    from agcnn_lab.report import _box_effect_lines

    cell = {"positives": 40, "effect": 0.012, "ci95": [0.002, 0.02]}
    empty = {"positives": 0, "effect": None, "ci95": None}
    lines = _box_effect_lines({"local": {"in the box": cell, "cut away": empty},
                               "fusion": {"in the box": {**cell, "effect": -0.004, "ci95": [-0.01, 0.003]},
                                          "cut away": empty}})
    text = "\n".join(lines)
    assert "| in the box | 40 | +0.012 [+0.002, +0.020] | -0.004 [-0.010, +0.003] |" in text
    assert "| cut away | 0 | too few positives | too few positives |" in text
    assert _box_effect_lines(None) == [] and _box_effect_lines({}) == []
