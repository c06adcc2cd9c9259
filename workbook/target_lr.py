"""The grader's reference for notebook 08's final learning rate: the target model trained by the
reference code at a fixed grid of peak learning rates on the assignment's token files.

Never released. The curve is trained once per assignment, outside every student's kernel:
`workbook autograde` calls `precompute`, which runs the source notebook's data cells (its
parameters, imports and the cell that defines `target_base`) with the reference library, trains the
curve with `target_lr_curve` (or finds it in a cache keyed by the config and the token files'
hashes), and writes it to a folder the sandbox mounts read-only as `$WORKBOOK_TARGET_LR_DIR`.
The hidden test of question 5 reads it with `graded_target_curve` and only scores the student's
rate against it (`lr_score`). Without that folder (the source notebook run by papermill, or by hand)
`graded_target_curve` trains the curve in the kernel.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from course_lib.checks import check_positive, write_text_atomic
from course_lib.data.download import sha256_file
from course_lib.sweeps.analysis import stable_mask
from course_lib.sweeps.runner import run_sweep

TARGET_LRS = tuple(2.0**k for k in range(-11, -1))  # 0.0005 … 0.25, factors of two
CURVE_ENV = "WORKBOOK_TARGET_LR_DIR"
CURVE_FILE = "target_lr_curve.json"
COLUMNS = ("lr", "status", "best_val_loss")
# the source cell that defines the target's sweep config: the last cell `precompute` runs
TARGET_BASE_CELL = "target_base = base("


def _check_base(base: Any) -> None:
    if not isinstance(base, Mapping) or not {"model", "train", "data"} <= set(base):
        raise TypeError(
            f"base must be a sweep base config with model, train and data, got {base!r}"
        )


def target_lr_curve(
    base: Mapping[str, Any],
    lrs: Sequence[float] = TARGET_LRS,
    out_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Train the sweep config `base` at each peak rate (minimum a tenth of it); one row per rate:
    lr, status, best_val_loss. Without `out_dir` the runs go to a temporary folder."""
    _check_base(base)
    for lr in lrs:
        check_positive("lrs", lr)
    spec = {
        "name": "target_lr_curve",
        "base": copy.deepcopy(dict(base)),
        "trials": [{"train.lr": float(lr), "train.min_lr": float(lr) / 10} for lr in lrs],
    }
    with tempfile.TemporaryDirectory(prefix="target_lr_") as tmp:
        folder = Path(out_dir) if out_dir is not None else Path(tmp) / "sweep"
        results = run_sweep(spec, folder, progress=False)
    results = results.rename(columns={"train.lr": "lr"})
    return results[list(COLUMNS)].sort_values("lr").reset_index(drop=True)


def curve_digest(base: Mapping[str, Any], lrs: Sequence[float] = TARGET_LRS) -> str:
    """What the curve depends on, hashed: the config but its file paths, the token files' contents,
    and the rates."""
    _check_base(base)
    config = {k: v for k, v in copy.deepcopy(dict(base)).items() if k != "data"}
    files = {
        split: sha256_file(path) if path else None for split, path in sorted(base["data"].items())
    }
    text = json.dumps(
        {"config": config, "data": files, "lrs": [float(lr) for lr in lrs]},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_curve(curve: pd.DataFrame, path: str | Path, digest: str = "") -> Path:
    """Save a curve as JSON (its rows and the digest of what it was trained from)."""
    rows = [
        {"lr": float(r.lr), "status": str(r.status), "best_val_loss": float(r.best_val_loss)}
        for r in curve.itertuples()
    ]
    text = json.dumps({"digest": digest, "rows": rows}, indent=1, allow_nan=True)
    return write_text_atomic(path, text + "\n")


def read_curve(path: str | Path) -> pd.DataFrame:
    """A curve saved by `write_curve`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no target learning-rate curve at {path}")
    rows = json.loads(path.read_text(encoding="utf-8"))["rows"]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def cached_target_curve(
    base: Mapping[str, Any], cache_dir: str | Path, lrs: Sequence[float] = TARGET_LRS
) -> tuple[pd.DataFrame, Path]:
    """The curve of `base`, trained only when `cache_dir` holds none for the same digest; the curve
    and its cache file."""
    digest = curve_digest(base, lrs)
    path = Path(cache_dir) / f"{digest}.json"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_curve(target_lr_curve(base, lrs), path, digest)
    return read_curve(path), path


def graded_target_curve(base: Mapping[str, Any]) -> pd.DataFrame:
    """The curve the hidden test scores against: the grader's pre-computed file when
    `$WORKBOOK_TARGET_LR_DIR` is set (inside the grading sandbox), else trained here from `base`."""
    folder = os.environ.get(CURVE_ENV)
    if folder:
        return read_curve(Path(folder) / CURVE_FILE)
    return target_lr_curve(base)


def data_cells(nb: Any) -> list[str]:
    """Sources of the code cells that build the target config: from the top to the cell defining
    `target_base`, without solution or graded cells (the reference code, not a student's)."""
    sources = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") or meta.get("grade"):
            continue
        sources.append(cell.source)
        if TARGET_BASE_CELL in cell.source:
            return sources
    raise ValueError(f"no code cell of the notebook defines the target ({TARGET_BASE_CELL!r})")


def precompute(
    source: str | Path,
    out_dir: str | Path,
    cache_dir: str | Path,
    parameters: Mapping[str, Any] | None = None,
    timeout: int = 3600,
) -> Path:
    """Run the source notebook's data cells (with `parameters` in its parameters cell) in a
    temporary folder with the reference library, get the target curve from `cache_dir` or train
    it, and write it to `out_dir`/target_lr_curve.json; the file written."""
    import nbformat
    from nbclient import NotebookClient

    from workbook.runner import set_parameters

    nb = set_parameters(nbformat.read(str(source), as_version=4), dict(parameters or {}))
    cells = data_cells(nb)
    out = Path(out_dir).resolve() / CURVE_FILE
    cache = Path(cache_dir).resolve()
    finish = (
        "from workbook.target_lr import cached_target_curve as _cached, write_curve as _write\n"
        f"_curve, _path = _cached(target_base, {str(cache)!r})\n"
        f"_write(_curve, {str(out)!r}, _path.stem)"
    )
    run = nbformat.v4.new_notebook(metadata=nb.metadata)
    run.cells = [nbformat.v4.new_code_cell(s) for s in [*cells, finish]]
    with tempfile.TemporaryDirectory(prefix="target_lr_data_") as tmp:
        client = NotebookClient(
            run, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": tmp}}
        )
        client.execute()
    if not out.is_file():
        raise RuntimeError(f"the target curve was not written to {out}")
    return out


def best_rate(curve: pd.DataFrame) -> float:
    """The rate of the curve's lowest best_val_loss among its stable runs."""
    stable, _ = stable_mask(curve, "best_val_loss")
    if not stable.any():
        raise ValueError("no run of the target curve trained stably")
    ranked = curve[stable].sort_values("best_val_loss", kind="stable")
    return float(ranked["lr"].iloc[0])


def lr_score(chosen: float, curve: pd.DataFrame) -> float:
    """How many times the chosen rate is off the curve's best rate, either way (1: on it)."""
    check_positive("chosen", chosen)
    best = best_rate(curve)
    return math.exp(abs(math.log(chosen / best)))
