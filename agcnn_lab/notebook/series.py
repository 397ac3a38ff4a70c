"""What the notebook series shares: one run folder per profile, and the branches' predictions.

    RUN = series_dir(profile)                          # runs/notebooks-cpu
    run = train_run(profile, data, RUN, device, until="global")   # notebook 01 (02, 03 reuse it)
    run = train_run(profile, data, RUN, device, until="local")    # notebook 04
    run = train_run(profile, data, RUN, device)                   # notebook 05
    test = predict_split(run.model, data, profile, "test", device, branches=("global", "local"))
    scratch = scratch_twin(profile, data, device)   # notebook 02: stage I from random weights, in RUN/scratch_global

Each notebook calls train_run for the stages it needs: finished stages are loaded, missing ones
trained, tau chosen before stage II exactly as `agcnn-lab train` chooses it. So every notebook
runs alone, and a notebook run after its predecessors trains nothing twice.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ..config import Profile
from ..data.locate import KAGGLE_INPUT, RealData, locate_real_data
from ..paper import RECIPE
from ..paths import runs_dir
from ..train.predict import predict_split

__all__ = [
    "describe_attention", "describe_profile", "describe_stages", "environment", "feature_grid", "hit_and_miss_examples",
    "hits_and_misses_note", "hottest_cells", "lesion_attention", "pick_hits_and_misses", "predict_split", "scratch_examples",
    "scratch_localisation", "scratch_note", "scratch_profile", "scratch_twin", "score_lesions", "series_dir", "start_names",
]


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
        return (f"still rising at the last epoch ({before:.3f} -> {last:.3f}, {change:+.3f}): not shown to have "
                "converged; only a longer run can tell whether more epochs help (the kept epoch is chosen on "
                "validation either way).")
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


# --- what the notebooks print about the profile, from the profile -----------------------------

STAGE_NAMES = {"global": "stage I (global)", "local": "stage II (local)", "fusion": "stage III (fusion)"}


def describe_stages(profile: Profile) -> str:
    """One line per stage of `profile`: epochs, batch, SGD's learning rate and when it drops, and
    where stage II starts the local branch from, and how stage III starts (printed by notebook 01
    rather than written)."""
    lines = []
    for stage, title in STAGE_NAMES.items():
        s = profile.training.stage(stage)
        drop = (f"divided by 10 after epoch {s.lr_drop_epoch}" if s.lr_drop_epoch < s.epochs
                else f"no drop within its {s.epochs} epoch{'s' if s.epochs != 1 else ''}")
        lines.append(f"{title}: {s.epochs} epoch{'s' if s.epochs != 1 else ''}, batch {s.batch_size}, SGD lr {s.lr:g} "
                     f"({drop}), momentum {s.momentum:g}, weight decay {s.weight_decay:g}")
    model = profile.model
    start = ("a copy of the trained global branch (training.local_from_global = True)" if profile.training.local_from_global
             else f"the backbone's {'ImageNet weights' if model.pretrained else 'random initialisation'} "
                  "(training.local_from_global = False)")
    lines.append(f"stage II starts the local branch from {start}")
    lines.append("stage III starts the fusion layer as the mean of the two classifiers (an ensemble) and keeps that "
                 "start when validation scores no trained epoch above it")
    return "\n".join(lines)


def describe_attention(profile: Profile, grid: tuple[int, int]) -> str:
    """Where the mask is thresholded and what a feature cell covers, for a heatmap of `grid`
    (h, w) cells on the profile's global input: a sentence for notebooks 02 and 03."""
    attention, size = profile.model.attention, profile.data.geometry.crop
    h, w = grid
    cell = f"{size / w:g} px" if h == w else f"{size / w:g} x {size / h:g} px"
    where = (f"the mask is thresholded on the heatmap upsampled to the {size}-px input (model.attention.upsample = True), "
             "so a box edge can fall on any pixel" if attention.upsample else
             f"the mask is thresholded on the {h}x{w} grid itself (model.attention.upsample = False), so a box edge "
             f"falls every {cell}")
    crop, source = attention.crop_size or size, str(attention.crop_from)
    cut = {
        "source": f"the box is cut from the {profile.data.cache_size}-px source (model.attention.crop_from = source) "
                  f"and resized to {crop} px for the local branch",
        "input": f"the box is cut from the {size}-px global input itself (model.attention.crop_from = input: no zoom) "
                 f"and resized to {crop} px for the local branch",
        "whole": f"the local branch gets the whole film at {crop} px, no box (model.attention.crop_from = whole: the control)",
    }[source]
    return f"heatmap {attention.reduce} on a {h}x{w} grid of the {size}-px global input (one cell = {cell}); {where}; {cut}"


