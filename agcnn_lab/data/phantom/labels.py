"""Which labels a phantom image carries: the real ChestX-ray14 label sets, re-weighted.

The derivation, step by step (numbers for the 112,120-image v2020 table):

1. Count every distinct label set of the real table ("No Finding", "Infiltration",
   "Atelectasis|Effusion", ...: 801 sets). The counts are committed in `real_label_sets.json`
   (read at import) so that generating needs no pass over the 112k-row table; `derive_real_statistics`
   recomputes them and a test checks that the committed numbers equal the real file's.
2. Sampling a set with probability proportional to its count reproduces the real data
   exactly: every prevalence, every co-occurrence, the number of findings per image, and
   "No Finding" (54%) as the empty set.
3. Floors. Hernia is on 0.2% of real images: 6 positives in 3,000, too few to train or to
   score an AUC. Each class's target prevalence is max(real, floor) (floor 5% by default:
   about 30 positives in a 600-image test set), or a value given in `prevalence=`.
4. Raking. The set weights are re-weighted to meet the targets with the smallest change to
   the real distribution: among all distributions over the real label sets whose 14
   marginals equal the targets, the one closest to the real one in Kullback-Leibler
   divergence. Its weights are count x exp(sum of one factor per class present), found by
   iterative proportional fitting (each class in turn, its sets' odds are scaled to hit the
   target). Only real label sets occur, so co-occurrences keep the real structure: Effusion
   still comes with Atelectasis and Cardiomegaly, Infiltration with Nodule; "No Finding"
   falls to what the floors leave (about 46% with the defaults).
5. Follow-ups. A patient's number of images follows the real images-per-patient histogram,
   capped at 12 (mean 2.86). Follow-up t keeps the label set of t-1 with probability rho and
   draws afresh otherwise, which leaves every image's marginal distribution unchanged. rho is
   fitted so that consecutive images of a patient share their label set as often as in the
   real table (41.1%): P(same) = rho + (1 - rho) * sum_s p_s^2 with the raked p_s (sum 21.6%
   with the defaults, 30.2% unraked), so rho = 0.25.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ..classes import CLASSES, NO_FINDING

DEFAULT_FLOOR = 0.05
REAL_LABEL_SETS = "real_label_sets.json"  # package data, next to this module

# Findings with a place (a box), and findings of a whole lung or heart (no box).
LOCALISED: tuple[str, ...] = (
    "Atelectasis",
    "Effusion",
    "Infiltration",
    "Mass",
    "Nodule",
    "Pneumonia",
    "Pneumothorax",
    "Consolidation",
    "Pleural_Thickening",
    "Hernia",
)
DIFFUSE: tuple[str, ...] = ("Cardiomegaly", "Edema", "Emphysema", "Fibrosis")


@dataclass(frozen=True)
class RealLabelStatistics:
    """The counts the phantom's labels are derived from (see the module doc)."""

    label_sets: tuple[tuple[int, str], ...]  # (images, "A|B") for each distinct label set
    images_per_patient: tuple[int, ...]  # patients with 1, 2, ... images; the last bin is ">= cap"
    same_as_previous: tuple[int, int]  # (follow-ups with the previous one's label set, follow-ups)


def read_statistics(text: str) -> RealLabelStatistics:
    """The statistics of a `real_label_sets.json` text (format_statistics's output)."""
    data = json.loads(text)
    return RealLabelStatistics(
        tuple((int(n), str(s)) for n, s in data["label_sets"]),
        tuple(int(n) for n in data["images_per_patient"]),
        tuple(int(n) for n in data["same_as_previous"]),
    )


def format_statistics(stats: RealLabelStatistics) -> str:
    """The text of `real_label_sets.json` for these statistics (to regenerate it): one label
    set a line, so that a recount shows as a readable diff."""
    sets = ",\n".join(f"    [{n}, {json.dumps(s)}]" for n, s in stats.label_sets)
    return "\n".join(
        [
            "{",
            f'  "source": {json.dumps(_SOURCE)},',
            f'  "fields": {json.dumps(_FIELDS)},',
            '  "label_sets": [',
            sets,
            "  ],",
            f'  "images_per_patient": {json.dumps(list(stats.images_per_patient))},',
            f'  "same_as_previous": {json.dumps(list(stats.same_as_previous))}',
            "}",
            "",
        ]
    )


