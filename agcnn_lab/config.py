"""A run's whole configuration, as data: nested frozen dataclasses that each layer reads its part of.

    config = get_profile("cpu")                                   # a Profile (profiles.py)
    config.data.geometry.crop, config.model.attention.tau, config.training.stage(Stage.LOCAL).epochs
    changed = config.with_changes(**{"model.attention.crop_size": 96, "training.control": False})
    print(config.to_json())                                       # what `agcnn-lab config show cpu` prints
    same = Profile.from_json(path.read_text())                    # `--config FILE`, a run folder's config.json
    config.differences(same)                                      # [] or ["model.attention.tau: 0.7 -> 0.8", ...]

The data layer gets `config.data`, the model factory `config.model` (its `attention` part goes to
the AttentionCrop), the training stages `config.training`. A run folder holds its configuration
(`config.json`, written before the first epoch), so a folder can be reloaded and evaluated from
itself alone, and resuming it under another configuration is refused with the fields that differ.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path

from .data.geometry import InputGeometry
from .data.phantom.difficulty import PRESETS
from .paper import RECIPE


class Stage(StrEnum):
    """The paper's training stages, and the joint variant it compares against."""

    GLOBAL = "global"
    LOCAL = "local"
    FUSION = "fusion"
    JOINT = "joint"


THREE_STAGES = (Stage.GLOBAL, Stage.LOCAL, Stage.FUSION)


class Branch(StrEnum):
    """The model's outputs, and the whole-film control's two (same model, the local branch fed the whole film)."""

    GLOBAL = "global"
    LOCAL = "local"
    FUSION = "fusion"
    LOCAL_WHOLE_FILM = "local_whole_film"
    FUSION_WHOLE_FILM = "fusion_whole_film"


class CropFrom(StrEnum):
    """Where the local branch's input comes from: the box cut from the high-resolution source (the
    paper), the box cut from the global input (no zoom: an ablation), or the whole film (the control)."""

    SOURCE = "source"
    INPUT = "input"
    WHOLE = "whole"


class TauRule(StrEnum):
    """How choose_tau counts the lesions a box holds (the columns of evaluate.tau_sweep)."""

    HIT = "hit"  # every lesion: the box must hold all of a film's findings
    HIT_SINGLE = "hit_single"  # the lesions alone on their film: does the box find THE lesion


TAU_RULES = {TauRule.HIT: "every lesion counted", TauRule.HIT_SINGLE: "counted on the films with a single lesion"}
DATA_KINDS = ("phantom", "nih", "chestmnist")


class ConfigError(ValueError):
    """A configuration that does not parse, names unknown fields, or differs from a run folder's."""


