"""The notebooks train one stage each through train_run(until=...): same order, same tau rule,
nothing trained twice, and run.json only once the run is whole."""

import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from agcnn_lab.experiment import train_run
from agcnn_lab.notebook.series import predict_split, series_dir

CPU = torch.device("cpu")


def test_series_dir_is_one_folder_per_profile(ci_profile, monkeypatch, tmp_path):
    monkeypatch.setenv("AGCNN_RUNS", str(tmp_path))
    assert series_dir(ci_profile) == tmp_path / "notebooks-ci"


def test_until_global_stops_before_tau_and_writes_no_run_json(tmp_path, ci_run, ci_data, ci_profile):
    shutil.copytree(ci_run.out / "stage_global", tmp_path / "stage_global")
    shutil.copy(ci_run.out / "config.json", tmp_path)  # the run's configuration comes with its checkpoints
    run = train_run(ci_profile, ci_data, tmp_path, CPU, progress=False, until="global")
    assert list(run.histories) == ["global"] and run.sweep is None
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "stage_local").exists()
    assert run.histories["global"] == ci_run.histories["global"]


def test_until_local_chooses_tau_as_the_whole_run_does(tmp_path, ci_run, ci_data, ci_profile):
    for stage in ("global", "local"):
        shutil.copytree(ci_run.out / f"stage_{stage}", tmp_path / f"stage_{stage}")
    shutil.copy(ci_run.out / "config.json", tmp_path)
    run = train_run(ci_profile, ci_data, tmp_path, CPU, progress=False, until="local")
    assert run.tau == ci_run.tau == run.model.attention.tau
    pd.testing.assert_frame_equal(run.sweep, pd.read_csv(ci_run.out / "tau_sweep.csv"), check_exact=False)
    assert not (tmp_path / "run.json").exists() and not (tmp_path / "stage_fusion").exists()
    # The notebooks' predictions of the two branches match the full run's test predictions.
    test = predict_split(run.model, ci_data, ci_profile, "test", CPU, branches=("global", "local"), progress=False)
    assert set(test.probs) == {"global", "local"}
    for branch in ("global", "local"):
        np.testing.assert_allclose(test.probs[branch], ci_run.test.probs[branch], atol=1e-5)


def test_until_is_checked(tmp_path, ci_data, ci_profile):
    with pytest.raises(ValueError, match="until must be"):
        train_run(ci_profile, ci_data, tmp_path, CPU, until="stage II")
    with pytest.raises(ValueError, match="until must be"):
        train_run(ci_profile.with_changes(**{"training.joint": True}), ci_data, tmp_path, CPU, until="global")


def test_predict_split_global_only_needs_no_sources(ci_run, ci_data, ci_profile):
    val = predict_split(ci_run.model, ci_data, ci_profile, "val", CPU, branches=("global",), progress=False)
    assert set(val.probs) == {"global"} and np.isnan(val.boxes).all()
    assert len(val.indices) == len(ci_data.entries("val"))


def test_describe_profile_and_environment(ci_profile):
    from agcnn_lab.notebook.series import describe_profile, environment

    text = describe_profile(ci_profile)
    assert text.startswith("profile 'ci': PhantomCXR-14 of 40 patients at 128 px")
    assert "epochs global/local/fusion 2/2/2" in text and "tau chosen on validation" in text
    env = environment()
    assert env["Colab"] == "no" and env["device"].startswith(("cpu", "cuda", "mps"))


def test_find_real_data(tmp_path):
    from agcnn_lab.notebook.series import find_real_data

    nih, npz = tmp_path / "nih", tmp_path / "chestmnist" / "chestmnist_224.npz"
    found = find_real_data(nih, npz)
    assert found.kind is None and "agcnn-lab prepare-nih --root" in found.message and "ChestMNIST" in found.message
    npz.parent.mkdir()
    npz.write_bytes(b"")
    assert find_real_data(nih, npz).kind == "chestmnist"
    (nih / "images").mkdir(parents=True)
    (nih / "Data_Entry_2017_v2020.csv.gz").write_bytes(b"")
    assert find_real_data(nih, npz).kind == "chestmnist"  # a table without images is not data
    (nih / "images" / "00000001_000.png").write_bytes(b"")
    found = find_real_data(nih, npz)
    assert (found.kind, found.root) == ("nih", nih) and "1 images" in found.message