_SOURCE = (
    "Counts from the real ChestX-ray14 label table (Data_Entry_2017_v2020.csv, 112,120 images), "
    "by agcnn_lab.data.phantom.labels.format_statistics(derive_real_statistics(...)); "
    "tests/test_phantom_labels.py re-derives them from data/nih-sample."
)
_FIELDS = {
    "label_sets": "[images, label set] per distinct label set, class names in the order of CLASSES",
    "images_per_patient": "patients with 1, 2, ... images; the last bin counts those with that many or more",
    "same_as_previous": "[follow-ups whose label set equals the previous image's of the patient, all follow-ups]",
}


def committed_statistics() -> RealLabelStatistics:
    """The statistics committed with the package (real_label_sets.json)."""
    return _COMMITTED


def derive_real_statistics(entries_path: str | os.PathLike, cap: int = 12) -> RealLabelStatistics:
    """Recount the statistics from a real `Data_Entry_2017*.csv[.gz]`."""
    from ..tables import read_entries

    entries = read_entries(entries_path).sort_values(["patient_id", "follow_up"])
    onehot = entries[list(CLASSES)].to_numpy(bool)
    names = np.array(
        ["|".join(c for c, on in zip(CLASSES, row, strict=True) if on) or NO_FINDING for row in onehot]
    )
    sets, counts = np.unique(names, return_counts=True)
    order = sorted(range(len(sets)), key=lambda i: (-counts[i], sets[i]))
    label_sets = tuple((int(counts[i]), str(sets[i])) for i in order)

    per_patient = entries.groupby("patient_id").size().to_numpy()
    histogram = np.bincount(np.minimum(per_patient, cap), minlength=cap + 1)[1:]

    patients = entries["patient_id"].to_numpy()
    follow = patients[1:] == patients[:-1]
    same = (names[1:] == names[:-1]) & follow
    return RealLabelStatistics(
        label_sets, tuple(int(h) for h in histogram), (int(same.sum()), int(follow.sum()))
    )


# Read once, at import: every phantom draws its labels from these counts.
_COMMITTED = read_statistics(resources.files(__package__).joinpath(REAL_LABEL_SETS).read_text(encoding="utf-8"))
MAX_IMAGES_PER_PATIENT = len(_COMMITTED.images_per_patient)


