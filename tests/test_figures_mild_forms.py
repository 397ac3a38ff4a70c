"""The figure of v6's mild forms beside v4's plain ones."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from agcnn_lab.figures.mild_forms import FINDINGS, main, mild_forms_figure, mildest_example  # noqa: E402


def test_each_row_shows_one_film_drawn_both_ways():
    plain, mild, box = mildest_example("Effusion", seed=0, size=128, candidates=3)
    assert plain.shape == mild.shape == (128, 128) and not np.array_equal(plain, mild)
    assert box is not None and 0 <= box[0] < box[2] <= 128
    assert mildest_example("Edema", seed=0, size=128, candidates=2)[2] is None  # diffuse: the whole film
    fig = mild_forms_figure(seed=0, size=128, candidates=1)
    assert len(fig.axes) == 3 * len(FINDINGS)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["Cardiomegaly: v4 (plain)", "v6 (mild), 512-px source",
                                                       "v6, the 32-px view"]


def test_main_writes_the_figure(tmp_path, monkeypatch):
    import agcnn_lab.figures.mild_forms as module

    monkeypatch.setattr(module, "mild_forms_figure", lambda seed: mild_forms_figure(seed, size=128, candidates=1))
    main(["--out", str(tmp_path / "figs" / "mild.png"), "--dpi", "40"])
    assert (tmp_path / "figs" / "mild.png").stat().st_size > 1000
