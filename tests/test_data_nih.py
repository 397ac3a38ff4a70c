"""prepare_nih end to end, against a local HTTP server serving two small NIH-shaped archives."""

import gzip
import shutil

import numpy as np
import pytest
from range_server import RangeServer
from tar_factory import md5, member, png_bytes, tar_gz

from agcnn_lab.cli import main
from agcnn_lab.data import nih, nih_release
from agcnn_lab.data.cache import resize_square
from agcnn_lab.data.download import ChecksumError
from agcnn_lab.data.extract import UnsafeArchiveError
from agcnn_lab.data.images import read_image
from agcnn_lab.data.nih import prepare_nih
from agcnn_lab.data.nih_release import Archive

# Real names from the release's label table, two per archive.
IMAGES = {
    1: {"00000001_000.png": png_bytes(1), "00000001_001.png": png_bytes(2)},
    2: {"00000002_000.png": png_bytes(3), "00000003_000.png": png_bytes(4)},
}
ALL_NAMES = sorted(n for files in IMAGES.values() for n in files)
SMALL_TABLE = "\n".join(
    ["Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position"]
    + [f"{name},No Finding,0,{int(name[:8])},50,M,PA" for name in ALL_NAMES]
)


def archive_bytes(number, special=()):
    return tar_gz({f"images/{name}": data for name, data in IMAGES[number].items()}, special)


def use_archives(monkeypatch, blobs, md5s=None):
    """Point the package's archive table at `blobs` (number -> tar.gz bytes)."""
    md5s = md5s or {n: md5(b) for n, b in blobs.items()}
    table = tuple(
        Archive(n, f"http://nih.invalid/{n}.gz", md5s[n], len(IMAGES[n])) for n in sorted(blobs)
    )
    monkeypatch.setattr(nih_release, "ARCHIVES", table)


pytestmark = pytest.mark.usefixtures("no_download_waits")


@pytest.fixture
def blobs():
    return {1: archive_bytes(1), 2: archive_bytes(2)}


@pytest.fixture
def server(blobs):
    with RangeServer({f"images_{n:03d}.tar.gz": b for n, b in blobs.items()}) as server:
        yield server


@pytest.fixture
def root(tmp_path):
    """A folder that holds a 4-row label table (reading the bundled 112,120-row one takes a second)."""
    root = tmp_path / "nih"
    root.mkdir()
    (root / "Data_Entry_2017_v2020.csv").write_text(SMALL_TABLE)
    return root


def prepare(root, server=None, **kwargs):
    base_url = server.url if server else None
    return prepare_nih(root, cache_size=8, base_url=base_url, workers=1, progress=False, **kwargs)


def assert_cached(prepared, names=ALL_NAMES):
    assert sorted(prepared.cache.names) == names
    for name in names:
        expected = resize_square(read_image(prepared.root / "images" / name), 8)
        np.testing.assert_array_equal(prepared.cache.read(name), expected)


def test_downloads_unpacks_and_caches_with_the_bundled_label_files(tmp_path, monkeypatch, blobs, server, capsys):
    use_archives(monkeypatch, blobs)
    root = tmp_path / "nih"
    prepared = prepare_nih(root, cache_size=8, base_url=server.url, workers=1)
    assert [r.range for r in server.requests] == [None, None]
    assert (root / "archives" / "images_001.tar.gz").read_bytes() == blobs[1]
    assert (root / "images" / ".unpacked" / "images_002.tar.gz.json").is_file()
    assert_cached(prepared)
    assert prepared.cache.dir == root / "cache-8"
    for name in ["Data_Entry_2017_v2020.csv", "BBox_List_2017.csv", "train_val_list.txt", "test_list.txt"]:
        copied = root / f"{name}.gz"
        assert prepared.label_files[name] == copied
        assert gzip.decompress(copied.read_bytes()) == gzip.decompress((nih.SAMPLE_DIR / copied.name).read_bytes())
    assert len(prepared.entries) == 4
    assert "4 of the 112,120 images" in capsys.readouterr().out

    shutil.rmtree(root / "archives")  # to save disk, once unpacked
    again = prepare_nih(root, cache_size=8, base_url=server.url, workers=1, progress=False)
    assert len(server.requests) == 2  # the markers say both archives are unpacked
    assert sorted(again.cache.names) == ALL_NAMES


