"""ImageNet weights for the torchvision backbones: downloaded once, or read from a local file.

Downloads go through torchvision's weights API and torch.hub's cache (TORCH_HOME/hub/checkpoints),
with the file's SHA-256 prefix checked. Offline, the failure says which file to fetch and where
to put it, instead of a bare URLError.

    from torchvision.models import ResNet50_Weights
    state = imagenet_state_dict(ResNet50_Weights.IMAGENET1K_V2)          # hub cache or download
    state = imagenet_state_dict(ResNet50_Weights.IMAGENET1K_V2, "r50.pth")  # a local file
    model.load_state_dict(state)
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
from pathlib import Path
from urllib.parse import urlparse

import torch
import torchvision
from torchvision.models import WeightsEnum

# What an unreachable or refusing host raises out of torch.hub's urllib download.
NetworkError = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)

# The ImageNet checkpoint each torchvision backbone of this package starts from: backbone (the
# torchvision builder of the same name) -> (weights enum, member).
_BACKBONE_WEIGHTS = {
    "resnet18": ("ResNet18_Weights", "IMAGENET1K_V1"),
    "resnet50": ("ResNet50_Weights", "IMAGENET1K_V2"),
    "densenet121": ("DenseNet121_Weights", "IMAGENET1K_V1"),
    "mobilenet_v2": ("MobileNet_V2_Weights", "IMAGENET1K_V1"),
}


def weights_for_backbone(name: str) -> WeightsEnum:
    """torchvision's ImageNet weights enum for the backbone `name` (ValueError if it has none)."""
    if name not in _BACKBONE_WEIGHTS:
        raise ValueError(f"backbone {name!r} has no ImageNet weights; those that do: {', '.join(_BACKBONE_WEIGHTS)}")
    enum, member = _BACKBONE_WEIGHTS[name]
    return getattr(getattr(torchvision.models, enum), member)


def hash_prefix(weights: WeightsEnum) -> str:
    """The SHA-256 prefix torchvision puts in a checkpoint's file name (resnet18-f37072fd.pth)."""
    return Path(urlparse(weights.url).path).stem.rsplit("-", 1)[-1]


def verify_checkpoint(path: str | os.PathLike, weights: WeightsEnum) -> None:
    """Raise ValueError unless `path` is the file of `weights`: the SHA-256 prefix in torchvision's
    file name, and a strict load into torchvision's architecture."""
    path = Path(path)
    expected = hash_prefix(weights)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if not digest.hexdigest().startswith(expected):
        raise ValueError(f"{path}: SHA-256 {digest.hexdigest()[:12]}... is not torchvision's {weights} ({expected}...)")
    builder = next(name for name in _BACKBONE_WEIGHTS if weights_for_backbone(name) == weights)
    model = getattr(torchvision.models, builder)(weights=None)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if "densenet" in builder:
        state = rename_old_densenet_keys(state)
    model.load_state_dict(state)  # strict: a file for another architecture fails here


def hub_checkpoint_path(url: str) -> Path:
    """Where torch.hub looks for (and saves) the file of `url`: TORCH_HOME/hub/checkpoints/NAME."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def imagenet_state_dict(weights: WeightsEnum, weights_path: str | os.PathLike | None = None) -> dict:
    """The state dict of `weights`, from `weights_path` when given, else from torch.hub's cache.

    Raises RuntimeError, naming the URL and the two ways to supply the file, when it cannot be
    downloaded; FileNotFoundError when `weights_path` does not exist.
    """
    if weights_path is not None:
        path = Path(weights_path)
        if not path.is_file():
            raise FileNotFoundError(f"weights file not found: {path}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        # Accept a training checkpoint that wraps the state dict, as well as the bare file.
        return state.get("state_dict", state) if isinstance(state, dict) else state
    try:
        return torch.hub.load_state_dict_from_url(
            weights.url, map_location="cpu", progress=True, check_hash=True, weights_only=True
        )
    except NetworkError as err:
        raise RuntimeError(
            f"cannot download the ImageNet weights {weights} from {weights.url} ({err}). "
            f"Offline, fetch that file elsewhere and put it at {hub_checkpoint_path(weights.url)} "
            "(the torch hub checkpoints folder; set TORCH_HOME to move it), "
            "or pass weights_path=/path/to/the/file."
        ) from err


# torchvision's DenseNet checkpoints predate the ban on '.' in module names: 'norm.1' stands for
# 'norm1' (the same remapping as torchvision.models.densenet._load_state_dict, which is private).
_OLD_DENSENET_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$"
)


def rename_old_densenet_keys(state: dict) -> dict:
    """Return `state` with 'denselayerN.norm.1.weight' keys renamed to 'denselayerN.norm1.weight'."""
    renamed = {}
    for key, value in state.items():
        match = _OLD_DENSENET_KEY.match(key)
        renamed[match.group(1) + match.group(2) if match else key] = value
    return renamed
