"""The story world behind the embedded data, as data files and the small programs that read them.

- `words.yaml`: names, kinds of character, things and the words around them;
- `world.yaml`: the world's fixed facts (places, shops, problems and their fixes);
- `plots.yaml`: the plots and the parts they share, as templates (its header is the reference);
- `world.py` makes a seed's cast and shops, `teller.py` tells stories from the templates, and
  `companions.py` draws the sentiment, multiple-choice, instruction and dedup sets.

Every file here feeds `course_lib.data.embedded.build_embedded`: a change to any of them that
changes its output must bump `GENERATOR_VERSION` there and update the pinned hashes in
`tests/test_data_embedded.py` in the same commit.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from types import SimpleNamespace
from typing import Any

import yaml


@cache
def load(name: str) -> dict[str, Any]:
    """One of the package's data files (`words`, `world`, `plots`), parsed once per process."""
    text = files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _record(value: Any) -> Any:
    if isinstance(value, dict):
        return SimpleNamespace(**{k: _record(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_record(v) for v in value]
    return value


def tables(data: dict[str, Any]) -> dict[str, Any]:
    """A data file's lists and tables (keyed by name), every mapping in them a record: `place.prep`."""
    return {
        name: {k: _record(v) for k, v in value.items()}
        if isinstance(value, dict)
        else _record(value)
        for name, value in data.items()
    }
