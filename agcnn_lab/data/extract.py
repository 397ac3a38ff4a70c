"""Unpack a tar archive without trusting it.

    count = extract_tar("data/nih/archives/images_001.tar.gz", "data/nih", inside="images")

A tar member can name any path: `../../.bashrc`, `/etc/passwd`, a symlink to either. Every
member is checked before it is written, and only plain files and folders under `dest/inside`
are accepted, never a file where a folder is (`images` itself as a file would swallow the
archive's images); anything else stops the extraction with an UnsafeArchiveError naming the
archive and the member. Python's own 'data' extraction filter (3.11.4+) runs as well, as a
second line of defence. The archive is read as a stream (one pass over the gzip), so members
before a refused one are already written, all of them inside `dest/inside`.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath, PureWindowsPath

from tqdm.auto import tqdm

_HAS_DATA_FILTER = hasattr(tarfile, "data_filter")
_FILTER_ERRORS = (tarfile.FilterError,) if _HAS_DATA_FILTER else ()


class UnsafeArchiveError(ValueError):
    """An archive member that would land outside the target folder, or is not a plain file."""


def extract_tar(
    archive: str | os.PathLike, dest: str | os.PathLike, inside: str | None = None, progress: bool = False
) -> int:
    """Unpack `archive` (tar, tar.gz, tar.bz2, tar.xz) into `dest`; return the number of files.

    With `inside`, every member must lie under `dest/inside` (the NIH archives hold `images/...`).
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    files = 0
    try:
        with tarfile.open(archive, mode="r|*") as tar, tqdm(
            desc=f"unpack {archive.name}", unit="file", disable=not progress, leave=False
        ) as bar:
            for member in tar:
                reason = unsafe_reason(member, root, inside)
                if reason:
                    raise UnsafeArchiveError(f"{archive}: refusing member {member.name!r}: {reason}")
                if _HAS_DATA_FILTER:
                    tar.extract(member, root, filter="data")
                else:  # Python < 3.11.4: our checks above are the only ones
                    tar.extract(member, root)
                files += member.isfile()
                bar.update(member.isfile())
    except _FILTER_ERRORS as err:  # the 'data' filter caught something our checks did not
        raise UnsafeArchiveError(f"{archive}: refusing member: {err}") from None
    except (tarfile.TarError, EOFError, zlib.error) as err:
        raise ValueError(f"{archive}: damaged or not a tar archive ({err})") from None
    return files


def unsafe_reason(member: tarfile.TarInfo, root: Path, inside: str | None = None) -> str | None:
    """Why `member` must not be extracted into the folder `root` (absolute), or None when it may."""
    kind = _kind(member)
    if kind is not None:
        return f"it is {kind}; only plain files and folders are accepted"
    name = member.name.replace("\\", "/")
    if name.startswith("/") or PureWindowsPath(member.name).drive:
        return "it has an absolute path"
    parts = [p for p in PurePosixPath(name).parts if p != "."]
    if ".." in parts:
        return "its path climbs out of the target folder ('..')"
    if inside is not None and parts and parts[0] != inside:
        return f"it lies outside {inside}/"
    if inside is not None and parts == [inside] and not member.isdir():
        return f"it would make {inside}/ a file; {inside} must be a folder"
    # A symlink already on disk (images -> /elsewhere) would carry a plain name outside too.
    target = (root / Path(*parts)).resolve() if parts else root
    if target != root and root not in target.parents:
        return f"it would be written to {target}, outside {root}"
    return _clash_on_disk(member, root, target)


def _clash_on_disk(member: tarfile.TarInfo, root: Path, target: Path) -> str | None:
    """A file where the member needs a folder, or the reverse: unchecked, tarfile would stop
    halfway with an OSError that names neither the archive nor the member."""
    inner = target.relative_to(root).parts
    for depth in range(1, len(inner)):
        folder = root.joinpath(*inner[:depth])
        if folder.exists() and not folder.is_dir():
            return f"its folder {folder} is a file"
    if member.isfile() and target.is_dir():
        return f"it would replace the folder {target} with a file"
    if member.isdir() and target.exists() and not target.is_dir():
        return f"it would make the file {target} a folder"
    return None


def _kind(member: tarfile.TarInfo) -> str | None:
    if member.isfile() or member.isdir():
        return None
    if member.issym():
        return f"a symbolic link (to {member.linkname!r})"
    if member.islnk():
        return f"a hard link (to {member.linkname!r})"
    if member.ischr() or member.isblk():
        return "a device file"
    if member.isfifo():
        return "a FIFO"
    return f"an entry of tar type {member.type!r}"