def test_a_cut_transfer_is_resumed_with_range(root, monkeypatch, blobs, server):
    use_archives(monkeypatch, blobs)
    server.cut_after["images_001.tar.gz"] = len(blobs[1]) // 2
    prepared = prepare(root, server)
    first, second = server.requests_for("images_001.tar.gz")
    assert first.range is None and second.range == f"bytes={len(blobs[1]) // 2}-"
    assert md5((root / "archives" / "images_001.tar.gz").read_bytes()) == md5(blobs[1])
    assert_cached(prepared)


def test_a_wrong_md5_stops_with_a_clear_error_and_keeps_the_file(root, monkeypatch, blobs, server):
    use_archives(monkeypatch, blobs, md5s={1: "f" * 32, 2: md5(blobs[2])})
    with pytest.raises(ChecksumError) as caught:
        prepare(root, server)
    archive = root / "archives" / "images_001.tar.gz"
    assert f"{archive}: wrong MD5: expected {'f' * 32}, got {md5(blobs[1])}" in str(caught.value)
    assert caught.value.kept.read_bytes() == blobs[1]
    assert not (root / "images").exists()  # nothing unpacked from it


@pytest.mark.parametrize(
    "bad",
    [member("../evil"), member("images/evil", b"2", "/etc/passwd")],  # climbing out; a symlink
    ids=["dotdot", "symlink"],
)
def test_an_unsafe_member_is_refused(root, monkeypatch, bad):
    blobs = {1: archive_bytes(1, [bad])}
    use_archives(monkeypatch, blobs)
    with RangeServer({"images_001.tar.gz": blobs[1]}) as server, pytest.raises(UnsafeArchiveError) as caught:
        prepare(root, server)
    assert "images_001.tar.gz" in str(caught.value) and repr(bad.name) in str(caught.value)
    assert sorted(p.name for p in root.parent.iterdir()) == ["nih"]  # nothing beside root
    assert not (root / "images" / "evil").exists()
    assert not (root / "images" / ".unpacked" / "images_001.tar.gz.json").exists()  # not trusted later
    assert (root / "archives" / "images_001.tar.gz").is_file()  # the download is kept


def test_an_archive_cut_short_while_unpacking_is_unpacked_again(root, monkeypatch, blobs, server):
    use_archives(monkeypatch, blobs)
    prepare(root, server)
    (root / "images" / ".unpacked" / "images_002.tar.gz.json").unlink()  # as if killed while unpacking
    (root / "images" / "00000003_000.png").write_bytes(b"truncated")  # every name still present
    prepare(root, server)
    assert (root / "images" / "00000003_000.png").read_bytes() == IMAGES[2]["00000003_000.png"]
    assert (root / "images" / ".unpacked" / "images_002.tar.gz.json").is_file()
    assert len(server.requests) == 2  # unpacked again from the archive on disk


