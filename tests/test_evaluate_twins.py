"""evaluate.twins: a crop-only twin joined to the run that holds its whole-film control."""

import numpy as np
import pandas as pd
import pytest

from agcnn_lab.data.classes import CLASSES
from agcnn_lab.evaluate.twins import (
    CONTROL_BRANCHES,
    TWIN_FIELDS,
    rival_predictions,
    twin_predictions,
)
from agcnn_lab.profiles import get_profile
from agcnn_lab.run_folder import RunFolderError

BRANCHES = ("global", "local", "fusion")


def _predictions(branches, offset=0.0, global_scale=1.0):
    rng = np.random.default_rng(0)
    rows = []
    for branch in branches:
        for split in ("val", "test"):
            for i in range(4):
                scores = rng.uniform(0, 1, len(CLASSES)) * (global_scale if branch == "global" else 1.0)
                rows.append({"image": f"{split}{i}.png", "split": split, "branch": branch,
                             **dict(zip(CLASSES, scores + (0 if branch == "global" else offset), strict=True))})
    return pd.DataFrame(rows)


def _run(path, table, **changes):
    path.mkdir()
    get_profile("ci").with_changes(**changes).write(path / "config.json")
    table.to_csv(path / "predictions.csv", index=False)
    return path


@pytest.fixture
def base(tmp_path):
    return _run(tmp_path / "base", _predictions((*BRANCHES, *CONTROL_BRANCHES)))


def test_a_twin_takes_its_crop_from_itself_and_its_control_from_the_base(base, tmp_path):
    twin = _run(tmp_path / "twin", _predictions(BRANCHES, offset=0.25), **{
        "name": "twin", "model.attention.box_area": 0.45, "model.attention.tau": 0.5, "training.control": False})
    table = twin_predictions(twin, base)
    ours, theirs = pd.read_csv(twin / "predictions.csv"), pd.read_csv(base / "predictions.csv")
    assert sorted(set(table["branch"])) == sorted((*BRANCHES, *CONTROL_BRANCHES))
    for branch, source in [("local", ours), ("fusion", ours), ("local_whole_film", theirs), ("fusion_whole_film", theirs)]:
        pd.testing.assert_frame_equal(table[table["branch"] == branch].reset_index(drop=True),
                                      source[source["branch"] == branch].reset_index(drop=True))
    pd.testing.assert_frame_equal(twin_predictions(base, base), theirs)  # one folder: its own table


def test_a_twin_trained_otherwise_or_from_another_start_is_refused(base, tmp_path):
    longer = _run(tmp_path / "longer", _predictions(BRANCHES), **{"training.stages.local.epochs": 9})
    with pytest.raises(RunFolderError, match=r"longer differs from its control .*base beyond model.attention.\* "
                                             r"\(training.stages.local.epochs"):
        twin_predictions(longer, base)
    # A narrower allowance (tau_effect's twins change the tau and the box, nothing else).
    cam = _run(tmp_path / "cam", _predictions(BRANCHES), **{"model.attention.reduce": "cam"})
    assert set(twin_predictions(cam, base)["branch"]) >= set(CONTROL_BRANCHES)
    with pytest.raises(RunFolderError, match=r"beyond model.attention.tau \(model.attention.reduce"):
        twin_predictions(cam, base, may_differ=("name", "model.attention.tau", "training.control"))

    restarted = _run(tmp_path / "restarted", _predictions(BRANCHES, global_scale=0.5))
    with pytest.raises(RunFolderError, match="restarted: its global branch's predictions are not .*base's"):
        twin_predictions(restarted, base)


def test_a_folder_without_its_files_is_named(base, tmp_path):
    with pytest.raises(RunFolderError, match=r"absent: no config.json"):
        twin_predictions(tmp_path / "absent", base)
    bare = tmp_path / "bare"
    bare.mkdir()
    get_profile("ci").write(bare / "config.json")
    with pytest.raises(RunFolderError, match=r"bare: no predictions.csv; point at a finished run"):
        twin_predictions(base, bare)


def test_two_boxes_head_to_head_rename_the_rivals_crop_branches(base, tmp_path):
    centred = _run(tmp_path / "centred", _predictions(BRANCHES, offset=0.25), **{
        "name": "centred", "model.attention.box_area": 0.45, "training.control": False})
    table = rival_predictions(centred, base, "_paper_box")
    assert sorted(set(table["branch"])) == ["fusion", "fusion_paper_box", "local", "local_paper_box"]
    theirs = pd.read_csv(base / "predictions.csv")
    pd.testing.assert_frame_equal(table[table["branch"] == "local_paper_box"].reset_index(drop=True),
                                  theirs[theirs["branch"] == "local"].assign(branch="local_paper_box").reset_index(drop=True))

    with pytest.raises(ValueError, match="suffix must not be empty"):
        rival_predictions(centred, base, "")
    with pytest.raises(RunFolderError, match="not its own rival"):
        rival_predictions(base, base, "_paper_box")
    restarted = _run(tmp_path / "restarted", _predictions(BRANCHES, global_scale=0.5))
    with pytest.raises(RunFolderError, match="restarted: its global branch's predictions are not .*base's"):
        rival_predictions(restarted, base, "_paper_box")
    cam = _run(tmp_path / "cam", _predictions(BRANCHES), **{"model.attention.reduce": "cam"})
    with pytest.raises(RunFolderError, match=r"cam differs from its rival .*base beyond model.attention.box_area"):
        rival_predictions(cam, base, "_paper_box", may_differ=("name", "model.attention.box_area", "training.control"))


def test_two_stage_ii_schedules_head_to_head_on_their_whole_film_controls(base, tmp_path):
    epochs = get_profile("ci").training.stages["local"].epochs
    longer = _run(tmp_path / "longer", _predictions((*BRANCHES, *CONTROL_BRANCHES), offset=0.1), **{
        "name": "longer", "training.stages.local.epochs": epochs + 3})
    schedule = (*TWIN_FIELDS, "training.stages.local.")
    table = rival_predictions(longer, base, "_short", may_differ=schedule, branches=CONTROL_BRANCHES)
    assert sorted(set(table["branch"])) == ["fusion_whole_film", "fusion_whole_film_short",
                                            "local_whole_film", "local_whole_film_short"]
    theirs = pd.read_csv(base / "predictions.csv")
    pd.testing.assert_frame_equal(
        table[table["branch"] == "local_whole_film_short"].reset_index(drop=True),
        theirs[theirs["branch"] == "local_whole_film"].assign(branch="local_whole_film_short").reset_index(drop=True))
    with pytest.raises(RunFolderError, match=r"longer differs from its rival .*training.stages.local.epochs"):
        rival_predictions(longer, base, "_short", branches=CONTROL_BRANCHES)
