"""benchmarks/heatmap_variants.py: the normal-referenced heatmaps, the class activation map and the
atrous stride-8 grid."""

from types import SimpleNamespace

import torch
from repo_scripts import load_script

from agcnn_lab.models.backbones import create_backbone

variants_script = load_script("benchmarks/heatmap_variants.py")


class PlantedBranch(torch.nn.Module):
    """Returns the batch itself as its feature maps, and planted logits: the test sets both."""

    def __init__(self, logits=None):
        super().__init__()
        self.logits = logits

    def forward(self, images):
        logits = torch.zeros(len(images), 3) if self.logits is None else self.logits.expand(len(images), -1)
        return SimpleNamespace(features=images, logits=logits)


def test_the_excess_over_normal_finds_what_normal_films_lack():
    normal_films = torch.zeros(4, 2, 4, 4)
    normal_films[:, 0, 0, 0] = 5.0  # channel 0 fires at (0, 0) on every film: anatomy
    loader = [SimpleNamespace(image=normal_films[:2]), SimpleNamespace(image=normal_films[2:])]
    normal = variants_script.normal_mean(PlantedBranch(), loader)
    assert normal.shape == (2, 4, 4) and normal[0, 0, 0] == 5.0

    film = normal_films[:1].clone()
    film[0, 1, 3, 2] = 2.0  # a weaker response that normal films never show: the lesion
    weight = torch.tensor([[0.0, 1.0], [-1.0, 0.5]])  # two diseases: channel 1 is their evidence
    maps = {name: make(film)[0] for name, make in variants_script.variants(PlantedBranch(), normal, weight).items()}
    assert divmod(int(maps["max"].argmax()), 4) == (0, 0)  # max |f| points at the anatomy
    assert divmod(int(maps["excess"].argmax()), 4) == (3, 2)
    assert divmod(int(maps["excess-l2"].argmax()), 4) == (3, 2)
    assert maps["excess"][0, 0] == 0.0
    # the classifier's weights keep the evidence channel only: the anatomy scores 0 or below
    assert divmod(int(maps["cam"].argmax()), 4) == (3, 2) and maps["cam"][0, 0] == 0.0


def test_the_believed_cam_follows_the_disease_the_branch_suspects():
    """Disease 0's channel fires strongly on the anatomy of every film, disease 1's weakly at the
    lesion: the plain CAM (max over diseases) points at the anatomy, the belief-weighted map at the
    lesion once the branch believes disease 1 and not disease 0 (a third logit, No Finding, is
    not a disease and is ignored)."""
    film = torch.zeros(1, 2, 4, 4)
    film[0, 0, 0, 0] = 5.0
    film[0, 1, 3, 2] = 1.0
    weight = torch.eye(2)
    believes_lesion = PlantedBranch(torch.tensor([[-6.0, 4.0, 9.0]]))
    maps = {name: make(film)[0] for name, make in
            variants_script.variants(believes_lesion, torch.zeros(2, 4, 4), weight).items()}
    assert divmod(int(maps["cam"].argmax()), 4) == (0, 0)
    assert divmod(int(maps["cam-belief"].argmax()), 4) == (3, 2)
    assert maps["cam-belief"].max() == 1.0 and maps["cam-belief"].min() == 0.0
    believes_anatomy = PlantedBranch(torch.tensor([[4.0, -6.0, 9.0]]))
    other = variants_script.variants(believes_anatomy, torch.zeros(2, 4, 4), weight)["cam-belief"](film)[0]
    assert divmod(int(other.argmax()), 4) == (0, 0)


def test_densify_doubles_the_grid_and_keeps_the_coarse_values():
    """The atrous trick: stride 1 and twice the dilation compute the coarse grid's values exactly
    at its even places, with new values between them."""
    torch.manual_seed(0)
    backbone = create_backbone("mobilenet_v2", output_stride=16)
    images = torch.randn(2, 1, 64, 64)
    for norm in backbone.modules():
        if isinstance(norm, torch.nn.BatchNorm2d):
            norm.momentum = 1.0  # statistics of one batch: random weights would shrink the maps to ~1e-8
    with torch.no_grad():
        backbone.train()(images)
        coarse = backbone.eval()(images)
        assert coarse.abs().max() > 1.0
        variants_script.densify(backbone)
        fine = backbone(images)
    assert coarse.shape[-2:] == (4, 4) and fine.shape[-2:] == (8, 8)
    torch.testing.assert_close(fine[..., ::2, ::2], coarse, rtol=1e-4, atol=1e-5)


def test_summary_row_takes_the_rules_tau_and_the_fixed_box_of_the_same_area():
    import pandas as pd

    sweep = pd.DataFrame({"tau": [0.5, 0.6, 0.7], "area": [0.6, 0.5, 0.5], "hit_single": [1.0, 0.9, 0.8]})
    # Four single lesions: three in the left half of the film, one in the far bottom-right corner.
    centres = [(0.2, 0.3), (0.25, 0.5), (0.3, 0.7), (0.9, 0.9)]
    truth = pd.DataFrame([[f"f{i}", "Nodule", x - 0.01, y - 0.01, x + 0.01, y + 0.01] for i, (x, y) in enumerate(centres)],
                         columns=["image", "label", "x0", "y0", "x1", "y1"])
    row = variants_script.summary_row("max", sweep, 0.85, 0.8, truth, truth)
    # tau 0.6 is the highest holding 85%; its box of half the window is 40% of the film, and the
    # best fixed box of 40% of the film (placed on the same lesions) holds the three on the left.
    assert row == {"heatmap": "max", "tau": 0.6, "box (window)": "50%", "box (film)": "40%",
                   "hit_single": "90%", "fixed box, hit_single": "75%"}
