"""The real sample films under a profile's geometry (notebook 06's CPU figure)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from agcnn_lab.figures.real_sample import (  # noqa: E402
    SampleFilm,
    full_detail_box,
    input_window,
    plot_real_sample,
    reference_boxes,
    sample_films,
)
from agcnn_lab.profiles import get_profile  # noqa: E402

GPU = get_profile("gpu")


def _patches(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def test_the_gpu_geometry_drawn_on_the_film():
    # resize 256, centre crop 224: the input shows 224/256 of the film, from 16/256 on each side.
    assert input_window(GPU) == pytest.approx((16 / 256, 16 / 256, 240 / 256, 240 / 256))
    assert full_detail_box(GPU) == pytest.approx(224 / 512)  # a 224-px crop of the 512-px cache
    assert full_detail_box(GPU.with_changes(**{"data.cache_size": 128})) == 1.0


def test_one_panel_per_film_with_its_boxes_the_window_and_the_full_detail_box():
    image = np.zeros((200, 100), dtype=np.uint8)
    boxed = SampleFilm("a.png", image, ["Nodule"], pd.DataFrame(
        {"label": ["Nodule", "Mass"], "x0": [0.1, 0.5], "y0": [0.2, 0.5], "x1": [0.3, 0.9], "y1": [0.4, 0.6]}))
    bare = SampleFilm("b.png", image, [], pd.DataFrame(columns=["label", "x0", "y0", "x1", "y1"]))
    reference = pd.DataFrame({"image": ["z.png"], "label": ["Mass"], "x0": [0.5], "y0": [0.5], "x1": [0.75], "y1": [1.0]})
    fig = plot_real_sample([boxed, bare, boxed], GPU, reference=reference, columns=2)
    assert len(fig.axes) == 3  # two rows of two, the empty fourth panel removed
    first, second, _ = fig.axes
    truth = _patches(first, "truth")
    assert len(truth) == 2 and not _patches(first, "reference")
    assert truth[0].get_xy() == pytest.approx((10, 40)) and (truth[0].get_width(), truth[0].get_height()) == pytest.approx((20, 40))
    assert [t.get_text() for t in first.texts] == ["Nodule", "Mass"]
    # The film without its own box: the reference box, in pixels of this film, and a note.
    assert not _patches(second, "truth") and len(_patches(second, "reference")) == 1
    assert _patches(second, "reference")[0].get_xy() == pytest.approx((50, 100))
    assert "no box of its own" in second.get_xlabel() and "No Finding" in second.get_title()
    for ax in fig.axes:
        window, detail = _patches(ax, "window")[0], _patches(ax, "full detail")[0]
        assert window.get_xy() == pytest.approx((100 * 16 / 256, 200 * 16 / 256))
        assert detail.get_width() == pytest.approx(100 * 224 / 512) and detail.get_height() == pytest.approx(200 * 224 / 512)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(labels) == 4 and "resize 256, centre crop 224 px" in labels[2]
    plt.close(fig)
    with pytest.raises(ValueError, match="no films"):
        plot_real_sample([], GPU)


def test_the_real_sample_films_and_reference_boxes(nih_sample):
    films = sample_films(nih_sample, count=5)
    assert len(films) == 5 and len({f.name for f in films}) == 5
    assert all(f.image.shape == (1024, 1024) and f.image.dtype == np.uint8 for f in films)
    assert films[0].labels  # films with findings come first
    assert all(f.boxes.empty for f in films)  # the release boxes none of the sample's 23 films
    named = sample_films(nih_sample, names=["00000003_000.png"])
    assert [f.labels for f in named] == [["Hernia"]]
    reference = reference_boxes(nih_sample)
    assert list(reference["label"]) == ["Nodule", "Mass", "Atelectasis"]
    assert ((reference[["x0", "y0", "x1", "y1"]] >= 0) & (reference[["x0", "y0", "x1", "y1"]] <= 1)).all().all()
    assert (reference["x1"] > reference["x0"]).all() and not set(reference["image"]) & {f.name for f in films}
    fig = plot_real_sample(films[:4], GPU, reference=reference)
    assert len(fig.axes) == 4 and all(len(_patches(ax, "reference")) == 3 for ax in fig.axes)
    plt.close(fig)