def test_recipe_readiness():
    from agcnn_lab.notebook.series import RealData, recipe_readiness

    none, nih = RealData(None, None, ""), RealData("nih", None, "")
    ready, why = recipe_readiness(torch.device("cpu"), none)
    assert not ready and why == "Not training: no GPU here (device: cpu) and no real data on disk. The cells that need them are skipped; everything else ran."
    ready, why = recipe_readiness(torch.device("cpu"), nih)
    assert not ready and "no GPU" in why and "no real data" not in why
    ready, why = recipe_readiness(torch.device("cuda", 0), none)
    assert not ready and "no GPU" not in why and "no real data" in why
    assert recipe_readiness(torch.device("cuda", 0), nih)[0]


def test_recipe_hours_counts_three_stages_of_fifty_epochs():
    from agcnn_lab.notebook import recipe_hours

    assert recipe_hours(3 * 50 * 1000 / 3600, train_images=1000) == pytest.approx(1.0)  # 150 epochs of 1000 in an hour
    assert recipe_hours(100, train_images=3600, epochs=1, stages=1) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="images_per_second must be > 0"):
        recipe_hours(0)


def test_train_recipe_uses_torchrun_with_two_gpus_and_trains_here_otherwise(tmp_path, monkeypatch):
    from agcnn_lab.notebook import series
    from agcnn_lab.profiles import get_profile

    calls = []
    monkeypatch.setattr("agcnn_lab.experiment.load_data", lambda profile: "data")
    monkeypatch.setattr("agcnn_lab.experiment.run_experiment", lambda *a, **k: calls.append(("here", a[2])) or "experiment")
    monkeypatch.setattr("agcnn_lab.experiment.load_run", lambda out, device: calls.append(("load", out)) or "run")
    monkeypatch.setattr("agcnn_lab.experiment.evaluate_run", lambda run, data, device: "evaluated")
    profile = get_profile("ci")
    assert series.train_recipe(profile, tmp_path / "run", torch.device("cpu")) == ("experiment", "data")
    assert calls == [("here", tmp_path / "run")]
    calls.clear()
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    result = series.train_recipe(profile, tmp_path / "run", torch.device("cuda", 0), run=lambda cmd, check: calls.append(cmd))
    assert result == ("evaluated", "data")
    command = calls[0]
    assert "--nproc_per_node=2" in command and command[command.index("--out") + 1] == str(tmp_path / "run")
    from agcnn_lab.config import Profile

    assert Profile.read(command[command.index("--config") + 1]) == profile


def test_convergence_note_reads_the_last_two_epochs():
    from agcnn_lab.notebook import convergence_note

    def history(*aucs):
        return [{"epoch": k + 1, "val_mean_auc": a} for k, a in enumerate(aucs)]

    assert convergence_note(history(0.85, 0.92, 0.944)).startswith("still rising at the last epoch (0.920 -> 0.944, +0.024)")
    assert convergence_note(history(0.90, 0.9405)).startswith("still rising")
    assert convergence_note(history(0.93, 0.931)).startswith("flat at the last epoch")
    assert convergence_note(history(0.94, 0.93)).startswith("falling at the last epoch")
    assert convergence_note(history(0.9)).startswith("one epoch only")


def test_easy_and_hard_names_the_extremes():
    from agcnn_lab.notebook import easy_and_hard

    metrics = {"global": {"auc": {"Effusion": 1.0, "Nodule": 0.70, "Mass": 0.87, "Hernia": float("nan"), "Edema": 0.98}}}
    assert easy_and_hard(metrics, count=2) == "easiest for the global branch: Effusion 1.000, Edema 0.980; hardest: Nodule 0.700, Mass 0.870."


def test_describe_stages_prints_the_profiles_recipe():
    from agcnn_lab.notebook import describe_stages
    from agcnn_lab.profiles import get_profile

    cpu = get_profile("cpu")
    lines = describe_stages(cpu).splitlines()
    assert lines[0] == ("stage I (global): 5 epochs, batch 32, SGD lr 0.01 (no drop within its 5 epochs), "
                        "momentum 0.9, weight decay 0.0001")
    assert "divided by 10 after epoch 2" in lines[1] and lines[2].startswith("stage III (fusion): 1 epoch, batch 32")
    assert lines[3] == "stage II starts the local branch from a copy of the trained global branch (training.local_from_global = True)"
    assert lines[4].startswith("stage III starts the fusion layer as the mean of the two classifiers (an ensemble)")
    changed = cpu.with_changes(**{"training.stages.global.lr": 0.05, "training.local_from_global": False})
    text = describe_stages(changed)
    assert "SGD lr 0.05" in text and "the backbone's ImageNet weights (training.local_from_global = False)" in text
    gpu = describe_stages(get_profile("gpu"))
    assert "50 epochs, batch 128, SGD lr 0.01 (divided by 10 after epoch 20)" in gpu


