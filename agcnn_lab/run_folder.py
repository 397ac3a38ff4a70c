"""A run folder you can trust: it holds its configuration, and nothing trains into it under another.

    out = claim_run_folder("runs/demo-cpu", profile)    # writes config.json, or checks the one there
    profile, run = read_run_folder("runs/demo-cpu")     # config.json and run.json, parsed
    start_from_global_stage("runs/demo-cpu", "runs/what-if", changed)  # its stage I, copied
    seed_replicates(["runs/demo-cpu", "runs/demo-seed1"])  # their configurations, one setting's seeds

`start_from_global_stage` lets a run whose configuration differs only after stage I (the
attention, stages II and III, the control) start from another run's finished stage I instead of
training the same global branch again: the what-if experiments of BENCHMARKS.md, minutes cheaper.

`claim_run_folder` refuses (RunFolderError, naming the folder and what is wrong) a path that is a
file, a folder it cannot write, a folder whose config.json differs from `profile` (listing the
fields) and a folder holding checkpoints without a config.json (trained by an older version).
Each check runs before any data is read or any weight is made.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import tempfile
from pathlib import Path

from .config import ConfigError, Profile, Stage

CONFIG_FILE = "config.json"
RUN_FILE = "run.json"
GLOBAL_STAGE_DIR = f"stage_{Stage.GLOBAL.value}"  # as train_stage names it
# What the runs of one setting, one per training seed, may differ in.
SEED_FIELDS = ("name", "training.seed")
# The fields stage I never reads: runs that differ in these alone train the same global branch.
AFTER_GLOBAL_STAGE = ("name", "model.attention.", "training.stages.local.", "training.stages.fusion.",
                      "training.control", "training.local_from_global", "training.train_fraction")


class RunFolderError(ValueError):
    """A run folder that cannot be used for this run; the message says why and what to do."""


def check_run_folder(out: str | os.PathLike, profile: Profile | None = None) -> Path:
    """The checks of claim_run_folder, without writing: a path that can hold this run."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"{out}: is a file, not a run folder; choose another --out")
    existing = _nearest_existing(out)
    if not existing.is_dir() or not _writable(existing):
        raise RunFolderError(f"{out}: cannot write there ({existing} is not writable); choose another --out")
    config = out / CONFIG_FILE
    if profile is not None and config.is_file():
        stored = Profile.read(config)
        differences = stored.differences(profile)
        if differences:
            shown = "; ".join(differences)
            raise RunFolderError(
                f"{out}: holds a run of another configuration ({len(differences)} field(s) differ: {shown}). "
                f"Resume it as it was with --config {config}, or start a new run with another --out"
            )
    elif profile is not None and out.is_dir() and any(out.glob("stage_*/last.pt")):
        raise RunFolderError(
            f"{out}: holds checkpoints but no {CONFIG_FILE} (a run of an older version, or another tool's); "
            "its configuration is unknown, so it is not resumed: choose another --out"
        )
    return out


def claim_run_folder(out: str | os.PathLike, profile: Profile) -> Path:
    """`out`, created, with `profile` written to its config.json (atomically) or found there."""
    out = check_run_folder(out, profile)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / CONFIG_FILE).is_file():
        profile.write(out / CONFIG_FILE)
    return out


def read_run_folder(out: str | os.PathLike) -> tuple[Profile, dict]:
    """A finished run's configuration and run.json; a clear error when either is missing or broken."""
    out = Path(out)
    if not out.is_dir():
        raise RunFolderError(f"{out}: no such run folder")
    if not (out / RUN_FILE).is_file():
        raise RunFolderError(f"{out}: no finished training run here ({RUN_FILE} is missing); train first")
    if not (out / CONFIG_FILE).is_file():
        raise RunFolderError(f"{out}: {CONFIG_FILE} is missing (a run of an older version); train it again")
    profile = Profile.read(out / CONFIG_FILE)
    try:
        run = json.loads((out / RUN_FILE).read_text())
    except json.JSONDecodeError as err:
        raise ConfigError(f"{out / RUN_FILE}: not valid JSON ({err})") from None
    missing = [k for k in ("tau", "seconds") if not isinstance(run, dict) or k not in run]
    if missing:
        raise ConfigError(f"{out / RUN_FILE}: lacks {', '.join(missing)}")
    return profile, run


