"""How much of the local branch's gain is the attention's own, and how much the zoom's resolution.

    .venv/bin/python benchmarks/control_no_attention.py [--base runs/demo] [--profile cpu]

Next to a finished run (`make demo` writes runs/demo), trains the NO_ATTENTION variant at the
run's full length: stage I is the run's own, stage II feeds the local branch the WHOLE source
at the crop's size (same pixels per film as the paper's crop, no heatmap), stage III fuses as
usual. The local branch of the run minus this one is what the attention adds beyond a sharper
view of the whole film. Resumable like any run (base/ablations/no-attention-the-whole-film).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from agcnn_lab.ablations import NO_ATTENTION, AblationPlan, run_variant
from agcnn_lab.data.classes import CLASSES
from agcnn_lab.device import pick_device
from agcnn_lab.experiment import load_data
from agcnn_lab.profiles import get_profile
from agcnn_lab.report import SMALL_FINDINGS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, default=Path("runs/demo"))
    parser.add_argument("--profile", default="cpu")
    args = parser.parse_args()
    profile = get_profile(args.profile)
    metrics_file = args.base / "metrics.json"
    if not metrics_file.is_file():
        raise SystemExit(
            f"{metrics_file}: not found; run `agcnn-lab demo --profile {profile.name} --out {args.base}` first"
        )
    paper_run = json.loads(metrics_file.read_text())
    data = load_data("phantom", profile)
    _, control = run_variant(
        NO_ATTENTION, profile, data, args.base, pick_device(), AblationPlan((NO_ATTENTION,))
    )
    rows = [("mean over 14", "mean_auc")] + [
        (c, c) for c in SMALL_FINDINGS + tuple(c for c in CLASSES if c not in SMALL_FINDINGS)
    ]
    print(
        f"Test AUC, profile {profile.name}: the paper's attention crop ({args.base}) against the whole film at the crop's size\n"
    )
    print(
        "| class | global | local: attention crop | local: whole film | fusion: attention | fusion: whole film |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for label, key in rows:
        cells = [
            auc(paper_run, "global", key),
            auc(paper_run, "local", key),
            auc(control, "local", key),
            auc(paper_run, "fusion", key),
            auc(control, "fusion", key),
        ]
        print(f"| {label} | " + " | ".join(f"{value:.3f}" for value in cells) + " |")


def auc(metrics: dict, branch: str, key: str) -> float:
    return metrics[branch]["mean_auc"] if key == "mean_auc" else metrics[branch]["auc"][key]


if __name__ == "__main__":
    main()
