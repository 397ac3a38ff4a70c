"""Film panels and the command line that saves a figure of them."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from agcnn_lab.figures.panels import save_figure_command, show_pixels  # noqa: E402


def test_show_pixels_draws_8_bit_grey_as_it_is():
    fig, ax = plt.subplots()
    show_pixels(ax, np.arange(16, dtype=np.uint8).reshape(4, 4) * 16, "a film")
    image = ax.get_images()[0]
    assert image.get_clim() == (0, 255) and image.get_interpolation() == "nearest"
    assert ax.get_title() == "a film" and not ax.get_xticks().size
    plt.close(fig)


def test_the_command_draws_the_seed_asked_for_and_saves_it(tmp_path, capsys):
    seeds = []

    def draw(seed):
        seeds.append(seed)
        fig, ax = plt.subplots(figsize=(1, 1))
        show_pixels(ax, np.zeros((4, 4), np.uint8), "x")
        return fig

    out = save_figure_command("Draw x.", draw, default_dpi=30, argv=["--out", str(tmp_path / "a" / "x.png"), "--seed", "3"])
    assert seeds == [3] and out.stat().st_size > 100 and "wrote" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        save_figure_command("Draw x.", draw, default_dpi=30, argv=[])  # --out is required
