"""A setting's attention effect averaged over its training seeds, from the runs' files (no training).

    .venv/bin/python benchmarks/seeds_effect.py              # the levers measured on v4 and v6 (BENCHMARKS.md)
    .venv/bin/python benchmarks/seeds_effect.py --by-disease --split val --setting "v7" runs/exp-v7-seed0 ...
    .venv/bin/python benchmarks/seeds_effect.py --setting "v7, centred 45%" runs/exp-v7-seed0-tau0.6-box0.45 ... \
        --controls runs/exp-v7-seed0 ...     # crop-only twins (tau_effect.py's), each beside its control run
    .venv/bin/python benchmarks/seeds_effect.py --split val \
        --setting "tau 0.7 (the rule)" runs/tau0.7-demo-cpu runs/exp-v4-seed1 runs/exp-v4-seed2 \
        --setting "class activation map" runs/exp-v4-cam runs/exp-v4-seed1-cam runs/exp-v4-seed2-cam

One run's effect (crop minus whole film) moves from one training seed to the next about as much
as most levers move it (BENCHMARKS.md), so each lever was trained with three seeds. This script reads
their predictions.csv and prints, per setting and split, the effect averaged over the seeds, with
the paired 95% interval of that mean over the films (evaluate.seeds_attention_effect: each
bootstrap replicate scores every run on one resample of the films), and each seed's own effect.
The interval is the films' sampling error for these trained models; the spread of the seeds'
own effects is the training noise, which three seeds only sketch.

--by-disease adds, per setting and split, one row per disease: each branch's effect on that
disease with its interval, beside the whole film's own AUC there. On a disease the whole film
already scores at 1.000 the crop has nothing to gain (it can only lose), whatever its zoom resolves.

Settings are chosen on the validation split. The test columns re-read predictions that were
read once, when each run finished; they choose nothing. The runs of one setting must differ in
their training seed alone (and their name): anything else is refused, naming the field.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from agcnn_lab.data.classes import CLASSES
from agcnn_lab.evaluate import per_class_auc, seeds_attention_effect
from agcnn_lab.evaluate.twins import twin_predictions
from agcnn_lab.report import markdown_table
from agcnn_lab.run_folder import RunFolderError, seed_replicates

# The levers of BENCHMARKS.md, a run folder per training seed (0, 1, 2 unless the name says more);
# each folder's command is in BENCHMARKS.md. The v4 ones without "tau 0.6" in their name were measured
# on the cpu profile as it stood with tau chosen by the pointing-game rule (0.7 in every seed); seed 0's
# run was `make demo`'s then, kept as runs/tau0.7-demo-cpu. The others were measured with tau fixed at
# 0.6: runs/demo-cpu is `make demo`'s run, demo-cpu-seed1/2 its seeds 1 and 2, their -local64 / -local96
# twins benchmarks/zoom_vs_pixels.py's; the v7 runs are the v7 preset, their -l6-box0.45 runs train
# stage II 6 epochs at the centred 45% box, each with its own whole-film control; the nod25 runs train
# on a v4 set generated with Nodule on 25% of the films (data.root; BENCHMARKS.md has the command).
LEVERS = {
    "tau 0.7 (the rule)": ("runs/tau0.7-demo-cpu", "runs/exp-v4-seed1", "runs/exp-v4-seed2"),
    "local input 64 px": ("runs/tau0.7-demo-cpu-local64", "runs/exp-v4-seed1-local64", "runs/exp-v4-seed2-local64"),
    "class activation map": ("runs/exp-v4-cam", "runs/exp-v4-seed1-cam", "runs/exp-v4-seed2-cam"),
    "stage II 6 epochs": ("runs/exp-v4-l6", "runs/exp-v4-seed1-l6", "runs/exp-v4-seed2-l6"),
    "local branch from ImageNet, 5 epochs": ("runs/exp-v4-localin", "runs/exp-v4-seed1-localin", "runs/exp-v4-seed2-localin"),
    "local branch from ImageNet, 8 epochs": ("runs/exp-v4-localin8", "runs/exp-v4-seed1-localin8", "runs/exp-v4-seed2-localin8"),
    "v6 mild forms (tau 0.6)": ("runs/exp-v6-seed0", "runs/exp-v6-seed1", "runs/exp-v6-seed2"),
    "tau 0.6 (the profile; AMD seeds)": ("runs/demo-cpu", "runs/demo-cpu-seed1", "runs/demo-cpu-seed2"),
    "local input 64 px (tau 0.6)": ("runs/demo-cpu-local64", "runs/demo-cpu-seed1-local64", "runs/demo-cpu-seed2-local64"),
    "local input 96 px (tau 0.6)": ("runs/demo-cpu-local96", "runs/demo-cpu-seed1-local96", "runs/demo-cpu-seed2-local96"),
    "v7 small forms (tau 0.6)": ("runs/exp-v7-seed0", "runs/exp-v7-seed1", "runs/exp-v7-seed2"),
    "v7, local input 64 px (tau 0.6)": ("runs/exp-v7-seed0-local64", "runs/exp-v7-seed1-local64",
                                        "runs/exp-v7-seed2-local64"),
    "v7 small forms, seeds 3-5 (tau 0.6)": ("runs/exp-v7-seed3", "runs/exp-v7-seed4", "runs/exp-v7-seed5"),
    "v7 small forms, seeds 0-5 (tau 0.6)": tuple(f"runs/exp-v7-seed{seed}" for seed in range(6)),
    "v7, centred 45%, stage II 6 epochs": tuple(f"runs/exp-v7-seed{seed}-l6-box0.45" for seed in range(6)),
    "Nodule on 25% of the films (a diagnostic)": tuple(f"runs/exp-nod25-seed{seed}" for seed in range(3)),
}


def read_setting(name: str, runs: list[str], controls: list[str] | None = None) -> list[pd.DataFrame]:
    """Each run's predictions.csv, after checking that the runs differ in their seed alone. With
    `controls` (one per run, in order), each run is a crop-only twin (tau_effect.py's) and its
    whole-film branches come from its control run (evaluate.twins.twin_predictions, which refuses
    a twin trained otherwise or from another stage I)."""
    if controls is not None and len(controls) != len(runs):
        raise SystemExit(f"{name!r}: {len(runs)} run(s) but {len(controls)} control run(s); give one control per run")
    for run in runs:  # a control's files: twin_predictions checks them, naming the folder
        for needed in ("config.json", "predictions.csv"):
            if not (Path(run) / needed).is_file():
                raise SystemExit(f"{run}: no {needed}; {name!r} needs its finished runs (BENCHMARKS.md has their commands)")
    try:
        seed_replicates(runs, f"the runs of {name!r}")
        if controls is not None:
            return [twin_predictions(run, control) for run, control in zip(runs, controls, strict=True)]
    except RunFolderError as err:
        raise SystemExit(str(err)) from None
    return [pd.read_csv(Path(run) / "predictions.csv") for run in runs]


def split_effects(tables: list[pd.DataFrame], splits: list[str], n_boot: int) -> dict[str, dict]:
    """{split: evaluate.seeds_attention_effect of the runs on it}: the bootstrap runs once per
    split, and the summary rows and the per-disease table both read it."""
    return {split: seeds_attention_effect(tables, split, n_boot=n_boot) for split in splits}


def effect_rows(name: str, effects: dict[str, dict]) -> list[dict]:
    """One summary row per split of `effects` (split_effects')."""
    rows = []
    for split, effect in effects.items():
        row = {"setting": name, "split": split, "seeds": len(effect["runs"]["local"])}
        for branch in ("local", "fusion"):
            low, high = effect[branch]["ci95"]
            row[branch] = f"{effect[branch]['mean']:+.4f} [{low:+.4f}, {high:+.4f}]"
            row[f"{branch}, each seed"] = " / ".join(f"{d:+.3f}" for d in effect["runs"][branch])
        low, high = effect["local"]["ci95_auc"]["Nodule"]
        row["Nodule (local)"] = f"{effect['local']['auc']['Nodule']:+.3f} [{low:+.3f}, {high:+.3f}]"
        rows.append(row)
    return rows


def disease_rows(tables: list[pd.DataFrame], split: str, effect: dict) -> pd.DataFrame:
    """One row per disease and a "mean" row: per branch (local, fusion) the whole film's AUC (the
    mean over the seeds) and the crop's effect over the seeds with its paired 95% interval
    (`effect`: the runs' seeds_attention_effect on `split`, split_effects')."""
    columns = {}
    for branch in ("local", "fusion"):
        control = f"{branch}_whole_film"
        aucs = pd.DataFrame([per_class_auc(rows[[f"true_{c}" for c in CLASSES]].to_numpy(), rows[list(CLASSES)].to_numpy())
                             for rows in (t[(t["split"] == split) & (t["branch"] == control)] for t in tables)])
        # Each run's mean over its defined classes (branch_mean_auc's), then over the runs: the summary's mean AUC.
        mean = aucs[list(CLASSES)].mean(axis=1).mean()
        columns[f"{control} AUC"] = [f"{auc:.3f}" for auc in [*aucs[list(CLASSES)].mean(), mean]]
        intervals = [*(effect[branch]["ci95_auc"][c] for c in CLASSES), effect[branch]["ci95"]]
        means = [*(effect[branch]["auc"][c] for c in CLASSES), effect[branch]["mean"]]
        columns[f"{branch}: crop - whole film"] = [f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]"
                                                   for d, (lo, hi) in zip(means, intervals, strict=True)]
    return pd.DataFrame(columns, index=pd.Index([*CLASSES, "mean"], name="disease"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setting", nargs="+", action="append", metavar=("NAME", "RUN"),
                        help="a setting's name and its run folders, one per training seed (repeatable); "
                             "default: the levers of BENCHMARKS.md")
    parser.add_argument("--split", nargs="+", choices=("val", "test"), default=["val", "test"])
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--controls", nargs="+", default=None,
                        help="with one --setting of crop-only twins: the runs holding their whole-film control, one per run")
    parser.add_argument("--by-disease", action="store_true", help="also each disease's effect, per setting and split")
    args = parser.parse_args()
    if args.controls is not None and (args.setting is None or len(args.setting) != 1):
        raise SystemExit("--controls goes with exactly one --setting (its runs' controls, in order)")
    settings = {s[0]: list(s[1:]) for s in args.setting} if args.setting else {k: list(v) for k, v in LEVERS.items()}
    empty = [name for name, runs in settings.items() if not runs]
    if empty:
        raise SystemExit(f"--setting {empty[0]!r} names no run folder; give NAME RUN [RUN ...]")
    read = {name: read_setting(name, runs, args.controls) for name, runs in settings.items()}  # every check first
    effects = {name: split_effects(tables, args.split, args.n_boot) for name, tables in read.items()}
    rows = [row for name in read for row in effect_rows(name, effects[name])]
    print("crop minus whole film, mean AUC over the 14 diseases: the mean over the seeds [paired 95% "
          "interval over the films], and each seed's own\n")
    print(markdown_table(pd.DataFrame(rows).set_index("setting")))
    if args.by_disease:
        for name, tables in read.items():
            for split in args.split:
                print(f"\n### {name}, {split}: each disease, the mean over the seeds [paired 95% interval over the films]\n")
                print(markdown_table(disease_rows(tables, split, effects[name][split])))


if __name__ == "__main__":
    main()
