"""The epoch loop: an undefined validation score stops the stage with a reason, nothing half-written."""

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from agcnn_lab.config import StageSettings
from agcnn_lab.train.loop import fit_stage


def _fit(stage_dir, validate):
    model = nn.Linear(2, 1)
    batches = [SimpleNamespace(x=torch.randn(4, 2), y=torch.rand(4, 1).round()) for _ in range(2)]

    def loss_fn(batch):
        return nn.functional.binary_cross_entropy_with_logits(model(batch.x), batch.y)

    return fit_stage(stage_dir, trainable={"model": model}, loss_fn=loss_fn, validate=validate,
                     make_loader=lambda epoch: batches, settings=StageSettings(epochs=2, batch_size=4),
                     device=torch.device("cpu"), progress=False)


def test_an_undefined_validation_score_stops_the_stage_saying_why(tmp_path):
    with pytest.raises(RuntimeError, match=r"validation score of epoch 1 is undefined \(nan\).*no class has both"):
        _fit(tmp_path / "stage_global", lambda: math.nan)
    assert not (tmp_path / "stage_global" / "best.pt").exists()


def test_a_defined_score_keeps_the_best_epoch(tmp_path):
    scores = iter([0.6, 0.7])
    result = _fit(tmp_path / "stage_global", lambda: next(scores))
    assert (result.best_epoch, result.best_val_auc) == (2, 0.7)
    assert (tmp_path / "stage_global" / "best.pt").is_file()
