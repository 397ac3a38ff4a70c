"""Where the real data is: a prepare-nih folder, a Kaggle mount (faked here), a ChestMNIST npz, or nowhere."""

import pytest

from agcnn_lab.data.locate import find_release, link_release, locate_real_data
from agcnn_lab.data.nih import prepare_nih, present_images


def _kaggle_mount(input_root, images=("00000001_000.png", "00000002_000.png")):
    """The NIH mirror as Kaggle mounts it: /kaggle/input/<dataset>/images_0XX/images/, Data_Entry_2017.csv."""
    import numpy as np
    from PIL import Image

    release = input_root / "nih-chest-xrays" / "data"
    (release / "images_001" / "images").mkdir(parents=True)
    for name in images:
        Image.fromarray(np.full((32, 32), 100, np.uint8)).save(release / "images_001" / "images" / name)
    rows = ["Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
            "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y],"]
    rows += [f"{name},No Finding,0,{k + 1},40,M,PA,32,32,0.1,0.1," for k, name in enumerate(images)]
    (release / "Data_Entry_2017.csv").write_text("\n".join(rows) + "\n")
    return release


def test_nothing_found_says_where_it_looked(tmp_path):
    found = locate_real_data(tmp_path / "nih", tmp_path / "x.npz", kaggle_input=tmp_path / "kaggle")
    assert found.kind is None and str(tmp_path / "nih") in found.message and "kaggle" in found.message


def test_a_kaggle_mount_is_found_read_only_and_a_local_release_wins(tmp_path):
    mount = _kaggle_mount(tmp_path / "kaggle")
    found = locate_real_data(tmp_path / "nih", tmp_path / "x.npz", kaggle_input=tmp_path / "kaggle")
    assert (found.kind, found.root, found.read_only) == ("nih", mount, True) and "2 images" in found.message
    assert find_release(tmp_path / "kaggle") == mount
    local = tmp_path / "nih"
    (local / "images").mkdir(parents=True)
    (local / "Data_Entry_2017_v2020.csv.gz").write_bytes(b"")
    (local / "images" / "00000001_000.png").write_bytes(b"")
    found = locate_real_data(local, tmp_path / "x.npz", kaggle_input=tmp_path / "kaggle")
    assert (found.kind, found.root, found.read_only) == ("nih", local, False)


def test_a_chestmnist_npz_is_found_when_no_release_is(tmp_path):
    npz = tmp_path / "chestmnist_224.npz"
    npz.write_bytes(b"")
    assert locate_real_data(tmp_path / "nih", npz, kaggle_input=tmp_path / "kaggle").kind == "chestmnist"


def test_a_read_only_release_is_linked_and_cached_in_a_writable_folder(tmp_path):
    mount = _kaggle_mount(tmp_path / "kaggle")
    mount.chmod(0o555)
    working = link_release(mount, tmp_path / "working" / "nih")
    assert (working / "images_001").is_symlink() and (working / "Data_Entry_2017.csv").is_file()
    assert present_images(working) == {"00000001_000.png", "00000002_000.png"}
    assert link_release(mount, working) == working  # again: nothing changes
    prepared = prepare_nih(working, cache_size=16, download=False, workers=1, progress=False)
    assert len(prepared.entries) == 2 and prepared.cache.dir.parent == working
    assert sorted(p.name for p in mount.iterdir()) == ["Data_Entry_2017.csv", "images_001"]  # the mount untouched


def test_linking_refuses_what_is_not_a_release_or_is_in_the_way(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a ChestX-ray14 release"):
        link_release(tmp_path, tmp_path / "w")
    mount = _kaggle_mount(tmp_path / "kaggle")
    (tmp_path / "w" / "images_001").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="is in the way of the link"):
        link_release(mount, tmp_path / "w")