def test_describe_attention_says_where_the_mask_is_thresholded():
    from agcnn_lab.notebook import describe_attention
    from agcnn_lab.profiles import get_profile

    cpu = get_profile("cpu")
    text = describe_attention(cpu, (8, 8))
    assert text.startswith("heatmap max on a 8x8 grid of the 128-px global input (one cell = 16 px)")
    assert "upsampled to the 128-px input (model.attention.upsample = True)" in text
    assert text.endswith("the box is cut from the 512-px source (model.attention.crop_from = source) and resized to 128 px for the local branch")
    on_grid = describe_attention(cpu.with_changes(**{"model.attention.upsample": False, "model.attention.crop_from": "input"}), (8, 8))
    assert "thresholded on the 8x8 grid itself (model.attention.upsample = False), so a box edge falls every 16 px" in on_grid
    assert "cut from the 128-px global input itself (model.attention.crop_from = input: no zoom)" in on_grid
    whole = describe_attention(cpu.with_changes(**{"model.attention.crop_from": "whole"}), (8, 8))
    assert whole.endswith("the local branch gets the whole film at 128 px, no box (model.attention.crop_from = whole: the control)")
    assert "one cell = 32 px" in describe_attention(get_profile("gpu"), (7, 7))


def test_hottest_cells_box_the_argmax_cell():
    from agcnn_lab.notebook import hottest_cells

    maps = torch.zeros(2, 4, 8)
    maps[0, 1, 5] = 1.0
    maps[1, 3, 0] = 0.5
    maps[1, 0, 7] = 0.5  # a tie: the first in reading order wins
    boxes = hottest_cells(maps, 64)
    torch.testing.assert_close(boxes, torch.tensor([[40.0, 16.0, 48.0, 32.0], [56.0, 0.0, 64.0, 16.0]]))


def _lesions(rows):
    """Synthetic lesion_attention rows: (image, truth box, attention box, hottest cell), normalised."""
    records = []
    for image, truth, box, peak in rows:
        records.append({"image": image, "label": "Nodule", "position": len(records), "x0": truth[0], "y0": truth[1],
                        "x1": truth[2], "y1": truth[3], "box_x0": box[0], "box_y0": box[1], "box_x1": box[2], "box_y1": box[3],
                        "peak_x0": peak[0], "peak_y0": peak[1], "peak_x1": peak[2], "peak_y1": peak[3]})
    return pd.DataFrame(records)


LEFT, RIGHT = (0.1, 0.4, 0.2, 0.5), (0.8, 0.4, 0.9, 0.5)  # small lesions, one in each lung
BIG, SMALL_LEFT, MIDDLE = (0.0, 0.0, 1.0, 1.0), (0.05, 0.35, 0.3, 0.6), (0.35, 0.2, 0.65, 0.9)
CELL_LEFT, CELL_MIDDLE = (0.1, 0.4, 0.2, 0.5), (0.45, 0.45, 0.55, 0.55)


