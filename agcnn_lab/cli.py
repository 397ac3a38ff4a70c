"""The `agcnn-lab` command. Each subcommand is a thin shell over one library function."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help (0) or a bad argument (2), already printed
        return int(done.code or 0)
    try:
        return int(args.run(args) or 0)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"agcnn-lab {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"agcnn-lab {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader left early (`agcnn-lab config show cpu | head`): stop as `cat` would, quietly.
        # Python flushes stdout again at exit, so point it at devnull first (the recipe of Python's
        # own signal docs), or that flush raises once more and prints a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the shell's status for a writer whose reader closed the pipe
    finally:
        from .train.distributed import leave_process_group

        leave_process_group()


def _at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, with a bad argument reported in one line (no usage block): the rule for every error here."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="agcnn-lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("make-phantom", help="generate the PhantomCXR-14 data set")
    p.add_argument("--out", type=Path, required=True, help="folder to write (NIH layout)")
    p.add_argument("--patients", type=_at_least(1), required=True, help="number of patients")
    p.add_argument("--size", type=_at_least(64), default=512, help="image side in pixels (>= 64)")
    p.add_argument("--seed", type=_at_least(0), default=0)
    p.add_argument("--workers", type=_at_least(1), default=None, help="processes (default: all cores)")
    p.add_argument("--preset", default=None,
                   help="the phantom's settings, v1-v7 (docs/phantom.md; default: the cpu profile's, as make demo)")
    p.set_defaults(run=_make_phantom)

    p = commands.add_parser("prepare-nih", help="download, verify and cache ChestX-ray14")
    p.add_argument("--root", type=Path, required=True, help="folder for archives, images, cache")
    p.add_argument("--cache-size", type=_at_least(8), default=512, help="side of the cached images")
    p.add_argument(
        "--base-url", default=None,
        help="fetch each archive from BASE_URL/images_0XX.tar.gz instead of the NIH links (a mirror)",
    )
    p.add_argument("--workers", type=_at_least(1), default=None, help="processes for the cache (default: all cores)")
    p.add_argument(
        "--no-download", dest="download", action="store_false",
        help="use only what is on disk (archives, images), download nothing",
    )
    p.add_argument("--timeout", type=_positive_float, default=60.0, help="seconds without data before a retry")
    p.add_argument("--retries", type=_at_least(0), default=5, help="resumed attempts per archive")
    p.set_defaults(run=_prepare_nih)

    p = commands.add_parser("demo", help="the main job: AG-CNN on the embedded phantom, with report.md")
    _experiment_options(p, data=False, out_help="run folder (default: runs/demo-<profile>)")
    _control_option(p)
    _global_from_option(p)
    p.set_defaults(run=_demo)

    p = commands.add_parser("train", help="train the three stages (resumes an interrupted run)")
    _experiment_options(p, data=True, out_help="run folder (required)")
    p.add_argument("--joint", action="store_true", default=None, help="train all three branches at once (the paper's ablation)")
    p.add_argument("--crop-from", choices=("source", "input", "whole"), default=None, help="cut the crop from the high-resolution source (the paper, the default), from the global input (ablation), or give the local branch the whole source (no attention: the control)")
    _control_option(p)
    _global_from_option(p)
    p.set_defaults(run=_train)

    p = commands.add_parser("evaluate", help="test a trained run folder: predictions.csv, metrics.json, report.md")
    p.add_argument("--out", type=Path, required=True, help="the run folder (its config.json says the rest)")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best present)")
    p.set_defaults(run=_evaluate)

    p = commands.add_parser("config", help="print a profile's configuration (JSON, the format --config reads)")
    p.add_argument("action", choices=("show",))
    p.add_argument("name", help="a profile (ci, cpu, cpu-scratch, gpu), a config JSON file, or a run folder")
    p.set_defaults(run=_config)

    p = commands.add_parser("summary", help="summarise the real NIH sample shipped in data/nih-sample")
    p.set_defaults(run=_summary)
    return parser


def _experiment_options(p, data: bool, out_help: str) -> None:
    source = p.add_mutually_exclusive_group()
    source.add_argument("--profile", default=None, help="ci (seconds), cpu (minutes, the default), cpu-scratch, gpu (the paper's recipe)")
    source.add_argument("--config", type=Path, default=None, help="a configuration file (JSON, as `agcnn-lab config show NAME` prints it)")
    p.add_argument("--out", type=Path, default=None, required=data, help=out_help)
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best present)")
    if data:
        p.add_argument("--data", choices=("phantom", "nih", "chestmnist"), default=None, help="default: the configuration's (phantom)")
        p.add_argument("--data-root", type=Path, default=None, help="nih: the prepare-nih folder; chestmnist: the .npz; phantom: where to generate it")


def _global_from_option(p) -> None:
    p.add_argument(
        "--global-from", type=Path, default=None, metavar="RUN",
        help="start from the finished stage I of the run folder RUN (copied) instead of training it again; "
        "refused unless the two configurations agree on everything stage I reads",
    )


def _control_option(p) -> None:
    p.add_argument(
        "--no-control", dest="control", action="store_false", default=None,
        help="skip the whole-film control (stages II and III again, the local branch fed the whole film): "
        "quicker, but the report cannot tell the attention's own effect",
    )


def _profile(args):
    """The configuration the arguments name, with the command line's changes applied."""
    from .config import Profile
    from .profiles import get_profile

    profile = Profile.read(args.config) if args.config else get_profile(args.profile)
    changes = {}
    if getattr(args, "data", None):
        changes["data.kind"] = args.data
    if getattr(args, "data_root", None):
        changes["data.root"] = str(args.data_root)
    if getattr(args, "control", None) is not None:
        changes["training.control"] = args.control
    if getattr(args, "joint", None):
        changes["training.joint"] = True
    if getattr(args, "crop_from", None):
        changes["model.attention.crop_from"] = args.crop_from
    return profile.with_changes(**changes)


