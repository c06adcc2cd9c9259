"""The run's metrics as JSON lines: one record per logged step or validation."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from course_lib.checks import write_text_atomic


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # strict JSON has no NaN or Infinity
    return value


class MetricsLog:
    """Appends records to a JSONL file (or only keeps them in memory when `path` is None)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path is not None else None
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        """Keep one record and append it to the file."""
        self.records.append(record)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a") as f:
                f.write(json.dumps({k: _clean(v) for k, v in record.items()}) + "\n")

    def rewind(self, step: int) -> None:
        """Forget records after `step` (a resumed run redoes them) and reload the rest."""
        self.records = (
            [r for r in read_metrics(self.path) if r["step"] <= step] if self.path else []
        )
        if self.path is not None:
            write_text_atomic(self.path, "".join(json.dumps(r) + "\n" for r in self.records))


def read_metrics(path: str | Path | None, kind: str | None = None) -> list[dict[str, Any]]:
    """All records of a metrics file (only those of one `kind`, e.g. "train" or "val")."""
    if path is None or not Path(path).is_file():
        return []
    records = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    return [r for r in records if kind is None or r.get("kind") == kind]
