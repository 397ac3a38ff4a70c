"""Checkpoints: plain state dicts, written atomically, read with weights_only=True.

    save_checkpoint(path, {"model": model.state_dict(), "epoch": 3})
    state = load_checkpoint(path)
    load_weights(model, state["model"], source=path)   # tolerant of 'module.' prefixes

A checkpoint of another architecture is refused with the keys and shapes that disagree,
instead of torch's wall of text or, worse, a silent partial load. A checkpoint that lacks
what its reader needs (a resume needs the optimiser and scheduler states) is refused on
loading, with the keys it lacks, rather than with a KeyError halfway through the resume.

    state = load_checkpoint(stage_dir / "last.pt", require=RESUME_KEYS)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

# DataParallel/DistributedDataParallel write 'module.', torch.compile writes '_orig_mod.'.
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")

# What the epoch loop writes to last.pt and reads back to resume, and what best.pt holds.
RESUME_KEYS = ("weights", "optimizer", "scheduler", "epoch", "history", "best_val_auc", "best_epoch")
BEST_KEYS = ("weights", "epoch", "val_mean_auc")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or lacks what its reader needs. The message names the file."""


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """Write `state` so that a reader never sees half a file, even after a SIGKILL."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(
    path: str | os.PathLike, map_location: str | torch.device = "cpu", require: Iterable[str] = ()
) -> dict:
    """The state dict saved at `path`; with `require`, refused unless it holds every one of those keys."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # torch raises many types for a damaged or foreign file
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(err).__name__}: {err})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: holds a {type(state).__name__}, not a checkpoint's dict of states")
    require_keys(state, require, path)
    return state


def require_keys(state: dict, keys: Iterable[str], source: str | os.PathLike = "checkpoint") -> None:
    """Refuse a checkpoint that lacks any of `keys`, naming them all, before any of it is used.

    A resume that found no optimiser state would otherwise fail halfway, after the weights
    were already loaded, or (worse) restart the learning-rate schedule without a word.
    """
    missing = [key for key in keys if key not in state]
    if missing:
        held = ", ".join(map(repr, sorted(map(str, state)))) or "nothing"
        raise CheckpointError(f"{source}: the checkpoint lacks {', '.join(map(repr, missing))}; it holds only {held}")


def strip_wrapper_prefixes(state_dict: dict) -> dict:
    out = {}
    for key, value in state_dict.items():
        for prefix in _WRAPPER_PREFIXES:
            while key.startswith(prefix):
                key = key[len(prefix) :]
        out[key] = value
    return out


def load_weights(module: nn.Module, state_dict: dict, source: str | os.PathLike = "checkpoint") -> None:
    """Load weights into `module`, or explain exactly why they do not fit."""
    state_dict = strip_wrapper_prefixes(state_dict)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    reshaped = [
        f"{k}: {tuple(state_dict[k].shape)} in the file, {tuple(v.shape)} in the model"
        for k, v in expected.items()
        if k in state_dict and tuple(state_dict[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or reshaped:
        lines = [f"{source}: these weights belong to another architecture than {type(module).__name__}"]
        if missing:
            lines.append(f"  missing {len(missing)} key(s), e.g. {', '.join(missing[:3])}")
        if unexpected:
            lines.append(f"  unexpected {len(unexpected)} key(s), e.g. {', '.join(unexpected[:3])}")
        if reshaped:
            lines.append(f"  {len(reshaped)} shape mismatch(es), e.g. {'; '.join(reshaped[:2])}")
        raise ValueError("\n".join(lines))
    module.load_state_dict(state_dict)
