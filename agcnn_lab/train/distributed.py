"""Training on several processes (torchrun): who this process is, and the few collective steps the stages need.

    torchrun --nproc_per_node=2 -m agcnn_lab train --profile gpu --out runs/ddp   # each process runs this
    ranks = from_environment()          # reads torchrun's RANK / WORLD_SIZE / LOCAL_RANK; starts the group
    with main_first(ranks):             # rank 0 generates and caches the data, the others then read it
        data = load_data(profile)
    with data_parallel(model, ("local_branch",), ranks):   # DistributedDataParallel for one stage
        ...

Without torchrun (or with one process) nothing here starts a process group, wraps a module or
waits: a plain run is exactly the single-process run. With N processes: NCCL on CUDA, gloo on a
CPU; each process trains on its share of every batch (the configured batch size is the GLOBAL
batch, split evenly, so the learning rate needs no scaling: the optimisation is that of one
process with the same batch), the frozen global branch and the attention crop run on each
process's own images, and only rank 0 writes files, prints and draws progress bars.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Ranks:
    """This process's place among the training processes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        """More than one process: the collective steps below do something."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the one that writes files, prints and draws progress bars."""
        return self.rank == 0


SINGLE = Ranks()


def from_environment() -> Ranks:
    """The ranks torchrun set in the environment (one process without them); with more than one
    process, the process group is started here (once): NCCL when CUDA is present, else gloo."""
    try:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError as err:
        raise RuntimeError(f"torchrun's RANK / WORLD_SIZE / LOCAL_RANK are not integers ({err})") from None
    ranks = Ranks(rank, world_size, local_rank)
    if ranks.active and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend)
    return ranks


def leave_process_group() -> None:
    """Leave the process group from_environment started, if any. Every torchrun entry point calls
    it on the way out: a process that exits with gloo's threads still running can abort
    ("terminate called without an active exception") after its work is done."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def current() -> Ranks:
    """The ranks of the running process group, or SINGLE when there is none."""
    if dist.is_available() and dist.is_initialized():
        return Ranks(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
    return SINGLE


def process_device(ranks: Ranks, device: torch.device) -> torch.device:
    """Each process its own GPU (cuda:LOCAL_RANK); the CPU is shared."""
    if ranks.active and device.type == "cuda":
        return torch.device("cuda", ranks.local_rank)
    return device


def barrier(ranks: Ranks | None = None) -> None:
    """Wait for every process (nothing to wait for alone)."""
    if (ranks or current()).active:
        dist.barrier()


@contextmanager
def main_first(ranks: Ranks | None = None):
    """Rank 0 runs the block first (generating, caching, writing), the others after it."""
    ranks = ranks or current()
    if not ranks.is_main:
        barrier(ranks)
    yield
    if ranks.is_main:
        barrier(ranks)


def mean_across(value: float, ranks: Ranks | None = None) -> float:
    """The mean of `value` over the processes (the training loss of a log line)."""
    ranks = ranks or current()
    if not ranks.active:
        return value
    tensor = torch.tensor([float(value)], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor)
    return float(tensor.item()) / ranks.world_size


def local_batch_size(batch_size: int, ranks: Ranks | None = None) -> int:
    """Each process's share of a global batch; refused when it does not split evenly."""
    ranks = ranks or current()
    if batch_size % ranks.world_size:
        raise ValueError(
            f"the batch size {batch_size} is the global batch and must split evenly over {ranks.world_size} processes"
        )
    return batch_size // ranks.world_size


@contextmanager
def data_parallel(model: nn.Module, names: tuple[str, ...], ranks: Ranks | None = None):
    """For the duration of a stage, model.<name> is its DistributedDataParallel wrapper (the
    gradients averaged over processes in backward), then the plain module again. Frozen
    modules are never wrapped: they have no gradients to share."""
    ranks = ranks or current()
    if not ranks.active:
        yield
        return
    plain = {name: getattr(model, name) for name in names}
    try:
        for name, module in plain.items():
            device = next(module.parameters()).device
            ids = [device.index] if device.type == "cuda" else None
            setattr(model, name, nn.parallel.DistributedDataParallel(module, device_ids=ids))
        yield
    finally:
        for name, module in plain.items():
            setattr(model, name, module)
