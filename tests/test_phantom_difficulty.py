"""PhantomCXR-14's presets: v6 is v4 with the mild forms of seven findings, v7 with the small forms of four, and nothing else."""

from dataclasses import fields

import numpy as np

from agcnn_lab.data.phantom import PRESETS, Difficulty, LabelDistribution, Patient

# The seven findings v2 draws only plainly, and the Difficulty fields that size them.
MILD_FIELDS = {"cardiothoracic_ratio", "cardiomegaly_ratio", "effusion_height", "effusion_contrast",
               "pneumothorax_width", "pneumothorax_line_contrast", "edema_strength", "emphysema_strength",
               "fibrosis_strength", "hernia_diameter", "hernia_gas_contrast"}


def test_v6_differs_from_v4_only_in_the_seven_findings_and_reaches_lower():
    v4, v6 = PRESETS["v4"], PRESETS["v6"]
    changed = {f.name for f in fields(Difficulty) if getattr(v4, f.name) != getattr(v6, f.name)}
    assert changed == MILD_FIELDS
    for name in MILD_FIELDS - {"cardiothoracic_ratio"}:
        assert getattr(v6, name)[0] < getattr(v4, name)[0], name  # a milder end than v4's
    # Normal and enlarged hearts meet at the textbook's 0.5 without overlapping: every label decidable.
    assert v6.cardiothoracic_ratio[1] <= 0.5 < v6.cardiomegaly_ratio[0]
    assert Difficulty.from_dict(v6.to_dict()) == v6


def test_v6_films_keep_v4s_labels_and_draw_the_localised_ones_no_larger():
    labels = LabelDistribution.build(prevalence={"Effusion": 0.4, "Pneumothorax": 0.4, "Hernia": 0.3})
    areas = {"v4": [], "v6": []}
    for pid in range(1, 31):
        plain = Patient(pid, 0, 128, labels, PRESETS["v4"]).film(0)
        mild = Patient(pid, 0, 128, labels, PRESETS["v6"]).film(0)
        assert plain.labels == mild.labels  # the same draws; only sizes and strengths move
        for a, b in zip(plain.lesions, mild.lesions, strict=True):
            assert a.label == b.label
            if a.label in {"Effusion", "Pneumothorax", "Hernia"}:
                areas["v4"].append((a.box[2] - a.box[0]) * (a.box[3] - a.box[1]))
                areas["v6"].append((b.box[2] - b.box[0]) * (b.box[3] - b.box[1]))
    assert len(areas["v4"]) >= 10
    assert np.mean(areas["v6"]) < 0.9 * np.mean(areas["v4"])


# The four focal opacities v7 draws smaller, and the Difficulty fields that size them.
SMALL_FIELDS = {"atelectasis_length": "Atelectasis", "consolidation_diameter": "Consolidation",
                "pneumonia_diameter": "Pneumonia", "infiltration_diameter": "Infiltration"}


def test_v7_differs_from_v4_only_in_the_small_end_of_four_focal_findings():
    v4, v7 = PRESETS["v4"], PRESETS["v7"]
    changed = {f.name for f in fields(Difficulty) if getattr(v4, f.name) != getattr(v7, f.name)}
    assert changed == set(SMALL_FIELDS)
    for name in SMALL_FIELDS:
        assert getattr(v7, name)[0] < getattr(v4, name)[0] and getattr(v7, name)[1] == getattr(v4, name)[1], name
    assert Difficulty.from_dict(v7.to_dict()) == v7


def test_v7_films_keep_v4s_labels_and_draw_the_focal_opacities_smaller():
    labels = LabelDistribution.build(prevalence={name: 0.3 for name in SMALL_FIELDS.values()})
    areas = {"v4": [], "v7": []}
    for pid in range(1, 31):
        plain = Patient(pid, 0, 128, labels, PRESETS["v4"]).film(0)
        small = Patient(pid, 0, 128, labels, PRESETS["v7"]).film(0)
        assert plain.labels == small.labels  # the same draws; only sizes move
        for a, b in zip(plain.lesions, small.lesions, strict=True):
            assert a.label == b.label
            if a.label in SMALL_FIELDS.values():
                areas["v4"].append((a.box[2] - a.box[0]) * (a.box[3] - a.box[1]))
                areas["v7"].append((b.box[2] - b.box[0]) * (b.box[3] - b.box[1]))
    assert len(areas["v4"]) >= 20
    assert np.mean(areas["v7"]) < 0.8 * np.mean(areas["v4"])
