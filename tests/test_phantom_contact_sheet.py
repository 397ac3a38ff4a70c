"""The contact sheet: real radiographs beside phantom ones, with labels and boxes."""

import matplotlib
import pytest

matplotlib.use("Agg")

from agcnn_lab.data.phantom import generate  # noqa: E402
from agcnn_lab.figures.contact_sheet import main, phantom_contact_sheet  # noqa: E402


def test_contact_sheet_draws_real_and_phantom_images(tmp_path, nih_sample):
    root = generate(tmp_path / "set", 40, size=128, seed=0, workers=1)
    fig = phantom_contact_sheet(root, nih_sample)
    titles = [ax.get_title() for ax in fig.axes]
    assert sum(t.startswith("real:") for t in titles) == 6
    assert sum(t.startswith("phantom:") for t in titles) == 12
    assert any("global view" in t for t in titles)
    fig.savefig(tmp_path / "sheet.png", dpi=40)
    assert (tmp_path / "sheet.png").stat().st_size > 1000


def test_committed_figure_is_small_enough():
    from pathlib import Path

    figure = Path(__file__).resolve().parents[1] / "docs" / "figures" / "phantom_contact_sheet.png"
    assert figure.is_file() and figure.stat().st_size < 1.5e6


def test_the_command_refuses_an_unknown_preset_before_making_a_set(tmp_path):
    with pytest.raises(ValueError, match="unknown difficulty preset 'v9'"):
        main(["--out", str(tmp_path / "sheet.png"), "--preset", "v9"])
    assert not (tmp_path / "sheet.png").exists()
