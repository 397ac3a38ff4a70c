"""Facts about the NIH ChestX-ray14 release: its 12 image archives and its 4 label files.

Sources: the NIH FAQ and `batch_download_zips.py` (links, MD5s), the Box folder (file names).
See data/nih-sample/RELEASE.md.

    for archive in ARCHIVES:
        archive.name, archive.url, archive.md5     # 'images_001.tar.gz', 'https://nihcc.box.com/...', ...
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

BOX_FOLDER = "https://nihcc.app.box.com/v/ChestXray-NIHCC"
IMAGE_COUNT = 112_120


class Archive(NamedTuple):
    """One gzip'd tar of the release; it unpacks to a flat `images/` folder of PNGs."""

    number: int  # 1 .. 12
    url: str  # the NIH's static link
    md5: str  # from the NIH FAQ
    images: int  # PNGs inside

    @property
    def name(self) -> str:
        """The Box folder's (and the FAQ's) name, three digits: images_001.tar.gz."""
        return f"images_{self.number:03d}.tar.gz"

    @property
    def file_names(self) -> tuple[str, ...]:
        """Every name the archive goes by on disk: the Box name, then the one NIH's
        batch_download_zips.py writes (two digits: images_01.tar.gz)."""
        return (self.name, f"images_{self.number:02d}.tar.gz")

    @property
    def kaggle_folder(self) -> str:
        """The Kaggle mirror unpacks this archive to `images_001/images/`."""
        return f"images_{self.number:03d}"


_STATIC = "https://nihcc.box.com/shared/static/"

ARCHIVES: tuple[Archive, ...] = (
    Archive(1, _STATIC + "vfk49d74nhbxq3nqjg0900w5nvkorp5c.gz", "fe8ed0a6961412fddcbb3603c11b3698", 4_999),
    Archive(2, _STATIC + "i28rlmbvmfjbl8p2n3ril0pptcmcu9d1.gz", "ab07a2d7cbe6f65ddd97b4ed7bde10bf", 10_000),
    Archive(3, _STATIC + "f1t00wrtdk94satdfb9olcolqx20z2jp.gz", "2301d03bde4c246388bad3876965d574", 10_000),
    Archive(4, _STATIC + "0aowwzs5lhjrceb3qp67ahp0rd1l1etg.gz", "9f1b7f5aae01b13f4bc8e2c44a4b8ef6", 10_000),
    Archive(5, _STATIC + "v5e3goj22zr6h8tzualxfsqlqaygfbsn.gz", "1861f3cd0ef7734df8104f2b0309023b", 10_000),
    Archive(6, _STATIC + "asi7ikud9jwnkrnkj99jnpfkjdes7l6l.gz", "456b53a8b351afd92a35bc41444c58c8", 10_000),
    Archive(7, _STATIC + "jn1b4mw4n6lnh74ovmcjb8y48h8xj07n.gz", "1075121ea20a137b87f290d6a4a5965e", 10_000),
    Archive(8, _STATIC + "tvpxmn7qyrgl0w8wfh9kqfjskv6nmm1j.gz", "b61f34cec3aa69f295fbb593cbd9d443", 10_000),
    Archive(9, _STATIC + "upyy3ml7qdumlgk2rfcvlb9k6gvqq2pj.gz", "442a3caa61ae9b64e61c561294d1e183", 10_000),
    Archive(10, _STATIC + "l6nilvfa9cg3s28tqv1qc1olm3gnz54p.gz", "09ec81c4c31e32858ad8cf965c494b74", 10_000),
    Archive(11, _STATIC + "hhq8fkdgvcari67vfhs7ppg2w6ni4jze.gz", "499aefc67207a5a97692424cf5dbeed5", 10_000),
    Archive(12, _STATIC + "ioqwiy20ihqwyr8pf4c24eazhh281pbu.gz", "dc9fda1757c2de0032b63347a7d2895c", 7_121),
)


class LabelFile(NamedTuple):
    """A label file of the Box folder (no static link: it comes from the browser, or the sample)."""

    name: str  # the Box folder's name
    aliases: tuple[str, ...] = ()  # other names it goes by (the Kaggle mirror's 2017 table)

    @property
    def file_names(self) -> tuple[str, ...]:
        """Accepted names, best first, each plain or gzip'd (tables.py reads both)."""
        return tuple(n + gz for n in (self.name, *self.aliases) for gz in ("", ".gz"))

    def find_in(self, folder: str | os.PathLike) -> Path | None:
        """The file in `folder` under the first of its accepted names, or None.

        The one place that knows the names: every reader of a release folder asks here.
        """
        for name in self.file_names:
            path = Path(folder) / name
            if path.is_file():
                return path
        return None

    def require_in(self, folder: str | os.PathLike) -> Path:
        """As find_in, but a folder without the file is an error naming every name tried."""
        path = self.find_in(folder)
        if path is None:
            raise ValueError(f"{folder}: missing {self.name} (looked for {', '.join(self.file_names)})")
        return path


ENTRY_TABLE = LabelFile("Data_Entry_2017_v2020.csv", aliases=("Data_Entry_2017.csv",))
BOX_LIST = LabelFile("BBox_List_2017.csv")
TRAIN_VAL_LIST = LabelFile("train_val_list.txt")
TEST_LIST = LabelFile("test_list.txt")
LABEL_FILES: tuple[LabelFile, ...] = (ENTRY_TABLE, BOX_LIST, TRAIN_VAL_LIST, TEST_LIST)


def archive_url(archive: Archive, base_url: str | None = None) -> str:
    """Where to fetch `archive`: its static link, or `{base_url}/{archive.name}` on a mirror.

    `base_url` replaces the whole link, host and path: with base_url="http://mirror/nih" the
    first archive comes from http://mirror/nih/images_001.tar.gz.
    """
    if base_url is None:
        return archive.url
    check_base_url(base_url)
    return f"{base_url.rstrip('/')}/{archive.name}"


def check_base_url(base_url: str) -> None:
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
