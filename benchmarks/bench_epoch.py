"""Is the GPU fed? Images per second of stage I on the phantom, and the share of time spent waiting for data.

Stage I as train_stage runs it (the profile's model placed by prepare_model, its loader, its AMP
rule, SGD), for a number of steps after a warm-up; each step is split into the wait for the next
batch and the rest (forward, backward, step; synchronised on CUDA). The waiting share says
whether the loader keeps the card busy (near 0: fed); on CUDA with pynvml present, the card's
own busy share (nvidia-smi's utilization) is sampled too. Under torchrun every process trains
on its share of each global batch and rank 0 prints the total throughput.

    python benchmarks/bench_epoch.py --profile gpu --data-profile cpu --device cuda   # 224 px, AMP
    torchrun --nproc_per_node=2 benchmarks/bench_epoch.py --profile gpu --data-profile cpu --device cuda
    python benchmarks/bench_epoch.py --profile ci --data-profile ci --steps 3 --warmup 1   # a dry run on a CPU

It prints Markdown for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from agcnn_lab.device import describe_device, pick_device
from agcnn_lab.experiment import build_model, load_data
from agcnn_lab.profiles import get_profile
from agcnn_lab.train.distributed import (
    data_parallel,
    from_environment,
    leave_process_group,
    main_first,
    mean_across,
    process_device,
)
from agcnn_lab.train.loader import make_loader
from agcnn_lab.train.precision import autocast, grad_scaler, prepare_model
from agcnn_lab.train.stages import bce


def gpu_busy(device: torch.device) -> float | None:
    """The card's utilisation (0..1) now, when pynvml can tell; None otherwise."""
    if device.type != "cuda":
        return None
    try:
        return torch.cuda.utilization(device) / 100
    except Exception:  # pynvml missing or no NVML: say nothing rather than guess
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="gpu", help="the model, input size, batch and AMP rule")
    parser.add_argument("--data-profile", default="cpu", help="the profile whose phantom set gives the images")
    parser.add_argument("--device", default=None)
    parser.add_argument("--steps", type=int, default=50, help="timed steps")
    parser.add_argument("--warmup", type=int, default=5, help="steps run first and not counted")
    parser.add_argument("--workers", type=int, default=None, help="loader processes (default: the profile's)")
    args = parser.parse_args()

    ranks = from_environment()
    profile = get_profile(args.profile).with_changes(**{"model.pretrained": False})  # timing needs no weights
    if args.workers is not None:
        profile = profile.with_changes(**{"training.workers": args.workers})
    device = process_device(ranks, pick_device(args.device))
    with main_first(ranks):
        data = load_data(get_profile(args.data_profile), progress=False)
    torch.manual_seed(0)
    model = prepare_model(build_model(profile), device, profile.training.amp)
    settings = profile.training.stage("global")
    dataset = data.dataset("train", profile.data, train=True)
    amp = profile.training.amp
    scaler = grad_scaler(device, amp)
    optimiser = torch.optim.SGD(model.global_branch.parameters(), lr=settings.lr, momentum=settings.momentum)
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    waits, computes, busy, images = [], [], [], 0
    with data_parallel(model, ("global_branch",), ranks):
        epoch, batches = 0, iter(())
        for step in range(args.warmup + args.steps):
            t0 = time.perf_counter()
            batch = next(batches, None)
            while batch is None:  # a new epoch's loader when the last one ran out
                batches = iter(make_loader(dataset, settings.batch_size, profile.training, shuffle=True, epoch=epoch))
                epoch, batch = epoch + 1, next(batches, None)
            images_, labels = batch.image.to(device, non_blocking=True), batch.labels.to(device, non_blocking=True)
            sync()
            t1 = time.perf_counter()
            with autocast(device, amp):
                loss = bce(model.global_branch(images_).logits, labels)
            optimiser.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimiser)
            scaler.update()
            sync()
            t2 = time.perf_counter()
            if step >= args.warmup:
                waits.append(t1 - t0)
                computes.append(t2 - t1)
                images += len(images_)
                if (share := gpu_busy(device)) is not None:
                    busy.append(share)
    seconds = sum(waits) + sum(computes)
    per_second = mean_across(images / seconds, ranks) * ranks.world_size
    waiting = mean_across(sum(waits) / seconds, ranks)
    if not ranks.is_main:
        return
    geometry = profile.data.geometry
    print(f"Stage I, profile {profile.name} ({profile.model.backbone}, {geometry.crop} px, global batch "
          f"{settings.batch_size}, AMP {'on' if amp and device.type == 'cuda' else 'off'}), "
          f"{profile.training.workers} loader processes per rank, {ranks.world_size} process(es), "
          f"{describe_device(device)}, {args.steps} steps after {args.warmup}:\n")
    print("| images/s (all processes) | waiting for data | compute per step (median) | GPU busy (sampled) |")
    print("| --- | --- | --- | --- |")
    gpu = f"{statistics.mean(busy):.0%}" if busy else "n/a"
    print(f"| {per_second:.0f} | {waiting:.0%} | {statistics.median(computes) * 1000:.0f} ms | {gpu} |")


if __name__ == "__main__":
    try:
        main()
    finally:
        leave_process_group()
