"""The epoch loop: an undefined validation score stops the stage with a reason, nothing half-written;
a stage whose start is already a model (stage III's ensemble) keeps that start when no epoch beats it."""

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from agcnn_lab.config import StageSettings
from agcnn_lab.train.loop import fit_stage


def _fit(stage_dir, validate, validate_start=False, model=None):
    model = model or nn.Linear(2, 1)
    batches = [SimpleNamespace(x=torch.randn(4, 2), y=torch.rand(4, 1).round()) for _ in range(2)]

    def loss_fn(batch):
        return nn.functional.binary_cross_entropy_with_logits(model(batch.x), batch.y)

    return fit_stage(stage_dir, trainable={"model": model}, loss_fn=loss_fn, validate=validate,
                     make_loader=lambda epoch: batches, settings=StageSettings(epochs=2, batch_size=4),
                     device=torch.device("cpu"), progress=False, validate_start=validate_start)


def test_an_undefined_validation_score_stops_the_stage_saying_why(tmp_path):
    with pytest.raises(RuntimeError, match=r"validation score of epoch 1 is undefined \(nan\).*no class has both"):
        _fit(tmp_path / "stage_global", lambda: math.nan)
    assert not (tmp_path / "stage_global" / "best.pt").exists()


def test_a_defined_score_keeps_the_best_epoch(tmp_path):
    scores = iter([0.6, 0.7])
    result = _fit(tmp_path / "stage_global", lambda: next(scores))
    assert (result.best_epoch, result.best_val_auc) == (2, 0.7)
    assert (tmp_path / "stage_global" / "best.pt").is_file()


def test_the_start_is_kept_when_no_epoch_beats_it(tmp_path):
    model = nn.Linear(2, 1)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    scores = iter([0.8, 0.6, 0.7])  # the start, then epochs 1 and 2
    result = _fit(tmp_path / "stage_fusion", lambda: next(scores), validate_start=True, model=model)
    assert (result.best_epoch, result.best_val_auc) == (0, 0.8)
    assert [h["epoch"] for h in result.history] == [0, 1, 2]
    assert result.history[0]["train_loss"] is None and result.history[0]["lr"] is None
    best = torch.load(tmp_path / "stage_fusion" / "best.pt", weights_only=True)
    assert best["epoch"] == 0
    assert all(torch.equal(best["weights"]["model"][k], start[k]) for k in start)  # the untrained weights
    assert not torch.equal(model.weight, start["weight"])  # training did move them
    log = (tmp_path / "stage_fusion" / "log.csv").read_text().splitlines()
    assert log[1].startswith("0,,,0.8")


def test_an_epoch_that_beats_the_start_replaces_it(tmp_path):
    scores = iter([0.6, 0.7, 0.65])
    result = _fit(tmp_path / "stage_fusion", lambda: next(scores), validate_start=True)
    assert (result.best_epoch, result.best_val_auc) == (1, 0.7)


def test_a_resumed_stage_does_not_score_its_start_again(tmp_path):
    _fit(tmp_path / "stage_fusion", iter([0.8, 0.6, 0.7]).__next__, validate_start=True)
    calls = []
    result = _fit(tmp_path / "stage_fusion", lambda: calls.append(1) or 0.9, validate_start=True)
    assert calls == [] and result.best_epoch == 0  # finished: nothing trained or scored again


def test_an_undefined_start_score_stops_the_stage_saying_why(tmp_path):
    with pytest.raises(RuntimeError, match=r"validation score of the start \(epoch 0\) is undefined"):
        _fit(tmp_path / "stage_fusion", lambda: math.nan, validate_start=True)