def test_a_kaggle_tree_is_used_without_any_request(root, monkeypatch, blobs, server):
    use_archives(monkeypatch, blobs)
    for number, files in IMAGES.items():
        folder = root / f"images_{number:03d}" / "images"
        folder.mkdir(parents=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
    prepared = prepare(root, server)
    assert server.requests == []
    assert sorted(prepared.cache.names) == ALL_NAMES


def test_a_complete_flat_tree_is_used_without_any_request(root, monkeypatch, blobs, server):
    use_archives(monkeypatch, blobs)
    (root / "images").mkdir()
    for files in IMAGES.values():
        for name, data in files.items():
            (root / "images" / name).write_bytes(data)
    assert_cached(prepare(root, server))
    assert server.requests == []


def test_archives_on_disk_are_verified_not_downloaded_under_either_name(root, monkeypatch, blobs, server):
    use_archives(monkeypatch, blobs)
    (root / "archives").mkdir()
    (root / "archives" / "images_01.tar.gz").write_bytes(blobs[1])  # batch_download_zips.py's name
    (root / "images_002.tar.gz").write_bytes(blobs[2])  # left in root itself
    assert_cached(prepare(root, server))
    assert server.requests == []


def test_a_damaged_archive_on_disk_is_renamed_aside(root, monkeypatch, blobs, server):
    use_archives(monkeypatch, blobs)
    (root / "archives").mkdir()
    (root / "archives" / "images_001.tar.gz").write_bytes(blobs[1][:-10])
    with pytest.raises(ChecksumError, match="images_001.tar.gz: wrong MD5"):
        prepare(root, server)
    assert [p.name for p in (root / "archives").iterdir()] == [f"images_001.tar.gz.bad-md5-{md5(blobs[1][:-10])[:8]}"]
    assert_cached(prepare(root, server))  # the next run downloads a good copy
    assert [r.path for r in server.requests] == ["/images_001.tar.gz", "/images_002.tar.gz"]


def test_without_download_only_what_is_on_disk_is_cached(root, monkeypatch, blobs, server):
    use_archives(monkeypatch, blobs)
    (root / "archives").mkdir()
    (root / "archives" / "images_002.tar.gz").write_bytes(blobs[2])
    prepared = prepare(root, server, download=False)
    assert server.requests == []
    assert sorted(prepared.cache.names) == sorted(IMAGES[2])


def test_refuses_to_build_a_cache_of_nothing(root, monkeypatch, blobs):
    use_archives(monkeypatch, blobs)
    with pytest.raises(ValueError, match="none of the 4 images .* is present"):
        prepare(root, download=False)
    assert not (root / "cache-8").exists()


def test_missing_label_files_without_a_bundled_copy_say_where_to_put_them(root, monkeypatch, tmp_path):
    monkeypatch.setattr(nih, "SAMPLE_DIR", tmp_path / "no-sample")
    with pytest.raises(ValueError) as caught:
        prepare(root, download=False)
    message = str(caught.value)
    assert "BBox_List_2017.csv" in message and str(root / "BBox_List_2017.csv") in message
    assert nih_release.BOX_FOLDER in message


def test_the_2017_table_of_the_kaggle_mirror_is_accepted(root, monkeypatch, blobs):
    use_archives(monkeypatch, blobs)
    shutil.move(root / "Data_Entry_2017_v2020.csv", root / "Data_Entry_2017.csv")
    (root / "images").mkdir()
    (root / "images" / "00000001_000.png").write_bytes(IMAGES[1]["00000001_000.png"])
    prepared = prepare(root, download=False)
    assert prepared.label_files["Data_Entry_2017_v2020.csv"] == root / "Data_Entry_2017.csv"
    assert prepared.cache.names == ["00000001_000.png"]


def test_the_command_prepares_the_folder(root, monkeypatch, blobs, server, capsys):
    use_archives(monkeypatch, blobs)
    argv = ["prepare-nih", "--root", str(root), "--base-url", server.url, "--cache-size", "8", "--workers", "1"]
    assert main(argv) == 0
    assert f"cached 4 images in {root / 'cache-8'}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "option, message",
    [(["--base-url", "ftp://mirror"], "base_url must start with http"), (["--cache-size", "4"], "must be >= 8, got 4")],
)
def test_the_command_refuses_bad_options_before_any_work(tmp_path, capsys, option, message):
    root = tmp_path / "nih"
    assert main(["prepare-nih", "--root", str(root), *option]) == 2
    assert message in capsys.readouterr().err
    assert not root.exists()
