"""One experiment end to end: data -> model -> three stages -> tau -> test predictions -> files.

    profile = get_profile("cpu")
    data = load_data(profile)
    run = run_experiment(profile, data, out="runs/demo-cpu")
    run.metrics["fusion"]["mean_auc"]
    run.metrics["attention_effect"]["local"]["mean"]   # crop minus whole film, with its ci95
    again = load_run("runs/demo-cpu")                       # the folder alone: its config.json, its weights

Besides G -> L -> F, every run trains the whole-film control unless
`profile.training.control` is off: a twin of stages II and III whose local branch is fed the
whole film at the crop's size, from the same start, with the same epochs, seed and
augmentation (out/whole_film/). Its branches are `local_whole_film` and `fusion_whole_film`;
the test AUC of the crop's branches minus theirs, with a paired bootstrap interval, is the
attention's own effect.

A run folder holds everything a result rests on, and its configuration first: `config.json`
(written before the first epoch; a folder holding another configuration is refused, naming the
fields that differ), the stages' checkpoints and logs, `run.json` (tau, device, times),
`tau_sweep.csv`, `predictions.csv` (test and val, every branch), `attention_boxes.csv` (where
each test and val film's crop was cut), `metrics.json` (test split) and `localisation.csv`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from .attention import AttentionCrop
from .config import CropFrom, ModelConfig, Profile, Stage, write_text_atomic
from .data.bundle import DataBundle, chestmnist_data, nih_data, phantom_data
from .data.classes import CLASSES
from .device import describe_device, pick_device
from .evaluate.attention_effect import attention_effect
from .evaluate.auc import mean_auc
from .evaluate.fixed_box import pointing_against_fixed_box
from .evaluate.lesion_in_box import box_effect_summary
from .evaluate.localisation import localisation_table
from .evaluate.predict import (
    ATTENTION_BOX_COLUMNS,
    attention_frame,
    branch_metrics,
    predictions_frame,
)
from .evaluate.tau_sweep import choose_tau, global_heatmaps, tau_sweep
from .models import AGCNN
from .run_folder import (
    CONFIG_FILE,
    RUN_FILE,
    RunFolderError,
    check_run_folder,
    claim_run_folder,
    read_run_folder,
    start_from_global_stage,
)
from .train.distributed import barrier, current, main_first, process_device
from .train.loader import make_loader
from .train.loop import load_best
from .train.precision import prepare_model
from .train.predict import Predictions, predict_split
from .train.stages import train_stage

CONTROL_DIR = "whole_film"  # the control's stages II and III, inside the run folder

__all__ = ["CONFIG_FILE", "RUN_FILE", "RunFolderError", "build_model", "evaluate_run", "load_data",
           "load_run", "run_experiment", "run_from_global_stage", "train_run", "validation_tau_sweep"]


def build_model(config: Profile | ModelConfig, tau: float | None = None) -> AGCNN:
    """The model a configuration describes (its `model` part), with its AttentionCrop."""
    model = config.model if isinstance(config, Profile) else config
    a = model.attention
    attention = AttentionCrop.from_config(a, **({} if tau is None else {"tau": tau}))
    return AGCNN(model.backbone, attention, num_classes=14, with_no_finding=model.with_no_finding,
                 pretrained=model.pretrained, **model.backbone_options)


def load_data(profile: Profile, progress: bool = True) -> DataBundle:
    """The data `profile.data` names: phantom (generated on first use), nih (a prepare-nih
    folder) or chestmnist (an npz)."""
    config = profile.data
    if config.kind == "phantom":
        return phantom_data(config, config.root, progress=progress, label=profile.name)
    if config.root is None:
        what = "the folder `agcnn-lab prepare-nih --root` filled" if config.kind == "nih" else "the path of chestmnist_*.npz"
        raise ValueError(f"data {config.kind!r} needs data.root (--data-root): {what}")
    if config.kind == "nih":
        return nih_data(config.root, config, progress=progress)
    return chestmnist_data(config.root, config)


@dataclass
class TrainedRun:
    out: Path
    profile: Profile
    model: AGCNN
    tau: float
    sweep: pd.DataFrame | None
    histories: dict
    seconds: dict
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
    progress: bool = True,
    until: str | None = None,
) -> TrainedRun:
    """The three stages (or the joint variant, `profile.training.joint`), resuming whatever `out`
    holds; after stage I the validation split's tau sweep is written (when its lesions are boxed)
    and tau chosen from it when the profile asks for it.
    Writes config.json first (refusing a folder of another configuration), run.json last.

    With `profile.training.control`, also trains the whole-film control's stages II and III
    (three-stage runs with the crop cut from the source only) in out/whole_film/.

    `until` ("global" or "local") stops after that stage, without writing run.json: the
    notebooks train one stage each, in the same order and with the same tau rule as here."""
    training, attention = profile.training, profile.model.attention
    if until not in (None, "global", "local", "fusion") or (until and training.joint):
        raise ValueError(f"until must be None, 'global', 'local' or 'fusion' (three-stage runs only), got {until!r}")
    ranks = current()
    out = check_run_folder(out, profile)
    with main_first(ranks):  # rank 0 writes config.json, the others then find it
        if ranks.is_main:
            claim_run_folder(out, profile)
    check_validation_labels(data)
    control = training.control and not training.joint and attention.crop_from == CropFrom.SOURCE and until is None
    device = process_device(ranks, device or pick_device())
    torch.manual_seed(training.seed)
    model = prepare_model(build_model(profile), device, training.amp)
    seconds, histories, sweep, twin = {}, {}, None, None
    stages = (Stage.JOINT,) if training.joint else (Stage.GLOBAL, Stage.LOCAL, Stage.FUSION)
    for stage in stages:
        if stage == Stage.LOCAL and data.boxes is not None:
            # Swept whenever the lesions are boxed: with a fixed tau the report still shows its box.
            sweep = validation_tau_sweep(model, data, profile, device)  # the same on every process
            if ranks.is_main:
                sweep.to_csv(out / "tau_sweep.csv", index=False)
            if attention.choose_tau:
                model.attention.tau = choose_tau(sweep, attention.min_hit, on=attention.tau_on.value)
        if stage == Stage.LOCAL and control:
            twin = model.whole_film_control()  # now, before stage II: the same start as the crop's
        began = time.perf_counter()
        histories[stage.value] = train_stage(stage, model, data, profile, out, device, progress, score=mean_auc).history
        seconds[stage.value] = time.perf_counter() - began
        if stage == until and stage != Stage.FUSION:
            return TrainedRun(out, profile, model, model.attention.tau, sweep, histories, seconds)
    if twin is not None:
        for stage in (Stage.LOCAL, Stage.FUSION):
            began = time.perf_counter()
            result = train_stage(stage, twin, data, profile, out / CONTROL_DIR, device, progress, score=mean_auc)
            histories[f"{stage.value}_{CONTROL_DIR}"] = result.history
            seconds[f"{stage.value}_{CONTROL_DIR}"] = time.perf_counter() - began
    run = {
        "profile": profile.name,
        "config": CONFIG_FILE,
        "data": data.name,
        "tau": model.attention.tau,
        "control": CONTROL_DIR if twin is not None else None,
        "device": describe_device(device),
        "world_size": ranks.world_size,
        "seconds": seconds,
        "sizes": {p: len(data.entries(p)) for p in data.parts},
    }
    if ranks.is_main:
        write_text_atomic(out / RUN_FILE, json.dumps(run, indent=1, default=str))
    barrier(ranks)
    return TrainedRun(out, profile, model, model.attention.tau, sweep, histories, seconds, twin)


def check_validation_labels(data: DataBundle) -> None:
    """Refuse, before any training, a validation split on which no class has both positive and
    negative films: its mean AUC is undefined, so no epoch could ever be chosen."""
    values = data.entries("val")[list(CLASSES)].to_numpy()
    positives = values.sum(axis=0)
    defined = (positives > 0) & (positives < len(values))
    if not defined.any():
        raise ValueError(
            f"{data.name}: the validation split ({len(values)} films) has no class with both positive and "
            "negative films, so its mean AUC is undefined and no epoch can be chosen; use more patients"
        )


def validation_tau_sweep(model, data: DataBundle, profile: Profile, device: torch.device) -> pd.DataFrame:
    """The tau sweep of the global branch on the validation split, as train_run runs it
    before stage II (notebook 03 shows the same table), with the boxes `profile`'s crop cuts
    (its model.attention: the model's own, or another box rule to compare)."""
    dataset = data.dataset("val", profile.data, with_no_finding=model.with_no_finding)
    loader = make_loader(dataset, profile.training.eval_batch_size, profile.training, shuffle=False)
    return tau_sweep(global_heatmaps(model, loader, device), data.boxes, data.entries("val"),
                     crop=AttentionCrop.from_config(profile.model.attention))


def load_run(out: str | Path, device: torch.device | None = None) -> TrainedRun:
    """A finished training run from its folder alone: its config.json, run.json, the best
    weights of each stage and its tau."""
    out = Path(out)
    profile, run = read_run_folder(out)
    device = device or pick_device()
    model = prepare_model(build_model(profile, tau=run["tau"]), device, profile.training.amp)
    histories = {}
    modules = {"global": {"global_branch": model.global_branch}, "local": {"local_branch": model.local_branch}, "fusion": {"fusion": model.fusion}}
    if profile.training.joint:
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
    return TrainedRun(out, profile, model, run["tau"], sweep, histories, run["seconds"], twin)


def evaluate_run(run: TrainedRun, data: DataBundle, device: torch.device | None = None, progress: bool = True) -> Experiment:
    """Test (and val) predictions of every branch; writes predictions.csv, attention_boxes.csv,
    metrics.json and localisation.csv (when the data has boxes)."""
    device = device or pick_device()
    profile = run.profile
    began = time.perf_counter()
    test = predict_split(run.model, data, profile, "test", device, control=run.control, progress=progress)
    val = predict_split(run.model, data, profile, "val", device, control=run.control, progress=progress)
    seed = profile.training.seed
    metrics = branch_metrics(test, seed=seed)
    if run.control is not None:
        metrics["attention_effect"] = attention_effect(test.labels, test.probs, seed=seed)
    frames = [predictions_frame(test, data.entries("test"), "test"), predictions_frame(val, data.entries("val"), "val")]
    pd.concat(frames, ignore_index=True).to_csv(run.out / "predictions.csv", index=False, float_format="%.9g")
    # Where each film's crop was cut (the local branch's and the fusion's input): what the
    # pointing game scores, and what evaluate.lesion_in_box splits the attention effect by.
    crops = {part: attention_frame(result, data.entries(part)) for part, result in (("test", test), ("val", val))}
    pd.concat([frame.assign(split=part) for part, frame in crops.items()], ignore_index=True)[ATTENTION_BOX_COLUMNS].to_csv(
        run.out / "attention_boxes.csv", index=False, float_format="%.6g")
    localisation = None
    if data.boxes is not None:
        attention = crops["test"]
        truth = data.boxes[data.boxes["image"].isin(set(attention["image"]))]
        if len(truth):
            localisation = localisation_table(attention, truth)
            localisation.to_csv(run.out / "localisation.csv")
            train_truth = data.boxes[data.boxes["image"].isin(set(data.entries("train")["image"]))]
            if len(train_truth):
                metrics["pointing"] = pointing_against_fixed_box(attention, truth, train_truth)
            if run.control is not None:  # the effect on the lesions the box holds, and on those it cut away
                metrics["attention_effect_by_box"] = box_effect_summary(frames[0], truth, attention.assign(split="test"), seed=seed)
    write_text_atomic(run.out / "metrics.json", json.dumps(metrics, indent=1))
    seconds = {**run.seconds, "evaluate": time.perf_counter() - began}
    return Experiment(
        run.out, profile, run.model, run.tau, run.sweep, run.histories, seconds, run.control,
        test, metrics, localisation,
    )


def run_experiment(
    profile: Profile,
    data: DataBundle,
    out: str | Path,
    device: torch.device | None = None,
    progress: bool = True,
) -> Experiment:
    """Train (resuming whatever `out` holds), then evaluate on the test split; under torchrun
    every process trains and rank 0 alone evaluates (the others return the trained run)."""
    device = device or pick_device()
    run = train_run(profile, data, out, device, progress=progress)
    if not current().is_main:
        return Experiment(run.out, run.profile, run.model, run.tau, run.sweep, run.histories, run.seconds, run.control)
    return evaluate_run(run, data, device, progress)


def run_from_global_stage(base: str | Path, out: str | Path, profile: Profile, data: DataBundle | None = None) -> Path:
    """A run of `profile` in `out` that starts from the finished stage I of the run folder `base`
    (copied; RunFolderError, before any work, unless the two configurations agree on everything
    stage I reads), trained, evaluated and reported (report.md, with the job's wall time) as
    `agcnn-lab demo --global-from` does. `data`: the bundle of `profile` (default: load_data)."""
    from .report import write_report  # matplotlib, only for the report

    start_from_global_stage(base, out, profile)
    began = time.perf_counter()
    data = data if data is not None else load_data(profile)
    experiment = run_experiment(profile, data, out)
    write_report(experiment, data, seconds_total=time.perf_counter() - began)
    return Path(out)
