"""The attention effect on the lesions the crop holds and on those it cuts away (evaluate.lesion_in_box)."""

import numpy as np
import pandas as pd
import pytest
from test_evaluate_finding_count import predictions_table

from agcnn_lab.data.classes import CLASSES
from agcnn_lab.evaluate.lesion_in_box import effect_by_lesion_in_box, lesion_in_box

NODULE, MASS = CLASSES.index("Nodule"), CLASSES.index("Mass")
LEFT_HALF = (0.0, 0.0, 0.5, 1.0)


def _lesion(image, label, x, y, side=0.04):
    return {"image": image, "label": label, "x0": x, "y0": y, "x1": x + side, "y1": y + side}


def _attention(images, box=LEFT_HALF, split="test"):
    return pd.DataFrame([{"image": i, "split": split, "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3]}
                         for i in images])


def planted(n=600, seed=0):
    """Every crop is the film's left half. Nodules in it are seen better by the crop than by the
    whole film; nodules in the right half are cut away and seen worse."""
    rng = np.random.default_rng(seed)
    images = [f"img{i:04d}.png" for i in range(n)]
    labels = np.zeros((n, len(CLASSES)), dtype=int)
    films = rng.permutation(n)
    held, cut = films[:80], films[80:160]
    labels[films[:160], NODULE] = 1
    branch = rng.normal(0, 1, labels.shape)
    control = branch.copy()
    branch[held, NODULE], control[held, NODULE] = rng.normal(2.0, 1, 80), rng.normal(1.0, 1, 80)
    branch[cut, NODULE], control[cut, NODULE] = rng.normal(0.0, 1, 80), rng.normal(1.0, 1, 80)
    lesions = [_lesion(images[i], "Nodule", 0.2, 0.4) for i in held] + [_lesion(images[i], "Nodule", 0.7, 0.4) for i in cut]
    table = predictions_table(labels, {"local": branch, "local_whole_film": control}, images)
    return table, pd.DataFrame(lesions), _attention(images), images, labels


def test_lesion_in_box_by_hand():
    images = ["a.png", "b.png", "c.png", "d.png"]
    labels = np.zeros((4, len(CLASSES)), dtype=int)
    labels[:3, NODULE] = 1
    labels[3, MASS] = 1
    lesions = pd.DataFrame([
        _lesion("a.png", "Nodule", 0.2, 0.5),  # in the left half
        _lesion("b.png", "Nodule", 0.7, 0.5),  # cut away
        _lesion("c.png", "Nodule", 0.7, 0.5), _lesion("c.png", "Nodule", 0.1, 0.1),  # one of two held: in
        _lesion("d.png", "Nodule", 0.1, 0.1),  # a box of a class the film is not labelled with: ignored
    ])
    inside = lesion_in_box(labels, np.array(images), lesions, _attention(images))
    assert inside[:3, NODULE].tolist() == [1.0, 0.0, 1.0]
    assert np.isnan(inside[3, NODULE]) and np.isnan(inside[3, MASS])  # Mass positive without a box
    assert np.isnan(inside[:, CLASSES.index("Effusion")]).all()


def test_the_crop_gains_on_the_lesions_it_holds_and_loses_on_those_it_cuts_away():
    predictions, lesions, attention, _, _ = planted()
    table = effect_by_lesion_in_box(predictions, lesions, attention, n_boot=300, seed=1).set_index("bin")
    assert table.index.tolist() == ["in the box", "cut away"]
    assert table.loc["in the box", "positives"] == 80 and table.loc["cut away", "positives"] == 80
    assert table.loc["in the box", "ci_lo"] > 0 and table.loc["cut away", "ci_hi"] < 0


def test_runs_pooled_keep_the_positives_their_boxes_disagree_on_apart():
    predictions, lesions, attention, images, _ = planted()
    wide = _attention(images, box=(0.0, 0.0, 1.0, 1.0))  # a second run that holds every lesion
    table = effect_by_lesion_in_box([predictions, predictions], lesions, [attention, wide], n_boot=20).set_index("bin")
    assert table.index.tolist() == ["in the box", "cut away", "in some runs' boxes"]
    assert table.loc["in the box", "positives"] == 80 and table.loc["in some runs' boxes", "positives"] == 80
    assert table.loc["cut away", "positives"] == 0


def test_missing_or_foreign_attention_boxes_are_refused():
    predictions, lesions, attention, images, _ = planted()
    with pytest.raises(ValueError, match=r"run 0 has no attention box for 1 test film\(s\), e.g. 'img0000.png'"):
        effect_by_lesion_in_box(predictions, lesions, attention[attention["image"] != "img0000.png"], n_boot=5)
    with pytest.raises(ValueError, match="2 run\\(s\\) of predictions but 1 attention box table"):
        effect_by_lesion_in_box([predictions, predictions], lesions, attention, n_boot=5)
    blank = attention.assign(x0=np.nan)
    with pytest.raises(ValueError, match="hold NaN on split 'test'"):
        effect_by_lesion_in_box(predictions, lesions, blank, n_boot=5)
    with pytest.raises(ValueError, match="lack the column\\(s\\) split"):
        effect_by_lesion_in_box(predictions, lesions, attention.drop(columns="split"), n_boot=5)


def test_box_effect_summary_is_metrics_json_ready():
    import json

    from agcnn_lab.evaluate.lesion_in_box import box_effect_summary

    predictions, lesions, attention, images, labels = planted()
    # the fusion pair scored as the local pair, so both branches have their control
    both = pd.concat([predictions, predictions.assign(branch=predictions["branch"].str.replace("local", "fusion"))])
    summary = box_effect_summary(both, lesions, attention, n_boot=50)
    assert list(summary) == ["local", "fusion"] and summary["local"] == summary["fusion"]
    held, cut = summary["local"]["in the box"], summary["local"]["cut away"]
    assert held["positives"] == 80 and held["ci95"][0] > 0 and cut["ci95"][1] < 0
    json.dumps(summary, allow_nan=False)  # plain floats and ints, no NaN
    nothing_cut = box_effect_summary(both, lesions, _attention(images, box=(0, 0, 1, 1)), n_boot=5)
    assert nothing_cut["local"]["cut away"] == {"positives": 0, "effect": None, "ci95": None}
