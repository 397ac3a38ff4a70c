"""The knobs of PhantomCXR-14: how big and how dense each finding is, how poor each image is.

Every size is in pixels OF A 512-PIXEL IMAGE (`REFERENCE_SIZE`) and scales with the size
generated, so a setting means the same anatomy at 256 or 1024 px. Every range (low, high) is
sampled uniformly, once per lesion or per image.

Contrasts are in units of the lung's air: 1.0 is as much density as the air of a full-depth
lung removes. Solid lesions (nodule, mass), the pleural band and line add contrast x air;
air-space opacities (consolidation, pneumonia, infiltration, atelectasis, effusion, edema,
fibrosis) replace that fraction of the local lung air, saturating at 1 = soft tissue.

The defaults make the paper's point measurable: at the global branch's 96 px (the cpu
profile) a Nodule (10-18 px at 512) is a 2-3.5 px blob among vessels and rib edges, while a
crop of the 512 px source shows a round opacity; Mass, Effusion and the diffuse findings (Cardiomegaly,
Emphysema, Edema, Fibrosis) stay visible at 128 px. docs/phantom.md gives the AUCs.

Named presets (`PRESETS`, `difficulty_preset`): "v1", the first release's settings (smooth
nodules, no look-alikes), and "v2", the defaults of `Difficulty()`: spiculated nodules, and
unlabelled LOOK-ALIKES (calcified granulomas, nipple shadows, end-on vessels, skin folds) that
a 128-px view cannot tell from a nodule or a pneumothorax but the 512-px source can
(lookalikes.py). With the look-alike probabilities at 0 and no spicules, films are v1's bytes.
"v3" adds a fine fibrotic net and its look-alike haze; "v4" is v2 positioned as loosely as the
release's films are; "v5" is v4 with devices (devices.py); "v6" is v4 with the mild forms of
Cardiomegaly, Effusion, Pneumothorax, Edema, Emphysema, Fibrosis and Hernia beside their plain
ones; "v7" is v4 with the small forms of the four focal opacities (plate-like atelectasis, focal
consolidation, bronchopneumonic foci, small infiltrates). docs/phantom.md has the reasons and what
each measured.

    from dataclasses import replace
    harder = replace(Difficulty(), nodule_contrast=(0.15, 0.25))
    generate("data/phantom-hard", 300, difficulty=harder)
    generate("data/phantom-v1", 300, difficulty=difficulty_preset("v1"))
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

REFERENCE_SIZE = 512

Range = tuple[float, float]


@dataclass(frozen=True)
class Difficulty:
    """Sizes (px at 512), contrasts (lung-air units) and image-quality ranges; see the module doc."""

    # Localised findings, small ones first: these are the ones the local branch should win on.
    nodule_diameter: Range = (10.0, 18.0)
    nodule_contrast: Range = (0.40, 0.60)
    # The malignant margin, seen only at the source's resolution: a corona of thin, tapering
    # spicules (count; length in nodule radii; width at the base in px at 512) and sometimes a
    # lucent notch. A count of (0, 0) draws v1's smooth sphere.
    nodule_spicules: Range = (6.0, 12.0)
    nodule_spicule_length: Range = (0.5, 1.2)
    nodule_spicule_width: Range = (1.0, 2.0)
    nodule_notch_probability: float = 0.4
    mass_diameter: Range = (24.0, 50.0)
    mass_contrast: Range = (0.35, 0.55)
    pleural_thickening_width: Range = (6.0, 14.0)  # thickness of the pleural band
    pleural_thickening_contrast: Range = (0.4, 0.65)
    pneumothorax_width: Range = (15.0, 40.0)  # rim of air between chest wall and pleural line
    pneumothorax_line_contrast: Range = (0.45, 0.70)
    atelectasis_length: Range = (50.0, 100.0)  # the plate's long axis
    atelectasis_contrast: Range = (0.45, 0.75)
    effusion_height: Range = (0.10, 0.28)  # meniscus height, as a fraction of the lung's height
    effusion_contrast: Range = (0.75, 0.95)
    consolidation_diameter: Range = (45.0, 85.0)
    consolidation_contrast: Range = (0.5, 0.75)
    pneumonia_diameter: Range = (50.0, 95.0)
    pneumonia_contrast: Range = (0.40, 0.62)
    infiltration_diameter: Range = (55.0, 110.0)
    infiltration_contrast: Range = (0.28, 0.45)
    hernia_diameter: Range = (50.0, 80.0)
    hernia_gas_contrast: Range = (0.60, 0.90)
    # Diffuse findings: visible on the whole image at the global branch's resolution.
    cardiothoracic_ratio: Range = (0.40, 0.50)  # normal hearts
    cardiomegaly_ratio: Range = (0.53, 0.65)  # enlarged: above the textbooks' 0.5
    edema_strength: Range = (0.25, 0.45)
    emphysema_strength: Range = (0.5, 0.9)
    fibrosis_strength: Range = (0.25, 0.45)
    # v3: fibrosis as a fine net of thin lines this many px apart at 512 (0, 0: v2's coarse
    # net and haze). Finer than the global view's pixels, it reads there as a faint haze.
    fibrosis_line_period: Range = (0.0, 0.0)
    # Look-alikes: never labelled, never boxed; each kind is on a film with its probability.
    # Their size and density overlap the nodule's (integrated density, contrast x area, matched
    # more than the peak), so that only the margin tells them apart, and only at 512 px.
    granuloma_probability: float = 0.3  # calcified granuloma: smooth, sharp, dense, homogeneous
    granuloma_diameter: Range = (9.0, 16.0)
    granuloma_contrast: Range = (0.50, 0.75)
    nipple_probability: float = 0.3  # nipple shadow: lower zones, often both sides
    nipple_diameter: Range = (11.0, 18.0)
    nipple_contrast: Range = (0.30, 0.45)
    end_on_vessel_probability: float = 0.3  # a vessel running at the viewer: a small dense dot
    end_on_vessel_diameter: Range = (8.0, 13.0)
    end_on_vessel_contrast: Range = (0.45, 0.7)
    skin_fold_probability: float = 0.3  # a skin fold: a pneumothorax-like edge, with lung markings
    skin_fold_line_contrast: Range = (0.45, 0.70)
    # v3: overlying soft tissue (breasts, pectoral muscles) or a poor inspiration: the haze a
    # fine fibrotic net averages into at 128 px, without its lines (the look-alike of v3's
    # Fibrosis). Drawn only when fibrosis_line_period is set.
    soft_tissue_haze_probability: float = 0.0
    # v5: devices, unlabelled and unrelated to the labels (devices.py): ECG electrodes and their
    # lead wires, a central venous line, a pacemaker; each kind's probability per film.
    ecg_probability: float = 0.0
    line_probability: float = 0.0
    pacemaker_probability: float = 0.0
    # Fine vessel twigs out to the lateral lung, so that a rim with and without markings
    # (pneumothorax vs skin fold) differs at 512 px; 0 draws none (v1).
    peripheral_vessels: float = 1.0
    # Acquisition: the "poor alignment and irregular borders" of real radiographs.
    rotation_degrees: float = 4.0  # pose: rotation in [-r, r]
    shift: float = 0.025  # pose: shift in [-s, s] of the image side, each axis
    scale: Range = (0.95, 1.05)
    noise: Range = (0.006, 0.018)  # pixel noise, fraction of the grey range
    blur: Range = (0.4, 1.1)  # Gaussian sigma, px at 512
    border_probability: float = 0.35  # collimator or film edge on one or two sides
    marker_probability: float = 0.75  # an 'L'/'R' side marker

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                if len(value) != 2 or not all(_finite(v) for v in value):
                    raise ValueError(f"Difficulty.{f.name} must be a (low, high) pair, got {value!r}")
                low, high = value
                if not 0 <= low <= high:
                    raise ValueError(f"Difficulty.{f.name} must satisfy 0 <= low <= high, got {value!r}")
                # Float pairs, so that to_dict/from_dict round-trips compare equal.
                object.__setattr__(self, f.name, (float(low), float(high)))
            elif not _finite(value) or value < 0:
                raise ValueError(f"Difficulty.{f.name} must be a finite number >= 0, got {value!r}")
        for name in PROBABILITIES:
            if getattr(self, name) > 1:
                raise ValueError(f"Difficulty.{name} must lie in [0, 1], got {getattr(self, name)!r}")
        if self.scale[0] <= 0:
            raise ValueError(f"Difficulty.scale must be positive, got {self.scale!r}")
        for name in ("cardiothoracic_ratio", "cardiomegaly_ratio"):
            if getattr(self, name)[1] > 0.8:
                raise ValueError(f"Difficulty.{name} above 0.8 leaves no lung, got {getattr(self, name)!r}")
        if self.effusion_height[1] > 0.6:
            raise ValueError(f"Difficulty.effusion_height is a fraction of the lung <= 0.6, got {self.effusion_height!r}")

    def to_dict(self) -> dict:
        """The settings as JSON-ready values. A field added after v2 is left out while it is
        off, so a v2 set's manifest reads as it always did (and its folder stays valid)."""
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        return {k: v for k, v in values.items() if not (k in ADDED_AFTER_V2 and _off(v, ADDED_AFTER_V2[k]))}

    @classmethod
    def from_dict(cls, values: dict) -> Difficulty:
        """The inverse of to_dict: a field added after v2 and missing is off (not its default)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown Difficulty setting(s): {', '.join(unknown)}")
        values = {**ADDED_AFTER_V2, **values}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


# Fields that are probabilities, checked to lie in [0, 1].
PROBABILITIES = ("border_probability", "marker_probability", "nodule_notch_probability", "granuloma_probability",
                 "nipple_probability", "end_on_vessel_probability", "skin_fold_probability",
                 "soft_tissue_haze_probability", "ecg_probability", "line_probability", "pacemaker_probability")

# Fields added after v2, with their "off" values (what a v2 manifest means by their absence).
ADDED_AFTER_V2 = {"fibrosis_line_period": (0.0, 0.0), "soft_tissue_haze_probability": 0.0,
                  "ecg_probability": 0.0, "line_probability": 0.0, "pacemaker_probability": 0.0}


def _off(value, off) -> bool:
    return (tuple(value) if isinstance(value, list) else value) == off


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# The first release: smooth nodules, no look-alikes, no peripheral twigs (same bytes as then).
_V1 = Difficulty(nodule_spicules=(0.0, 0.0), nodule_notch_probability=0.0, granuloma_probability=0.0,
                 nipple_probability=0.0, end_on_vessel_probability=0.0, skin_fold_probability=0.0,
                 peripheral_vessels=0.0)
# v3: v2 plus a finding whose identifying sign is finer than the global view's pixels
# (fibrosis as a fine net of lines) and its unlabelled look-alike (the haze it averages into).
_V3 = Difficulty(fibrosis_line_period=(6.0, 8.0), soft_tissue_haze_probability=0.3)
# v4: v2 positioned as the release's films are: many of them are AP films, often portable, whose
# chest sits higher or lower, larger or smaller and more tilted on the detector than a PA film's.
# The pose ranges are those at which the best fixed box holds the release's share of the lesions
# (benchmarks/fixed_box_real.py; docs/phantom.md), so the pointing game's fixed-box rival is as
# strong here as on real films and no stronger.
_V4 = Difficulty(rotation_degrees=7.0, shift=0.1, scale=(0.85, 1.1))
# v5: v4 plus the devices of the portable films it imitates (the paper's "irrelevant noisy
# areas"), about as often as the release's sample shows them (docs/phantom.md).
_V5 = replace(_V4, ecg_probability=0.2, line_probability=0.15, pacemaker_probability=0.05)
# v6: v4 with the mild forms that real films show of the seven findings v2 draws only plainly, so
# that each ranges from the borderline a radiologist looks twice at to the obvious (docs/phantom.md
# gives each range's reason): hearts on both sides of a cardiothoracic ratio of 0.5, effusions that
# only blunt the costophrenic angle, shallow apical pneumothoraces with a faint pleural line, mild
# interstitial edema, emphysema and fibrosis, small hiatal hernias.
_V6 = replace(_V4, cardiothoracic_ratio=(0.38, 0.50), cardiomegaly_ratio=(0.51, 0.62),
              effusion_height=(0.04, 0.25), effusion_contrast=(0.55, 0.95),
              pneumothorax_width=(6.0, 35.0), pneumothorax_line_contrast=(0.30, 0.65),
              edema_strength=(0.10, 0.40), emphysema_strength=(0.20, 0.80), fibrosis_strength=(0.12, 0.40),
              hernia_diameter=(30.0, 70.0), hernia_gas_contrast=(0.35, 0.85))
# v7: v4 with the small forms of the four focal opacities, which v2 draws only from the size of a
# segment up (docs/phantom.md gives each range's reason): thin plate-like (discoid) atelectasis, a
# subsegmental consolidation, the one- to two-centimetre foci of a bronchopneumonia, a small
# infiltrate. Small, they are still SEEN at the global view's resolution (a few pixels of
# opacity) but TOLD APART only at the source's (a sharp edge and air bronchograms, a patchy fuzzy
# one, a fine grain, a thin band): the lesion sizes at which the crop's zoom paid (BENCHMARKS.md).
_V7 = replace(_V4, atelectasis_length=(20.0, 100.0), consolidation_diameter=(20.0, 85.0),
              pneumonia_diameter=(25.0, 95.0), infiltration_diameter=(30.0, 110.0))
PRESETS: dict[str, Difficulty] = {"v1": _V1, "v2": Difficulty(), "v3": _V3, "v4": _V4, "v5": _V5, "v6": _V6,
                                  "v7": _V7}


def difficulty_preset(name: str) -> Difficulty:
    """The named settings: "v1" (smooth nodules, no look-alikes), "v2" (the defaults), "v3"
    (v2 with fine fibrotic lines and the haze that mimics them at 128 px), "v4" (v2 with the
    release's looser positioning), "v5" (v4 with ECG leads, lines and pacemakers), "v6" (v4
    with the mild forms of the seven findings v2 draws only plainly) or "v7" (v4 with the small
    forms of the four focal opacities)."""
    if name not in PRESETS:
        raise ValueError(f"unknown difficulty preset {name!r}; choose from {', '.join(sorted(PRESETS))}")
    return PRESETS[name]
