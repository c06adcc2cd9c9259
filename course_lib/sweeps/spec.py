"""A sweep as data: a base config plus a grid and/or a list of overrides, expanded into trials.

Configs are nested mappings of sections (`model`, `train`, `data`, ... as the trial kind wants);
an override names one setting by its dotted path (`train.lr`) or as a nested mapping
(`{"train": {"lr": 0.01}}`). Every entry of `trials` (default: one entry, no overrides) is
combined with every point of `grid`, in order. A trial's id is a readable slug of its overrides
and a hash of its whole config, so a re-run finds the folders of the trials it already ran.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SPEC_KEYS = ("name", "kind", "base", "grid", "trials")
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._=+,-]+")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader that also reads `1e-3` as a float (YAML 1.1 wants `1.0e-3`)."""


SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


@dataclass(frozen=True)
class TrialKind:
    """What a trial is: `check` turns a config into a runnable one, `run` runs it in a folder.

    `check(config, root)` raises ValueError for a config it cannot run and returns the config
    completed (relative paths resolved against `root`, the spec's folder); `run(config, run_dir)`
    returns a summary dict holding `status` ("completed", "diverged" or "stopped"), `message` and
    numbers for the results table. Both must be importable module-level functions, so the process
    pool and Ray can send them to their workers.
    """

    name: str
    check: Callable[[dict[str, Any], Path], dict[str, Any]]
    run: Callable[[dict[str, Any], Path], dict[str, Any]]


@dataclass(frozen=True)
class Trial:
    """One point of a sweep: its folder name, overrides and full, checked config."""

    id: str
    overrides: dict[str, Any]
    config: dict[str, Any]
    name: str = ""


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level of dotted keys: {"train": {"lr": 1}} -> {"train.lr": 1}."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{path}."))  # an empty section adds nothing
        else:
            flat[path] = value
    return flat


def set_path(config: dict[str, Any], path: str, value: Any) -> None:
    """Set `config[a][b]...` for the dotted `path` "a.b...", creating sections on the way."""
    *sections, last = path.split(".")
    node = config
    for section in sections:
        child = node.setdefault(section, {})
        if not isinstance(child, dict):
            raise ValueError(f"override {path!r}: {section!r} is a setting, not a section")
        node = child
    node[last] = copy.deepcopy(value)


def check_key(key: Any, where: str) -> str:
    """An override key must be a dotted path `section.setting`."""
    if not isinstance(key, str) or "." not in key or "" in key.split("."):
        raise ValueError(
            f"{where}: override key {key!r} must be a dotted path like 'train.lr' "
            "(section, then setting)"
        )
    return key


def normalize_overrides(entry: Any, where: str) -> tuple[str, dict[str, Any]]:
    """An entry of `trials` as (name, dotted overrides); nested sections are flattened."""
    if not isinstance(entry, Mapping):
        raise ValueError(
            f"{where}: expected a mapping of overrides, got {type(entry).__name__}: {entry!r}"
        )
    entry = dict(entry)
    name = entry.pop("name", "")
    if name and (not isinstance(name, str) or not _NAME.match(name)):
        raise ValueError(
            f"{where}: name must be letters, digits, '.', '_' or '-', starting with a letter or "
            f"digit; got {name!r}"
        )
    flat: dict[str, Any] = {}
    for key, value in entry.items():
        if isinstance(value, Mapping) and "." not in str(key):
            for sub, v in flatten(value, f"{key}.").items():
                flat[check_key(sub, where)] = v
        else:
            flat[check_key(key, where)] = value
    return name, flat


