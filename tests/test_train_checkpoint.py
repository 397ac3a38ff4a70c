import pytest
import torch
from torch import nn

from agcnn_lab.models import Branch, create_backbone
from agcnn_lab.train.checkpoint import (
    BEST_KEYS,
    RESUME_KEYS,
    CheckpointError,
    load_checkpoint,
    load_weights,
    require_keys,
    save_checkpoint,
)


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


def test_a_checkpoint_without_its_optimiser_state_is_refused_naming_file_and_keys(tmp_path):
    model = nn.Linear(3, 2)
    full = {
        "weights": {"m": model.state_dict()},
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1).state_dict(),
        "scheduler": {},
        "epoch": 0,
        "history": [],
        "best_val_auc": 0.5,
        "best_epoch": 1,
    }
    save_checkpoint(tmp_path / "last.pt", full)
    assert load_checkpoint(tmp_path / "last.pt", require=RESUME_KEYS)["epoch"] == 0
    lacking = {k: v for k, v in full.items() if k not in ("optimizer", "scheduler")}
    save_checkpoint(tmp_path / "last.pt", lacking)
    with pytest.raises(CheckpointError, match=r"last.pt: the checkpoint lacks 'optimizer', 'scheduler'; it holds only 'best_epoch'"):
        load_checkpoint(tmp_path / "last.pt", require=RESUME_KEYS)
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 0  # nothing required, nothing refused
    with pytest.raises(CheckpointError, match=r"best.pt: the checkpoint lacks 'val_mean_auc'"):
        require_keys({"weights": {}, "epoch": 1}, BEST_KEYS, tmp_path / "best.pt")


def test_a_file_that_is_not_a_dict_of_states_is_refused(tmp_path):
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(CheckpointError, match=r"tensor.pt: holds a Tensor, not a checkpoint's dict"):
        load_checkpoint(tmp_path / "tensor.pt")


def test_checkpoint_error_is_a_value_error():
    assert issubclass(CheckpointError, ValueError)
