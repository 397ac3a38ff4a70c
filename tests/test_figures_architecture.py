"""The architecture figure: every block of the forward pass and every stage is drawn and named."""

from agcnn_lab.figures.architecture import ARROWS, BLOCKS, STAGES, plot_architecture


def test_the_figure_names_every_block_and_what_each_stage_trains(tmp_path):
    fig = plot_architecture()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    for _, *_, text, _ in BLOCKS:
        assert text in texts
    for name, learns, _ in STAGES:
        assert name in texts and f"{learns}\nlearns" in texts
        assert sum(t.endswith("\nfrozen") for t in texts) == 6  # two frozen parts in each of three stages
    keys = {b[0] for b in BLOCKS}
    assert all(start in keys and end in keys for start, end, *_ in ARROWS)
    fig.savefig(tmp_path / "architecture.png", dpi=60)
    assert (tmp_path / "architecture.png").stat().st_size > 10_000
