"""PhantomCXR-14 findings: each box covers what was drawn; sizes, places and the heart."""

import numpy as np
import pytest

from agcnn_lab.data import CLASSES
from agcnn_lab.data.phantom import LOCALISED, PRESETS, Difficulty, LabelDistribution, Patient
from agcnn_lab.data.phantom.findings import Chest, cardiomegaly
from agcnn_lab.data.phantom.render import pose_boxes

SIZE = 256


@pytest.fixture(scope="module")
def films():
    """Films with every class at 30%, with each lesion's posed mask."""
    labels = LabelDistribution.build(prevalence={c: 0.3 for c in CLASSES})
    out = []
    for pid in range(1, 41):
        patient = Patient(pid, 0, SIZE, labels, Difficulty())
        out.extend(patient.film(k, with_masks=True) for k in range(min(patient.n_images, 2)))
    return out


def test_every_class_is_drawn_with_a_box(films):
    seen = {lesion.label for film in films for lesion in film.lesions}
    assert seen == set(LOCALISED)
    for film in films:
        assert sorted({lesion.label for lesion in film.lesions}) == sorted(set(film.labels) & set(LOCALISED))


def test_every_box_lies_inside_its_image_and_covers_the_drawn_finding(films):
    checked = 0
    for film in films:
        for lesion, mask in zip(film.lesions, film.masks, strict=True):
            x0, y0, x1, y1 = lesion.box
            assert 0 <= x0 < x1 <= SIZE and 0 <= y0 < y1 <= SIZE, lesion
            ys, xs = np.nonzero(mask)
            assert len(xs), lesion.label
            inside = (xs + 0.5 >= x0 - 1) & (xs + 0.5 <= x1 + 1) & (ys + 0.5 >= y0 - 1) & (ys + 0.5 <= y1 + 1)
            assert inside.mean() >= 0.98, (lesion.label, inside.mean())
            # ...and the box is not much bigger than the finding (rotation adds a little).
            area = (x1 - x0) * (y1 - y0)
            bbox = (xs.max() + 1 - xs.min()) * (ys.max() + 1 - ys.min())
            assert area <= 1.6 * bbox + 16, (lesion.label, area, bbox)
            checked += 1
    assert checked > 100


def test_nodules_are_small_at_512_and_a_few_pixels_at_96():
    """v1's smooth nodules: the box is the sphere (v2's spicules widen it)."""
    labels = LabelDistribution.build(prevalence={"Nodule": 1.0})
    sides = []
    for pid in range(1, 30):
        film = Patient(pid, 0, 512, labels, PRESETS["v1"]).film(0)
        sides += [max(b.box[2] - b.box[0], b.box[3] - b.box[1]) for b in film.lesions if b.label == "Nodule"]
    sides = np.array(sides)
    assert 6 <= sides.min() and sides.max() <= 24  # diameters 10-18 px, trimmed at 15% of the peak
    assert np.median(sides) * 96 / 512 < 3.5  # at the cpu profile's 96 px: a blob of about 3 pixels


def test_cardiomegaly_means_a_cardiothoracic_ratio_above_one_half():
    labels = LabelDistribution.build()
    difficulty = Difficulty()
    for pid in range(1, 11):
        patient = Patient(pid, 0, SIZE, labels, difficulty)
        anatomy = patient.anatomy
        chest = Chest(anatomy)
        normal = _ratio(chest.heart, anatomy)
        cardiomegaly(chest, difficulty, np.random.default_rng(pid))
        enlarged = _ratio(chest.heart, anatomy)
        assert normal <= 0.505 and enlarged >= 0.525, (normal, enlarged)


def _ratio(heart, anatomy) -> float:
    cols = np.flatnonzero((heart > 0.5).any(axis=0))
    return (cols[-1] + 1 - cols[0]) / anatomy.thorax_width_px()


def test_co_occurring_findings_cluster():
    """Air-space findings share one zone; Atelectasis sits on the effusion's side."""
    labels = LabelDistribution.build()
    for pid in range(1, 101):
        patient = Patient(pid, 0, SIZE, labels, Difficulty())
        plan = patient.sites
        zone = np.array([[plan[c][0].x, plan[c][0].y] for c in ("Pneumonia", "Consolidation", "Infiltration")])
        assert np.abs(zone - zone.mean(0)).max() < 0.15 * SIZE
        assert plan["Atelectasis"][0].side == plan["Effusion"][0].side


def test_findings_stay_in_the_central_part_of_the_image(films):
    """The eval crop of the global branch cuts ~6% a side: lesions must be inside it."""
    centres = np.array([[(b.box[0] + b.box[2]) / 2, (b.box[1] + b.box[3]) / 2] for f in films for b in f.lesions])
    inside = ((centres > 0.075 * SIZE) & (centres < 0.925 * SIZE)).all(1)
    assert inside.mean() > 0.97


def test_pose_boxes_cover_the_posed_corners():
    matrix = np.array([[0.99, -0.07, 5.0], [0.07, 0.99, -3.0]])
    boxes = np.array([[10.0, 20.0, 30.0, 50.0]])
    posed = pose_boxes(boxes, matrix, 100)
    corners = np.array([[10, 20], [30, 20], [10, 50], [30, 50]]) @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(posed[0, :2], corners.min(0)) and np.allclose(posed[0, 2:], corners.max(0))
    assert pose_boxes(np.zeros((0, 4)), matrix, 100).shape == (0, 4)


def test_follow_ups_keep_anatomy_and_sites_but_not_pose():
    labels = LabelDistribution.build(prevalence={"Nodule": 1.0})
    patient = next(p for pid in range(1, 50) if (p := Patient(pid, 0, SIZE, labels, Difficulty())).n_images >= 2)
    a, b = patient.film(0), patient.film(1)
    assert not np.array_equal(a.pixels, b.pixels)
    na = next(lesion.box for lesion in a.lesions if lesion.label == "Nodule")
    nb = next(lesion.box for lesion in b.lesions if lesion.label == "Nodule")
    assert abs(na[0] - nb[0]) < 0.1 * SIZE and abs(na[1] - nb[1]) < 0.1 * SIZE
    with pytest.raises(ValueError, match="follow-ups"):
        patient.film(patient.n_images)
