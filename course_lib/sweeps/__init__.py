"""Module 07: sweeps — many training runs from one spec, run anywhere, gathered in one folder.

    from course_lib.sweeps import run_sweep, curves
    df = run_sweep("lr_sweep.yaml", "runs/lr_sweep", backend="pool")  # or "serial", "ray"
    long = curves("runs/lr_sweep")  # every logged point, for course_lib.plots

A spec is a base config plus a grid and/or a list of overrides (`spec.py`); each trial runs in
its own folder (`trial.py`), by default one Trainer run (`training.py`), on a backend
(`backends.py`); `results.py` reads a sweep folder back as DataFrames.
"""

from course_lib.sweeps.backends import (
    Backend,
    PoolBackend,
    RayBackend,
    SerialBackend,
    make_backend,
)
from course_lib.sweeps.results import curves, results
from course_lib.sweeps.runner import plan, run_sweep
from course_lib.sweeps.spec import SweepSpec, Trial, TrialKind, load_spec
from course_lib.sweeps.training import TRAIN, check_training, run_training
from course_lib.sweeps.trial import TrialJob, TrialRecord, execute_trial

__all__ = [
    "TRAIN",
    "Backend",
    "PoolBackend",
    "RayBackend",
    "SerialBackend",
    "SweepSpec",
    "Trial",
    "TrialJob",
    "TrialKind",
    "TrialRecord",
    "check_training",
    "curves",
    "execute_trial",
    "load_spec",
    "make_backend",
    "plan",
    "results",
    "run_sweep",
    "run_training",
]
