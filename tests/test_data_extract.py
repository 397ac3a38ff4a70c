import tarfile

import pytest
from tar_factory import member, png_bytes, tar_gz

from agcnn_lab.data.extract import UnsafeArchiveError, extract_tar


def write_archive(tmp_path, files, special=()):
    path = tmp_path / "images_001.tar.gz"
    path.write_bytes(tar_gz(files, special))
    return path


def everything_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_extracts_plain_files_under_images(tmp_path):
    files = {"images/a.png": png_bytes(1), "./images/b.png": png_bytes(2)}
    archive = write_archive(tmp_path, files, [member("images", tarfile.DIRTYPE)])
    dest = tmp_path / "root"
    assert extract_tar(archive, dest, inside="images") == 2
    assert (dest / "images" / "a.png").read_bytes() == png_bytes(1)
    assert everything_under(dest) == ["images", "images/a.png", "images/b.png"]


@pytest.mark.parametrize(
    "bad, why",
    [
        (member("../evil"), "climbs out"),
        (member("images/../../evil"), "climbs out"),
        (member("/tmp/evil"), "absolute"),
        (member("images/link", tarfile.SYMTYPE, "/etc/passwd"), "symbolic link"),
        (member("images/inner", tarfile.SYMTYPE, "a.png"), "symbolic link"),
        (member("images/hard", tarfile.LNKTYPE, "images/a.png"), "hard link"),
        (member("images/tty", tarfile.CHRTYPE), "device"),
        (member("images/disk", tarfile.BLKTYPE), "device"),
        (member("images/pipe", tarfile.FIFOTYPE), "FIFO"),
        (member("other/x.png"), "outside images/"),
    ],
)
def test_refuses_unsafe_members_naming_archive_and_member(tmp_path, bad, why):
    archive = write_archive(tmp_path, {"images/a.png": png_bytes(1)}, [bad])
    dest = tmp_path / "root"
    with pytest.raises(UnsafeArchiveError) as caught:
        extract_tar(archive, dest, inside="images")
    assert str(archive) in str(caught.value) and repr(bad.name) in str(caught.value)
    assert why in str(caught.value)
    assert everything_under(tmp_path) == ["images_001.tar.gz", "root", "root/images", "root/images/a.png"]


def test_refuses_to_write_through_a_symlink_already_on_disk(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "root"
    dest.mkdir()
    (dest / "images").symlink_to(outside)
    archive = write_archive(tmp_path, {"images/a.png": png_bytes(1)})
    with pytest.raises(UnsafeArchiveError, match="outside"):
        extract_tar(archive, dest, inside="images")
    assert list(outside.iterdir()) == []


def test_without_inside_any_relative_path_is_accepted(tmp_path):
    archive = write_archive(tmp_path, {"x/y.png": png_bytes(1)})
    assert extract_tar(archive, tmp_path / "root") == 1
    assert (tmp_path / "root" / "x" / "y.png").is_file()


def test_a_damaged_archive_is_a_clear_error(tmp_path):
    archive = tmp_path / "images_001.tar.gz"
    archive.write_bytes(tar_gz({"images/a.png": png_bytes(1)})[:100])
    with pytest.raises(ValueError, match=f"{archive}: damaged or not a tar archive"):
        extract_tar(archive, tmp_path / "root")


@pytest.mark.parametrize("name", ["images", "./images", "images/"])
def test_a_member_that_would_make_images_a_file_is_refused(tmp_path, name):
    files = {name: b"not a folder", "images/a.png": png_bytes(1)}  # the file comes first
    archive = write_archive(tmp_path, files)
    dest = tmp_path / "root"
    with pytest.raises(UnsafeArchiveError) as caught:
        extract_tar(archive, dest, inside="images")
    assert str(archive) in str(caught.value) and repr(name) in str(caught.value)
    assert "would make images/ a file" in str(caught.value)
    assert everything_under(dest) == []


def test_a_symlink_named_images_is_refused(tmp_path):
    archive = write_archive(tmp_path, {}, [member("images", tarfile.SYMTYPE, "/tmp")])
    with pytest.raises(UnsafeArchiveError, match=r"refusing member 'images': it is a symbolic link"):
        extract_tar(archive, tmp_path / "root", inside="images")


def test_a_file_already_in_the_way_of_images_is_refused_not_written_through(tmp_path):
    dest = tmp_path / "root"
    dest.mkdir()
    (dest / "images").write_bytes(b"left by someone")
    archive = write_archive(tmp_path, {"images/a.png": png_bytes(1)})
    with pytest.raises(UnsafeArchiveError, match=rf"'images/a.png': its folder {dest / 'images'} is a file"):
        extract_tar(archive, dest, inside="images")
    assert (dest / "images").read_bytes() == b"left by someone"


def test_a_file_member_over_a_folder_is_refused(tmp_path):
    files = {"images/sub/a.png": png_bytes(1), "images/sub": b"a file now"}
    archive = write_archive(tmp_path, files)
    with pytest.raises(UnsafeArchiveError, match=r"'images/sub': it would replace the folder .*sub with a file"):
        extract_tar(archive, tmp_path / "root", inside="images")
    assert (tmp_path / "root" / "images" / "sub" / "a.png").read_bytes() == png_bytes(1)


def test_a_folder_member_over_a_file_on_disk_is_refused(tmp_path):
    dest = tmp_path / "root"
    (dest / "images").mkdir(parents=True)
    (dest / "images" / "sub").write_bytes(b"keep")
    archive = write_archive(tmp_path, {}, [member("images/sub", tarfile.DIRTYPE)])
    with pytest.raises(UnsafeArchiveError, match=r"'images/sub': it would make the file .*sub a folder"):
        extract_tar(archive, dest, inside="images")
    assert (dest / "images" / "sub").read_bytes() == b"keep"
