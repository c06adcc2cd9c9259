"""Run a sweep into its folder: the trials not yet finished, on the backend asked for.

    <sweep>/sweep.yaml      the spec as run (name, kind, base, grid, trials)
    <sweep>/trials.json     the expanded trials in order: id, name and overrides
    <sweep>/<trial id>/     one run folder per trial (see `course_lib.sweeps.trial`)

Trial ids hash their configs, so the same spec run again into the same folder finds its trials.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from tqdm import tqdm

from course_lib.sweeps.backends import Backend, make_backend
from course_lib.sweeps.results import TRIALS_FILE, results
from course_lib.sweeps.spec import SweepSpec, Trial, TrialKind, load_spec
from course_lib.sweeps.training import TRAIN
from course_lib.sweeps.trial import TrialJob, is_finished

SPEC_FILE = "sweep.yaml"
KINDS: dict[str, TrialKind] = {"train": TRAIN}


def resolve_kind(spec: SweepSpec, kinds: Mapping[str, TrialKind] | None = None) -> TrialKind:
    """The trial kind the spec names, from the library's kinds and any given ones."""
    known = {**KINDS, **(kinds or {})}
    if spec.kind not in known:
        raise ValueError(f"unknown trial kind {spec.kind!r}: expected one of {sorted(known)}")
    return known[spec.kind]


def plan(
    spec: SweepSpec | Mapping[str, Any] | str | Path,
    out_dir: str | Path,
    kinds: Mapping[str, TrialKind] | None = None,
) -> tuple[list[TrialJob], list[Trial]]:
    """Check every trial, record the sweep in `out_dir`, and return (jobs to run, all trials)."""
    spec = load_spec(spec)
    kind = resolve_kind(spec, kinds)
    trials = spec.expand(kind)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / SPEC_FILE).write_text(yaml.safe_dump(spec.to_dict(), sort_keys=False))
    index = [{"id": t.id, "name": t.name, "overrides": t.overrides} for t in trials]
    (out / TRIALS_FILE).write_text(json.dumps(index, indent=2, default=str) + "\n")
    jobs = [TrialJob(t, out / t.id, kind) for t in trials if not is_finished(out / t.id)]
    return jobs, trials


def run_sweep(
    spec: SweepSpec | Mapping[str, Any] | str | Path,
    out_dir: str | Path,
    backend: str | Backend = "serial",
    *,
    max_concurrent: int | None = None,
    address: str | None = None,
    gpus_per_trial: float = 0,
    kinds: Mapping[str, TrialKind] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run the trials of `spec` that `out_dir` does not hold finished; return `results(out_dir)`.

    Finished trials (completed, diverged or stopped) are skipped, so re-running a sweep after an
    interruption or a crash only runs what is left; a trial that raises is recorded as failed
    with its traceback while the others go on. `backend` is "serial" (in this process), "pool"
    (local processes) or "ray" (a local Ray instance, or the cluster at `address`).
    """
    chosen = make_backend(
        backend, max_concurrent=max_concurrent, address=address, gpus_per_trial=gpus_per_trial
    )
    spec = load_spec(spec)
    jobs, trials = plan(spec, out_dir, kinds)
    counts: Counter[str] = Counter({"skipped": len(trials) - len(jobs)})
    bar = tqdm(
        total=len(trials),
        initial=len(trials) - len(jobs),
        desc=f"{spec.name} ({chosen.name})",
        unit="trial",
        disable=not progress,
    )
    try:
        for record in chosen.run(jobs):
            counts[record.status] += 1
            bar.set_postfix({k: v for k, v in counts.items() if v}, refresh=False)
            bar.update(1)
    finally:
        bar.close()
    return results(out_dir)
