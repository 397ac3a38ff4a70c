"""The DataLoader every stage and every prediction uses: its order and augmentation fixed by (seed, epoch).

    loader = make_loader(dataset, 32, profile.training, shuffle=True, epoch=3)
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader


def make_loader(dataset, batch_size: int, training, shuffle: bool, epoch: int = 0) -> DataLoader:
    """A loader whose shuffling and augmentation are fixed by (training.seed, epoch), so that a
    resumed run sees the same batches as an uninterrupted one."""
    generator = torch.Generator().manual_seed(training.seed * 100_003 + epoch)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=training.workers,
        generator=generator,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=False,
        drop_last=shuffle and len(dataset) > batch_size,
    )
