"""Small checks at the library's boundary, and safe writes: one clear error for each bad input.

Every public function checks what it is given with these before doing any work, so bad input
fails with a `TypeError` (wrong kind of value) or `ValueError` (right kind, wrong value) naming the
argument, the value and what was expected, instead of an error from deep inside torch, numpy or
json, a silent wrong answer, or a lost file. Writers never destroy what they did not create:
`check_distinct_paths` refuses an output that is one of the inputs, and `write_text_atomic`
replaces a file only once its new content is complete.
"""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


def _shown(value: Any) -> str:
    """A short `type value` description of a value for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def check_type(name: str, value: Any, types: type | tuple[type, ...], expected: str) -> None:
    """Raise a TypeError unless `value` is an instance of `types` (described as `expected`)."""
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {expected}, got {_shown(value)}")


def check_int(name: str, value: Any, minimum: int | None = None) -> int:
    """`value` as an int; a TypeError for non-integers (bools, floats, strings), a ValueError below
    `minimum`."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {_shown(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        bound = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def check_number(name: str, value: Any) -> float:
    """`value` as a float; a TypeError for strings, bools, None and other non-numbers."""
    if isinstance(value, str | bytes | bool) or value is None:
        raise TypeError(f"{name} must be a number, got {_shown(value)}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {_shown(value)}") from None


def check_positive(name: str, value: Any) -> None:
    """Raise unless value is a number > 0 (NaN is not)."""
    if not check_number(name, value) > 0:
        raise ValueError(f"{name} must be positive, got {value}")


def check_non_negative(name: str, value: Any) -> None:
    """Raise unless value is a number >= 0 (NaN is not)."""
    if not check_number(name, value) >= 0:
        raise ValueError(f"{name} must be >= 0, got {value}")


def check_choice(name: str, value: Any, allowed: Collection[Any]) -> None:
    """Raise a ValueError unless value is one of `allowed`, suggesting the closest when a string."""
    if value in allowed:
        return
    hint = suggest(value, allowed) if isinstance(value, str) else ""
    raise ValueError(f"unknown {name} {value!r}: expected one of {list(allowed)}{hint}")


def check_str_list(name: str, value: Iterable[str] | None) -> list[str]:
    """A list or tuple of strings as a list (None: empty); one bare string is a TypeError, since
    iterating it would give its characters."""
    if value is None:
        return []
    if isinstance(value, str | bytes):
        raise TypeError(
            f"{name} must be a list of strings, got one string {value!r}: wrap it in [...]"
        )
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise TypeError(f"{name} must be a list of strings, got {_shown(value)}")
    items = list(value)
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{name} must hold strings, got {_shown(item)}")
    return items


def suggest(word: str, known: Iterable[Any]) -> str:
    """' (did you mean ...?)' naming the closest known names to `word`, or '' if none is close."""
    close = difflib.get_close_matches(str(word), [str(k) for k in known], n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def check_distinct_paths(outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> None:
    """Raise a ValueError if an output path is an input path (or another output): writing it would
    destroy the input before, or while, it is read."""
    seen: dict[Path, str] = {}
    for name, path in {**inputs, **outputs}.items():
        if path is None:
            continue
        key = Path(os.path.realpath(Path(path).expanduser()))
        if key in seen:
            raise ValueError(
                f"{name} and {seen[key]} are the same file ({path}): writing {name} would "
                f"destroy {seen[key]}; choose another path"
            )
        seen[key] = name


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text to `path` through a temporary file in the same folder and a rename, so a
    crash leaves the old file or the new one, never half of it."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write bytes to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    """Parse a JSON file; a missing file is a FileNotFoundError and bad JSON a ValueError, both
    naming the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(
            f"{what} {path} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
        ) from None
    except UnicodeDecodeError as err:
        raise ValueError(f"{what} {path} is not UTF-8 text (byte {err.start})") from None
