"""A run folder you can trust: it holds its configuration, and nothing trains into it under another.

    out = claim_run_folder("runs/demo-cpu", profile)    # writes config.json, or checks the one there
    profile, run = read_run_folder("runs/demo-cpu")     # config.json and run.json, parsed

`claim_run_folder` refuses (RunFolderError, naming the folder and what is wrong) a path that is a
file, a folder it cannot write, a folder whose config.json differs from `profile` (listing the
fields) and a folder holding checkpoints without a config.json (trained by an older version).
Each check runs before any data is read or any weight is made.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .config import ConfigError, Profile

CONFIG_FILE = "config.json"
RUN_FILE = "run.json"


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
