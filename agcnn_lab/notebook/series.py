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

from dataclasses import replace
from pathlib import Path

import torch

from ..config import Profile
from ..data.locate import KAGGLE_INPUT, RealData, locate_real_data
from ..paper import RECIPE
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


def find_real_data(nih_root: str | Path, chestmnist: str | Path, kaggle_input: str | Path = KAGGLE_INPUT) -> RealData:
    """ChestX-ray14 in `nih_root` or mounted on Kaggle, else the ChestMNIST npz, else neither,
    with what to run to get one (data.locate.locate_real_data, and the commands)."""
    found = locate_real_data(nih_root, chestmnist, kaggle_input)
    if found.kind is not None:
        return found
    hints = (f"To get ChestX-ray14: {NIH_HINT.format(root=nih_root)}. "
             f"Or ChestMNIST: {CHESTMNIST_HINT.format(folder=Path(chestmnist).parent)}")
    return replace(found, message=f"{found.message} {hints}")


# The official train_val list less the validation share carved out of it by patient (12.5%):
# the training films of a stage's epoch on ChestX-ray14 (06's exercise counts them).
OFFICIAL_TRAIN_IMAGES = 75_705


def recipe_hours(images_per_second: float, train_images: int = OFFICIAL_TRAIN_IMAGES,
                 epochs: int = RECIPE.epochs, stages: int = 3) -> float:
    """Hours of training for the paper's recipe at `images_per_second` (stage I's, as
    benchmarks/gpu_check.sh measures it): a lower bound, since stages II and III also run the
    frozen global branch and every epoch ends with a validation pass."""
    if not images_per_second > 0:
        raise ValueError(f"images_per_second must be > 0, got {images_per_second!r}")
    return stages * epochs * train_images / images_per_second / 3600


def convergence_note(history: list[dict], flat: float = 0.002) -> str:
    """Whether a stage's validation AUC had stopped rising when the stage ended: a sentence."""
    if len(history) < 2:
        return "one epoch only: nothing to say about convergence."
    last, before = history[-1]["val_mean_auc"], history[-2]["val_mean_auc"]
    change = last - before
    if change > flat:
        return (f"still rising at the last epoch ({before:.3f} -> {last:.3f}, {change:+.3f}): not converged; "
                "more epochs would likely help, and the profile stops here for time.")
    if change < -flat:
        return f"falling at the last epoch ({before:.3f} -> {last:.3f}): the kept epoch is an earlier one."
    return f"flat at the last epoch ({before:.3f} -> {last:.3f}): converged for this learning rate."


def easy_and_hard(metrics: dict, branch: str = "global", count: int = 3) -> str:
    """The findings a branch ranks best and worst on the test split: a sentence."""
    aucs = sorted(((auc, name) for name, auc in metrics[branch]["auc"].items() if auc == auc), reverse=True)
    best = ", ".join(f"{name} {auc:.3f}" for auc, name in aucs[:count])
    worst = ", ".join(f"{name} {auc:.3f}" for auc, name in aucs[-count:][::-1])
    return f"easiest for the {branch} branch: {best}; hardest: {worst}."


def torchrun_command(config: str | Path, out: str | Path, processes: int) -> list[str]:
    """`agcnn-lab train` under torchrun on this machine, one process per GPU (as in README)."""
    import sys

    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
            "-m", "agcnn_lab", "train", "--config", str(config), "--out", str(out)]


def train_recipe(profile: Profile, out: str | Path, device: torch.device, run=None):
    """Train and test `profile` into `out`: in this process on one device, or under torchrun with
    one process per GPU when there are two or more (Kaggle's two T4s); returns (experiment, data).
    `run` replaces subprocess.run (tests)."""
    import subprocess

    from ..experiment import evaluate_run, load_data, load_run, run_experiment

    out = Path(out)
    gpus = torch.cuda.device_count() if on_gpu(device) else 0
    if gpus >= 2:
        config = profile.write(out.with_name(f"{out.name}.config.json"))
        (run or subprocess.run)(torchrun_command(config, out, gpus), check=True)
        data = load_data(profile)
        return evaluate_run(load_run(out, device), data, device), data
    data = load_data(profile)
    return run_experiment(profile, data, out, device), data


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
