"""One phantom patient: who they are, their chest, their findings' places, and their films.

All randomness is seeded from (seed, patient) for what a patient keeps (metadata, labels,
anatomy, sites) and from (seed, patient, follow-up) for what one film adds (findings' exact
shapes, pose, exposure, noise), so any image can be made alone, by any worker, in any order,
and the set for N patients is the first N patients of any larger set. The look-alikes and the
peripheral vessel twigs of v2 draw from streams of their own, so switching them off gives
v1's films byte for byte.

    patient = Patient(1, seed=0, size=512, labels=LabelDistribution.build(), difficulty=Difficulty())
    film = patient.film(0)     # film.pixels, film.labels, film.lesions, film.lookalikes, film.devices
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .anatomy import Anatomy, peripheral_twigs, sample_params
from .devices import Device, draw_devices, draws_devices
from .difficulty import Difficulty
from .findings import DIFFUSE_DRAWERS, LOCALISED_DRAWERS, Chest, Lesion
from .labels import LabelDistribution
from .lookalikes import Lookalike, Planned, draw_lookalikes, draws_haze, plan_lookalikes
from .render import film, pose_boxes, pose_matrix, sample_acquisition
from .sites import SitePlan, jitter, plan_sites

# Streams of a patient's randomness; follow-up numbers (< 1000) seed the films, so these
# tags stay clear of them (np.random.SeedSequence pads short entropy with zeros).
_METADATA, _LABELS, _ANATOMY, _SITES = 1_000_001, 1_000_002, 1_000_003, 1_000_004
# (generate.py's split uses 1_000_005.) v2's streams: after all of v1's draws, never among them.
_LOOKALIKES, _TWIGS = 1_000_006, 1_000_007
_DEVICES = 1_000_008  # v5's devices: a film's stream of its own, so films without them keep their bytes


def _rng(*words: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(words)))


@dataclass(frozen=True)
class Film:
    """One generated image: its name, pixels, labels, posed lesion boxes and table metadata."""

    name: str
    pixels: np.ndarray  # (size, size) uint8
    labels: tuple[str, ...]  # empty for No Finding
    lesions: tuple[Lesion, ...]  # boxes in image pixels, after pose
    patient_id: int
    follow_up: int
    age: int
    sex: str
    view: str
    masks: tuple[np.ndarray, ...] | None = None  # per lesion, after pose; only when asked for
    lookalikes: tuple[Lookalike, ...] = ()  # unlabelled, after pose: never in labels or boxes
    centres: tuple[tuple[float, float], ...] = ()  # per lesion, its site after pose
    devices: tuple[Device, ...] = ()  # v5: unlabelled ECG leads, lines, pacemakers, after pose


class Patient:
    """Patient `patient_id` of the set made with `seed`: metadata and label series at once,
    anatomy and sites on first use, a film per follow-up on request."""

    def __init__(self, patient_id: int, seed: int, size: int, labels: LabelDistribution,
                 difficulty: Difficulty):
        self.patient_id, self.seed, self.size, self.difficulty = patient_id, seed, size, difficulty
        meta = _rng(seed, patient_id, _METADATA)
        self.sex = "M" if meta.random() < 0.565 else "F"  # the release: 56.5% men
        self.age = int(np.clip(np.rint(meta.normal(47, 16.5)), 1, 94))
        self.pa_fraction = 0.6  # the release: 60% PA, 40% AP
        label_rng = _rng(seed, patient_id, _LABELS)
        self.label_series = labels.series(label_rng, labels.number_of_images(label_rng))
        self._anatomy: Anatomy | None = None
        self._sites: SitePlan | None = None
        self._lookalikes: list[Planned] | None = None

    @property
    def n_images(self) -> int:
        return len(self.label_series)

    @property
    def anatomy(self) -> Anatomy:
        """Drawn on first use, then shared by all of the patient's films."""
        if self._anatomy is None:
            rng = _rng(self.seed, self.patient_id, _ANATOMY)
            self._anatomy = Anatomy(sample_params(rng, self.sex, self.difficulty), self.size, rng)
            if self.difficulty.peripheral_vessels > 0:
                twigs = _rng(self.seed, self.patient_id, _TWIGS)
                self._anatomy.vessels = self._anatomy.vessels + peripheral_twigs(
                    self._anatomy, self.difficulty.peripheral_vessels, twigs)
        return self._anatomy

    @property
    def sites(self) -> SitePlan:
        """Where this patient's localised findings go (planned with the anatomy)."""
        if self._sites is None:
            self._sites = plan_sites(self.anatomy, _rng(self.seed, self.patient_id, _SITES))
        return self._sites

    @property
    def lookalike_plan(self) -> list[Planned]:
        """The patient's unlabelled look-alikes and their candidate places (lookalikes.py)."""
        if self._lookalikes is None:
            rng = _rng(self.seed, self.patient_id, _LOOKALIKES)
            self._lookalikes = plan_lookalikes(self.anatomy, self.difficulty, rng)
        return self._lookalikes

    def film(self, follow_up: int, with_masks: bool = False) -> Film:
        """Follow-up `follow_up` (0-based); `with_masks` adds each lesion's posed pixel mask,
        for checking boxes against what was drawn."""
        if not 0 <= follow_up < self.n_images:
            raise ValueError(f"patient {self.patient_id} has follow-ups 0..{self.n_images - 1}, got {follow_up!r}")
        labels = self.label_series[follow_up]
        rng = _rng(self.seed, self.patient_id, follow_up)
        anatomy = self.anatomy
        chest = Chest(anatomy)
        for label, draw in DIFFUSE_DRAWERS.items():
            if label in labels:
                draw(chest, self.difficulty, rng)
        lesions: list[Lesion] = []
        centres: list[tuple[float, float]] = []
        for label, draw in LOCALISED_DRAWERS.items():
            if label in labels:
                for site in self.sites[label]:
                    site = jitter(site, rng, self.size)
                    lesions.append(draw(chest, site, self.difficulty, rng))
                    centres.append((site.x, site.y))
        lookalikes = self._draw_lookalikes(chest, lesions, follow_up)
        devices = []
        if draws_devices(self.difficulty):
            devices = draw_devices(chest, self.difficulty, _rng(self.seed, self.patient_id, follow_up, _DEVICES))
        acquisition = sample_acquisition(rng, self.difficulty)
        pixels = film(chest.density(), acquisition, rng)
        matrix = pose_matrix(acquisition, self.size)
        boxes = pose_boxes(np.array([lesion.box for lesion in lesions], float), matrix, self.size)
        posed = tuple(Lesion(lesion.label, tuple(float(v) for v in box)) for lesion, box in zip(lesions, boxes, strict=True))
        posed_lookalikes = tuple(
            Lookalike(item.kind, _pose_point(item.centre, matrix), box)
            for item, box in zip(lookalikes, _posed_boxes(lookalikes, matrix, self.size), strict=True)
        )
        posed_devices = tuple(
            Device(item.kind, box) for item, box in zip(devices, _posed_boxes(devices, matrix, self.size), strict=True)
        )
        masks = None
        if with_masks:
            masks = tuple(
                cv2.warpAffine(chest.lesion_mask(i).astype(np.uint8), matrix, (self.size, self.size),
                               flags=cv2.INTER_NEAREST) > 0
                for i in range(len(lesions))
            )
        view = "PA" if rng.random() < self.pa_fraction else "AP"
        return Film(
            name=f"{self.patient_id:08d}_{follow_up:03d}.png",
            pixels=pixels,
            labels=labels,
            lesions=posed,
            patient_id=self.patient_id,
            follow_up=follow_up,
            age=min(self.age + follow_up // 3, 95),
            sex=self.sex,
            view=view,
            masks=masks,
            lookalikes=posed_lookalikes,
            centres=tuple(_pose_point(c, matrix) for c in centres),
            devices=posed_devices,
        )

    def _draw_lookalikes(self, chest: Chest, lesions: list[Lesion], follow_up: int) -> list[Lookalike]:
        d = self.difficulty
        if not self.lookalike_plan and d.skin_fold_probability == 0 and not draws_haze(d):
            return []
        rng = _rng(self.seed, self.patient_id, follow_up, _LOOKALIKES)
        return draw_lookalikes(chest, self.lookalike_plan, lesions, d, rng)


def _posed_boxes(items, matrix: np.ndarray, size: int) -> list[tuple[float, float, float, float]]:
    """The posed boxes of unlabelled things drawn before the pose (look-alikes, devices)."""
    boxes = pose_boxes(np.array([item.box for item in items], float), matrix, size)
    return [tuple(float(v) for v in box) for box in boxes]


def _pose_point(point: tuple[float, float], matrix: np.ndarray) -> tuple[float, float]:
    x, y = matrix[:, :2] @ np.asarray(point, float) + matrix[:, 2]
    return float(x), float(y)
