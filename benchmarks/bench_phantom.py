"""How fast PhantomCXR-14 appears: images/second on one core at 512 px, and the default set.

    .venv/bin/python benchmarks/bench_phantom.py                 # both measurements
    .venv/bin/python benchmarks/bench_phantom.py --patients 1000 --skip-default
    .venv/bin/python benchmarks/bench_phantom.py --zoom          # global vs crop AUCs (slow)
    .venv/bin/python benchmarks/bench_phantom.py --lookalikes v4 v2   # nodule vs look-alikes by reduction

Goal (issue 3): >= 50 images/s per core at 512 px, so that the default set (1,000 patients,
~2,900 images) appears in about a minute on a few cores. The machine's load is printed with
the numbers: on a shared machine, per-core rates drop with it.

--zoom measures the point of the data set at full scale (512 px source, 128 px views):
Nodule and Cardiomegaly AUCs of the global view and of crops around the Nodule boxes, with
logistic regression and with a tiny CNN (zoom_experiment.py, beside this script). Minutes on a CPU.

--lookalikes tells a nodule from its round look-alikes on 32-px patches of the source, reduced
1x (the source), 2x, 2.7x (the crop of a centred 45% box at 128 px), 3.2x (about the crop of the
profile's box, 70% of the window: 3.3x) and 4x (the global view), for each named phantom preset
and seeds 0-2 (zoom_experiment.lookalike_auc_by_reduction; 40 patients a seed, seconds a row).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from agcnn_lab.data.phantom import generate


def timed_generate(out: Path, patients: int, size: int, workers: int | None) -> tuple[float, int]:
    start = time.perf_counter()
    generate(out, patients, size=size, seed=0, workers=workers)
    seconds = time.perf_counter() - start
    images = sum(1 for _ in (out / "images").iterdir())
    return seconds, images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--patients", type=int, default=150, help="patients for the one-core run")
    parser.add_argument("--default-patients", type=int, default=1000, help="patients of the default set")
    parser.add_argument("--workers", type=int, default=None, help="processes for the default set (all cores)")
    parser.add_argument("--skip-default", action="store_true", help="only the one-core measurement")
    parser.add_argument("--zoom", action="store_true", help="only the global-vs-crop AUCs")
    parser.add_argument("--zoom-patients", type=int, default=250)
    parser.add_argument("--lookalikes", nargs="+", metavar="PRESET", default=None,
                        help="only the nodule-vs-look-alike AUCs by reduction, for these phantom presets")
    args = parser.parse_args()
    if args.lookalikes:
        lookalikes(args.lookalikes)
        return
    if args.zoom:
        zoom(args.size, args.zoom_patients)
        return

    cores = os.cpu_count() or 1
    print(f"cores: {cores}; load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-phantom-") as tmp:
        seconds, images = timed_generate(Path(tmp) / "one", args.patients, args.size, workers=1)
        print(f"one core, {args.size} px: {images} images in {seconds:.1f} s = {images / seconds:.1f} images/s "
              f"(goal >= 50; includes label sampling, anatomy, findings, PNG writing, tables)")
        shutil.rmtree(Path(tmp) / "one")
        if not args.skip_default:
            workers = args.workers or cores
            seconds, images = timed_generate(Path(tmp) / "default", args.default_patients, args.size, workers)
            print(f"default set, {workers} workers: {args.default_patients} patients, {images} images "
                  f"in {seconds:.1f} s = {images / seconds:.1f} images/s")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def zoom(size: int, patients: int) -> None:
    from zoom_experiment import global_vs_crop_auc  # benchmarks/, this script's folder

    with tempfile.TemporaryDirectory(prefix="bench-zoom-") as tmp:
        root = generate(Path(tmp) / "set", patients, size=size, seed=1,
                        prevalence={"Nodule": 0.5, "Cardiomegaly": 0.5}, test_fraction=0.3)
        images = sum(1 for _ in (root / "images").iterdir())
        print(f"{patients} patients, {images} images at {size} px; views of {size // 4} px; test = 30% of patients")
        for classifier in ("logistic", "cnn"):
            start = time.perf_counter()
            aucs = global_vs_crop_auc(root, ("Nodule", "Cardiomegaly"), classifier=classifier)
            took = time.perf_counter() - start
            for label, (g, c) in aucs.items():
                print(f"{classifier:8s} {label:12s} AUC global {g:.3f}  crop {c:.3f}")
            print(f"({classifier}: {took:.0f} s)")


def lookalikes(presets: list[str], seeds: tuple[int, ...] = (0, 1, 2)) -> None:
    from zoom_experiment import lookalike_auc_by_reduction, lookalike_patches  # benchmarks/

    from agcnn_lab.data.phantom import difficulty_preset
    from agcnn_lab.report import markdown_table

    try:  # every name checked before any patch is drawn
        difficulties = {preset: difficulty_preset(preset) for preset in presets}
    except ValueError as err:
        raise SystemExit(f"--lookalikes: {err}") from None
    rows = []
    for preset, difficulty in difficulties.items():
        for seed in seeds:
            patches, is_nodule, _ = lookalike_patches(40, size=512, seed=seed, difficulty=difficulty)
            aucs = lookalike_auc_by_reduction(patches, is_nodule, seed=seed)
            rows.append({"preset": preset, "seed": seed, "patches (nodules)": f"{len(patches)} ({int(is_nodule.sum())})",
                         **{f"{factor:.1f}x": round(auc, 3) for factor, auc in aucs.items()}})
    table = pd.DataFrame(rows)
    means = table.groupby("preset", sort=False)[[c for c in table.columns if c.endswith("x")]].mean().round(3)
    print(markdown_table(table.set_index("preset")))
    print("\nthe seeds' mean:\n")
    print(markdown_table(means))


if __name__ == "__main__":
    main()
