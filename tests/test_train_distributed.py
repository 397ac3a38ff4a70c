"""torchrun on the CPU (gloo): two processes train the three stages, only rank 0 writes, a killed
run resumes, and one process under torchrun is exactly a plain run."""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from agcnn_lab.config import Profile
from agcnn_lab.profiles import get_profile

pytestmark = pytest.mark.slow


def _config(tmp_path, phantom, **changes) -> str:
    profile = get_profile("ci").with_changes(**{"data.root": str(phantom), "training.control": False, **changes})
    return str(profile.write(tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.json"))


def _torchrun(nproc: int, *args: str, **popen) -> subprocess.Popen:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               "-m", "agcnn_lab", "train", "--device", "cpu", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(command, env=env, text=True, start_new_session=True, **popen)


def _finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err[-3000:]
    return out


def test_two_processes_train_every_stage_and_only_rank_0_writes(tmp_path, ci_phantom):
    out = tmp_path / "run"
    printed = _finish(_torchrun(2, "--config", _config(tmp_path, ci_phantom), "--out", str(out),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    assert printed.count("trained global, local, fusion") == 1  # one report line, from rank 0
    run = json.loads((out / "run.json").read_text())
    assert run["world_size"] == 2
    for stage in ("global", "local", "fusion"):
        log = json.loads((out / f"stage_{stage}" / "log.json").read_text())
        # once, not once per process (stage III also scores its start, the ensemble, as epoch 0)
        assert [row["epoch"] for row in log] == ([0, 1, 2] if stage == "fusion" else [1, 2])
        assert sorted(p.name for p in (out / f"stage_{stage}").iterdir()) == ["best.pt", "last.pt", "log.csv", "log.json"]
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "run.json", "stage_fusion", "stage_global", "stage_local", "tau_sweep.csv"]


def test_a_run_killed_mid_stage_resumes(tmp_path, ci_phantom):
    stages = get_profile("ci").training.stages
    longer = {**stages, "global": stages["global"].__class__(epochs=5, batch_size=32, lr_drop_epoch=4)}
    config = _config(tmp_path, ci_phantom, **{"training.stages": longer})
    out = tmp_path / "run"
    process = _torchrun(2, "--config", config, "--out", str(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "stage_global" / "log.json"
    began = time.time()
    while not (log.is_file() and len(json.loads(log.read_text())) >= 2):
        assert time.time() - began < 180 and process.poll() is None, "the first epochs never finished"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # every rank at once, mid-stage
    process.wait()
    done_before = len(json.loads(log.read_text()))
    assert done_before < 5
    _finish(_torchrun(2, "--config", config, "--out", str(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    history = json.loads(log.read_text())
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5]
    assert (out / "run.json").is_file()


def test_one_process_under_torchrun_is_a_plain_run(tmp_path, ci_phantom):
    config = _config(tmp_path, ci_phantom)
    under, plain = tmp_path / "torchrun", tmp_path / "plain"
    _finish(_torchrun(1, "--config", config, "--out", str(under), stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "agcnn_lab", "train", "--config", config, "--out", str(plain), "--device", "cpu"],
                   check=True, env=env, capture_output=True)
    for folder in (under, plain):
        subprocess.run([sys.executable, "-m", "agcnn_lab", "evaluate", "--out", str(folder), "--device", "cpu"],
                       check=True, env=env, capture_output=True)
    assert Profile.read(under / "config.json") == Profile.read(plain / "config.json")
    pd.testing.assert_frame_equal(pd.read_csv(under / "predictions.csv"), pd.read_csv(plain / "predictions.csv"))
