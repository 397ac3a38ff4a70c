"""One experiment end to end: data -> model -> three stages -> tau -> test predictions -> files.

    profile = get_profile("cpu")
    data = load_data("phantom", profile)
    run = run_experiment(profile, data, out="runs/demo")
    run.metrics["fusion"]["mean_auc"]
    run.metrics["attention_effect"]["local"]["mean"]   # crop minus whole film, with its ci95

Besides G -> L -> F, every run trains the whole-film control by default (`control=False` skips
it): a twin of stages II and III whose local branch is fed the whole film at the crop's size,
from the same start, with the same epochs, seed and augmentation (out/whole_film/). Its
branches are `local_whole_film` and `fusion_whole_film`; the test AUC of the crop's branches
minus theirs, with a paired bootstrap interval, is the attention's own effect.

Everything a result rests on is written to `out`: the stages' checkpoints and logs,
`run.json` (profile, tau, device, times), `tau_sweep.csv`, `predictions.csv` (test and val,
every branch), `metrics.json` (test split) and `localisation.csv`.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from .data.bundle import DataBundle, chestmnist_data, nih_data, phantom_data
from .device import describe_device, pick_device
from .evaluate.attention_effect import attention_effect
from .evaluate.fixed_box import pointing_against_fixed_box
from .evaluate.localisation import localisation_table
from .evaluate.predict import (
    Predictions,
    attention_frame,
    branch_metrics,
    predict,
    predictions_frame,
)
from .evaluate.tau_sweep import choose_tau, global_heatmaps, tau_sweep
from .models import AGCNN
from .profiles import Profile
from .train.loop import load_best
from .train.stages import make_loader, train_stage

DATA_KINDS = ("phantom", "nih", "chestmnist")
CONTROL_DIR = "whole_film"  # the control's stages II and III, inside the run folder


def build_model(profile: Profile, tau: float | None = None, crop_from: str = "source") -> AGCNN:
    return AGCNN(
        profile.backbone,
        num_classes=14,
        with_no_finding=profile.with_no_finding,
        pretrained=profile.pretrained,
        tau=tau if tau is not None else profile.tau,
        reduce=profile.reduce,
        upsample=profile.upsample,
        crop_size=profile.crop_size,
        crop_from=crop_from,
        **profile.backbone_options,
    )


def load_data(kind: str, profile: Profile, root: str | Path | None = None, progress: bool = True) -> DataBundle:
    """phantom (generated on first use), nih (a prepare-nih folder) or chestmnist (an npz)."""
    if kind == "phantom":
        return phantom_data(profile, root, progress=progress)
    if kind == "nih":
        if root is None:
            raise ValueError("--data nih needs --data-root, the folder `agcnn-lab prepare-nih --root` filled")
        return nih_data(root, profile, progress=progress)
    if kind == "chestmnist":
        if root is None:
            raise ValueError("--data chestmnist needs --data-root, the path of chestmnist_*.npz")
        return chestmnist_data(root, profile)
    raise ValueError(f"unknown data {kind!r}; choose one of {', '.join(DATA_KINDS)}")


@dataclass
class TrainedRun:
    out: Path
    model: AGCNN
    tau: float
    sweep: pd.DataFrame | None
    histories: dict
    seconds: dict
    crop_from: str = "source"
    joint: bool = False
    control: AGCNN | None = None  # the whole-film twin (model.whole_film_control()), trained


@dataclass
class Experiment(TrainedRun):
    test: Predictions | None = None
    metrics: dict | None = None
    localisation: pd.DataFrame | None = None


def train_run(
    profile: Profile,
    data: DataBundle,
    out: str | Path,
    device: torch.device | None = None,
    joint: bool = False,
    crop_from: str = "source",
    progress: bool = True,
    until: str | None = None,
    control: bool = True,
) -> TrainedRun:
    """The three stages (or the joint variant), resuming whatever `out` holds; tau is chosen
    on the validation split after stage I when the profile asks for it. Writes run.json.

    `control` also trains the whole-film control's stages II and III (three-stage runs with
    the crop cut from the source only) in out/whole_film/.

    `until` ("global" or "local") stops after that stage, without writing run.json: the
    notebooks train one stage each, in the same order and with the same tau rule as here."""
    if until not in (None, "global", "local", "fusion") or (until and joint):
        raise ValueError(f"until must be None, 'global', 'local' or 'fusion' (three-stage runs only), got {until!r}")
    control = control and not joint and crop_from == "source" and until is None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    device = device or pick_device()
    torch.manual_seed(profile.seed)
    model = build_model(profile, crop_from=crop_from).to(device)
    seconds, histories, sweep, twin = {}, {}, None, None
    stages = ("joint",) if joint else ("global", "local", "fusion")
    for stage in stages:
        if stage == "local" and profile.choose_tau and data.boxes is not None:
            sweep = validation_tau_sweep(model, data, profile, device)
            sweep.to_csv(out / "tau_sweep.csv", index=False)
            model.attention.tau = choose_tau(sweep, profile.min_hit, on=profile.tau_on)
        if stage == "local" and control:
            twin = model.whole_film_control()  # now, before stage II: the same start as the crop's
        began = time.perf_counter()
        histories[stage] = train_stage(stage, model, data, profile, out, device, progress).history
        seconds[stage] = time.perf_counter() - began
        if stage == until and stage != "fusion":
            return TrainedRun(out, model, model.attention.tau, sweep, histories, seconds, crop_from, joint)
    if twin is not None:
        for stage in ("local", "fusion"):
            began = time.perf_counter()
            histories[f"{stage}_{CONTROL_DIR}"] = train_stage(stage, twin, data, profile, out / CONTROL_DIR, device, progress).history
            seconds[f"{stage}_{CONTROL_DIR}"] = time.perf_counter() - began
    run = {
        "profile": profile.name,
        "data": data.name,
        "tau": model.attention.tau,
        "crop_from": crop_from,
        "joint": joint,
        "control": CONTROL_DIR if twin is not None else None,
        "device": describe_device(device),
        "seconds": seconds,
        "sizes": {p: len(data.entries(p)) for p in data.parts},
        "settings": dataclasses.asdict(profile),
    }
    (out / "run.json").write_text(json.dumps(run, indent=1, default=str))
    return TrainedRun(out, model, model.attention.tau, sweep, histories, seconds, crop_from, joint, twin)


def validation_tau_sweep(model, data: DataBundle, profile: Profile, device: torch.device) -> pd.DataFrame:
    """The tau sweep of the global branch on the validation split, as train_run runs it
    before stage II (notebook 03 shows the same table)."""
    loader = make_loader(data.dataset("val", profile), profile.eval_batch_size, profile, shuffle=False)
    return tau_sweep(global_heatmaps(model, loader, device), data.boxes, data.entries("val"), upsample=profile.upsample)


def load_run(out: str | Path, profile: Profile, device: torch.device | None = None) -> TrainedRun:
    """A finished training run from its folder: the best weights of each stage, its tau."""
    out = Path(out)
    if not (out / "run.json").is_file():
        raise ValueError(f"{out}: no finished training run here (run.json is missing); train first")
    run = json.loads((out / "run.json").read_text())
    if run["profile"] != profile.name:
        raise ValueError(f"{out}: was trained with profile {run['profile']!r}, not {profile.name!r}")
    device = device or pick_device()
    model = build_model(profile, tau=run["tau"], crop_from=run["crop_from"]).to(device)
    histories = {}
    modules = {"global": {"global_branch": model.global_branch}, "local": {"local_branch": model.local_branch}, "fusion": {"fusion": model.fusion}}
    if run["joint"]:
        modules = {"joint": {k: v for part in modules.values() for k, v in part.items()}}
    for stage, parts in modules.items():
        load_best(out / f"stage_{stage}", parts, device)
        histories[stage] = json.loads((out / f"stage_{stage}" / "log.json").read_text())
    twin = None
    if run.get("control"):
        twin = model.whole_film_control()
        for stage, parts in {"local": {"local_branch": twin.local_branch}, "fusion": {"fusion": twin.fusion}}.items():
            folder = out / run["control"] / f"stage_{stage}"
            load_best(folder, parts, device)
            histories[f"{stage}_{run['control']}"] = json.loads((folder / "log.json").read_text())
    sweep = pd.read_csv(out / "tau_sweep.csv") if (out / "tau_sweep.csv").is_file() else None
    return TrainedRun(out, model, run["tau"], sweep, histories, run["seconds"], run["crop_from"], run["joint"], twin)


def evaluate_run(run: TrainedRun, data: DataBundle, profile: Profile, device: torch.device | None = None, progress: bool = True) -> Experiment:
    """Test (and val) predictions of every branch; writes predictions.csv, metrics.json and
    localisation.csv (when the data has boxes)."""
    device = device or pick_device()
    began = time.perf_counter()
    test = evaluate_split(run.model, data, profile, "test", device, progress, run.control)
    val = evaluate_split(run.model, data, profile, "val", device, progress, run.control)
    metrics = branch_metrics(test, seed=profile.seed)
    if run.control is not None:
        metrics["attention_effect"] = attention_effect(test.labels, test.probs, seed=profile.seed)
    frames = [predictions_frame(test, data.entries("test"), "test"), predictions_frame(val, data.entries("val"), "val")]
    pd.concat(frames, ignore_index=True).to_csv(run.out / "predictions.csv", index=False, float_format="%.9g")
    localisation = None
    if data.boxes is not None:
        attention = attention_frame(test, data.entries("test"))
        truth = data.boxes[data.boxes["image"].isin(set(attention["image"]))]
        if len(truth):
            localisation = localisation_table(attention, truth)
            localisation.to_csv(run.out / "localisation.csv")
            train_truth = data.boxes[data.boxes["image"].isin(set(data.entries("train")["image"]))]
            if len(train_truth):
                metrics["pointing"] = pointing_against_fixed_box(attention, truth, train_truth)
    (run.out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    seconds = {**run.seconds, "evaluate": time.perf_counter() - began}
    return Experiment(
        run.out, run.model, run.tau, run.sweep, run.histories, seconds, run.crop_from, run.joint, run.control,
        test, metrics, localisation,
    )


def run_experiment(
    profile: Profile,
    data: DataBundle,
    out: str | Path,
    device: torch.device | None = None,
    joint: bool = False,
    crop_from: str = "source",
    progress: bool = True,
    control: bool = True,
) -> Experiment:
    """Train (resuming whatever `out` holds), then evaluate on the test split."""
    device = device or pick_device()
    run = train_run(profile, data, out, device, joint=joint, crop_from=crop_from, progress=progress, control=control)
    return evaluate_run(run, data, profile, device, progress)


def evaluate_split(
    model, data: DataBundle, profile: Profile, part: str, device, progress: bool = True, control: AGCNN | None = None
) -> Predictions:
    """Every branch's predictions on `part`; with `control`, also its local and fusion branches
    under the names `local_whole_film` and `fusion_whole_film`."""
    dataset = data.dataset(part, profile, with_source=True)
    loader = make_loader(dataset, profile.eval_batch_size, profile, shuffle=False)
    return predict(model, loader, device, amp=profile.amp, progress=progress, control=control)
