import pandas as pd

from agcnn_lab.report import FUSION_GAIN_GOAL, class_table, result_checks, write_report


def _metrics(global_auc, fusion_auc, nodule_local=0.8, nodule_global=0.6):
    def branch(mean, nodule):
        auc = {c: mean for c in ("Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Pneumonia", "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia")}
        auc["Nodule"] = nodule
        return {"mean_auc": mean, "auc": auc, "ci95": {"mean_auc": (mean - 0.02, mean + 0.02)}}

    return {"global": branch(global_auc, nodule_global), "local": branch(global_auc + 0.01, nodule_local), "fusion": branch(fusion_auc, nodule_local)}


def test_checks_pass_and_fail_on_the_stated_goals():
    localisation = pd.DataFrame({"lesions": [10], "iou": [0.2], "iobb": [0.9], "hit": [0.9]}, index=["all"])
    checks = result_checks(_metrics(0.70, 0.70 + FUSION_GAIN_GOAL + 0.001), localisation)
    assert [c.passed for c in checks] == [True, True, True]
    checks = result_checks(_metrics(0.70, 0.72, nodule_local=0.5), localisation.assign(hit=[0.7]))
    assert [c.passed for c in checks] == [False, False, False]
    assert "fusion 0.720 - global 0.700 = +0.020" in checks[0].detail


def test_class_table_has_the_papers_column():
    table = class_table(_metrics(0.7, 0.75))
    assert table.loc["Nodule", "paper fusion (resnet50)"] == 0.827
    assert list(table.columns[:3]) == ["global", "local", "fusion"]


def test_report_of_a_ci_run(ci_run, ci_data, ci_profile):
    path = write_report(ci_run, ci_data, ci_profile)
    text = path.read_text()
    assert "## Test mean AUC over the 14 diseases, beside the paper" in text
    assert "paper resnet50" in text and "0.868" in text
    for figure in ("curves.png", "roc.png", "class_aucs.png", "attention.png", "tau_sweep.png"):
        assert (path.parent / figure).stat().st_size > 10_000, figure
        assert f"({figure})" in text
    # The checks do not isolate the attention; the report says so and names the control.
    side, crop_side = ci_profile.geometry.crop, ci_profile.crop_size
    assert f"at {crop_side} px cut from the" in text and f"sees the film at {side} px" in text
    assert "mixes the extra training, the extra pixels and the box" in text
    assert "benchmarks/control_no_attention.py" in text
