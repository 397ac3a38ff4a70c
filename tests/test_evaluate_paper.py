import pytest

from agcnn_lab.data import CLASSES
from agcnn_lab.evaluate import comparison_table, paper_table


def test_paper_rows_and_means():
    table = paper_table()
    fusion = table.query("model == 'AG-CNN' and backbone == 'resnet50' and branch == 'fusion'").iloc[0]
    assert fusion["mean"] == 0.868 and fusion["Nodule"] == 0.827
    for _, row in table.iterrows():  # the stated mean is the mean of the 14 (to rounding)
        assert row[list(CLASSES)].mean() == pytest.approx(row["mean"], abs=0.0021)


def test_comparison_table_sets_a_run_beside_the_paper():
    metrics = {b: {"mean_auc": v, "ci95": {"mean_auc": (v - 0.01, v + 0.01)}} for b, v in [("global", 0.7), ("fusion", 0.75)]}
    table = comparison_table(metrics)
    assert list(table.index) == ["global", "fusion"]
    assert table.loc["fusion", "paper resnet50"] == 0.868 and table.loc["global", "paper densenet121"] == 0.840
    assert table.loc["fusion", "95% CI"] == "0.740-0.760"


def test_paper_class_table_sets_each_class_beside_the_papers_branch():
    from agcnn_lab.evaluate.paper import paper_class_table

    auc = {c: 0.6 for c in CLASSES} | {"Hernia": float("nan")}
    ci = {c: (0.5, 0.7) for c in CLASSES} | {"mean_auc": (0.55, 0.65), "Hernia": (float("nan"), float("nan"))}
    metrics = {"global": {"mean_auc": 0.6, "auc": auc, "ci95": ci}, "local": {"mean_auc": 0.62, "auc": auc}}
    table = paper_class_table(metrics, branches=("global",))
    assert list(table.index) == [*CLASSES, "mean"]
    assert list(table.columns) == ["global (this run)", "global 95% CI", "global paper resnet50", "global paper densenet121"]
    assert table.loc["Nodule", "global paper resnet50"] == 0.780 and table.loc["mean", "global paper densenet121"] == 0.840
    assert table.loc["mean", "global (this run)"] == 0.6 and table.loc["mean", "global 95% CI"] == "0.550-0.650"
    assert table.loc["Hernia", "global 95% CI"] == ""
    both = paper_class_table(metrics)
    assert "local paper resnet50" in both.columns and both.loc["Mass", "local paper resnet50"] == 0.826
    assert (both["local 95% CI"] == "").all()  # no interval in the metrics: left blank