def test_pick_hits_and_misses_prefers_single_films_telling_misses_and_tight_hits():
    from agcnn_lab.notebook import pick_hits_and_misses

    lesions = _lesions([
        ("a.png", LEFT, BIG, CELL_MIDDLE),            # hit, but by a box of the whole film
        ("b.png", LEFT, SMALL_LEFT, CELL_LEFT),       # hit with a tight box
        ("c.png", LEFT, MIDDLE, CELL_MIDDLE),         # miss: the heatmap looked away
        ("d.png", LEFT, SMALL_LEFT, CELL_LEFT),       # a film with two lesions: one hit ...
        ("d.png", RIGHT, SMALL_LEFT, CELL_LEFT),      # ... one miss (one box cannot hold both)
        ("e.png", LEFT, MIDDLE, CELL_LEFT),           # miss with the hottest cell on the lesion
        ("f.png", RIGHT, SMALL_LEFT, CELL_MIDDLE),    # miss, heatmap elsewhere
    ])
    picked = pick_hits_and_misses(lesions, k=2)
    assert list(picked["kind"]) == ["hit", "hit", "miss", "miss"]
    assert list(picked["image"]) == ["b.png", "a.png", "e.png", "c.png"]  # tight hit first; peak-on-lesion miss first
    assert picked["single"].all() and picked["image"].is_unique
    assert list(picked["hit"]) == [True, True, False, False] and list(picked["peak_hit"]) == [True, False, True, False]
    # k = 1: one of each; k larger than there are films: every film at most once, the two-lesion film last.
    assert list(pick_hits_and_misses(lesions, k=1)["image"]) == ["b.png", "e.png"]
    many = pick_hits_and_misses(lesions, k=5)
    assert many["image"].is_unique and set(many["image"]) == {"a.png", "b.png", "c.png", "d.png", "e.png", "f.png"}
    assert pick_hits_and_misses(lesions, k=0).empty
    with pytest.raises(ValueError, match="k must be >= 0"):
        pick_hits_and_misses(lesions, k=-1)


def test_pick_hits_and_misses_without_misses_or_hottest_cells():
    from agcnn_lab.notebook import pick_hits_and_misses

    lesions = _lesions([("a.png", LEFT, BIG, CELL_LEFT), ("b.png", RIGHT, BIG, CELL_LEFT)])
    picked = pick_hits_and_misses(lesions, k=2)
    assert list(picked["kind"]) == ["hit", "hit"]
    plain = pick_hits_and_misses(lesions.drop(columns=["peak_x0", "peak_y0", "peak_x1", "peak_y1"]), k=2)
    assert "peak_hit" not in plain and len(plain) == 2
    # The lesion's centre on the box's edge counts as inside, as the pointing game counts it.
    edge = _lesions([("a.png", (0.2, 0.4, 0.4, 0.6), (0.3, 0.3, 0.5, 0.7), CELL_LEFT)])
    assert pick_hits_and_misses(edge, k=1)["kind"].tolist() == ["hit"]


def test_hits_and_misses_note_counts_the_two_kinds_of_miss():
    from agcnn_lab.notebook import hits_and_misses_note

    lesions = _lesions([
        ("b.png", LEFT, SMALL_LEFT, CELL_LEFT),
        ("c.png", LEFT, MIDDLE, CELL_MIDDLE),
        ("e.png", LEFT, MIDDLE, CELL_LEFT),
        ("d.png", LEFT, SMALL_LEFT, CELL_LEFT),
        ("d.png", RIGHT, SMALL_LEFT, CELL_LEFT),
    ])
    assert hits_and_misses_note(lesions, 0.7) == (
        "at tau 0.7 the box holds the centre of 2 of the 5 lesions (40%) and misses 3; on the 3 films with a single "
        "lesion it holds 33%. Of the 3 misses, 1 had the heatmap's hottest cell on the lesion (the box went to a larger "
        "region above tau: the largest region wins, not the hottest) and 2 had it elsewhere (the heatmap itself looked away)."
    )
    assert hits_and_misses_note(lesions.iloc[:1], 0.5).endswith("and misses 0; on the 1 film with a single lesion it holds 100%.")


def test_lesion_attention_scores_as_the_localisation_table(ci_run, ci_data, ci_profile):
    """The boxes of lesion_attention are localisation_by_method's: the same pointing game."""
    from agcnn_lab.evaluate.attention_maps import localisation_by_method
    from agcnn_lab.figures.heatmaps import plot_heatmap_methods
    from agcnn_lab.notebook import hit_and_miss_examples, lesion_attention, score_lesions

    lesions = lesion_attention(ci_run.model, ci_data, ci_profile, "val", CPU, tau=ci_run.tau, batch_size=5)
    table = localisation_by_method(ci_run.model, ci_data, ci_profile, "val", CPU, tau=ci_run.tau, methods=("max",))
    scored = score_lesions(lesions)
    assert len(scored) == table.loc["max", "lesions"] and scored["hit"].mean() == pytest.approx(table.loc["max", "hit"])
    assert ((scored[["box_x0", "box_y0", "peak_x0", "peak_y0"]] >= -1e-6).all().all()
            and (scored[["box_x1", "box_y1", "peak_x1", "peak_y1"]] <= 1 + 1e-6).all().all())

    examples = hit_and_miss_examples(ci_run.model, ci_data, ci_profile, "val", CPU, tau=0.7, k=2)
    picked, n = examples["picked"], len(examples["picked"])
    assert 1 <= n <= 4 and examples["images"].shape[0] == n and examples["boxes"]["max"].shape == (n, 4)
    assert [label.split(":")[0] for label in examples["row_labels"]] == [k.upper() for k in picked["kind"]]
    for truth, image in zip(examples["truth"], picked["image"], strict=True):
        assert len(truth) == (ci_data.boxes["image"] == image).sum()
    fig = plot_heatmap_methods(examples["images"], examples["maps"], examples["truth"], examples["boxes"], examples["row_labels"])
    assert len([ax for ax in fig.axes if ax.get_label() != "<colorbar>"]) == 2 * n


