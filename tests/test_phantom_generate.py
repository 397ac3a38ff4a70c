"""PhantomCXR-14 on disk: the NIH layout, read back through the public data API."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agcnn_lab.cli import main as cli_main
from agcnn_lab.data import (
    CLASSES,
    official_split,
    read_boxes,
    read_entries,
    read_image,
    read_image_list,
)
from agcnn_lab.data.phantom import LOCALISED, PRESETS, Difficulty, generate
from agcnn_lab.profiles import get_profile

SIZE = 96


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("phantom") / "set", 12, size=SIZE, seed=3, workers=1)


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_layout_reads_back_through_the_public_api(small):
    assert generate(small, 12, size=SIZE, seed=3, workers=1) == small  # returns the Path
    entries = read_entries(small / "Data_Entry_2017_v2020.csv")
    boxes = read_boxes(small / "BBox_List_2017.csv")
    names = sorted(p.name for p in (small / "images").iterdir())
    assert names == sorted(entries["image"])
    assert list(entries["patient_id"].unique()) == list(range(1, 13))
    for row in entries.itertuples():
        assert row.image == f"{row.patient_id:08d}_{row.follow_up:03d}.png"
    assert set(entries["sex"]) <= {"M", "F"} and set(entries["view"]) <= {"PA", "AP"}
    split = official_split(entries, small / "train_val_list.txt", small / "test_list.txt", 0.1)
    assert sum(len(part) for part in split) == len(entries)
    assert set(boxes["image"]) <= set(entries["image"])
    assert set(boxes["label"]) <= set(LOCALISED)
    # Each image's boxes are exactly its localised labels (one box per instance, >= 1).
    for name, group in boxes.groupby("image"):
        row = entries.loc[entries["image"] == name].iloc[0]
        assert set(group["label"]) == {c for c in LOCALISED if row[c]}
    for row in entries.itertuples():
        wanted = {c for c in LOCALISED if getattr(row, c)}
        assert wanted == set(boxes.loc[boxes["image"] == row.image, "label"])


def test_images_are_8_bit_grayscale_of_the_size(small):
    for path in sorted((small / "images").iterdir())[:10]:
        with Image.open(path) as im:
            assert im.mode == "L" and im.size == (SIZE, SIZE)
        pixels = read_image(path)
        assert pixels.dtype == np.uint8 and pixels.std() > 10  # not blank


def test_boxes_lie_inside_their_images_release_spelling(small):
    boxes = read_boxes(small / "BBox_List_2017.csv")
    assert (boxes[["x", "y"]] >= 0).all().all()
    assert ((boxes["x"] + boxes["w"]) <= SIZE + 1e-6).all()
    assert ((boxes["y"] + boxes["h"]) <= SIZE + 1e-6).all()
    text = (small / "BBox_List_2017.csv").read_text()
    assert text.startswith("Image Index,Finding Label,Bbox [x,y,w,h],,,\n")
    assert ",Infiltration," not in text  # the release's box list says Infiltrate


def test_no_patient_in_both_lists(small):
    train_val = read_image_list(small / "train_val_list.txt")
    test = read_image_list(small / "test_list.txt")
    assert not set(train_val) & set(test)
    assert {n[:8] for n in train_val}.isdisjoint({n[:8] for n in test})
    assert len({n[:8] for n in test}) == round(0.2 * 12)


def test_same_arguments_same_bytes_for_any_number_of_workers(small, tmp_path):
    again = generate(tmp_path / "again", 12, size=SIZE, seed=3, workers=2)
    assert _hashes(again) == _hashes(small)
    other = generate(tmp_path / "other", 12, size=SIZE, seed=4, workers=1)
    assert _hashes(other) != _hashes(small)


def test_a_smaller_set_is_a_prefix_of_a_larger_one(small, tmp_path):
    fewer = generate(tmp_path / "fewer", 5, size=SIZE, seed=3, workers=1)
    for name, digest in _hashes(fewer).items():
        if name.startswith("images/"):
            assert _hashes(small)[name] == digest


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_patients=-3), "n_patients"),
        (dict(n_patients=0), "n_patients"),
        (dict(n_patients=2.5), "n_patients"),
        (dict(size=63), "size"),
        (dict(size=-512), "size"),
        (dict(seed=-1), "seed"),
        (dict(workers=0), "workers"),
        (dict(test_fraction=1.0), "test_fraction"),
        (dict(prevalence={"Nodul": 0.2}), "unknown class 'Nodul'"),
        (dict(prevalence={"Nodule": 2}), "prevalence of 'Nodule'"),
        (dict(prevalence_floor=-0.1), "floor"),
        (dict(difficulty={"nodule_contrast": (0.1, 0.2)}), "difficulty"),
    ],
)
def test_bad_arguments_raise_clear_errors(tmp_path, kwargs, message):
    args = dict(n_patients=2, size=64, seed=0, workers=1) | kwargs
    n = args.pop("n_patients")
    with pytest.raises(ValueError, match=message):
        generate(tmp_path / "out", n, **args)
    assert not (tmp_path / "out").exists()  # nothing written before the arguments are checked


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(nodule_contrast=(0.3, 0.2)), "nodule_contrast"),
        (dict(nodule_diameter=(-1.0, 4.0)), "nodule_diameter"),
        (dict(noise=(0.0, float("nan"))), "noise"),
        (dict(marker_probability=1.5), "marker_probability"),
        (dict(cardiomegaly_ratio=(0.6, 0.9)), "cardiomegaly_ratio"),
    ],
)
def test_bad_difficulty_raises_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Difficulty(**kwargs)


def test_difficulty_round_trips_and_rejects_unknown_keys():
    d = Difficulty(nodule_contrast=(0.1, 0.2))
    assert Difficulty.from_dict(json.loads(json.dumps(d.to_dict()))) == d
    with pytest.raises(ValueError, match="nodule_colour"):
        Difficulty.from_dict({"nodule_colour": 1})


def test_folders_are_never_clobbered(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a phantom set"):
        generate(foreign, 2, size=64, workers=1)
    assert (foreign / "notes.txt").read_text() == "keep me"

    root = generate(tmp_path / "set", 2, size=64, seed=1, workers=1)
    stamp = (root / "Data_Entry_2017_v2020.csv").stat().st_mtime_ns
    assert generate(root, 2, size=64, seed=1, workers=1) == root  # cached: nothing rewritten
    assert (root / "Data_Entry_2017_v2020.csv").stat().st_mtime_ns == stamp
    with pytest.raises(ValueError, match="other arguments"):
        generate(root, 3, size=64, seed=1, workers=1)
    (root / "images" / "my_annotation.png").write_bytes(b"x")
    generate(root, 3, size=64, seed=2, workers=1, overwrite=True)
    entries = read_entries(root / "Data_Entry_2017_v2020.csv")
    assert sorted(p.name for p in (root / "images").iterdir() if p.name != "my_annotation.png") == sorted(
        entries["image"]
    )
    assert (root / "images" / "my_annotation.png").read_bytes() == b"x"  # not ours: kept


def test_an_interrupted_set_is_regenerated(tmp_path):
    root = generate(tmp_path / "set", 2, size=64, seed=1, workers=1)
    before = _hashes(root)
    manifest = json.loads((root / "phantom.json").read_text())
    manifest["complete"] = False
    (root / "phantom.json").write_text(json.dumps(manifest))
    (root / "test_list.txt").unlink()
    generate(root, 2, size=64, seed=1, workers=1)
    assert _hashes(root) == before


@pytest.mark.slow
def test_prevalence_of_a_generated_set_within_tolerance(tmp_path):
    """~1,750 images at 64 px; each class within 4 sigma of its target, sigma with an
    effective sample of half the images (follow-ups of a patient are correlated)."""
    from agcnn_lab.data.phantom import LabelDistribution

    root = generate(tmp_path / "p", 600, size=64, seed=0, workers=2)
    entries = read_entries(root / "Data_Entry_2017_v2020.csv")
    targets = LabelDistribution.build().targets
    n = len(entries)
    for c in CLASSES:
        t = targets[c]
        assert abs(entries[c].mean() - t) <= 4 * np.sqrt(t * (1 - t) / (n / 2)), (c, entries[c].mean(), t)


def test_cli_make_phantom(tmp_path, capsys):
    assert cli_main(["make-phantom", "--out", str(tmp_path / "cli"), "--patients", "2", "--size", "64", "--workers", "1"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "cli" / "Data_Entry_2017_v2020.csv").is_file()
    assert cli_main(["make-phantom", "--out", str(tmp_path / "bad"), "--patients", "-1"]) == 2
    assert "argument --patients: must be >= 1, got -1" in capsys.readouterr().err


def test_cli_make_phantom_makes_the_demo_set_unless_told_another_preset(tmp_path, capsys):
    def difficulty_of(root):
        return json.loads((root / "phantom.json").read_text())["settings"]["difficulty"]

    small = ["--patients", "2", "--size", "64", "--workers", "1"]
    assert cli_main(["make-phantom", "--out", str(tmp_path / "demo"), *small]) == 0
    demo_preset = PRESETS[get_profile("cpu").data.phantom_preset]
    assert Difficulty.from_dict(difficulty_of(tmp_path / "demo")) == demo_preset
    assert cli_main(["make-phantom", "--out", str(tmp_path / "v2"), *small, "--preset", "v2"]) == 0
    assert Difficulty.from_dict(difficulty_of(tmp_path / "v2")) == PRESETS["v2"] != demo_preset
    capsys.readouterr()
    assert cli_main(["make-phantom", "--out", str(tmp_path / "bad"), *small, "--preset", "v9"]) == 2
    assert "unknown difficulty preset 'v9'" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_a_set_missing_a_table_is_regenerated(tmp_path):
    root = generate(tmp_path / "set", 2, size=64, seed=1, workers=1)
    before = _hashes(root)
    (root / "Data_Entry_2017_v2020.csv").unlink()
    generate(root, 2, size=64, seed=1, workers=1)
    assert _hashes(root) == before


def test_workers_do_not_hang_after_the_parent_used_opencv(tmp_path):
    """OpenCV's thread pool does not survive fork: a parent that rendered films in-process (a
    notebook, the look-alike measurement) once left its forked workers waiting forever."""
    import subprocess
    import sys

    script = (
        "import numpy as np, cv2\n"
        "from agcnn_lab.data.phantom import generate\n"
        "image = np.random.rand(512, 512).astype(np.float32)\n"
        "cv2.GaussianBlur(image, (0, 0), 5); cv2.resize(image, (1024, 1024))\n"
        f"generate({str(tmp_path / 'set')!r}, 12, size=128, seed=1, workers=2)\n"
        "print('done')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "done" in result.stdout, result.stderr[-2000:]


def test_the_images_checksum_is_recorded_and_follows_the_pixels(small, tmp_path):
    from agcnn_lab.data.phantom.generate import recorded_checksum

    checksum = recorded_checksum(small)
    assert checksum.startswith("sha1:") and json.loads((small / "phantom.json").read_text())["checksum"] == checksum
    assert recorded_checksum(generate(tmp_path / "same", 12, size=SIZE, seed=3, workers=2)) == checksum
    assert recorded_checksum(generate(tmp_path / "other", 12, size=SIZE + 32, seed=3, workers=1)) != checksum
    assert recorded_checksum(tmp_path) is None  # not a phantom set: nothing to compare


def test_a_set_whose_images_were_deleted_is_made_again(tmp_path):
    root = generate(tmp_path / "set", 2, size=64, seed=1, workers=1)
    before = _hashes(root)
    for path in (root / "images").iterdir():
        path.unlink()
    generate(root, 2, size=64, seed=1, workers=1)
    assert _hashes(root) == before


def test_an_unfinished_or_older_set_has_no_checksum_to_trust(tmp_path):
    from agcnn_lab.data.phantom.generate import recorded_checksum

    root = generate(tmp_path / "set", 2, size=64, seed=1, workers=1)
    manifest = json.loads((root / "phantom.json").read_text())
    older = {k: v for k, v in manifest.items() if k != "checksum"}  # written before checksums
    (root / "phantom.json").write_text(json.dumps(older))
    assert recorded_checksum(root).startswith("settings-sha1:")
    (root / "phantom.json").write_text(json.dumps({**manifest, "complete": False}))
    with pytest.raises(ValueError, match=r"set: an unfinished PhantomCXR-14 set; run generate\(\) on it again"):
        recorded_checksum(root)


def test_v4_places_the_same_lesions_more_loosely_than_v2_and_keeps_their_boxes_on_the_film(tmp_path):
    """v4 changes only the pose: the same patients' lesions spread wider over the film (what makes
    a fixed box weaker), and every box still lies on its film."""
    spreads = {}
    for name in ("v2", "v4"):
        root = generate(tmp_path / name, 120, size=64, seed=0, workers=1, difficulty=PRESETS[name])
        boxes = read_boxes(root / "BBox_List_2017.csv")
        assert len(boxes) > 100
        assert (boxes["x"] >= 0).all() and (boxes["y"] >= 0).all()
        assert (boxes["x"] + boxes["w"] <= 64).all() and (boxes["y"] + boxes["h"] <= 64).all()
        centre_y = (boxes["y"] + boxes["h"] / 2) / 64
        spreads[name] = centre_y.groupby(boxes["label"]).std()
    wider = spreads["v4"] > spreads["v2"]
    assert wider["Effusion"] and wider["Atelectasis"] and wider["Pneumothorax"], spreads
    assert wider.mean() >= 0.8, spreads
