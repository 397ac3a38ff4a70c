import pytest
import torch
from torch import nn

from agcnn_lab.models import Branch, create_backbone
from agcnn_lab.train.checkpoint import load_checkpoint, load_weights, save_checkpoint


def test_round_trip_with_module_prefixes(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    wrapped = {f"module.{k}": v for k, v in model.state_dict().items()}
    save_checkpoint(tmp_path / "c.pt", {"weights": wrapped, "epoch": 3})
    state = load_checkpoint(tmp_path / "c.pt")
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    load_weights(fresh, state["weights"])
    assert state["epoch"] == 3
    for a, b in zip(model.parameters(), fresh.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not list(tmp_path.glob(".*.tmp"))


def test_another_architecture_is_refused_clearly(tmp_path):
    tiny = Branch(create_backbone("tiny", width=8), 14)
    wider = Branch(create_backbone("tiny", width=16), 14)
    save_checkpoint(tmp_path / "tiny.pt", {"weights": tiny.state_dict()})
    with pytest.raises(ValueError, match=r"tiny.pt: these weights belong to another architecture than Branch\n.*shape mismatch"):
        load_weights(wider, load_checkpoint(tmp_path / "tiny.pt")["weights"], source=tmp_path / "tiny.pt")
    resnet = Branch(create_backbone("resnet18"), 14)
    with pytest.raises(ValueError, match="missing .* key"):
        load_weights(resnet, tiny.state_dict())


def test_damaged_and_missing_files(tmp_path):
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pt: not a readable checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(FileNotFoundError, match="none.pt: no such checkpoint"):
        load_checkpoint(tmp_path / "none.pt")


def test_pickled_objects_are_not_loaded(tmp_path):
    torch.save({"weights": {}, "thing": object.__new__(nn.Module)}, tmp_path / "p.pt")  # needs pickle
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "p.pt")