# --- 02: the global branch from random weights, beside the profile's start --------------------

def _first_conv(model) -> torch.Tensor:
    """The global branch's first convolution's weights (the filters ImageNet would have set)."""
    return next(p for p in model.global_branch.parameters() if p.ndim == 4).detach().clone()


def _first_conv_requires_grad(model) -> bool:
    return next(p for p in model.global_branch.parameters() if p.ndim == 4).requires_grad


def test_scratch_profile_starts_every_block_from_random_weights(tmp_path, ci_profile):
    import torchvision

    from agcnn_lab.experiment import build_model
    from agcnn_lab.notebook import scratch_profile

    # A stand-in for the ImageNet file: torchvision's MobileNetV2 with recognisable first filters.
    weights = torchvision.models.mobilenet_v2(weights=None).state_dict()
    weights["features.0.0.weight"].fill_(0.5)
    torch.save(weights, tmp_path / "mobilenet_v2.pth")
    imagenet = ci_profile.with_changes(**{
        "name": "ci-imagenet", "model.backbone": "mobilenet_v2", "model.pretrained": True,
        "model.backbone_options": {"weights_path": str(tmp_path / "mobilenet_v2.pth"), "frozen_blocks": 2},
    })
    twin = scratch_profile(imagenet)
    assert twin.name == "ci-imagenet-scratch" and not twin.model.pretrained
    assert twin.model.backbone_options == {"frozen_blocks": 0}  # no weights file, nothing frozen at random
    assert [d.split(":")[0] for d in imagenet.differences(twin)] == ["model.backbone_options", "model.pretrained", "name"]
    started = build_model(imagenet)
    assert (_first_conv(started) == 0.5).all()
    assert not _first_conv_requires_grad(started)  # frozen as ImageNet left it
    random = build_model(twin)
    assert not torch.allclose(_first_conv(random), _first_conv(started))
    assert _first_conv_requires_grad(random) and all(p.requires_grad for p in random.global_branch.parameters())
    # A profile that already starts from scratch (ci's tiny CNN) changes its name only.
    assert [d.split(":")[0] for d in ci_profile.differences(scratch_profile(ci_profile))] == ["name"]


def test_scratch_twin_trains_in_its_own_folder_then_loads(tmp_path, monkeypatch, ci_data, ci_profile):
    from agcnn_lab.config import Profile
    from agcnn_lab.experiment import build_model
    from agcnn_lab.notebook import scratch_profile, scratch_twin
    from agcnn_lab.run_folder import check_run_folder

    monkeypatch.setenv("AGCNN_RUNS", str(tmp_path))
    twin = scratch_twin(ci_profile, ci_data, CPU, progress=False)
    assert twin.out == series_dir(ci_profile) / "scratch_global" == tmp_path / "notebooks-ci" / "scratch_global"
    assert Profile.read(twin.out / "config.json") == scratch_profile(ci_profile) == twin.profile
    assert list(twin.histories) == ["global"] and len(twin.histories["global"]) == ci_profile.training.stage("global").epochs
    assert sorted(p.name for p in twin.out.iterdir()) == ["config.json", "stage_global"]  # stage I only
    # Trained from random weights: its start is build_model's under the run's seed, and it moved from there.
    torch.manual_seed(ci_profile.training.seed)
    start = build_model(scratch_profile(ci_profile))
    assert not torch.allclose(_first_conv(twin.model), _first_conv(start))
    # The series' own run folder beside it is untouched and still takes the profile's run.
    assert not (series_dir(ci_profile) / "config.json").exists()
    check_run_folder(series_dir(ci_profile), ci_profile)

    # Again: loaded, not trained (no checkpoint written, no file touched), the same weights.
    files = {p: p.stat().st_mtime_ns for p in twin.out.rglob("*") if p.is_file()}

    def no_training(*args, **kwargs):
        raise AssertionError("an epoch ran: the twin was trained again")

    monkeypatch.setattr("agcnn_lab.train.loop.save_checkpoint", no_training)
    again = scratch_twin(ci_profile, ci_data, CPU, progress=False)
    assert {p: p.stat().st_mtime_ns for p in twin.out.rglob("*") if p.is_file()} == files
    assert again.histories == twin.histories
    for (name, mine), theirs in zip(twin.model.global_branch.state_dict().items(),
                                    again.model.global_branch.state_dict().values(), strict=True):
        torch.testing.assert_close(mine, theirs, msg=name)


