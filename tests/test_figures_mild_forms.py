"""The figure of v6's mild forms and v7's small forms beside v4's plain ones."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from agcnn_lab.figures.mild_forms import FINDINGS, FORMS, main, mild_forms_figure, mildest_example  # noqa: E402


def test_each_row_shows_one_film_drawn_both_ways():
    plain, mild, plain_box, box = mildest_example("Effusion", seed=0, size=128, candidates=3)
    assert plain.shape == mild.shape == (128, 128) and not np.array_equal(plain, mild)
    assert box is not None and 0 <= box[0] < box[2] <= 128 and plain_box is not None
    assert mildest_example("Edema", seed=0, size=128, candidates=2)[2:] == (None, None)  # diffuse: the whole film
    fig = mild_forms_figure(seed=0, size=128, candidates=1)
    assert len(fig.axes) == 3 * len(FINDINGS)
    assert [ax.get_title() for ax in fig.axes[:3]] == ["Cardiomegaly: v4 (plain)", "v6 (mild), 512-px source",
                                                       "v6, the 32-px view"]


def test_v7_rows_show_the_small_forms_in_a_window_round_their_box():
    plain, small, plain_box, box = mildest_example("Consolidation", seed=0, size=128, candidates=3, preset="v7")
    area = [(b[2] - b[0]) * (b[3] - b[1]) for b in (plain_box, box)]
    assert not np.array_equal(plain, small) and area[1] < area[0]  # the one that shrinks most: it shrinks
    fig = mild_forms_figure(seed=0, size=128, candidates=1, preset="v7")
    assert len(fig.axes) == 3 * len(FORMS["v7"].findings) == 12
    assert [ax.get_title() for ax in fig.axes[:3]] == ["Atelectasis: v4 (plain)", "v7 (small), 512-px source",
                                                       "v7, the 32-px view"]
    with pytest.raises(ValueError, match="preset 'v5'; choose from v6, v7"):
        mild_forms_figure(seed=0, size=128, preset="v5")


def test_main_writes_the_figure_of_the_preset_asked_for(tmp_path, monkeypatch):
    import agcnn_lab.figures.mild_forms as module

    drawn = []

    def small_figure(seed, preset):
        drawn.append(preset)
        return mild_forms_figure(seed, size=128, candidates=1, preset=preset)

    monkeypatch.setattr(module, "mild_forms_figure", small_figure)
    main(["--out", str(tmp_path / "figs" / "mild.png"), "--dpi", "40"])
    main(["--out", str(tmp_path / "figs" / "small.png"), "--dpi", "40", "--preset", "v7"])
    assert drawn == ["v6", "v7"]
    assert (tmp_path / "figs" / "mild.png").stat().st_size > 1000 < (tmp_path / "figs" / "small.png").stat().st_size