def global_stage_differences(source: Profile, profile: Profile) -> list[str]:
    """The fields that differ between two configurations and that stage I reads (data, backbone,
    stage I's settings, seed, ...): a run may start from another's stage I only when there are none."""
    return source.differences(profile, ignoring=AFTER_GLOBAL_STAGE)


def start_from_global_stage(source: str | os.PathLike, out: str | os.PathLike, profile: Profile) -> Path:
    """Claim `out` for `profile` and copy into it the finished stage I of the run folder `source`.

    Refused (RunFolderError, before anything is written) when `source` has no configuration or no
    finished stage I, when the two configurations differ in a field stage I reads (listed), when
    `source` is `out`, and when `out` already holds another stage I. `out` holding this very copy
    (a run resumed with the same `source`) is accepted as it is."""
    source, out = Path(source), check_run_folder(out, profile)
    if not (source / CONFIG_FILE).is_file():
        raise RunFolderError(f"{source}: not a run folder ({CONFIG_FILE} is missing); --global-from names a trained run")
    if source.resolve() == out.resolve():
        raise RunFolderError(f"{source}: --global-from names the run folder itself; name another run")
    differences = global_stage_differences(Profile.read(source / CONFIG_FILE), profile)
    if differences:
        raise RunFolderError(
            f"{source}: its stage I was trained under another configuration ({len(differences)} field(s) that "
            f"stage I reads differ: {'; '.join(differences)}); train this one's own stage I instead"
        )
    stage, epochs = source / GLOBAL_STAGE_DIR, profile.training.stage("global").epochs
    if not all((stage / name).is_file() for name in ("best.pt", "last.pt", "log.json")):
        raise RunFolderError(f"{stage}: no finished stage I here (best.pt, last.pt or log.json is missing); finish that run first")
    try:  # the epoch log, written with last.pt after every epoch
        done = max((int(entry["epoch"]) for entry in json.loads((stage / "log.json").read_text())), default=0)
    except (json.JSONDecodeError, TypeError, KeyError, ValueError) as err:
        raise RunFolderError(f"{stage / 'log.json'}: not a readable epoch log ({type(err).__name__}: {err})") from None
    if done < epochs:
        raise RunFolderError(f"{stage}: stage I stopped after epoch {done} of {epochs}; finish that run first")
    target = out / GLOBAL_STAGE_DIR
    if target.exists():
        if all((target / f).is_file() and filecmp.cmp(stage / f, target / f, shallow=False) for f in ("best.pt", "last.pt")):
            return out  # copied before: this run resumes
        raise RunFolderError(f"{out}: already holds a stage I of its own; start the run in another --out")
    claim_run_folder(out, profile)
    partial = out / f".{GLOBAL_STAGE_DIR}.copying"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(stage, partial)
    partial.rename(target)  # a kill leaves no half-copied stage I behind
    return out


def seed_replicates(runs: list[str | os.PathLike], what: str = "the runs") -> list[Profile]:
    """The configurations of run folders that must be one setting trained with several seeds,
    read and checked: refused (RunFolderError, naming the folder and the field) when a folder has
    no config.json, when two share a training seed, and when one differs from the first in
    anything but its seed and name. A mean over such runs is a mean over the training noise alone."""
    runs = [Path(run) for run in runs]
    for run in runs:
        if not (run / CONFIG_FILE).is_file():
            raise RunFolderError(f"{run}: no {CONFIG_FILE}; {what} must be finished run folders")
    profiles = [Profile.read(run / CONFIG_FILE) for run in runs]
    for run, profile in zip(runs[1:], profiles[1:], strict=True):
        other = profiles[0].differences(profile, ignoring=SEED_FIELDS)
        if other:
            raise RunFolderError(f"{what}: {run} differs from {runs[0]} beyond its seed ({'; '.join(other)}); "
                                 "the runs of one setting must differ in training.seed alone")
    seeds = [p.training.seed for p in profiles]
    if len(set(seeds)) != len(seeds):
        raise RunFolderError(f"{what}: two share a training seed ({', '.join(map(str, seeds))}); one run per seed")
    return profiles


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def _writable(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False