def test_scratch_examples_and_localisation_are_aligned(ci_data, ci_profile):
    from agcnn_lab.evaluate.attention_maps import localisation_by_method, method_examples
    from agcnn_lab.experiment import build_model
    from agcnn_lab.figures.heatmaps import plot_heatmap_methods
    from agcnn_lab.notebook import (
        scratch_examples,
        scratch_localisation,
        scratch_note,
        scratch_profile,
        start_names,
    )

    torch.manual_seed(1)
    model = build_model(ci_profile)
    torch.manual_seed(2)
    scratch = build_model(scratch_profile(ci_profile))
    names = start_names(ci_profile)
    assert names == ("ci's own start (from scratch too)", "random start")
    assert start_names(ci_profile.with_changes(**{"model.pretrained": True}))[0] == "ImageNet start"

    shown = scratch_examples(model, scratch, ci_data, ci_profile, "val", CPU, tau=0.7, count=3)
    columns = [f"max, {name}" for name in names]
    assert list(shown["maps"]) == list(shown["boxes"]) == columns
    n = len(shown["images"])
    assert 1 <= n <= 3 and len(shown["truth"]) == len(shown["row_labels"]) == n
    for column in columns:
        assert shown["maps"][column].shape[0] == n and shown["boxes"][column].shape == (n, 4)
    assert not np.allclose(shown["maps"][columns[0]], shown["maps"][columns[1]])  # two networks, two maps
    # The same films, rows and boxes as method_examples gives each model on its own.
    alone = method_examples(scratch, ci_data, ci_profile, "val", CPU, count=3, tau=0.7, methods=("max",))
    np.testing.assert_array_equal(shown["images"], alone["images"])
    assert shown["row_labels"] == alone["row_labels"]
    np.testing.assert_allclose(shown["boxes"][columns[1]], alone["boxes"]["max"])
    fig = plot_heatmap_methods(shown["images"], shown["maps"], shown["truth"], shown["boxes"], shown["row_labels"])
    assert len([ax for ax in fig.axes if ax.get_label() != "<colorbar>"]) == 3 * n

    table = scratch_localisation(model, scratch, ci_data, ci_profile, "val", CPU, tau=0.7)
    assert list(table.index) == list(names)
    for name, net in zip(names, (model, scratch), strict=True):
        expected = localisation_by_method(net, ci_data, ci_profile, "val", CPU, tau=0.7, methods=("max",)).loc["max"]
        pd.testing.assert_series_equal(table.loc[name], expected, check_names=False)
    lines = scratch_note(table, 0.7).splitlines()
    assert len(lines) == 2 and [line.split(":")[0] for line in lines] == list(names)


def test_scratch_note_reads_hit_and_area():
    from agcnn_lab.notebook import scratch_note

    table = pd.DataFrame({"lesions": [50, 50], "hit": [0.9, 0.96], "area": [0.4, 0.83]},
                         index=["ImageNet start", "random start"])
    assert scratch_note(table, 0.7) == (
        "ImageNet start: at tau 0.7 the box holds the centre of 90% of the 50 validation lesions, with a box of 40% "
        "of the image on average\n"
        "random start: at tau 0.7 the box holds the centre of 96% of the 50 validation lesions, with a box of 83% "
        "of the image on average"
    )