@dataclass(frozen=True)
class DataConfig:
    """What the data layer needs: which data, how big the phantom is, the source and input sizes."""

    phantom_patients: int  # the embedded default data set
    phantom_size: int  # side of the generated images = the high-resolution source
    cache_size: int  # side of the cached images the crops are cut from
    geometry: InputGeometry  # the global branch's input
    phantom_preset: str = "v2"  # PhantomCXR-14's settings (data.phantom.PRESETS)
    seed: int = 0  # the phantom's patients and the split
    kind: str = "phantom"  # phantom (generated on first use), nih (a prepare-nih folder), chestmnist (an npz)
    root: str | None = None  # nih: the prepare-nih folder; chestmnist: the npz; phantom: None = data/phantom-<profile>-<preset>

    def __post_init__(self):
        if self.phantom_preset not in PRESETS:
            raise ConfigError(f"data.phantom_preset must be one of {', '.join(PRESETS)}, got {self.phantom_preset!r}")
        if self.kind not in DATA_KINDS:
            raise ConfigError(f"data.kind must be one of {', '.join(DATA_KINDS)}, got {self.kind!r}")
        for name in ("phantom_patients", "phantom_size", "cache_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"data.{name} must be >= 1, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class AttentionConfig:
    """The attention crop's settings (attention.AttentionCrop) and the rule that picks tau."""

    tau: float = RECIPE.tau  # the paper's; with choose_tau, only the start of the search
    reduce: str = "max"  # the heatmap's statistic over channels (attention.REDUCTIONS)
    crop_size: int | None = None  # the local branch's input; None: the global input's size
    upsample: bool = False  # threshold the heatmap upsampled to the input (else on its grid)
    crop_from: CropFrom = CropFrom.SOURCE
    choose_tau: bool = False  # pick tau on validation from the tau sweep (needs lesion boxes)
    min_hit: float = 0.85  # ... as the highest tau whose box holds this share of lesions
    tau_on: TauRule = TauRule.HIT  # ... counted as this rule says
    box_area: float | None = None  # None: the region's bounding box (the paper); else a box of
    # this share of the input centred on the region (attention.centred_boxes, a departure)

    def __post_init__(self):
        if not 0 <= self.tau <= 1:
            raise ConfigError(f"model.attention.tau must lie in [0, 1], got {self.tau!r}")
        if not 0 < self.min_hit <= 1:
            raise ConfigError(f"model.attention.min_hit must lie in (0, 1], got {self.min_hit!r}")
        if self.crop_size is not None and self.crop_size < 8:
            raise ConfigError(f"model.attention.crop_size must be >= 8 px, got {self.crop_size!r}")
        if self.box_area is not None and not 0 < self.box_area <= 1:
            raise ConfigError(f"model.attention.box_area must lie in (0, 1] (a share of the input) or be null, got {self.box_area!r}")
        _coerce(self, "crop_from", CropFrom, "model.attention")
        _coerce(self, "tau_on", TauRule, "model.attention")


@dataclass(frozen=True)
class ModelConfig:
    """The model factory's part (models.create_agcnn): backbone, outputs and the attention crop."""

    backbone: str
    pretrained: bool
    with_no_finding: bool = True  # the paper's 15th output
    backbone_options: dict = field(default_factory=dict)  # e.g. {"width": 16} for "tiny"
    attention: AttentionConfig = field(default_factory=AttentionConfig)


@dataclass(frozen=True)
class StageSettings:
    """One training stage: SGD with the paper's momentum and weight decay, lr divided by 10 from
    lr_drop_epoch on (the defaults are paper.RECIPE's)."""

    epochs: int
    batch_size: int
    lr: float = RECIPE.lr
    lr_drop_epoch: int = RECIPE.lr_drop_epoch
    momentum: float = RECIPE.momentum
    weight_decay: float = RECIPE.weight_decay

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError(f"a stage needs epochs >= 1 and batch_size >= 1, got {self.epochs!r} and {self.batch_size!r}")
        if not self.lr > 0:
            raise ConfigError(f"a stage's lr must be > 0, got {self.lr!r}")


@dataclass(frozen=True)
class TrainingConfig:
    """The stages' part: their recipes, the order of training, the control, the loaders."""

    stages: dict[Stage, StageSettings]  # global, local, fusion (joint trains with global's)
    seed: int = 0  # weights' start, batch order, augmentation
    workers: int = 2  # DataLoader processes
    amp: bool = False  # autocast + channels_last, on CUDA only
    eval_batch_size: int = 128
    local_from_global: bool = False  # start the local branch as a copy of the trained global one
    joint: bool = False  # train all three branches at once (the paper's "all jointly" ablation)
    control: bool = True  # also train the whole-film control's stages II and III
    # The share of the training films stages II and III (and joint training) see; stage I always
    # sees them all. Below 1 only for quick runs: notebook 05's shortened ablations on a CPU.
    train_fraction: float = 1.0

    def __post_init__(self):
        stages = {Stage(k): v for k, v in self.stages.items()}
        missing = [s.value for s in THREE_STAGES if s not in stages]
        if missing:
            raise ConfigError(f"training.stages lacks {', '.join(missing)}")
        object.__setattr__(self, "stages", stages)
        if self.workers < 0 or self.eval_batch_size < 1:
            raise ConfigError(f"training.workers must be >= 0 and eval_batch_size >= 1, got {self.workers!r}, {self.eval_batch_size!r}")
        if not 0 < self.train_fraction <= 1:
            raise ConfigError(f"training.train_fraction must lie in (0, 1], got {self.train_fraction!r}")

    def stage(self, name: str) -> StageSettings:
        """A stage's recipe; the joint variant trains with the global stage's."""
        name = Stage(name)
        return self.stages[Stage.GLOBAL if name == Stage.JOINT else name]


@dataclass(frozen=True)
class Profile:
    """A whole configuration: its name, and the parts each layer reads."""

    name: str
    data: DataConfig
    model: ModelConfig
    training: TrainingConfig

    def with_changes(self, **changes) -> Profile:
        """A copy with fields changed, named by their dotted path ("model.attention.tau") or, as
        keywords, with "__" for the dots (model__attention__tau=0.8)."""
        profile = self
        for path, value in changes.items():
            profile = _replace_path(profile, path.replace("__", "."), value)
        return profile

    def to_dict(self) -> dict:
        return _plain(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_dict(cls, values: dict, source: str = "configuration") -> Profile:
        return _build(cls, values, source, "")

    @classmethod
    def from_json(cls, text: str, source: str = "configuration") -> Profile:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{source}: not valid JSON ({err})") from None
        if not isinstance(values, dict):
            raise ConfigError(f"{source}: a configuration is a JSON object, got {type(values).__name__}")
        return cls.from_dict(values, source)

    @classmethod
    def read(cls, path: str | os.PathLike) -> Profile:
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as err:
            raise ConfigError(f"{path}: cannot read the configuration ({err.strerror})") from None
        return cls.from_json(text, str(path))

    def write(self, path: str | os.PathLike) -> Path:
        """Write config.json atomically (a kill leaves the old file or the new one, never half)."""
        return write_text_atomic(path, self.to_json() + "\n")

    def differences(self, other: Profile, ignoring: tuple[str, ...] = ()) -> list[str]:
        """The fields whose values differ, as "path: mine -> other's"; a field whose dotted path
        starts with one of `ignoring` ("training.seed", "model.attention.") is left out."""
        mine, theirs = _flatten(self.to_dict()), _flatten(other.to_dict())
        return [f"{k}: {mine.get(k, '(absent)')!r} -> {theirs.get(k, '(absent)')!r}"
                for k in sorted(set(mine) | set(theirs)) if mine.get(k) != theirs.get(k) and not k.startswith(ignoring)]


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def _coerce(obj, name: str, enum: type[StrEnum], where: str) -> None:
    value = getattr(obj, name)
    try:
        object.__setattr__(obj, name, enum(value))
    except ValueError:
        raise ConfigError(f"{where}.{name} must be one of {', '.join(e.value for e in enum)}, got {value!r}") from None


def _replace_path(obj, path: str, value):
    head, _, rest = path.partition(".")
    if isinstance(obj, dict):  # training.stages.<stage>...
        keys = {str(k): k for k in obj}
        if head not in keys:
            raise ConfigError(f"no entry {head!r}; there are {', '.join(sorted(keys))}")
        key = keys[head]
        return {**obj, key: _replace_path(obj[key], rest, value) if rest else value}
    names = {f.name for f in fields(obj)}
    if head not in names:
        raise ConfigError(f"{type(obj).__name__} has no field {head!r}; it has {', '.join(sorted(names))}")
    if rest:
        return dataclasses.replace(obj, **{head: _replace_path(getattr(obj, head), rest, value)})
    return dataclasses.replace(obj, **{head: value})


def _plain(value):
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _flatten(values: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in values.items():
        if isinstance(value, dict) and value and key != "backbone_options":
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _build(cls, values, source: str, where: str):
    """cls from its plain dict, naming the file and the dotted field of anything wrong."""
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: {where or 'the configuration'} must be an object, got {values!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{source}: unknown field(s) {', '.join(where + u for u in unknown)}")
    missing = [n for n, f in known.items() if n not in values
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"{source}: missing field(s) {', '.join(where + m for m in missing)}")
    kwargs = {}
    for name, value in values.items():
        kwargs[name] = _value(hints[name], value, source, f"{where}{name}")
    try:
        return cls(**kwargs)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: {where.rstrip('.') or 'the configuration'}: {err}") from None


def _value(hint, value, source: str, where: str):
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, source, where + ".")
    origin = typing.get_origin(hint)
    if origin is dict and typing.get_args(hint) and typing.get_args(hint)[1] is StageSettings:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {where} must be an object of stages")
        return {k: _build(StageSettings, v, source, f"{where}.{k}.") for k, v in value.items()}
    if origin is tuple and isinstance(value, list):
        return tuple(value)
    if origin in (typing.Union, types.UnionType) and isinstance(value, list):
        return tuple(value)
    return value
