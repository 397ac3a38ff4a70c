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

import http.client
import os
import re
import urllib.error
from pathlib import Path
from urllib.parse import urlparse

import torch
from torchvision.models import WeightsEnum

# What an unreachable or refusing host raises out of torch.hub's urllib download.
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


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
    except _NETWORK_ERRORS as err:
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
