"""save_figure: the one tail of every figure command (folder made, file written, figure closed, path said)."""

import matplotlib.pyplot as plt
from PIL import Image

from agcnn_lab.figures.save import save_figure


def test_a_figure_lands_in_a_new_folder_at_its_dpi_and_is_closed(tmp_path, capsys):
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    out = tmp_path / "not" / "there" / "yet.png"
    assert save_figure(fig, out, dpi=50) == out
    assert Image.open(out).size == (100, 50)  # 2 x 1 inches at 50 dpi
    assert not plt.fignum_exists(fig.number)
    assert capsys.readouterr().out == f"figure: {out}\n"
