"""Two runs that share a stage I, joined into one predictions table: a crop-only twin beside the
run that holds its whole-film control, or two boxes head to head.

    from agcnn_lab.evaluate import seeds_attention_effect
    from agcnn_lab.evaluate.twins import rival_predictions, twin_predictions
    table = twin_predictions("runs/demo-cpu-tau0.6-box0.45", "runs/demo-cpu")
    seeds_attention_effect([table], "test")   # the centred box's crop against demo-cpu's whole film
    versus = rival_predictions("runs/demo-cpu-tau0.6-box0.45", "runs/demo-cpu", "_paper_box")
    seeds_attention_effect([versus], "test", controls={"local": "local_paper_box", "fusion": "fusion_paper_box"})

A twin (benchmarks/tau_effect.py, experiment.run_from_global_stage) trains stages II and III on
another run's stage I with another box and no control of its own: the whole-film control does
not look at the box, so the base run's control is the twin's as well. It is only a fair control
if the two runs differ in the box alone and share stage I; `check_same_start` checks both
(RunFolderError, naming the runs and the fields) before either join.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Profile
from ..data.classes import CLASSES
from ..run_folder import CONFIG_FILE, RunFolderError
from ..train.predict import CONTROLS

CROP_BRANCHES = tuple(str(branch) for branch in CONTROLS)  # the branches that see the attention crop
CONTROL_BRANCHES = tuple(str(branch) for branch in CONTROLS.values())  # the whole-film control's branches
# What a twin may change against the run holding its control: the attention's settings, and not
# training a control of its own.
TWIN_FIELDS = ("name", "model.attention.", "training.control")
PREDICTIONS_FILE = "predictions.csv"


def check_same_start(twin: str | os.PathLike, other: str | os.PathLike, may_differ: tuple[str, ...] = TWIN_FIELDS,
                     role: str = "its control") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two runs' predictions tables, once the runs are shown to be twins: refused when a folder
    has no config.json or predictions.csv, when the configurations differ in a field outside
    `may_differ` (dotted prefixes, as Profile.differences takes them), or when `twin`'s global
    branch does not predict what `other`'s does (it did not start from that run's stage I). `role`
    names `other` in the message. One folder given twice is its own twin: its table, twice."""
    twin, other = Path(twin), Path(other)
    for folder in (twin, other):
        for name in (CONFIG_FILE, PREDICTIONS_FILE):
            if not (folder / name).is_file():
                raise RunFolderError(f"{folder}: no {name}; point at a finished run (agcnn-lab demo --out {folder})")
    if twin.resolve() == other.resolve():  # one run: nothing to compare, one table to read
        table = pd.read_csv(twin / PREDICTIONS_FILE)
        return table, table
    differences = Profile.read(other / CONFIG_FILE).differences(Profile.read(twin / CONFIG_FILE), ignoring=may_differ)
    if differences:
        allowed = ", ".join(f"{f}*" if f.endswith(".") else f for f in may_differ if f not in ("name", "training.control"))
        raise RunFolderError(f"{twin} differs from {role} {other} beyond {allowed} ({'; '.join(differences)}); "
                             "train the two alike but for those fields")
    ours, theirs = pd.read_csv(twin / PREDICTIONS_FILE), pd.read_csv(other / PREDICTIONS_FILE)
    key = ["split", "image"]
    own_global, their_global = (t[t["branch"] == "global"].sort_values(key) for t in (ours, theirs))
    if (list(own_global["image"]) != list(their_global["image"])
            or not np.allclose(own_global[list(CLASSES)], their_global[list(CLASSES)], atol=1e-6)):
        raise RunFolderError(f"{twin}: its global branch's predictions are not {other}'s; "
                             "twins must start from one stage I")
    return ours, theirs


def twin_predictions(twin: str | os.PathLike, control: str | os.PathLike,
                     may_differ: tuple[str, ...] = TWIN_FIELDS) -> pd.DataFrame:
    """`twin`'s predictions with its whole-film branches taken from `control`'s run (the twin's
    own table when the two are one folder), after `check_same_start`'s checks."""
    ours, theirs = check_same_start(twin, control, may_differ)
    if Path(twin).resolve() == Path(control).resolve():
        return ours
    return pd.concat([ours[~ours["branch"].isin(CONTROL_BRANCHES)], theirs[theirs["branch"].isin(CONTROL_BRANCHES)]],
                     ignore_index=True)


def rival_predictions(twin: str | os.PathLike, rival: str | os.PathLike, suffix: str,
                      may_differ: tuple[str, ...] = TWIN_FIELDS,
                      branches: tuple[str, ...] = CROP_BRANCHES) -> pd.DataFrame:
    """Two runs head to head: `twin`'s `branches` beside `rival`'s, renamed `<branch><suffix>` (so
    `seeds_attention_effect([table], split, controls={"local": "local" + suffix, ...})` reads the
    twin's minus the rival's), after `check_same_start`'s checks: one stage I. By default the crop
    branches (two boxes); CONTROL_BRANCHES compares the whole-film controls of two runs that train
    stages II and III otherwise (`may_differ` then names those fields)."""
    if not suffix:
        raise ValueError("suffix must not be empty: the rival's branches would take the twin's names")
    if Path(twin).resolve() == Path(rival).resolve():
        raise RunFolderError(f"{twin}: a run is not its own rival")
    ours, theirs = check_same_start(twin, rival, may_differ, role="its rival")
    theirs = theirs[theirs["branch"].isin(branches)].assign(branch=lambda t: t["branch"] + suffix)
    return pd.concat([ours[ours["branch"].isin(branches)], theirs], ignore_index=True)
