"""The architecture figure: every block of the forward pass and every stage is drawn and named."""

from agcnn_lab.figures.architecture import ARROWS, BLOCKS, STAGES, block_texts, plot_architecture


def test_the_figure_names_every_block_and_what_each_stage_trains(tmp_path):
    fig = plot_architecture()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    for text in block_texts().values():
        assert text in texts
    assert "chest film\n(high-resolution\nsource, 1024 px)" in texts  # the paper's sizes by default
    for name, learns, _ in STAGES:
        assert name in texts and f"{learns}\nlearns" in texts
        assert sum(t.endswith("\nfrozen") for t in texts) == 6  # two frozen parts in each of three stages
    keys = {b[0] for b in BLOCKS}
    assert all(start in keys and end in keys for start, end, *_ in ARROWS)
    fig.savefig(tmp_path / "architecture.png", dpi=60)
    assert (tmp_path / "architecture.png").stat().st_size > 10_000


def test_the_sizes_are_a_profiles_when_given():
    texts = [t.get_text() for ax in plot_architecture(512, 128, 96).axes for t in ax.texts]
    assert "chest film\n(high-resolution\nsource, 512 px)" in texts
    assert "resize\n(global input,\n128 px)" in texts and "crop the box\nfrom the source,\nresize to 96" in texts