def format_value(value: Any) -> str:
    """A compact text for slugs: 0.001 -> 0.001, 1e-05 -> 1e-05, True -> true."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    return str(value)


def config_hash(config: Mapping[str, Any]) -> str:
    """Eight hex digits that change whenever any setting of `config` does."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def trial_id(name: str, overrides: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """`<name>,<setting>=<value>,...-<hash>`: readable, and unique for each config."""
    parts = [name] if name else []
    parts += [f"{key.rsplit('.', 1)[-1]}={format_value(v)}" for key, v in overrides.items()]
    slug = _SLUG_UNSAFE.sub("-", ",".join(parts) or "base")[:60]
    return f"{slug}-{config_hash(config)}"


@dataclass
class SweepSpec:
    """A base config, a grid of values per setting and a list of overrides: the trials' recipe."""

    base: dict[str, Any]
    grid: dict[str, list[Any]] = field(default_factory=dict)
    trials: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    name: str = "sweep"
    kind: str = "train"
    root: Path = field(default_factory=Path.cwd)  # relative paths in configs start here

    def __post_init__(self) -> None:
        if not isinstance(self.base, Mapping):
            raise ValueError(
                f"base must be a mapping of config sections, got {type(self.base).__name__}"
            )
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ValueError(
                f"name must be letters, digits, '.', '_' or '-' (it names the sweep folder), "
                f"got {self.name!r}"
            )
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError(f"kind must name a trial kind such as 'train', got {self.kind!r}")
        if not isinstance(self.grid, Mapping):
            raise ValueError(
                f"grid must map dotted settings to lists of values, got {type(self.grid).__name__}"
            )
        for key, values in self.grid.items():
            check_key(key, "grid")
            if not isinstance(values, list | tuple) or not values:
                raise ValueError(
                    f"grid[{key!r}] must be a non-empty list of values, got {values!r}"
                )
        if self.trials is None:
            self.trials = [{}]
        if not isinstance(self.trials, list | tuple) or not self.trials:
            raise ValueError(
                f"trials must be a non-empty list of override mappings, got {self.trials!r}"
            )
        self.root = Path(self.root)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], root: str | Path | None = None) -> SweepSpec:
        """A spec from a mapping with keys name, kind, base, grid and trials."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a sweep spec must be a mapping, got {type(data).__name__}")
        unknown = sorted(set(data) - set(SPEC_KEYS))
        if unknown:
            raise ValueError(f"unknown sweep spec keys {unknown}; expected some of {SPEC_KEYS}")
        if "base" not in data:
            raise ValueError("a sweep spec needs a 'base' config")
        kwargs = {k: data[k] for k in SPEC_KEYS if data.get(k) is not None}
        return cls(**kwargs, root=Path(root) if root is not None else Path.cwd())

    @classmethod
    def from_yaml(cls, path: str | Path) -> SweepSpec:
        """Read a spec file; relative paths in its configs are relative to the file's folder."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no sweep spec at {path}")
        data = yaml.load(path.read_text(), Loader=SpecLoader) or {}
        if isinstance(data, Mapping) and "name" not in data:
            data = {**data, "name": _SLUG_UNSAFE.sub("-", path.stem)}
        return cls.from_dict(data, root=path.resolve().parent)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (what `from_dict` reads), for the sweep folder's record."""
        return {
            "name": self.name,
            "kind": self.kind,
            "base": copy.deepcopy(dict(self.base)),
            "grid": {k: list(v) for k, v in self.grid.items()},
            "trials": [dict(t) for t in self.trials],
        }

    def points(self) -> list[tuple[str, dict[str, Any]]]:
        """Every (name, overrides) pair: each entry of `trials` with each point of the grid."""
        keys = list(self.grid)
        out = []
        for i, entry in enumerate(self.trials):
            name, fixed = normalize_overrides(entry, f"trials[{i}]")
            clash = sorted(set(fixed) & set(keys))
            if clash:
                raise ValueError(
                    f"trials[{i}] sets {clash}, which the grid also sweeps: set each setting "
                    "in one place"
                )
            for values in itertools.product(*(self.grid[k] for k in keys)):
                out.append((name, {**fixed, **dict(zip(keys, values))}))
        return out

    def expand(self, kind: TrialKind | None = None) -> list[Trial]:
        """The trials in order, each config checked by `kind` (when given) before any runs."""
        if kind is not None and kind.name != self.kind:
            raise ValueError(f"the spec's kind is {self.kind!r} but a {kind.name!r} kind was given")
        trials, seen = [], {}
        for name, overrides in self.points():
            config = copy.deepcopy(dict(self.base))
            for key, value in overrides.items():
                set_path(config, key, value)
            tid = trial_id(name, overrides, config)
            label = tid.rsplit("-", 1)[0]
            digest = tid.rsplit("-", 1)[1]
            if digest in seen:
                raise ValueError(
                    f"trials {seen[digest]!r} and {label!r} have the same config: give them "
                    "different settings (a seed, say) or drop one"
                )
            seen[digest] = label
            if kind is not None:
                try:
                    checked = kind.check(config, self.root)
                except (ValueError, TypeError) as err:
                    raise ValueError(f"trial {label}: {err}") from err
            else:
                checked = config
            trials.append(Trial(tid, overrides, checked, name))
        return trials

    @property
    def swept(self) -> list[str]:
        """The dotted settings that some trial overrides, in first-seen order."""
        keys: dict[str, None] = {}
        for _, overrides in self.points():
            keys.update(dict.fromkeys(overrides))
        return list(keys)


def load_spec(spec: SweepSpec | Mapping[str, Any] | str | Path) -> SweepSpec:
    """A spec from a SweepSpec, a mapping or a YAML file."""
    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, Mapping):
        return SweepSpec.from_dict(spec)
    if isinstance(spec, str | Path):
        return SweepSpec.from_yaml(spec)
    raise ValueError(
        f"spec must be a SweepSpec, a mapping or a YAML path, got {type(spec).__name__}"
    )
