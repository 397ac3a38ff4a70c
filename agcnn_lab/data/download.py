"""Download one big file over HTTP(S): resumable, retried, checked against its MD5.

    path = download(url, "data/nih/archives/images_001.tar.gz", md5="fe8ed0a6...")

The bytes go to `NAME.part` first and only ever get appended, so the part file is always a
prefix of the remote file: after a dropped connection (or a killed process) the next request
asks for the rest with an HTTP Range header. A server that ignores Range (200 instead of 206)
sends the whole file again, and the part file starts over. Once complete, the part file is
renamed to NAME and its MD5 checked; a file with the wrong MD5 is renamed aside, never deleted.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm.auto import tqdm

RETRY_WAIT_S = 2.0  # before the first retry; doubles after each failure, up to 60 s
CHUNK_BYTES = 1 << 20
USER_AGENT = "agcnn-lab (python urllib)"
_TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}  # worth asking again


class DownloadError(RuntimeError):
    """The transfer failed for good. The message names the URL; the part file is kept."""


class ChecksumError(ValueError):
    """A file whose MD5 is not the expected one. It was renamed to `kept` (nothing is deleted)."""

    def __init__(self, message: str, kept: Path):
        super().__init__(message)
        self.kept = kept


class _Interrupted(Exception):
    """A failure that a later request may get past: a dropped connection, a timeout, a 503."""


def part_path(dest: str | os.PathLike) -> Path:
    """Where the bytes of `dest` collect while they arrive."""
    dest = Path(dest)
    return dest.with_name(dest.name + ".part")


def download(
    url: str,
    dest: str | os.PathLike,
    md5: str | None = None,
    *,
    timeout: float = 60.0,
    retries: int = 5,
    progress: bool = True,
) -> Path:
    """Fetch `url` into `dest`, resuming `dest.part` if an earlier run left one; return `dest`.

    `timeout` (seconds) bounds the connection and each read; a dropped or stalled transfer is
    retried `retries` times, each resuming where the last stopped. With `md5`, the finished
    file is checked (ChecksumError otherwise).
    """
    if retries < 0:
        raise ValueError(f"retries must be 0 or more, got {retries}")
    dest = Path(dest)
    part = part_path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(retries + 1):
        try:
            _fetch(url, part, timeout, progress, label=dest.name)
            break
        except _Interrupted as err:
            if attempt == retries:
                kept = part.stat().st_size if part.exists() else 0
                raise DownloadError(
                    f"{url}: download failed ({err}) after {attempt + 1} attempt(s); the "
                    f"{kept:,} bytes received are kept in {part}: run again to resume"
                ) from None
            time.sleep(min(RETRY_WAIT_S * 2**attempt, 60.0))
    os.replace(part, dest)
    if md5 is not None:
        verify_md5(dest, md5, progress=progress)
    return dest


def md5_of(path: str | os.PathLike, progress: bool = False) -> str:
    """The MD5 of a file, read in chunks (the NIH archives are 2-4 GB each)."""
    path = Path(path)
    digest = hashlib.md5()
    size = path.stat().st_size
    with open(path, "rb") as f, _bar(size, 0, f"md5 {path.name}", progress) as bar:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def verify_md5(path: str | os.PathLike, expected: str, progress: bool = False) -> None:
    """Raise ChecksumError unless `path` has MD5 `expected`. A bad file is renamed to
    `NAME.bad-md5-XXXXXXXX` (its own MD5's start): kept for inspection, out of the way of a retry."""
    path = Path(path)
    actual = md5_of(path, progress)
    if actual == expected.lower():
        return
    kept = path.with_name(f"{path.name}.bad-md5-{actual[:8]}")
    os.replace(path, kept)  # same content, same name: replacing an older copy loses nothing
    raise ChecksumError(
        f"{path}: wrong MD5: expected {expected}, got {actual} (a damaged or different file); "
        f"kept as {kept}",
        kept,
    )


def _fetch(url: str, part: Path, timeout: float, progress: bool, label: str) -> None:
    """One request: append the rest of the file to `part`, or raise _Interrupted."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()  # its status line and headers are all we need
        if err.code == 416 and have:
            return _check_range_end(err, part, have)
        if err.code in _TRANSIENT_HTTP:
            raise _Interrupted(f"HTTP {err.code} {err.reason}") from None
        raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        raise _Interrupted(_reason(err)) from None
    with response:
        start = _start_of_body(response, have)
        if start is None:  # a 206 for another range than asked: start over, without Range
            part.unlink(missing_ok=True)
            answer, asked = response.headers.get("Content-Range"), headers.get("Range")
            raise _Interrupted(f"the server answered Content-Range {answer!r} to Range {asked!r}")
        length = response.headers.get("Content-Length")
        end = start + int(length) if length and length.isdigit() else None
        _receive(response, part, start, end, progress, label)


def _start_of_body(response, have: int) -> int | None:
    """Offset of the body's first byte: 0 for a 200 (the server ignored Range: start over),
    `have` for the 206 we asked for, None for a 206 of some other range."""
    if response.status != 206:
        return 0
    first = _content_range(response.headers.get("Content-Range"))[0]
    return have if first == have else None


def _receive(response, part: Path, start: int, end: int | None, progress: bool, label: str) -> None:
    # read1 returns what has arrived; read(n) waits for all n bytes and, on a timeout, drops them.
    read = getattr(response, "read1", response.read)
    with open(part, "r+b" if start else "wb") as f, _bar(end, start, label, progress) as bar:
        f.seek(start)
        f.truncate()
        while True:
            try:
                chunk = read(CHUNK_BYTES)
            except (http.client.HTTPException, OSError) as err:  # reset, timeout, IncompleteRead
                raise _Interrupted(_reason(err)) from None
            if not chunk:
                break
            f.write(chunk)  # a disk error (full disk) is not retried: it propagates as is
            bar.update(len(chunk))
        received = f.tell()
    # http.client returns b"" when the server hangs up early, whatever Content-Length said.
    if end is not None and received < end:
        raise _Interrupted(f"connection closed after {received:,} of {end:,} bytes")


def _check_range_end(err: urllib.error.HTTPError, part: Path, have: int) -> None:
    """416 to `Range: bytes=have-`: the part file already holds the whole file (then the MD5
    decides), or it is longer than the remote file and cannot be a prefix of it."""
    total = _content_range(err.headers.get("Content-Range"))[2]
    if total is None or total == have:
        return
    part.unlink()  # not a prefix of this file: nothing in it is usable
    raise _Interrupted(f"the partial file ({have:,} bytes) is longer than the remote file ({total:,})")


_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


def _content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    """'bytes 100-199/1000' -> (100, 199, 1000); 'bytes */1000' -> (None, None, 1000)."""
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None, None, None
    return tuple(int(g) if g and g != "*" else None for g in match.groups())  # type: ignore[return-value]


def _reason(err: BaseException) -> str:
    if isinstance(err, urllib.error.URLError) and not isinstance(err, urllib.error.HTTPError):
        return f"cannot connect: {err.reason}"
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def _bar(total: int | None, initial: int, label: str, progress: bool) -> tqdm:
    return tqdm(
        total=total, initial=initial, desc=label, unit="B", unit_scale=True, unit_divisor=1024,
        disable=not progress, leave=False,
    )
