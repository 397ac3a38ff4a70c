"""A crop-only twin beside the run that holds its whole-film control: one predictions table.

    from agcnn_lab.evaluate import attention_effect
    from agcnn_lab.evaluate.twins import twin_predictions
    table = twin_predictions("runs/demo-cpu-tau0.6-box0.45", "runs/demo-cpu")
    attention_effect(table, "test")         # the centred box's crop against demo-cpu's whole film

A twin (benchmarks/tau_effect.py, experiment.run_from_global_stage) trains stages II and III on
another run's stage I with another box and no control of its own: the whole-film control does
not look at the box, so the base run's control is the twin's as well. It is only a fair control
if the two runs differ in the box alone and share stage I; `twin_predictions` checks both
(RunFolderError, naming the runs and the fields) before it joins the twin's crop branches to the
base's whole-film branches.
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

CONTROL_BRANCHES = tuple(str(branch) for branch in CONTROLS.values())  # the whole-film control's branches
# What a twin may change against the run holding its control: the attention's settings, and not
# training a control of its own.
TWIN_FIELDS = ("name", "model.attention.", "training.control")
PREDICTIONS_FILE = "predictions.csv"


def twin_predictions(twin: str | os.PathLike, control: str | os.PathLike,
                     may_differ: tuple[str, ...] = TWIN_FIELDS) -> pd.DataFrame:
    """`twin`'s predictions with its whole-film branches taken from `control`'s run (the twin's
    own table when the two are one folder). Refused when a folder has no config.json or
    predictions.csv, when the configurations differ in a field outside `may_differ` (dotted
    prefixes, as Profile.differences takes them), or when the twin's global branch does not
    predict what the control run's does (it did not start from that run's stage I)."""
    twin, control = Path(twin), Path(control)
    for folder in (twin, control):
        for name in (CONFIG_FILE, PREDICTIONS_FILE):
            if not (folder / name).is_file():
                raise RunFolderError(f"{folder}: no {name}; point at a finished run (agcnn-lab demo --out {folder})")
    if twin.resolve() == control.resolve():
        return pd.read_csv(twin / PREDICTIONS_FILE)
    differences = Profile.read(control / CONFIG_FILE).differences(Profile.read(twin / CONFIG_FILE), ignoring=may_differ)
    if differences:
        allowed = ", ".join(f"{f}*" if f.endswith(".") else f for f in may_differ if f not in ("name", "training.control"))
        raise RunFolderError(f"{twin} differs from its control {control} beyond {allowed} ({'; '.join(differences)}); "
                             "the control must be trained as the crop is")
    ours, theirs = pd.read_csv(twin / PREDICTIONS_FILE), pd.read_csv(control / PREDICTIONS_FILE)
    key = ["split", "image"]
    own_global, their_global = (t[t["branch"] == "global"].sort_values(key) for t in (ours, theirs))
    if (list(own_global["image"]) != list(their_global["image"])
            or not np.allclose(own_global[list(CLASSES)], their_global[list(CLASSES)], atol=1e-6)):
        raise RunFolderError(f"{twin}: its global branch's predictions are not {control}'s; "
                             "a twin must start from its control run's stage I")
    return pd.concat([ours[~ours["branch"].isin(CONTROL_BRANCHES)], theirs[theirs["branch"].isin(CONTROL_BRANCHES)]],
                     ignore_index=True)
