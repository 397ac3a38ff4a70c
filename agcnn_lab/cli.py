"""The `agcnn-lab` command. Each subcommand is a thin shell over one library function."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"agcnn-lab {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"agcnn-lab {args.command}: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agcnn-lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("make-phantom", help="generate the PhantomCXR-14 data set")
    p.add_argument("--out", type=Path, required=True, help="folder to write (NIH layout)")
    p.add_argument("--patients", type=int, required=True, help="number of patients")
    p.add_argument("--size", type=int, default=512, help="image side in pixels (>= 64)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    p.set_defaults(run=_make_phantom)

    p = commands.add_parser("prepare-nih", help="download, verify and cache ChestX-ray14")
    p.add_argument("--root", type=Path, required=True, help="folder for archives, images, cache")
    p.add_argument("--cache-size", type=int, default=512, help="side of the cached images")
    p.add_argument(
        "--base-url", default=None,
        help="fetch each archive from BASE_URL/images_0XX.tar.gz instead of the NIH links (a mirror)",
    )
    p.add_argument("--workers", type=int, default=None, help="processes for the cache (default: all cores)")
    p.add_argument(
        "--no-download", dest="download", action="store_false",
        help="use only what is on disk (archives, images), download nothing",
    )
    p.add_argument("--timeout", type=float, default=60.0, help="seconds without data before a retry")
    p.add_argument("--retries", type=int, default=5, help="resumed attempts per archive")
    p.set_defaults(run=_prepare_nih)

    p = commands.add_parser("demo", help="the main job: AG-CNN on the embedded phantom, with report.md")
    _experiment_options(p, data=False, out="runs/demo")
    _control_option(p)
    p.set_defaults(run=_demo)

    p = commands.add_parser("train", help="train the three stages (resumes an interrupted run)")
    _experiment_options(p, data=True, out=None)
    p.add_argument("--joint", action="store_true", help="train all three branches at once (the paper's ablation)")
    p.add_argument("--crop-from", choices=("source", "input", "whole"), default="source", help="cut the crop from the high-resolution source (the paper), from the global input (ablation), or give the local branch the whole source (no attention: the control)")
    _control_option(p)
    p.set_defaults(run=_train)

    p = commands.add_parser("evaluate", help="test a trained run: predictions.csv, metrics.json, report.md")
    _experiment_options(p, data=True, out=None)
    p.set_defaults(run=_evaluate)

    p = commands.add_parser("summary", help="summarise the real NIH sample shipped in data/nih-sample")
    p.set_defaults(run=_summary)
    return parser


def _experiment_options(p, data: bool, out: str | None) -> None:
    p.add_argument("--profile", default="cpu", help="ci (seconds), cpu (minutes, the default), gpu (the paper's recipe)")
    p.add_argument("--out", type=Path, default=Path(out) if out else None, required=out is None, help="run folder")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best present)")
    if data:
        p.add_argument("--data", choices=("phantom", "nih", "chestmnist"), default="phantom")
        p.add_argument("--data-root", type=Path, default=None, help="nih: the prepare-nih folder; chestmnist: the .npz; phantom: where to generate it")


def _control_option(p) -> None:
    p.add_argument(
        "--no-control", dest="control", action="store_false",
        help="skip the whole-film control (stages II and III again, the local branch fed the whole film): "
        "quicker, but the report cannot tell the attention's own effect",
    )


def _setup(args):
    from .device import pick_device
    from .experiment import load_data
    from .profiles import get_profile

    profile = get_profile(args.profile)
    data = load_data(getattr(args, "data", "phantom"), profile, getattr(args, "data_root", None))
    return profile, data, pick_device(args.device)


def _demo(args) -> int:
    import time

    from .experiment import run_experiment
    from .report import result_checks, write_report

    began = time.perf_counter()
    profile, data, device = _setup(args)
    experiment = run_experiment(profile, data, args.out, device, control=args.control)
    report = write_report(experiment, data, profile, seconds_total=time.perf_counter() - began)
    _print_result(experiment, result_checks(experiment.metrics, experiment.localisation))
    print(f"report: {report}")
    return 0


def _train(args) -> int:
    from .experiment import train_run

    profile, data, device = _setup(args)
    run = train_run(profile, data, args.out, device, joint=args.joint, crop_from=args.crop_from, control=args.control)
    print(f"trained {', '.join(run.histories)} in {args.out} (tau {run.tau:g}); next: agcnn-lab evaluate --out {args.out}")
    return 0


def _evaluate(args) -> int:
    from .experiment import evaluate_run, load_run
    from .report import result_checks, write_report

    profile, data, device = _setup(args)
    experiment = evaluate_run(load_run(args.out, profile, device), data, profile, device)
    report = write_report(experiment, data, profile)
    _print_result(experiment, result_checks(experiment.metrics, experiment.localisation))
    print(f"report: {report}")
    return 0


def _print_result(experiment, checks) -> None:
    from .evaluate.paper import comparison_table

    print(comparison_table(experiment.metrics, label="this run").round(3).to_string())
    for check in checks:
        print(check.line)


def _summary(args) -> int:
    from .data.summary import sample_summary
    from .paths import nih_sample_dir

    print(sample_summary(nih_sample_dir()))
    return 0


def _make_phantom(args) -> int:
    from .data.phantom import generate

    out = generate(args.out, args.patients, size=args.size, seed=args.seed, workers=args.workers)
    print(f"wrote {out}")
    return 0


def _prepare_nih(args) -> int:
    from .data.nih import prepare_nih

    prepared = prepare_nih(
        args.root, cache_size=args.cache_size, base_url=args.base_url, workers=args.workers,
        download=args.download, timeout=args.timeout, retries=args.retries,
    )
    print(f"cached {len(prepared.entries):,} images in {prepared.cache.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