class LabelDistribution:
    """The real label sets, raked to the target prevalences; samples a patient's label series.

        labels = LabelDistribution.build(prevalence={"Nodule": 0.3})
        labels.targets["Hernia"]                        # 0.05, the floor
        labels.series(rng, 3)                           # [("Effusion",), (), ("Effusion", ...)]
    """

    def __init__(self, sets: np.ndarray, weights: np.ndarray, targets: dict[str, float],
                 images_per_patient: np.ndarray, persistence: float):
        self.sets = sets  # (K, 14) bool
        self.probabilities = weights / weights.sum()
        self.targets = targets
        self.images_per_patient = images_per_patient / images_per_patient.sum()
        self.persistence = persistence
        self._cumulative = np.cumsum(self.probabilities)

    @classmethod
    def build(cls, prevalence: Mapping[str, float] | None = None, floor: float = DEFAULT_FLOOR,
              stats: RealLabelStatistics | None = None) -> LabelDistribution:
        """Targets: max(real prevalence, floor), then the overrides in `prevalence` (by class name)."""
        if not (isinstance(floor, (int, float)) and 0 <= floor < 1):
            raise ValueError(f"prevalence floor must lie in [0, 1), got {floor!r}")
        stats = stats or committed_statistics()
        counts = np.array([n for n, _ in stats.label_sets], dtype=float)
        sets = np.array([[c in s.split("|") for c in CLASSES] for _, s in stats.label_sets])
        real = counts @ sets / counts.sum()
        targets = {c: float(max(r, floor)) for c, r in zip(CLASSES, real, strict=True)}
        for name, value in dict(prevalence or {}).items():
            if name not in CLASSES:
                raise ValueError(
                    f"unknown class {name!r} in the prevalence override; expected one of {', '.join(CLASSES)}"
                )
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ValueError(f"prevalence of {name!r} must be a number in [0, 1], got {value!r}")
            targets[name] = float(value)
        weights = rake(counts, sets, np.array([targets[c] for c in CLASSES]))

        p_same = stats.same_as_previous[0] / max(stats.same_as_previous[1], 1)
        chance = float(((weights / weights.sum()) ** 2).sum())  # two fresh draws agree
        persistence = float(np.clip((p_same - chance) / (1 - chance), 0.0, 1.0))
        return cls(sets, weights, targets, np.array(stats.images_per_patient, float), persistence)

    def prevalence(self) -> dict[str, float]:
        """The exact prevalence of each class (and No Finding) under this distribution."""
        p = self.probabilities @ self.sets
        out = {c: float(v) for c, v in zip(CLASSES, p, strict=True)}
        out[NO_FINDING] = float(self.probabilities[~self.sets.any(axis=1)].sum())
        return out

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n independent label sets as an (n, 14) bool array."""
        index = np.searchsorted(self._cumulative, rng.random(n) * self._cumulative[-1], side="right")
        return self.sets[np.minimum(index, len(self.sets) - 1)]

    def number_of_images(self, rng: np.random.Generator) -> int:
        return int(rng.choice(len(self.images_per_patient), p=self.images_per_patient)) + 1

    def series(self, rng: np.random.Generator, n_images: int) -> list[tuple[str, ...]]:
        """A patient's label sets, follow-up 0 first (see step 5 of the module doc)."""
        fresh = self.sample(rng, n_images)
        keep = rng.random(n_images) < self.persistence
        out: list[tuple[str, ...]] = []
        for t in range(n_images):
            row = fresh[t] if t == 0 or not keep[t] else None
            out.append(out[-1] if row is None else tuple(c for c, on in zip(CLASSES, row, strict=True) if on))
        return out


def rake(counts: np.ndarray, sets: np.ndarray, targets: np.ndarray,
         tol: float = 1e-10, max_sweeps: int = 5000) -> np.ndarray:
    """Weights over the label sets with marginals `targets`, closest in KL to `counts`.

    Iterative proportional fitting on binary margins: for each class in turn, scale the odds
    of the sets that contain it so its marginal equals its target. A target of 0 (or 1)
    removes the sets with (or without) the class. Raises ValueError when the targets cannot
    be met together by re-weighting the real label sets.
    """
    weights = counts.astype(float).copy()
    for k, t in enumerate(targets):
        if t == 0.0:
            weights[sets[:, k]] = 0.0
        elif t == 1.0:
            weights[~sets[:, k]] = 0.0
    for _ in range(max_sweeps):
        total = weights.sum()
        if total <= 0:
            break
        error = 0.0
        for k, t in enumerate(targets):
            if t in (0.0, 1.0):
                continue
            has = sets[:, k]
            p = weights[has].sum() / weights.sum()
            if p <= 0.0 or p >= 1.0:
                error = np.inf
                break
            error = max(error, abs(p - t))
            weights[has] *= (t / (1 - t)) / (p / (1 - p))
            weights /= weights.sum()
        if not np.isfinite(error):
            break
        if error < tol:
            return weights
    achieved = (weights @ sets) / max(weights.sum(), 1e-300)
    worst = int(np.nanargmax(np.abs(np.nan_to_num(achieved, nan=-1) - targets)))
    raise ValueError(
        "the prevalence targets cannot be met together by re-weighting the real label sets "
        f"(e.g. {CLASSES[worst]}: target {targets[worst]:.3f}); lower some overrides"
    )
