"""One trial's run folder: its config, status, metrics and, after a crash, the traceback.

    <sweep>/<trial id>/config.yaml      the trial's id, overrides and full config
    <sweep>/<trial id>/status.json      running | completed | diverged | stopped | failed, with
                                        the message, the kind's summary and the timings
    <sweep>/<trial id>/metrics.jsonl    what the trial logged (the Trainer's records)
    <sweep>/<trial id>/traceback.txt    only when the trial raised

A trial that raises is recorded as failed and the sweep goes on; one that is killed stays
"running" on disk, so a re-run of the sweep runs it again, as it does failed ones.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from course_lib.sweeps.spec import Trial, TrialKind

CONFIG_FILE = "config.yaml"
STATUS_FILE = "status.json"
TRACEBACK_FILE = "traceback.txt"
METRICS_FILE = "metrics.jsonl"
FINISHED = ("completed", "diverged", "stopped")  # results: a re-run skips these
UNFINISHED = ("running", "failed")  # a re-run runs these again


@dataclass(frozen=True)
class TrialJob:
    """A trial, the folder it writes and the kind that runs it: what a backend executes."""

    trial: Trial
    run_dir: Path
    kind: TrialKind


@dataclass
class TrialRecord:
    """How a trial ended, as written to its status.json."""

    trial: str
    status: str
    message: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    started: str = ""
    host: str = ""
    pid: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for status.json (non-finite floats as strings: strict JSON has none)."""
        return json_safe(asdict(self))


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as the strings "nan", "inf" and "-inf"."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def read_status(run_dir: str | Path) -> dict[str, Any] | None:
    """The status.json of a run folder, or None when the trial never started there."""
    path = Path(run_dir) / STATUS_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:  # cut short by a kill while writing: treat as never finished
        return None


def is_finished(run_dir: str | Path) -> bool:
    """Whether the folder holds a trial that ran to an end (completed, diverged or stopped)."""
    status = read_status(run_dir)
    return status is not None and status.get("status") in FINISHED


def write_status(run_dir: Path, record: TrialRecord) -> None:
    """Replace status.json in one step, so a reader never sees half a file."""
    tmp = run_dir / f".{STATUS_FILE}.tmp"
    tmp.write_text(json.dumps(record.to_dict(), indent=2) + "\n")
    os.replace(tmp, run_dir / STATUS_FILE)


def write_config(run_dir: Path, trial: Trial) -> None:
    """config.yaml: the trial's id, name, overrides and the config it runs."""
    data = {
        "trial": trial.id,
        "name": trial.name,
        "overrides": trial.overrides,
        "config": trial.config,
    }
    (run_dir / CONFIG_FILE).write_text(yaml.safe_dump(json_safe(data), sort_keys=False))


def read_config(run_dir: str | Path) -> dict[str, Any] | None:
    """The config.yaml of a run folder, or None."""
    path = Path(run_dir) / CONFIG_FILE
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def start_record(job: TrialJob) -> TrialRecord:
    """Prepare the run folder (config written, old traceback gone) and mark the trial running."""
    job.run_dir.mkdir(parents=True, exist_ok=True)
    (job.run_dir / TRACEBACK_FILE).unlink(missing_ok=True)
    write_config(job.run_dir, job.trial)
    record = TrialRecord(job.trial.id, "running", started=_now())
    record.host, record.pid = socket.gethostname(), os.getpid()
    write_status(job.run_dir, record)
    return record


def record_failure(job: TrialJob, record: TrialRecord, text: str, message: str) -> TrialRecord:
    """Mark a trial failed, keeping the traceback (or whatever says why) in traceback.txt."""
    job.run_dir.mkdir(parents=True, exist_ok=True)
    (job.run_dir / TRACEBACK_FILE).write_text(text)
    record.status, record.message = "failed", message
    write_status(job.run_dir, record)
    return record


def execute_trial(job: TrialJob) -> TrialRecord:
    """Run one trial in its folder; an exception is recorded as a failed trial, never raised."""
    record = start_record(job)
    start = time.perf_counter()
    try:
        summary = dict(job.kind.run(job.trial.config, job.run_dir))
    except Exception as err:  # any error of the trial's own code: record it, run the others
        record.seconds = time.perf_counter() - start
        message = f"{type(err).__name__}: {err}".splitlines()[0][:500]
        return record_failure(job, record, traceback.format_exc(), message)
    record.seconds = time.perf_counter() - start
    record.status = summary.pop("status", "completed")
    record.message = summary.pop("message", "")
    if record.status not in FINISHED:
        message = f"trial kind {job.kind.name!r} returned status {record.status!r}"
        return record_failure(job, record, message + f"; expected one of {FINISHED}\n", message)
    record.summary = summary
    write_status(job.run_dir, record)
    return record
