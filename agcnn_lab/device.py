"""One place that decides where tensors live: CUDA when present, else Apple's MPS, else the CPU.

    device = pick_device()          # or AGCNN_DEVICE=cpu to force one
"""

from __future__ import annotations

import os

import torch


def pick_device(prefer: str | None = None) -> torch.device:
    """`prefer` (or $AGCNN_DEVICE) when given and usable, otherwise the best device present."""
    wanted = prefer or os.environ.get("AGCNN_DEVICE")
    if wanted:
        device = torch.device(wanted)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {wanted!r} asked for, but torch sees no CUDA GPU")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"device {wanted!r} asked for, but MPS is not available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device) -> str:
    """A human line: 'cuda (NVIDIA H100 80GB HBM3)' or 'cpu (2 threads)'."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"{device.type} ({torch.get_num_threads()} threads)"