def feature_grid(model, profile: Profile) -> tuple[int, int]:
    """(h, w) of the global branch's last feature maps for the profile's global input."""
    size = profile.data.geometry.crop
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        features = model.global_branch(torch.zeros(1, 1, size, size, device=device)).features
    return tuple(int(v) for v in features.shape[-2:])


# --- 02: hits and misses of the attention box ------------------------------------------------

TRUTH = ["x0", "y0", "x1", "y1"]
BOX = ["box_x0", "box_y0", "box_x1", "box_y1"]
PEAK = ["peak_x0", "peak_y0", "peak_x1", "peak_y1"]


def lesion_attention(model, data, profile: Profile, part: str, device: torch.device, tau: float,
                     reduce: str | None = None, batch_size: int | None = None):
    """One row per ground-truth lesion of `part`: image, label, position (in the evaluation
    dataset), its box (x0..y1) and, in the same frame (normalised source coordinates), the
    attention box AttentionCrop cuts at `tau` (box_x0..box_y1, thresholded as the profile says:
    upsampled or on the grid) and the heatmap's hottest cell (peak_x0..peak_y1). The boxes are
    those evaluate.attention_maps.localisation_by_method scores."""
    import pandas as pd

    from ..attention import AttentionCrop
    from ..data.geometry import input_boxes_to_source
    from ..evaluate.attention_maps import lesion_batches, lesion_samples, method_heatmaps

    reduce = reduce or profile.model.attention.reduce
    dataset, lesions = lesion_samples(data, profile, part)
    batch_size = batch_size or profile.training.eval_batch_size
    boxes, peaks = [], []
    for rows, images, frames in lesion_batches(dataset, lesions, batch_size, device):
        size = images.shape[-1]
        maps = method_heatmaps(model, images, rows["target"].tolist(), (reduce,))[reduce].float().cpu()
        found = AttentionCrop.from_config(profile.model.attention, tau=tau).boxes(maps, size)
        boxes.append(input_boxes_to_source(found, frames, size))
        peaks.append(input_boxes_to_source(hottest_cells(maps, size), frames, size))
    return pd.concat(
        [lesions[["image", "label", "position", *TRUTH]].reset_index(drop=True),
         pd.DataFrame(torch.cat(boxes).numpy(), columns=BOX), pd.DataFrame(torch.cat(peaks).numpy(), columns=PEAK)],
        axis=1,
    )


def hottest_cells(maps: torch.Tensor, image_size: int) -> torch.Tensor:
    """(B, h, w) heatmaps -> (B, 4) the pixel box (x0, y0, x1, y1) of each map's hottest cell
    on an `image_size` input (the first one on ties)."""
    batch, h, w = maps.shape
    flat = maps.reshape(batch, -1).argmax(dim=1)
    row, col = flat // w, flat % w
    cell_w, cell_h = image_size / w, image_size / h
    return torch.stack([col * cell_w, row * cell_h, (col + 1) * cell_w, (row + 1) * cell_h], dim=1).float()


def score_lesions(lesions):
    """A lesion_attention table with, per lesion: hit (its centre lies in the attention box, the
    pointing game), peak_hit (its centre lies in the hottest cell) and single (alone on its film)."""
    from ..attention.boxes import pointing_hits
    from ..evaluate.localisation import single_lesion

    truth = lesions[TRUTH].to_numpy(dtype=float)
    scored = lesions.assign(hit=pointing_hits(lesions[BOX].to_numpy(dtype=float), truth),
                            single=single_lesion(lesions["image"]))
    if set(PEAK) <= set(lesions.columns):
        scored = scored.assign(peak_hit=pointing_hits(lesions[PEAK].to_numpy(dtype=float), truth))
    return scored


