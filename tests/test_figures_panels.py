"""Film panels and the command line that saves a figure of them."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from agcnn_lab.figures.panels import crop_and_view, save_figure_command, show_pixels  # noqa: E402


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
    assert seeds == [3] and out.stat().st_size > 100 and capsys.readouterr().out == f"figure: {out}\n"
    with pytest.raises(SystemExit):
        save_figure_command("Draw x.", draw, default_dpi=30, argv=[])  # --out is required


def test_crop_and_view_snaps_to_the_views_grid_and_can_show_the_whole_film():
    pixels = np.arange(64 * 64, dtype=np.uint32).reshape(64, 64).astype(np.uint8)
    crop, view = crop_and_view(pixels, x=21.0, y=60.0, side=16)
    assert crop.shape == view.shape == (16, 16)
    assert np.array_equal(crop, pixels[48:64, 12:28])  # x0 snapped to a multiple of 4, y0 kept on the film
    assert (view[:4, :4] == view[0, 0]).all() and view[0, 0] == round(pixels[48:52, 12:16].mean())
    whole, whole_view = crop_and_view(pixels, x=32.0, y=32.0, side=64)
    assert np.array_equal(whole, pixels) and whole_view.shape == (64, 64)
