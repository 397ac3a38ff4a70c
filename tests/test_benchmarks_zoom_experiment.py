"""The point of PhantomCXR-14, as a test (benchmarks/zoom_experiment.py): a nodule needs the zoom,
an enlarged heart does not; a nodule is told from its look-alikes at 512 px, not at 128.

250 patients (~740 images) at 256 px with Nodule and Cardiomegaly at 50%; the global view is
the whole image at 64 px, the crop a 64-px window of the 256-px source (the 4x of 512 -> 128).
The same logistic regression on both views.
"""

import pytest
from repo_scripts import load_script

from agcnn_lab.data.phantom import generate

pytestmark = pytest.mark.slow  # generates a few hundred phantom films

zoom = load_script("benchmarks/zoom_experiment.py")


@pytest.fixture(scope="module")
def aucs(tmp_path_factory):
    root = generate(
        tmp_path_factory.mktemp("zoom") / "set", 250, size=256, seed=1, workers=2,
        prevalence={"Nodule": 0.5, "Cardiomegaly": 0.5}, test_fraction=0.3,
    )
    return zoom.global_vs_crop_auc(root, ("Nodule", "Cardiomegaly"), box_label="Nodule", factor=4)


def test_a_nodule_is_found_in_the_crop_not_in_the_global_view(aucs):
    global_auc, crop_auc = aucs["Nodule"]
    assert crop_auc >= 0.85
    assert crop_auc - global_auc >= 0.2


def test_an_enlarged_heart_is_seen_at_least_as_well_globally(aucs):
    global_auc, crop_auc = aucs["Cardiomegaly"]
    assert global_auc >= 0.9
    assert global_auc >= crop_auc


def test_crops_of_negatives_sit_where_positives_have_their_boxes():
    import pandas as pd

    boxes = pd.DataFrame({"image": ["a.png"], "label": ["Nodule"], "x": [10.0], "y": [20.0], "w": [4.0], "h": [6.0]})
    centres = zoom.lesion_centres(["a.png", "b.png"], boxes, "Nodule")
    assert centres.tolist() == [[12.0, 23.0], [12.0, 23.0]]
    with pytest.raises(ValueError, match="no Mass boxes"):
        zoom.lesion_centres(["a.png"], boxes, "Mass")


def test_a_nodule_is_told_from_its_lookalikes_at_512_px_not_at_128():
    """The AG-CNN premise: the margin (spicules vs smooth) is lost in the 4x downsampled view."""
    patches, is_nodule, kinds = zoom.lookalike_patches(40, size=512, seed=0)
    assert is_nodule.sum() >= 20 and (~is_nodule).sum() >= 60
    source_auc, downsampled_auc = zoom.lookalike_auc(patches, is_nodule)
    assert source_auc > 0.85
    assert source_auc - downsampled_auc >= 0.2


def test_the_margin_fades_step_by_step_from_the_crops_reduction_to_the_global_views():
    """What a fair crop can resolve: the box at 128 px is reduced 4 * sqrt(its share of the window)
    times, 2.7x for a box of 45%, between the source's 1x and the global view's 4x."""
    patches, is_nodule, _ = zoom.lookalike_patches(40, size=512, seed=0)
    aucs = zoom.lookalike_auc_by_reduction(patches, is_nodule, factors=(1, 2, 8 / 3, 4))
    assert list(aucs) == [1, 2, 8 / 3, 4]
    assert aucs[2] >= aucs[8 / 3] >= aucs[4]
    assert aucs[8 / 3] - aucs[4] >= 0.1  # the crop's 1.5x zoom resolves part of the margin
    assert aucs[4] == pytest.approx(zoom.lookalike_auc(patches, is_nodule)[1])
    with pytest.raises(ValueError, match="factor 64"):
        zoom.downsampled(patches, 64)
