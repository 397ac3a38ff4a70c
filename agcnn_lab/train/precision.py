"""Mixed precision and memory layout: one rule for training and prediction, on CUDA only.

    model = prepare_model(model, device, amp=True)      # .to(device), channels_last on CUDA
    with autocast(device, amp=True):
        logits = model.global_branch(images).logits

On a CPU (and MPS) both are no-ops, so a CPU run is bit-for-bit the plain float32 run.
bfloat16 where the card supports it (no loss scaling needed), else float16 with a GradScaler.
"""

from __future__ import annotations

from contextlib import nullcontext

import torch
from torch import nn


def uses_amp(device: torch.device, amp: bool) -> bool:
    return bool(amp) and device.type == "cuda"


def autocast_dtype(device: torch.device, amp: bool) -> torch.dtype | None:
    """bfloat16 or float16 under AMP on CUDA; None (float32) otherwise."""
    if not uses_amp(device, amp):
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def autocast(device: torch.device, amp: bool):
    """The autocast context of training and prediction alike."""
    dtype = autocast_dtype(device, amp)
    return torch.autocast("cuda", dtype=dtype) if dtype is not None else nullcontext()


def grad_scaler(device: torch.device, amp: bool) -> torch.amp.GradScaler:
    """Loss scaling, needed by float16 only."""
    return torch.amp.GradScaler("cuda", enabled=autocast_dtype(device, amp) == torch.float16)


def prepare_model(model: nn.Module, device: torch.device, amp: bool = False) -> nn.Module:
    """The model on `device`; under AMP on CUDA also in channels_last, which tensor cores want."""
    model = model.to(device)
    if uses_amp(device, amp):
        model = model.to(memory_format=torch.channels_last)
    return model
