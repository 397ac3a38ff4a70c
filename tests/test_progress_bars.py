"""Progress bars must not iterate a loader behind the loop's back.

tqdm.auto's tqdm(iterable) calls iter(iterable) in its constructor (its asyncio side) and again
when the loop starts: for a DataLoader with workers, that starts a second set of worker
processes per pass, which prefetch batches nobody reads. In Jupyter the abandoned iterator also
lingers in a reference cycle until a forked worker's garbage collector meets it ("can only
test a child process"). So the training loop and predict drive their bars by hand.
"""

import torch
from torch import nn
from torch.utils.data import DataLoader

from agcnn_lab.profiles import StageSettings
from agcnn_lab.train.loop import fit_stage
from agcnn_lab.train.predict import predict


class CountingLoader:
    def __init__(self, loader):
        self.loader, self.iterations = loader, 0

    def __iter__(self):
        self.iterations += 1
        return iter(self.loader)

    def __len__(self):
        return len(self.loader)


def test_predict_iterates_the_loader_once(ci_run, ci_data, ci_profile):
    loader = CountingLoader(DataLoader(ci_data.dataset("test", ci_profile.data, with_source=True), batch_size=8))
    for progress in (True, False):
        loader.iterations = 0
        result = predict(ci_run.model, loader, torch.device("cpu"), progress=progress)
        assert loader.iterations == 1 and len(result.indices) == len(ci_data.entries("test"))


def test_a_training_epoch_iterates_its_loader_once(tmp_path):
    x, y = torch.randn(12, 3), torch.randint(0, 2, (12, 1)).float()
    model = nn.Linear(3, 1)
    loaders = []

    def make_loader(epoch):
        loaders.append(CountingLoader(DataLoader(list(zip(x, y, strict=True)), batch_size=4)))
        return loaders[-1]

    def loss_fn(batch):
        inputs, labels = batch
        return nn.functional.binary_cross_entropy_with_logits(model(inputs), labels)

    fit_stage(tmp_path / "stage", trainable={"m": model}, loss_fn=loss_fn, validate=lambda: 0.5, make_loader=make_loader,
              settings=StageSettings(epochs=2, batch_size=4), device=torch.device("cpu"), progress=True)
    assert [loader.iterations for loader in loaders] == [1, 1]
