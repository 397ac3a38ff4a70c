import re

import pytest

from agcnn_lab.data.nih_release import ARCHIVES, IMAGE_COUNT, LABEL_FILES, Archive, archive_url


def test_the_twelve_archives_of_the_release():
    assert [a.number for a in ARCHIVES] == list(range(1, 13))
    assert [a.name for a in ARCHIVES][:2] == ["images_001.tar.gz", "images_002.tar.gz"]
    assert sum(a.images for a in ARCHIVES) == IMAGE_COUNT == 112_120
    assert all(re.fullmatch(r"[0-9a-f]{32}", a.md5) for a in ARCHIVES)
    assert len({a.md5 for a in ARCHIVES}) == len({a.url for a in ARCHIVES}) == 12
    assert all(a.url.startswith("https://nihcc.box.com/shared/static/") for a in ARCHIVES)
    # spot checks against RELEASE.md
    assert ARCHIVES[0].md5 == "fe8ed0a6961412fddcbb3603c11b3698"
    assert ARCHIVES[11].url.endswith("/ioqwiy20ihqwyr8pf4c24eazhh281pbu.gz")


def test_both_name_styles_and_the_kaggle_folder():
    archive = Archive(7, "https://x/y.gz", "0" * 32, 10)
    assert archive.file_names == ("images_007.tar.gz", "images_07.tar.gz")
    assert archive.kaggle_folder == "images_007"


@pytest.mark.parametrize("base_url", ["http://mirror:8000/nih", "http://mirror:8000/nih/"])
def test_base_url_replaces_the_whole_link(base_url):
    assert archive_url(ARCHIVES[2], base_url) == "http://mirror:8000/nih/images_003.tar.gz"
    assert archive_url(ARCHIVES[2]) == ARCHIVES[2].url


def test_a_base_url_that_is_not_http_is_refused():
    with pytest.raises(ValueError, match="'mirror/nih'"):
        archive_url(ARCHIVES[0], "mirror/nih")


def test_label_files_accept_plain_gzip_and_the_2017_table():
    assert LABEL_FILES[0].file_names == (
        "Data_Entry_2017_v2020.csv",
        "Data_Entry_2017_v2020.csv.gz",
        "Data_Entry_2017.csv",
        "Data_Entry_2017.csv.gz",
    )


def test_a_label_file_is_found_plain_gzipped_or_under_its_alias(tmp_path):
    from agcnn_lab.data.nih_release import BOX_LIST, ENTRY_TABLE

    assert ENTRY_TABLE.find_in(tmp_path) is None
    (tmp_path / "Data_Entry_2017.csv.gz").write_bytes(b"")  # the Kaggle mirror's name, gzip'd
    assert ENTRY_TABLE.find_in(tmp_path) == tmp_path / "Data_Entry_2017.csv.gz"
    (tmp_path / "Data_Entry_2017_v2020.csv").write_bytes(b"")  # the Box name wins
    assert ENTRY_TABLE.require_in(tmp_path) == tmp_path / "Data_Entry_2017_v2020.csv"
    (tmp_path / "BBox_List_2017.csv").mkdir()  # a folder is not the file
    with pytest.raises(ValueError, match=r"missing BBox_List_2017.csv \(looked for BBox_List_2017.csv, BBox_List_2017.csv.gz\)"):
        BOX_LIST.require_in(tmp_path)
