"""Images per second through a DataLoader: PNG-per-sample (what the peers do) vs the cache.

    .venv/bin/python benchmarks/bench_loader.py [--samples 920] [--workers 2]

(a) opens each 1024-px PNG with PIL every epoch, Resize(256), RandomResizedCrop(224),
    flip, ToTensor, Normalize — the torchvision pipeline of the public re-implementations;
(b) ChestXrayDataset over the 512-px cache: the same transforms, one resample from the
    cached image. Both use the 23 real radiographs of data/nih-sample, cycled.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from agcnn_lab.data import read_entries
from agcnn_lab.data.cache import build_cache
from agcnn_lab.data.dataset import ChestXrayDataset
from agcnn_lab.data.geometry import InputGeometry
from agcnn_lab.data.nih_release import ENTRY_TABLE

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "nih-sample"


class PngPerSample(Dataset):
    def __init__(self, paths, labels):
        self.paths, self.labels = paths, labels
        self.transform = transforms.Compose(
            [
                transforms.Resize(256),
                transforms.RandomResizedCrop(224),
                transforms.RandomHorizontalFlip(),
                transforms.ToTensor(),
                transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
            ]
        )

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        image = Image.open(self.paths[i]).convert("RGB")
        return self.transform(image), self.labels[i]


def images_per_second(dataset, workers: int, batch: int) -> float:
    loader = DataLoader(dataset, batch_size=batch, num_workers=workers, shuffle=True, persistent_workers=True)
    for _ in loader:  # warm-up epoch: workers start, page cache fills
        break
    start = time.perf_counter()
    count = sum(len(b[0]) for b in loader)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=920)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)

    names = sorted(p.name for p in (SAMPLE / "images").glob("*.png"))
    entries = read_entries(ENTRY_TABLE.require_in(SAMPLE))
    entries = entries[entries["image"].isin(names)].reset_index(drop=True)
    cycled = pd.concat([entries] * (args.samples // len(entries) + 1)).iloc[: args.samples]

    peers = PngPerSample([SAMPLE / "images" / n for n in cycled["image"]], torch.zeros(len(cycled), 14))
    with tempfile.TemporaryDirectory() as tmp:
        cache = build_cache(entries, SAMPLE, Path(tmp) / "cache", size=512, progress=False)
        ours = ChestXrayDataset(cycled, cache, InputGeometry(resize=256, crop=224), train=True)
        slow = images_per_second(peers, args.workers, args.batch)
        fast = images_per_second(ours, args.workers, args.batch)
    print(f"samples={args.samples} workers={args.workers} batch={args.batch} threads/worker=1")
    print(f"(a) PNG per sample (PIL, 1024 px):  {slow:8.1f} img/s")
    print(f"(b) 512-px memory-mapped cache:     {fast:8.1f} img/s")
    print(f"speed-up: {fast / slow:.1f}x (goal >= 10x)")


if __name__ == "__main__":
    main()