def pick_hits_and_misses(lesions, k: int = 2):
    """Up to `k` hits and `k` misses (a miss: the lesion's centre lies outside the attention box)
    from a table of lesions with their attention boxes (lesion_attention's; the hottest cells
    optional), one lesion per film and no film in both groups. Films with a single lesion come
    first (there a miss is the heatmap's, not the one box's); among the misses, those whose
    hottest cell lies on the lesion come first (the box went to a larger region elsewhere);
    among the hits, the smallest boxes (a hit by a box of the whole film shows nothing).
    Returns the chosen rows, scored (score_lesions) and with `kind` "hit" or "miss", hits first."""
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    scored = score_lesions(lesions.reset_index(drop=True))
    chosen, used = {"hit": [], "miss": []}, set()
    # Misses first: they are the rarer kind, so they get the first pick of the films.
    area = (scored["box_x1"] - scored["box_x0"]) * (scored["box_y1"] - scored["box_y0"])
    for kind, keep in (("miss", ~scored["hit"]), ("hit", scored["hit"])):
        if kind == "miss":
            keys, ascending = (["single", "peak_hit"], [False, False]) if "peak_hit" in scored else (["single"], [False])
        else:
            keys, ascending = ["single", "area_"], [False, True]
        pool = scored[keep].assign(area_=area[keep]).sort_values(keys, ascending=ascending, kind="stable")  # ties: table order
        for position, row in pool.iterrows():
            if len(chosen[kind]) >= k:
                break
            if row["image"] not in used:
                used.add(row["image"])
                chosen[kind].append(position)
    picked = scored.loc[chosen["hit"] + chosen["miss"]].assign(kind=["hit"] * len(chosen["hit"]) + ["miss"] * len(chosen["miss"]))
    return picked.reset_index(drop=True)


def hits_and_misses_note(lesions, tau: float) -> str:
    """A sentence on a lesion_attention table at `tau`: how many lesions the box holds, how many
    it misses, and how many misses had the heatmap's hottest cell on the lesion."""
    scored = score_lesions(lesions)
    total, hits = len(scored), int(scored["hit"].sum())
    misses = scored[~scored["hit"]]
    single = scored[scored["single"]]
    text = (f"at tau {tau:g} the box holds the centre of {hits} of the {total} lesions ({hits / max(total, 1):.0%}) "
            f"and misses {len(misses)}")
    if len(single):
        films = "film" if len(single) == 1 else "films"
        text += f"; on the {len(single)} {films} with a single lesion it holds {single['hit'].mean():.0%}"
    if "peak_hit" in scored and len(misses):
        on = int(misses["peak_hit"].sum())
        text += (f". Of the {len(misses)} misses, {on} had the heatmap's hottest cell on the lesion (the box went to a "
                 f"larger region above tau: the largest region wins, not the hottest) and {len(misses) - on} had it "
                 "elsewhere (the heatmap itself looked away)")
    return text + "."


def hit_and_miss_examples(model, data, profile: Profile, part: str, device: torch.device, tau: float,
                          k: int = 2, reduce: str | None = None) -> dict:
    """k hits and k misses of the attention box on `part` (pick_hits_and_misses over
    lesion_attention), ready for figures.heatmaps.plot_heatmap_methods: images, maps {reduce:
    (N, h, w)}, truth (per film, [(label, box in input pixels)]), boxes {reduce: (N, 4) input
    pixels}, row_labels; plus `picked` (the chosen lesions) and `lesions` (every lesion of
    `part`, for hits_and_misses_note)."""
    from ..attention import AttentionCrop
    from ..evaluate.attention_maps import lesion_samples, method_heatmaps, truth_in_input

    reduce = reduce or profile.model.attention.reduce
    lesions = lesion_attention(model, data, profile, part, device, tau, reduce)
    picked = pick_hits_and_misses(lesions, k)
    dataset, everything = lesion_samples(data, profile, part)
    samples = [dataset[int(p)] for p in picked["position"]]
    empty = {"images": np.zeros((0, 1, 1)), "maps": {reduce: np.zeros((0, 1, 1))}, "truth": [],
             "boxes": {reduce: np.zeros((0, 4))}, "row_labels": [], "picked": picked, "lesions": lesions}
    if not samples:
        return empty
    images = torch.stack([s.image for s in samples]).to(device)
    frames = torch.stack([s.frame for s in samples])
    size = images.shape[-1]
    maps = method_heatmaps(model, images, None, (reduce,))[reduce].float().cpu()
    boxes = AttentionCrop.from_config(profile.model.attention, tau=tau).boxes(maps, size)
    truth = truth_in_input(everything, list(picked["image"]), frames, size)
    labels = [f"{row.kind.upper()}: {row.image}\n{row.label}" + (" (peak on it)" if row.kind == "miss" and getattr(row, "peak_hit", False) else "")
              for row in picked.itertuples()]
    return {"images": images[:, 0].cpu().numpy(), "maps": {reduce: maps.numpy()}, "truth": truth,
            "boxes": {reduce: boxes.numpy()}, "row_labels": labels, "picked": picked, "lesions": lesions}


