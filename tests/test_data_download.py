import os
import socket

import pytest
from range_server import RangeServer
from tar_factory import md5

from agcnn_lab.data.download import ChecksumError, DownloadError, download, md5_of, part_path

DATA = bytes(range(256)) * 400  # 100 KiB: several reads of the client
NAME = "images_001.tar.gz"


pytestmark = pytest.mark.usefixtures("no_download_waits")


@pytest.fixture
def server():
    with RangeServer({NAME: DATA}) as server:
        yield server


def fetch(server, dest, **kwargs):
    kwargs.setdefault("md5", md5(DATA))
    return download(f"{server.url}/{NAME}", dest, progress=False, **kwargs)


def test_download_writes_the_file_and_no_part(server, tmp_path):
    dest = tmp_path / "archives" / NAME
    assert fetch(server, dest) == dest
    assert dest.read_bytes() == DATA
    assert not part_path(dest).exists()
    assert server.requests_for(NAME)[0].range is None


def test_a_cut_transfer_is_resumed_with_range(server, tmp_path):
    server.cut_after[NAME] = 30_000
    dest = fetch(server, tmp_path / NAME)
    first, second = server.requests_for(NAME)
    assert first.range is None
    assert second.range == "bytes=30000-"
    assert dest.read_bytes() == DATA


def test_a_failed_download_names_the_url_keeps_the_part_and_resumes_later(server, tmp_path):
    server.cut_after[NAME] = 30_000
    dest = tmp_path / NAME
    with pytest.raises(DownloadError) as caught:
        fetch(server, dest, retries=0)
    assert f"{server.url}/{NAME}" in str(caught.value)
    assert part_path(dest).read_bytes() == DATA[:30_000]
    assert not dest.exists()

    fetch(server, dest)  # a later run
    assert server.requests_for(NAME)[-1].range == "bytes=30000-"
    assert dest.read_bytes() == DATA


def test_a_stalled_transfer_times_out_and_resumes(server, tmp_path):
    server.stall_after[NAME] = 10_000
    dest = fetch(server, tmp_path / NAME, timeout=0.3)
    assert [r.range for r in server.requests_for(NAME)] == [None, "bytes=10000-"]
    assert dest.read_bytes() == DATA


def test_a_server_ignoring_range_restarts_the_file_cleanly(server, tmp_path):
    dest = tmp_path / NAME
    part_path(dest).write_bytes(b"garbage that is not a prefix")
    server.ignore_range = True
    fetch(server, dest)
    assert server.requests_for(NAME)[0].range is not None  # asked for the rest, got everything
    assert dest.read_bytes() == DATA


def test_a_206_for_another_range_starts_over(server, tmp_path):
    dest = tmp_path / NAME
    part_path(dest).write_bytes(DATA[:1000])
    server.range_shift = 24
    fetch(server, dest)
    assert [r.range for r in server.requests_for(NAME)] == ["bytes=1000-", None]
    assert dest.read_bytes() == DATA


def test_416_on_a_complete_part_finishes_it(server, tmp_path):
    dest = tmp_path / NAME
    part_path(dest).write_bytes(DATA)
    fetch(server, dest)
    assert [r.range for r in server.requests_for(NAME)] == [f"bytes={len(DATA)}-"]
    assert dest.read_bytes() == DATA


def test_416_on_a_part_longer_than_the_file_starts_over(server, tmp_path):
    dest = tmp_path / NAME
    part_path(dest).write_bytes(DATA + b"extra")
    fetch(server, dest)
    assert [r.range for r in server.requests_for(NAME)] == [f"bytes={len(DATA) + 5}-", None]
    assert dest.read_bytes() == DATA


def test_a_wrong_md5_names_file_and_both_sums_and_keeps_the_file(server, tmp_path):
    dest = tmp_path / NAME
    with pytest.raises(ChecksumError) as caught:
        fetch(server, dest, md5="0" * 32)
    message = str(caught.value)
    assert str(dest) in message and "0" * 32 in message and md5(DATA) in message
    assert caught.value.kept.read_bytes() == DATA  # renamed aside, not deleted
    assert caught.value.kept.parent == tmp_path and not dest.exists()


def test_http_404_is_not_retried_and_names_the_url(server, tmp_path):
    with pytest.raises(DownloadError, match=f"{server.url}/missing.tar.gz: HTTP 404"):
        download(f"{server.url}/missing.tar.gz", tmp_path / "x", retries=3, progress=False)
    assert len(server.requests) == 1


def test_an_unreachable_host_names_the_url(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/{NAME}"
    with pytest.raises(DownloadError, match=f"{url}: download failed.*after 2 attempt"):
        download(url, tmp_path / NAME, retries=1, progress=False)
    assert not os.listdir(tmp_path)  # nothing was received, nothing was written


def test_md5_of_reads_the_whole_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(DATA * 30)  # several chunks
    assert md5_of(path) == md5(DATA * 30)
