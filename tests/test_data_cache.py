import os
import pickle
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from agcnn_lab.data import read_image
from agcnn_lab.data.cache import CacheSource, build_cache, resize_square
from agcnn_lab.data.sources import FolderSource


def _entries(names):
    return pd.DataFrame({"image": names})


def _write_images(folder, count, size=96, distinct=None):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = [f"{i:08d}_000.png" for i in range(count)]
    distinct = distinct or count
    blobs = []
    for k in range(distinct):
        path = folder / names[k]
        Image.fromarray(rng.integers(0, 256, (size, size + 8), dtype=np.uint8)).save(path)
        blobs.append(path.read_bytes())
    for k in range(distinct, count):
        (folder / names[k]).write_bytes(blobs[k % distinct])
    return names


def test_cache_matches_resized_images_and_records_sizes(tmp_path):
    names = _write_images(tmp_path / "src" / "images", 5)
    cache = build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=32, workers=2, progress=False)
    assert cache.images.shape == (5, 32, 32)
    expected = np.asarray(Image.fromarray(read_image(tmp_path / "src" / "images" / names[3])).resize((32, 32), Image.Resampling.BILINEAR))
    assert np.array_equal(cache.read(names[3]), expected)
    assert cache.original_sizes.tolist() == [[96, 104]] * 5


def test_finished_cache_is_reopened_not_rebuilt(tmp_path):
    names = _write_images(tmp_path / "src", 3)
    build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, workers=1, progress=False)
    for path in (tmp_path / "src").iterdir():
        path.unlink()  # the sources are gone: only a rebuild would need them
    cache = build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, progress=False)
    assert cache.images.shape == (3, 16, 16)


def test_kaggle_layout_is_found(tmp_path):
    first = _write_images(tmp_path / "kaggle" / "images_001" / "images", 2)
    moved = tmp_path / "kaggle" / "images_002" / "images"
    moved.mkdir(parents=True)
    shutil.move(tmp_path / "kaggle" / "images_001" / "images" / first[1], moved / first[1])
    source = FolderSource(tmp_path / "kaggle")
    assert source.path(first[1]) == moved / first[1]
    cache = build_cache(_entries(first), tmp_path / "kaggle", tmp_path / "c", size=8, workers=1, progress=False)
    assert cache.images.shape == (2, 8, 8)


def test_a_different_cache_in_the_folder_is_refused(tmp_path):
    names = _write_images(tmp_path / "src", 3)
    build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, workers=1, progress=False)
    with pytest.raises(ValueError, match="holds a different cache .3 images at 16 px"):
        build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=24, progress=False)
    with pytest.raises(ValueError, match="not a finished image cache"):
        CacheSource(tmp_path / "src")


def test_missing_image_names_the_file(tmp_path):
    names = _write_images(tmp_path / "src", 2)
    with pytest.raises(ValueError, match="ghost.png: not found under"):
        build_cache(_entries([*names, "ghost.png"]), tmp_path / "src", tmp_path / "c", size=8, workers=1, progress=False)


def test_cache_source_pickles_without_pixels(tmp_path):
    names = _write_images(tmp_path / "src", 2)
    cache = build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, workers=1, progress=False)
    _ = cache.images
    blob = pickle.dumps(cache)
    assert len(blob) < 2_000
    assert np.array_equal(pickle.loads(blob).read(names[1]), cache.read(names[1]))


BUILD = """
import sys, pandas as pd
from agcnn_lab.data.cache import build_cache
names = open(sys.argv[1]).read().split()
build_cache(pd.DataFrame({"image": names}), sys.argv[2], sys.argv[3], size=64, workers=1, progress=False)
"""


