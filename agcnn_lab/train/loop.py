"""The epoch loop every stage shares: SGD, the lr drop, validation, checkpoints, logs, resume.

    result = fit_stage(stage_dir, trainable={"local_branch": model.local_branch},
                       loss_fn=..., validate=..., make_loader=..., settings=profile.training.stage("local"))

After every epoch it writes, each atomically: `last.pt` (weights, optimizer, scheduler,
history — everything a resume needs), `best.pt` when the validation mean AUC improved, and
`log.csv` / `log.json` rebuilt from the history. A run killed at any moment (even SIGKILL)
restarts from its last completed epoch; a finished stage is not trained again.

With `validate_start=True` the start is scored too, as "epoch 0" of the history (no loss, no
lr), and it is kept when no epoch beats it: for a stage whose start is already a model
(stage III starts as the average of the two classifiers, an ensemble), validation decides
whether training improved on it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from ..config import StageSettings
from .checkpoint import BEST_KEYS, RESUME_KEYS, load_checkpoint, load_weights, save_checkpoint
from .distributed import barrier, current, mean_across
from .precision import autocast, grad_scaler


@dataclass
class StageResult:
    stage_dir: Path
    best_epoch: int
    best_val_auc: float
    history: list[dict]

    @property
    def best_path(self) -> Path:
        return self.stage_dir / "best.pt"


def fit_stage(
    stage_dir: str | Path,
    *,
    trainable: dict[str, nn.Module],
    loss_fn: Callable[[object], torch.Tensor],
    validate: Callable[[], float],
    make_loader: Callable[[int], torch.utils.data.DataLoader],
    settings: StageSettings,
    device: torch.device,
    amp: bool = False,
    seed: int = 0,
    progress: bool = True,
    validate_start: bool = False,
) -> StageResult:
    """Train the `trainable` modules for settings.epochs epochs; keep the best validation epoch.

    `loss_fn(batch)` returns the mean loss of a batch; `validate()` returns the validation mean
    AUC; `make_loader(epoch)` returns that epoch's loader (seeded by the epoch, so a resumed
    run sees the same batches as an uninterrupted one).
    """
    stage_dir = Path(stage_dir)
    ranks = current()  # under torchrun: every process trains, rank 0 alone writes and reports
    progress = progress and ranks.is_main
    parameters = [p for m in trainable.values() for p in m.parameters() if p.requires_grad]
    if not parameters:
        raise ValueError(f"{stage_dir.name}: nothing to train (every parameter is frozen)")
    optimizer = torch.optim.SGD(
        parameters, lr=settings.lr, momentum=settings.momentum, weight_decay=settings.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(settings.lr_drop_epoch, 1), gamma=0.1)
    scaler = grad_scaler(device, amp)

    history: list[dict] = []
    best_auc, best_epoch, start = -math.inf, -1, 0
    last = stage_dir / "last.pt"
    if last.is_file():
        state = load_checkpoint(last, map_location=device, require=RESUME_KEYS)
        for name, module in trainable.items():
            load_weights(module, state["weights"][name], source=last)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history, best_auc, best_epoch = state["history"], state["best_val_auc"], state["best_epoch"]
        start = state["epoch"] + 1
    elif validate_start:
        best_auc, best_epoch = _score_start(stage_dir, trainable, validate, history, ranks, progress)

    for epoch in range(start, settings.epochs):
        began = time.perf_counter()
        # The randomness of an epoch (augmentation, when the loader has no workers) depends on
        # (seed, epoch) only: a resumed run repeats the epochs it lost exactly.
        torch.manual_seed(seed * 100_003 + epoch + 7_919 * ranks.rank)
        for module in trainable.values():
            module.train()
        total, batches = 0.0, 0
        loader = make_loader(epoch)
        # The bar is driven by hand: tqdm.auto's tqdm(loader) calls iter(loader) once more than
        # the loop does, which starts (and leaves running) a second set of loader workers.
        bar = tqdm(total=len(loader), desc=f"{stage_dir.name} {epoch + 1}/{settings.epochs}", leave=False, disable=not progress)
        for batch in loader:
            optimizer.zero_grad(set_to_none=True)
            with autocast(device, amp):
                loss = loss_fn(batch)
            if not torch.isfinite(loss):
                raise RuntimeError(f"{stage_dir.name}: the loss became {loss.item()} in epoch {epoch + 1}; lower the learning rate")
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            total, batches = total + loss.item(), batches + 1
            bar.update(1)
            bar.set_postfix(loss=f"{total / batches:.4f}")
        bar.close()
        train_loss = mean_across(total / max(batches, 1), ranks)
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        for module in trainable.values():
            module.eval()
        val_auc = _finite(float(validate()), stage_dir, f"epoch {epoch + 1}")
        history.append(
            {"epoch": epoch + 1, "lr": lr, "train_loss": train_loss, "val_mean_auc": val_auc, "seconds": time.perf_counter() - began}
        )
        weights = {name: module.state_dict() for name, module in trainable.items()}
        improved = val_auc > best_auc
        if improved:
            best_auc, best_epoch = val_auc, epoch + 1
        if ranks.is_main:
            if improved:
                save_checkpoint(stage_dir / "best.pt", {"weights": weights, "epoch": best_epoch, "val_mean_auc": best_auc})
            save_checkpoint(
                last,
                {
                    "weights": weights,
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "epoch": epoch,
                    "history": history,
                    "best_val_auc": best_auc,
                    "best_epoch": best_epoch,
                },
            )
            write_log(stage_dir, history)
        barrier(ranks)  # the epoch's files exist before any process goes on (or reads best.pt)
        if progress:
            tqdm.write(f"{stage_dir.name} epoch {epoch + 1}/{settings.epochs}: loss {train_loss:.4f}, val mean AUC {val_auc:.4f}")
    return StageResult(stage_dir, best_epoch, best_auc, history)


def _finite(val_auc: float, stage_dir: Path, what: str) -> float:
    if not math.isfinite(val_auc):
        # No epoch could ever be chosen (best.pt would never be written): stop, and say why.
        raise RuntimeError(
            f"{stage_dir.name}: the validation score of {what} is undefined ({val_auc}): "
            "no class has both positive and negative validation films; use more patients or a larger validation split"
        )
    return val_auc


def _score_start(stage_dir: Path, trainable: dict[str, nn.Module], validate, history: list[dict], ranks, progress: bool):
    """Validate the untrained start as epoch 0; best.pt holds it until an epoch beats it."""
    began = time.perf_counter()
    for module in trainable.values():
        module.eval()
    val_auc = _finite(float(validate()), stage_dir, "the start (epoch 0)")
    history.append({"epoch": 0, "lr": None, "train_loss": None, "val_mean_auc": val_auc, "seconds": time.perf_counter() - began})
    if ranks.is_main:
        weights = {name: module.state_dict() for name, module in trainable.items()}
        save_checkpoint(stage_dir / "best.pt", {"weights": weights, "epoch": 0, "val_mean_auc": val_auc})
        write_log(stage_dir, history)
    barrier(ranks)
    if progress:
        tqdm.write(f"{stage_dir.name} start (epoch 0): val mean AUC {val_auc:.4f}")
    return val_auc, 0


def load_best(stage_dir: str | Path, modules: dict[str, nn.Module], device: torch.device | str = "cpu") -> dict:
    """Load a stage's best weights into `modules`; returns the checkpoint's metadata."""
    path = Path(stage_dir) / "best.pt"
    state = load_checkpoint(path, map_location=device, require=BEST_KEYS)
    for name, module in modules.items():
        if name not in state["weights"]:
            raise ValueError(f"{path}: holds {sorted(state['weights'])}, not {name!r}")
        load_weights(module, state["weights"][name], source=path)
    return {"epoch": state["epoch"], "val_mean_auc": state["val_mean_auc"]}


def write_log(stage_dir: Path, history: list[dict]) -> None:
    stage_dir.mkdir(parents=True, exist_ok=True)
    tmp = stage_dir / ".log.csv.tmp"
    pd.DataFrame(history).to_csv(tmp, index=False)
    tmp.replace(stage_dir / "log.csv")
    tmp = stage_dir / ".log.json.tmp"
    tmp.write_text(json.dumps(history, indent=1))
    tmp.replace(stage_dir / "log.json")