def _setup(args):
    """Everything that can be wrong with the arguments is checked here, before any data is read:
    the configuration, the device, the run folder."""
    from .device import pick_device
    from .experiment import load_data
    from .run_folder import check_run_folder, start_from_global_stage
    from .train.distributed import from_environment, main_first

    profile = _profile(args)
    device = pick_device(args.device)
    if args.out is None:
        args.out = Path("runs") / f"demo-{profile.name}"
    check_run_folder(args.out, profile)
    ranks = from_environment()  # under torchrun: this process's rank, and the process group
    if args.global_from is not None:
        with main_first(ranks):  # rank 0 copies; the others then find the copy and accept it
            if ranks.is_main:
                start_from_global_stage(args.global_from, args.out, profile)
    with main_first(ranks):  # rank 0 generates and caches the data; the others read it after
        data = load_data(profile, progress=ranks.is_main)
    return profile, data, device


def _demo(args) -> int:
    import time

    from .experiment import run_experiment
    from .report import result_checks, write_report
    from .train.distributed import current

    began = time.perf_counter()
    profile, data, device = _setup(args)
    experiment = run_experiment(profile, data, args.out, device)
    if not current().is_main:
        return 0
    report = write_report(experiment, data, seconds_total=time.perf_counter() - began)
    _print_result(experiment, result_checks(experiment.metrics, experiment.localisation))
    print(f"report: {report}")
    return 0


def _train(args) -> int:
    from .experiment import train_run
    from .train.distributed import current

    profile, data, device = _setup(args)
    run = train_run(profile, data, args.out, device)
    if current().is_main:
        print(f"trained {', '.join(run.histories)} in {args.out} (tau {run.tau:g}); next: agcnn-lab evaluate --out {args.out}")
    return 0


def _evaluate(args) -> int:
    from .device import pick_device
    from .experiment import evaluate_run, load_data, load_run
    from .report import result_checks, write_report
    from .run_folder import read_run_folder

    device = pick_device(args.device)
    profile, _ = read_run_folder(args.out)  # before any data is read: a clear error for a bad folder
    data = load_data(profile)
    experiment = evaluate_run(load_run(args.out, device), data, device)
    report = write_report(experiment, data)
    _print_result(experiment, result_checks(experiment.metrics, experiment.localisation))
    print(f"report: {report}")
    return 0


def _config(args) -> int:
    from .config import Profile
    from .profiles import PROFILES
    from .run_folder import CONFIG_FILE

    name = args.name
    if name in PROFILES:
        profile = PROFILES[name]
    elif Path(name).is_dir():
        profile = Profile.read(Path(name) / CONFIG_FILE)
    elif Path(name).is_file():
        profile = Profile.read(name)
    else:
        raise ValueError(f"{name!r} is neither a profile ({', '.join(PROFILES)}), a config file nor a run folder")
    print(profile.to_json())
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
    from .data.phantom import difficulty_preset, generate
    from .profiles import get_profile

    preset = args.preset or get_profile("cpu").data.phantom_preset
    difficulty = difficulty_preset(preset)  # an unknown name is refused here, before any work
    out = generate(args.out, args.patients, size=args.size, seed=args.seed, workers=args.workers, difficulty=difficulty)
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
