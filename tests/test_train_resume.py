"""A stage killed with SIGKILL resumes from its last completed epoch, as if never stopped."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import torch

from agcnn_lab.train.checkpoint import load_checkpoint

TRAIN = """
import sys, torch
from agcnn_lab.profiles import get_profile, StageSettings
from agcnn_lab.evaluate.auc import mean_auc
from agcnn_lab.experiment import build_model, load_data
from agcnn_lab.train.stages import train_stage
torch.set_num_threads(1)
profile = get_profile("ci")
profile = profile.with_changes(**{"training.stages": {**profile.training.stages, "global": StageSettings(epochs=6, batch_size=16, lr_drop_epoch=4)}, "data.root": sys.argv[1]})
data = load_data(profile, progress=False)
torch.manual_seed(0)
model = build_model(profile)
train_stage("global", model, data, profile, sys.argv[2], torch.device("cpu"), progress=False, score=mean_auc)
"""


def _run(args, **kw):
    return subprocess.Popen([sys.executable, "-c", TRAIN, *map(str, args)], start_new_session=True, **kw)


def test_sigkill_then_resume_gives_the_uninterrupted_result(tmp_path, ci_data, ci_phantom):
    phantom = ci_phantom  # ci_data built its cache, so the runs below only read

    whole = tmp_path / "whole"
    assert _run([phantom, whole]).wait() == 0

    killed = tmp_path / "killed"
    proc = _run([phantom, killed])
    last = killed / "stage_global" / "last.pt"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if last.exists():
            try:
                if load_checkpoint(last)["epoch"] >= 1:  # two epochs done
                    break
            except ValueError:
                pass
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stopped_after = load_checkpoint(last)["epoch"] + 1
    assert 2 <= stopped_after < 6, "the run was not stopped half-way"

    assert _run([phantom, killed]).wait() == 0
    log = pd.read_csv(killed / "stage_global" / "log.csv")
    assert log["epoch"].tolist() == [1, 2, 3, 4, 5, 6]
    a = load_checkpoint(whole / "stage_global" / "last.pt")["weights"]["global_branch"]
    b = load_checkpoint(last)["weights"]["global_branch"]
    for key in a:
        assert torch.allclose(a[key].float(), b[key].float(), atol=1e-5), key
    expected = pd.read_csv(whole / "stage_global" / "log.csv")
    assert (log["val_mean_auc"] - expected["val_mean_auc"]).abs().max() < 1e-5
