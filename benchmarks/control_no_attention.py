"""How much of the local branch's gain is the attention's own, and how much the zoom's resolution.

    .venv/bin/python benchmarks/control_no_attention.py --base runs/scratch --profile cpu-scratch

Every run now trains the whole-film control at the crop's size itself (metrics.json's
attention_effect); this script adds the controls a run does not train. Next to a finished run
(`agcnn-lab demo --profile cpu-scratch --out runs/scratch`), it trains the controls of
`agcnn_lab.ablations.attention_controls` at the run's full length; each starts from the run's
stage I and trains stages II and III again with one change:

- no attention: the local branch sees the WHOLE source at the crop's size (no heatmap);
- tight box: tau chosen by the pointing game on single-lesion validation films, not on every
  lesion (a smaller box, a stronger zoom; lesions elsewhere on the film are cut away);
- the same two at the global input's size (the paper feeds both branches 224 px): the
  attention's share at an equal pixel budget, free of the cpu profile's larger crop.

The local branch of a run minus its whole-film twin is what the attention adds beyond a sharper
view of the film. Resumable like any run (base/ablations/<variant>/); prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from agcnn_lab.ablations import AblationPlan, attention_controls, run_variant
from agcnn_lab.device import pick_device
from agcnn_lab.experiment import load_data
from agcnn_lab.profiles import get_profile
from agcnn_lab.report import SMALL_FINDINGS, markdown_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, default=Path("runs/scratch"))
    parser.add_argument("--profile", default="cpu-scratch")
    args = parser.parse_args()
    profile = get_profile(args.profile)
    metrics_file = args.base / "metrics.json"
    if not metrics_file.is_file():
        raise SystemExit(
            f"{metrics_file}: not found; run `agcnn-lab demo --profile {profile.name} --out {args.base}` first"
        )
    base_run = json.loads((args.base / "run.json").read_text())
    rows = [row("the run (paper's crop)", profile.model.attention.crop_size, "source", base_run["tau"], args.base, json.loads(metrics_file.read_text()))]
    data = load_data(profile)
    variants = attention_controls(profile)
    plan = AblationPlan(variants)
    for variant in variants:
        run, metrics = run_variant(variant, profile, data, args.base, pick_device(), plan)
        rows.append(row(variant.name, run.model.attention.crop_size, variant.crop_from, run.tau, run.out, metrics))
    print(f"Test AUC, profile {profile.name}, global input {profile.data.geometry.crop} px; base run {args.base}\n")
    print(markdown_table(pd.DataFrame(rows).set_index("local branch sees")))


def row(name: str, crop_size: int, crop_from: str, tau: float, folder: Path, metrics: dict) -> dict:
    """One line of the table: the local branch's input, its box, and the test AUCs."""
    whole = crop_from == "whole"
    return {
        "local branch sees": name,
        "px": crop_size,
        "tau": "-" if whole else f"{tau:g}",
        "box area": "whole film" if whole else box_area(folder, tau),
        "global": metrics["global"]["mean_auc"],
        "local": metrics["local"]["mean_auc"],
        "fusion": metrics["fusion"]["mean_auc"],
        "fusion - global": f"{metrics['fusion']['mean_auc'] - metrics['global']['mean_auc']:+.3f}",
        **{f"local {c}": metrics["local"]["auc"][c] for c in SMALL_FINDINGS},
    }


def box_area(folder: Path, tau: float) -> str:
    """The box's mean share of the film at `tau` on validation (from the run's tau sweep)."""
    if not (folder / "tau_sweep.csv").is_file():
        return "not swept"
    sweep = pd.read_csv(folder / "tau_sweep.csv")
    return f"{sweep.loc[(sweep['tau'] - tau).abs().idxmin(), 'area']:.0%}"


if __name__ == "__main__":
    main()
