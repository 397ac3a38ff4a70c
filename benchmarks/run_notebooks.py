"""Execute the notebook series in place, in order, and time each notebook.

    .venv/bin/python benchmarks/run_notebooks.py --profile cpu        # what gets committed
    .venv/bin/python benchmarks/run_notebooks.py --profile ci         # the CI profile (<= 10 min)
    .venv/bin/python benchmarks/run_notebooks.py --profile ci --only 03 --no-write
    .venv/bin/python benchmarks/run_notebooks.py --profile cpu --out /tmp/executed   # keep the files

Each notebook runs in a fresh kernel started in notebooks/ with AGCNN_PROFILE set, exactly as a
reader's "Restart kernel and run all" would. The files are rewritten with their outputs (unless
--no-write), cleaned for GitHub: no widget state in the metadata (GitHub refuses to render
notebooks whose widget metadata lacks a "state" key) and no widget outputs (tqdm's progress bars,
the tau explorer), which a static page cannot show. The timings go to stdout as a Markdown table,
ready for BENCHMARKS.md. The run folder (runs/notebooks-<profile>) is kept, so a second run
reuses the trained stages; pass --fresh to delete it (and time the series from scratch).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def clean(notebook) -> int:
    """Drop widget state and widget outputs; returns the number of outputs removed."""
    notebook.metadata.pop("widgets", None)
    removed = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = [out for out in cell.outputs if WIDGET_VIEW not in out.get("data", {})]
        removed += len(cell.outputs) - len(kept)
        cell.outputs = kept
        cell.metadata.pop("execution", None)
    return removed


def execute(path: Path, profile: str, timeout: int) -> tuple[object, float]:
    notebook = nbformat.read(path, as_version=4)
    os.environ["AGCNN_PROFILE"] = profile  # the kernel inherits this process's environment
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=False,
    )
    began = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu", help="ci, cpu (the committed outputs) or gpu")
    parser.add_argument("--only", nargs="*", default=None, help="notebook number prefixes, e.g. 00 03")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds a single cell may take")
    parser.add_argument("--no-write", action="store_true", help="execute without rewriting the files")
    parser.add_argument("--out", type=Path, default=None, help="write the executed notebooks to this folder instead")
    parser.add_argument("--fresh", action="store_true", help="delete runs/notebooks-<profile> first")
    args = parser.parse_args(argv)

    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.name[:2] in set(args.only)]
    if not paths:
        print("no notebook selected", file=sys.stderr)
        return 2
    if args.fresh:
        from agcnn_lab.notebook.series import series_dir
        from agcnn_lab.profiles import get_profile

        shutil.rmtree(series_dir(get_profile(args.profile)), ignore_errors=True)

    rows, total = [], 0.0
    for path in paths:
        print(f"{path.name}: running (profile {args.profile}) ...", flush=True)
        notebook, seconds = execute(path, args.profile, args.timeout)
        removed = clean(notebook)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, args.out / path.name)
        elif not args.no_write:
            nbformat.write(notebook, path)
        total += seconds
        rows.append((path.name, seconds))
        print(f"{path.name}: {seconds:.0f} s ({removed} widget outputs dropped)", flush=True)

    cores = os.cpu_count()
    print()
    print(f"Notebook series, profile `{args.profile}`, {platform.processor() or platform.machine()}, {cores} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end:")
    print()
    print("| notebook | seconds |")
    print("| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.0f} |")
    print(f"| **total** | **{total:.0f}** ({total / 60:.1f} min) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
