"""Run folders and metrics: every papermill run writes into a fresh folder that nothing overwrites."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from course_lib.checks import write_text_atomic
from course_lib.paths import REPO_ROOT

RUNS_DIR = REPO_ROOT / "runs"
METRICS_FILE = "metrics.json"


def new_run_dir(profile: str, root: str | Path = RUNS_DIR) -> Path:
    """Create and return `root/<timestamp>-<profile>`, adding a suffix rather than reusing a folder."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{stamp}-{profile}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    path.mkdir(parents=True)
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def save_metrics(metrics: dict[str, Any], output_dir: str | Path) -> Path:
    """Merge `metrics` into `<output_dir>/metrics.json` (numbers from tensors/numpy become floats)."""
    path = Path(output_dir) / METRICS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(path.read_text()) if path.exists() else {}
    old.update(_jsonable(metrics))
    return write_text_atomic(path, json.dumps(old, indent=2, sort_keys=True) + "\n")