def test_killed_build_resumes_to_identical_bytes(tmp_path):
    names = _write_images(tmp_path / "src", 1500, size=192, distinct=12)
    (tmp_path / "names.txt").write_text("\n".join(names))
    args = [sys.executable, "-c", BUILD, str(tmp_path / "names.txt"), str(tmp_path / "src")]

    whole = tmp_path / "whole"
    subprocess.run([*args, str(whole)], check=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen([*args, str(killed)], start_new_session=True)
    done = killed / "done.u8"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if done.exists() and 0 < np.fromfile(done, dtype=np.uint8).sum():
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    progress = np.fromfile(done, dtype=np.uint8)
    assert 0 < progress.sum() < len(names), "the build was not stopped half-way; make it slower"
    assert not (killed / "cache.json").read_text().count('"complete": true')

    resumed = build_cache(_entries(names), tmp_path / "src", killed, size=64, workers=2, progress=False)
    assert (killed / "images.u8").read_bytes() == (whole / "images.u8").read_bytes()
    assert (killed / "index.csv").read_text() == (whole / "index.csv").read_text()
    assert resumed.images.shape == (1500, 64, 64)


def _repaint(folder, names, seed):
    rng = np.random.default_rng(seed)
    for name in names:
        Image.fromarray(rng.integers(0, 256, (96, 104), dtype=np.uint8)).save(folder / name)


def test_a_cache_of_other_images_under_the_same_names_is_rebuilt(tmp_path):
    names = _write_images(tmp_path / "src", 3)
    build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, workers=1, progress=False, fingerprint="a")
    _repaint(tmp_path / "src", names, seed=7)
    cache = build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, workers=1, progress=False, fingerprint="b")
    expected = resize_square(read_image(tmp_path / "src" / names[2]), 16)
    assert np.array_equal(cache.read(names[2]), expected)
    for path in (tmp_path / "src").iterdir():
        path.unlink()  # the same fingerprint again: reopened, the sources are not needed
    again = build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, progress=False, fingerprint="b")
    assert np.array_equal(again.read(names[2]), expected)
    # A caller that does not check keeps the recorded fingerprint for those that do.
    build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, progress=False)
    assert '"fingerprint": "b"' in (tmp_path / "cache" / "cache.json").read_text()


def test_a_cache_without_fingerprint_and_other_names_is_refused_not_destroyed(tmp_path):
    names = _write_images(tmp_path / "src", 3)
    build_cache(_entries(names), tmp_path / "src", tmp_path / "cache", size=16, workers=1, progress=False)
    before = (tmp_path / "cache" / "images.u8").read_bytes()
    with pytest.raises(ValueError, match="holds a different cache"):
        build_cache(_entries(names[:2]), tmp_path / "src", tmp_path / "cache", size=16, progress=False, fingerprint="a")
    assert (tmp_path / "cache" / "images.u8").read_bytes() == before


def test_a_phantom_generated_again_over_an_old_one_is_not_served_from_the_old_cache(tmp_path):
    """Same seed and patients at another size: the same names, other pixels."""
    from agcnn_lab.data import read_entries
    from agcnn_lab.data.phantom import generate
    from agcnn_lab.data.phantom.generate import recorded_checksum

    root = generate(tmp_path / "set", 3, size=64, seed=1, workers=1)
    entries = read_entries(root / "Data_Entry_2017_v2020.csv")
    kwargs = dict(size=32, workers=1, progress=False)
    old = build_cache(entries, root, root / "cache-32", fingerprint=recorded_checksum(root), **kwargs)
    old_pixels = np.array(old.images)

    generate(root, 3, size=96, seed=1, workers=1, overwrite=True)
    again = read_entries(root / "Data_Entry_2017_v2020.csv")
    assert again["image"].tolist() == entries["image"].tolist()
    cache = build_cache(again, root, root / "cache-32", fingerprint=recorded_checksum(root), **kwargs)
    assert not np.array_equal(np.array(cache.images), old_pixels)
    for name in again["image"]:
        assert np.array_equal(cache.read(name), resize_square(read_image(root / "images" / name), 32))
    assert cache.original_sizes.tolist() == [[96, 96]] * len(again)


def test_the_phantom_bundle_rebuilds_the_cache_of_a_regenerated_set(tmp_path):
    from dataclasses import replace

    from agcnn_lab.data.bundle import phantom_data
    from agcnn_lab.data.phantom import generate
    from agcnn_lab.profiles import get_profile

    config = replace(get_profile("ci").data, phantom_patients=3, phantom_size=64, cache_size=32)
    first = phantom_data(config, root=tmp_path / "set", progress=False).source("test")
    old_sizes = first.original_sizes.tolist()
    generate(tmp_path / "set", 3, size=96, seed=config.seed, workers=1, overwrite=True)
    source = phantom_data(config, root=tmp_path / "set", progress=False).source("test")
    assert source.original_sizes.tolist() == [[96, 96]] * len(source.names) != old_sizes
    name = source.names[0]
    assert np.array_equal(source.read(name), resize_square(read_image(tmp_path / "set" / "images" / name), 32))
