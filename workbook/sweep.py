"""`workbook sweep`: run a sweep spec from the command line, and the `notebook` trial kind.

A `notebook` trial executes a notebook with papermill (tooling only, so the kind lives here, not
in course_lib). Its config:

    notebook: path of the notebook (relative to the spec file)
    parameters: values for the notebook's `parameters` cell (output_dir is the run folder)
    cell_timeout: seconds per cell, or null

The executed notebook is kept in the run folder; the numbers it saves with
`course_lib.runs.save_metrics` become the trial's summary, so they appear in the results table.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from course_lib.runs import METRICS_FILE, RUNS_DIR
from course_lib.sweeps import RayBackend, TrialKind, load_spec, make_backend, run_sweep
from course_lib.sweeps.spec import flatten
from course_lib.sweeps.trial import TRACEBACK_FILE

NOTEBOOK_SECTIONS = ("notebook", "parameters", "cell_timeout")


def check_notebook(config: dict[str, Any], root: Path) -> dict[str, Any]:
    """The notebook's absolute path and parameters the notebook declares (others are an error)."""
    import papermill as pm

    unknown = sorted(set(config) - set(NOTEBOOK_SECTIONS))
    if unknown:
        raise ValueError(f"unknown notebook trial settings {unknown}; expected {NOTEBOOK_SECTIONS}")
    if not isinstance(config.get("notebook"), str):
        raise ValueError(f"notebook must be the path of a notebook, got {config.get('notebook')!r}")
    path = Path(config["notebook"]).expanduser()
    path = (path if path.is_absolute() else root / path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"notebook: no notebook at {path}")
    params = config.get("parameters") or {}
    if not isinstance(params, dict):
        raise ValueError(f"parameters must be a mapping, got {type(params).__name__}")
    declared = pm.inspect_notebook(str(path))
    undeclared = sorted(set(params) - set(declared))
    if undeclared:
        raise ValueError(
            f"{path.name} has no parameters {undeclared}; its parameters cell declares "
            f"{sorted(declared)}"
        )
    timeout = config.get("cell_timeout")
    if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
        raise ValueError(
            f"cell_timeout must be a positive number of seconds or null, got {timeout!r}"
        )
    return {"notebook": str(path), "parameters": params, "cell_timeout": timeout}


def run_notebook(config: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Execute the notebook into `run_dir` (its output_dir); raise with the failing cell's error."""
    import json

    import papermill as pm

    from workbook.runner import execute, last_line

    src = Path(config["notebook"])
    params = dict(config["parameters"])
    if "output_dir" in pm.inspect_notebook(str(src)):
        params["output_dir"] = str(run_dir.resolve())
    error = execute(src, run_dir / src.name, params, run_dir, config["cell_timeout"])
    if error is not None:
        raise RuntimeError(f"{src.name} failed: {last_line(error)}") from error
    metrics_path = run_dir / METRICS_FILE
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    numbers = {
        k: v
        for k, v in flatten(metrics).items()
        if isinstance(v, int | float | str) and not isinstance(v, bool)
    }
    return {"status": "completed", "message": "", **numbers}


NOTEBOOK = TrialKind("notebook", check_notebook, run_notebook)
KINDS = {"notebook": NOTEBOOK}


def default_out_dir(name: str) -> Path:
    """Where `workbook sweep` writes a sweep named `name` unless told: runs/sweeps/<name>."""
    return RUNS_DIR / "sweeps" / name


def summary_table(df: pd.DataFrame) -> str:
    """Trial, status, the swept settings, final losses and seconds, as plain text."""
    swept = list(df.attrs.get("swept", []))
    losses = ["final_train_loss", "final_val_loss", "best_val_loss"]
    columns = ["trial", "status", *swept, *[c for c in losses if df[c].notna().any()], "seconds"]
    table = df[columns].copy()
    table["trial"] = table["trial"].str.slice(0, 48)

    def fmt(value: float) -> str:
        return f"{value:.4g}" if math.isfinite(value) else str(value)

    return table.to_string(index=False, float_format=fmt)


def sweep(
    spec_path: str | Path,
    backend: str = "serial",
    address: str | None = None,
    max_concurrent: int | None = None,
    out: str | Path | None = None,
    gpus_per_trial: float = 0,
    progress: bool = True,
) -> tuple[pd.DataFrame, Path]:
    """Run a spec file as `workbook sweep` does; return the results and the sweep folder."""
    spec = load_spec(Path(spec_path))
    out_dir = Path(out) if out else default_out_dir(spec.name)
    if backend == "ray":
        import workbook

        # the notebook kind's code must reach Ray's workers too
        extra = [workbook.__path__[0]] if spec.kind == "notebook" else []
        chosen = RayBackend(
            address, max_concurrent, gpus_per_trial=gpus_per_trial, py_modules=extra
        )
    else:
        chosen = make_backend(
            backend, max_concurrent=max_concurrent, address=address, gpus_per_trial=gpus_per_trial
        )
    df = run_sweep(spec, out_dir, chosen, kinds=KINDS, progress=progress)
    return df, out_dir


def failures(df: pd.DataFrame, out_dir: Path) -> list[str]:
    """One line per failed or unfinished trial: its id, message and traceback file."""
    lines = []
    for _, row in df[~df["status"].isin(["completed", "diverged", "stopped"])].iterrows():
        where = out_dir / row["trial"] / TRACEBACK_FILE
        tail = f" (traceback: {where})" if where.is_file() else ""
        lines.append(f"{row['trial']}: {row['status']}: {row['message']}{tail}")
    return lines
