"""What the notebook series shares: one run folder per profile, and the branches' predictions.

    RUN = series_dir(profile)                          # runs/notebooks-cpu
    run = train_run(profile, data, RUN, device, until="global")   # notebook 01 (02, 03 reuse it)
    run = train_run(profile, data, RUN, device, until="local")    # notebook 04
    run = train_run(profile, data, RUN, device)                   # notebook 05
    test = predict_split(run.model, data, profile, "test", device, branches=("global", "local"))

Each notebook calls train_run for the stages it needs: finished stages are loaded, missing ones
trained, tau chosen before stage II exactly as `agcnn-lab train` chooses it. So every notebook
runs alone, and a notebook run after its predecessors trains nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..config import Profile
from ..paths import runs_dir
from ..train.predict import predict_split

__all__ = ["describe_profile", "environment", "predict_split", "series_dir"]


def series_dir(profile: Profile) -> Path:
    """The run folder the notebooks share for `profile`: runs/notebooks-<profile>."""
    return runs_dir() / f"notebooks-{profile.name}"


def describe_profile(profile: Profile) -> str:
    """One paragraph: what `profile` sizes (data, images, backbone, epochs, tau)."""
    data, model, attention = profile.data, profile.model, profile.model.attention
    epochs = "/".join(str(profile.training.stage(s).epochs) for s in ("global", "local", "fusion"))
    tau = f"chosen on validation (start {attention.tau:g})" if attention.choose_tau else f"{attention.tau:g}"
    return (
        f"profile {profile.name!r}: PhantomCXR-14 of {data.phantom_patients:,} patients at {data.phantom_size} px; "
        f"global input {data.geometry.crop} px (resized to {data.geometry.resize}, then cropped), "
        f"local input {attention.crop_size} px cut from the {data.cache_size}-px source; backbone {model.backbone} "
        f"({'ImageNet start' if model.pretrained else 'from scratch'}); epochs global/local/fusion {epochs}; "
        f"heatmap {attention.reduce}, tau {tau}"
    )


def environment() -> dict[str, str]:
    """Where this notebook runs: Colab or not, Python, torch, the device pick_device() gives."""
    import platform
    import sys

    from ..device import describe_device, pick_device

    cuda = torch.version.cuda or "none"
    return {
        "Colab": "yes" if "google.colab" in sys.modules else "no",
        "Python": platform.python_version(),
        "torch": f"{torch.__version__} (CUDA build: {cuda})",
        "device": describe_device(pick_device()),
    }


NIH_HINT = "agcnn-lab prepare-nih --root {root}   # ~42 GB of downloads, then a 512-px cache"
CHESTMNIST_HINT = "pip install medmnist; then in Python: medmnist.ChestMNIST(split='train', size=224, download=True, root='{folder}')   # writes chestmnist_224.npz there"


@dataclass
class RealData:
    kind: str | None  # "nih", "chestmnist", or None when neither is on disk
    root: Path | None  # what load_data wants as root
    message: str  # a plain sentence for the notebook


def find_real_data(nih_root: str | Path, chestmnist: str | Path) -> RealData:
    """ChestX-ray14 as prepare-nih left it in `nih_root` (label table and images), else the
    ChestMNIST npz `chestmnist`, else neither, with what to run to get one."""
    from ..data.nih import present_images

    nih_root, chestmnist = Path(nih_root), Path(chestmnist)
    table = [nih_root / f"Data_Entry_2017_v2020.csv{z}" for z in ("", ".gz")]
    if any(p.is_file() for p in table) and nih_root.is_dir():
        count = len(present_images(nih_root))
        if count:
            return RealData("nih", nih_root, f"ChestX-ray14 found in {nih_root}: {count:,} images.")
    if chestmnist.is_file():
        return RealData("chestmnist", chestmnist, f"ChestMNIST found: {chestmnist} (no lesion boxes: no localisation scores).")
    return RealData(
        None,
        None,
        f"No real data here: neither ChestX-ray14 in {nih_root} nor ChestMNIST at {chestmnist}. "
        f"To get ChestX-ray14: {NIH_HINT.format(root=nih_root)}. Or ChestMNIST: {CHESTMNIST_HINT.format(folder=chestmnist.parent)}",
    )


def on_gpu(device: torch.device) -> bool:
    """True when `device` is an NVIDIA GPU (the paper's recipe wants one)."""
    return torch.device(device).type == "cuda"


def recipe_readiness(device: torch.device, found: RealData) -> tuple[bool, str]:
    """Whether notebook 06 can train the recipe here (a GPU and real data), and a plain sentence
    saying why not."""
    gpu = on_gpu(device)
    if gpu and found.kind is not None:
        return True, f"Ready: a GPU ({device}) and {found.kind} data. The training cells run (hours for the full recipe)."
    missing = []
    if not gpu:
        missing.append(f"no GPU here (device: {device})")
    if found.kind is None:
        missing.append("no real data on disk")
    return False, "Not training: " + " and ".join(missing) + ". The cells that need them are skipped; everything else ran."