# --- 02: the same global branch from random weights, beside the ImageNet start ----------------

SCRATCH_DIR = "scratch_global"  # the twin's run folder, inside the series' run folder


def scratch_profile(profile: Profile) -> Profile:
    """`profile` with its backbone started from random weights, under its own name
    (<name>-scratch): the same architecture, data, stages and seed. No weights file
    (`weights_path` would load one) and no frozen blocks: blocks frozen as ImageNet left them
    would stay random here, so every block learns."""
    options = {k: v for k, v in profile.model.backbone_options.items() if k != "weights_path"}
    if "frozen_blocks" in options:
        options["frozen_blocks"] = 0
    return profile.with_changes(**{"name": f"{profile.name}-scratch", "model.pretrained": False,
                                   "model.backbone_options": options})


def scratch_twin(profile: Profile, data, device: torch.device, progress: bool = True):
    """Stage I of `profile`'s global branch from random weights (scratch_profile), trained on
    the same data into series_dir(profile)/scratch_global, or loaded from there when that
    folder holds it (train_run(until="global"): a finished stage is not trained again). Its
    own folder, because a run folder refuses another configuration. Returns the TrainedRun
    (`.model`, `.out`, `.histories`); its stage II and III are never trained."""
    from ..experiment import train_run

    return train_run(scratch_profile(profile), data, series_dir(profile) / SCRATCH_DIR, device,
                     progress=progress, until="global")


def start_names(profile: Profile) -> tuple[str, str]:
    """The two starts compared, as column and row names: the profile's own, then the twin's.
    (A profile that already starts from scratch, ci's tiny CNN, is named so.)"""
    own = "ImageNet start" if profile.model.pretrained else f"{profile.name}'s own start (from scratch too)"
    return own, "random start"


def scratch_examples(model, scratch, data, profile: Profile, part: str, device: torch.device, tau: float,
                     count: int = 3, reduce: str | None = None) -> dict:
    """What figures.heatmaps.plot_heatmap_methods draws for the same `count` lesion films of
    `part` (evaluate.attention_maps.method_examples' choice, which depends on the films only):
    each model's `reduce` heatmap (the profile's, max) and its box at `tau` as two columns,
    named by start_names. images (N, S, S), maps and boxes {column: (N, h, w) / (N, 4)},
    truth and row_labels, aligned row by row."""
    from ..evaluate.attention_maps import method_examples

    reduce = reduce or profile.model.attention.reduce
    merged = None
    for name, net in zip(start_names(profile), (model, scratch), strict=True):
        shown = method_examples(net, data, profile, part, device, count=count, tau=tau, methods=(reduce,))
        column = f"{reduce}, {name}"
        if merged is None:
            merged = {**shown, "maps": {}, "boxes": {}}
        elif not np.array_equal(shown["images"], merged["images"]) or shown["row_labels"] != merged["row_labels"]:
            raise RuntimeError("the two models were shown different films")  # method_examples picks by the films only
        merged["maps"][column] = shown["maps"][reduce]
        merged["boxes"][column] = shown["boxes"][reduce]
    return merged


def scratch_localisation(model, scratch, data, profile: Profile, part: str, device: torch.device, tau: float,
                         reduce: str | None = None):
    """evaluate.attention_maps.localisation_by_method's row of `reduce` for each model, on every
    lesion of `part` at `tau`: lesions, hit (pointing game), iobb, iou and area (the box's
    mean share of the film), one row per start (start_names)."""
    import pandas as pd

    from ..evaluate.attention_maps import localisation_by_method

    reduce = reduce or profile.model.attention.reduce
    rows = [localisation_by_method(net, data, profile, part, device, tau=tau, methods=(reduce,)).loc[reduce]
            for net in (model, scratch)]
    return pd.DataFrame(rows, index=pd.Index(start_names(profile), name="start"))


def scratch_note(table, tau: float, part: str = "val") -> str:
    """One line per start of a scratch_localisation table: hit rate and mean box area at `tau`."""
    split = {"val": "validation", "train": "training"}.get(part, part)
    return "\n".join(
        f"{name}: at tau {tau:g} the box holds the centre of {row['hit']:.0%} of the {int(row['lesions'])} {split} "
        f"lesions, with a box of {row['area']:.0%} of the image on average"
        for name, row in table.iterrows()
    )
