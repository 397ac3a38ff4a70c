"""PhantomCXR-14 v2: presets, v1's bytes kept, and look-alikes that only the zoom tells apart."""

import hashlib
from dataclasses import replace

import numpy as np
import pytest

from agcnn_lab.data import CLASSES
from agcnn_lab.data.phantom import (
    PRESETS,
    Difficulty,
    LabelDistribution,
    Patient,
    difficulty_preset,
    generate,
)
from agcnn_lab.data.phantom.findings import Chest
from agcnn_lab.data.phantom.findings import Lesion as Lesion_
from agcnn_lab.data.phantom.lookalikes import KINDS, draw_lookalikes

# sha256 of the pixels, lesions and labels of every film of patients 1-24 (seed 3, 256 px,
# every class at 30%), computed with the code of the first release, before v2 existed.
V1_DIGEST = "3ec02d1bffc448580f2e2eaabeb04cfcf2622ba6abca29fc2e3f399e7d113b5f"
EVERYTHING = {c: 1.0 for c in ("granuloma_probability", "nipple_probability", "end_on_vessel_probability",
                               "skin_fold_probability")}


def _digest(difficulty: Difficulty) -> str:
    labels = LabelDistribution.build(prevalence={c: 0.3 for c in CLASSES})
    h = hashlib.sha256()
    for pid in range(1, 25):
        patient = Patient(pid, 3, 256, labels, difficulty)
        for k in range(patient.n_images):
            film = patient.film(k)
            h.update(film.pixels.tobytes())
            h.update(repr(film.lesions).encode())
            h.update(repr(film.labels).encode())
    return h.hexdigest()


def test_the_v1_preset_gives_the_first_release_films_byte_for_byte():
    assert _digest(PRESETS["v1"]) == V1_DIGEST
    assert _digest(PRESETS["v2"]) != V1_DIGEST


def test_presets_are_named_and_v2_is_the_default():
    assert difficulty_preset("v2") == Difficulty() == PRESETS["v2"]
    assert difficulty_preset("v1").granuloma_probability == 0 and difficulty_preset("v1").nodule_spicules == (0, 0)
    with pytest.raises(ValueError, match="unknown difficulty preset 'v3'.*v1, v2"):
        difficulty_preset("v3")
    with pytest.raises(ValueError, match="nipple_probability"):
        Difficulty(nipple_probability=1.5)


@pytest.fixture(scope="module")
def films():
    """Films where every look-alike kind is planned, half of them No Finding."""
    labels = LabelDistribution.build(prevalence={"Nodule": 0.4, "Pneumothorax": 0.3})
    difficulty = replace(Difficulty(), **EVERYTHING)
    return [Patient(pid, 0, 256, labels, difficulty).film(0) for pid in range(1, 31)]


def test_lookalikes_add_no_labels_and_no_boxes(films):
    seen = {item.kind for film in films for item in film.lookalikes}
    assert seen == set(KINDS)
    for film in films:
        assert set(film.labels) <= set(CLASSES)
        assert {lesion.label for lesion in film.lesions} <= set(film.labels)
        assert not {lesion.label for lesion in film.lesions} & set(KINDS)
    assert any(not film.labels and film.lookalikes for film in films)  # No Finding films have them too


def test_lookalikes_lie_in_the_lungs_and_off_the_labelled_lesions():
    labels = LabelDistribution.build(prevalence={"Nodule": 0.5})
    difficulty = replace(Difficulty(), **EVERYTHING)
    checked = 0
    for pid in range(1, 21):
        patient = Patient(pid, 0, 256, labels, difficulty)
        chest = Chest(patient.anatomy)
        lesions = [Lesion_("Nodule", (100.0, 100.0, 130.0, 130.0))]
        drawn = draw_lookalikes(chest, patient.lookalike_plan, lesions, difficulty, np.random.default_rng(pid))
        for item in drawn:
            x, y = item.centre
            assert patient.anatomy.lung_visible[int(y), int(x)], item
            x0, y0, x1, y1 = item.box
            if item.kind != "skin_fold":
                assert not (x0 < 130 and 100 < x1 and y0 < 130 and 100 < y1), item
            checked += 1
    assert checked >= 40


def test_films_with_lookalikes_are_deterministic_whatever_the_workers(tmp_path):
    one = generate(tmp_path / "one", 6, size=128, seed=2, workers=1)
    two = generate(tmp_path / "two", 6, size=128, seed=2, workers=2)
    for path in sorted((one / "images").iterdir()):
        assert path.read_bytes() == (two / "images" / path.name).read_bytes()


def test_v1_and_v2_sets_are_not_confused(tmp_path):
    generate(tmp_path / "set", 2, size=64, seed=0, workers=1, difficulty=PRESETS["v1"])
    with pytest.raises(ValueError, match="other arguments|different|overwrite"):
        generate(tmp_path / "set", 2, size=64, seed=0, workers=1)
