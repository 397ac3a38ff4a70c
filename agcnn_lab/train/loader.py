"""The DataLoader every stage and every prediction uses: its order and augmentation fixed by (seed, epoch).

    loader = make_loader(dataset, 32, profile.training, shuffle=True, epoch=3)

Under torchrun a training loader (shuffle=True) gives each process its share: a
DistributedSampler seeded by (seed, epoch) splits the epoch's order, and `batch_size` is the
global batch, divided among the processes. Prediction loaders (shuffle=False) read the whole split.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, DistributedSampler

from .distributed import current, local_batch_size


def make_loader(dataset, batch_size: int, training, shuffle: bool, epoch: int = 0) -> DataLoader:
    """A loader whose shuffling and augmentation are fixed by (training.seed, epoch), so that a
    resumed run sees the same batches as an uninterrupted one."""
    seed = training.seed * 100_003 + epoch
    ranks = current()
    if shuffle and ranks.active:
        sampler = DistributedSampler(dataset, num_replicas=ranks.world_size, rank=ranks.rank, shuffle=True,
                                     seed=seed, drop_last=True)
        return DataLoader(
            dataset,
            batch_size=local_batch_size(batch_size, ranks),
            sampler=sampler,
            num_workers=training.workers,
            generator=torch.Generator().manual_seed(seed * 1_009 + ranks.rank),  # the workers' augmentation
            pin_memory=torch.cuda.is_available(),
            drop_last=len(dataset) > batch_size,
        )
    generator = torch.Generator().manual_seed(seed)
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
