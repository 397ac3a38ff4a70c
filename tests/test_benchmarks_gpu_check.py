"""benchmarks/gpu_check.sh --dry-run: every code path of the GPU check, on tiny sizes on the CPU,
so that the script cannot rot before a GPU is lent."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_the_dry_run_writes_the_markdown_block(tmp_path):
    block = tmp_path / "gpu_check.md"
    env = {**os.environ, "OUT": str(block), "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(["bash", "benchmarks/gpu_check.sh", "--dry-run"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    text = block.read_text()
    for title in ("Attention crop: batched against the per-image loop", "Stage II step of the recipe, by part",
                  "Stage I: images per second", "Stage I under torchrun, 2 processes"):
        assert f"### {title}" in text, title
    assert "| images/s (all processes) |" in text and "attention crop (heatmap + boxes + crop)" in text
    assert "torchrun smoke run (ci profile, 2 processes, cpu)" in text and "world_size 2" in text
