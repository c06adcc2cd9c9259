"""A sweep folder as pandas DataFrames: one row per trial, and every logged point in long form."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from course_lib.sweeps.spec import flatten
from course_lib.sweeps.trial import METRICS_FILE, read_config, read_status
from course_lib.training.metrics import read_metrics

TRIALS_FILE = "trials.json"
METRIC_COLUMNS = (
    "steps",
    "tokens",
    "flops",
    "wall_time",
    "final_train_loss",
    "best_train_loss",
    "final_val_loss",
    "best_val_loss",
)
CURVE_COLUMNS = ("trial", "name", "status", "split", "step", "tokens", "flops", "wall_time", "loss")


def number(value: Any) -> Any:
    """Undo strict JSON's spelling of non-finite floats: "nan", "inf", "-inf" -> floats."""
    if isinstance(value, str) and value.lower() in ("nan", "inf", "-inf", "infinity", "-infinity"):
        return float(value)
    return value


def trial_index(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """The sweep's trials in order (id, name, overrides), as `run_sweep` recorded them."""
    path = Path(sweep_dir) / TRIALS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{sweep_dir} is not a sweep folder: it has no {TRIALS_FILE}")
    return json.loads(path.read_text())


def swept_settings(index: list[dict[str, Any]]) -> list[str]:
    """The dotted settings some trial overrides, in first-seen order."""
    keys: dict[str, None] = {}
    for entry in index:
        keys.update(dict.fromkeys(entry["overrides"]))
    return list(keys)


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if isinstance(v, int | float) and math.isfinite(v)]


def curve_metrics(records: list[dict[str, Any]], flops_per_token: float | None) -> dict[str, Any]:
    """Final and best losses, steps, tokens, FLOPs and wall-clock of one trial's records."""
    train = [r for r in records if r.get("kind") == "train"]
    val = [r for r in records if r.get("kind") == "val"]
    train_losses = [number(r["loss"]) for r in train]
    val_losses = [number(r["val_loss"]) for r in val]
    last = max(records, key=lambda r: r["step"]) if records else {}
    tokens = last.get("tokens", math.nan)
    return {
        "steps": last.get("step", math.nan),
        "tokens": tokens,
        "flops": tokens * flops_per_token if flops_per_token else math.nan,
        "wall_time": last.get("wall_time", math.nan),
        "final_train_loss": train_losses[-1] if train_losses else math.nan,
        "best_train_loss": min(_finite(train_losses), default=math.nan),
        "final_val_loss": val_losses[-1] if val_losses else math.nan,
        "best_val_loss": min(_finite(val_losses), default=math.nan),
    }


def _trial_row(sweep_dir: Path, entry: dict[str, Any]) -> tuple[dict[str, Any], dict, list]:
    run_dir = sweep_dir / entry["id"]
    status = read_status(run_dir) or {}
    config = (read_config(run_dir) or {}).get("config") or {}
    summary = {k: number(v) for k, v in (status.get("summary") or {}).items()}
    records = read_metrics(run_dir / METRICS_FILE)
    row = {
        "trial": entry["id"],
        "name": entry.get("name", ""),
        "status": status.get("status", "pending"),
        **{k: number(v) for k, v in flatten(config).items()},
        **{k: number(v) for k, v in entry["overrides"].items()},
        **(curve_metrics(records, summary.get("flops_per_token")) if records else {}),
        **summary,
        "seconds": status.get("seconds", math.nan),
        "message": status.get("message", ""),
    }
    return row, summary, records


def results(sweep_dir: str | Path) -> pd.DataFrame:
    """One row per trial: id, name, status, every config setting (dotted), the final and best
    losses, steps, tokens, FLOPs and wall-clock, the trial kind's summary and its message.

    `df.attrs["swept"]` lists the settings the sweep varies. Trials not run yet have status
    "pending"; NaN marks numbers a trial did not reach.
    """
    sweep_dir = Path(sweep_dir)
    index = trial_index(sweep_dir)
    rows = [_trial_row(sweep_dir, entry)[0] for entry in index]
    swept = swept_settings(index)
    front = ["trial", "name", "status", *swept, *METRIC_COLUMNS]
    df = pd.DataFrame(rows)
    for column in front:
        if column not in df:
            df[column] = math.nan
    rest = [c for c in df.columns if c not in front and c != "message"]
    df = df[front + rest + ["message"]]
    df.attrs["swept"] = swept
    return df


def curves(sweep_dir: str | Path) -> pd.DataFrame:
    """Every logged point of every trial in long form, for seaborn: trial, name, status, split
    ("train" or "val"), step, tokens, flops, wall_time, loss, lr, and the swept settings."""
    sweep_dir = Path(sweep_dir)
    index = trial_index(sweep_dir)
    swept = swept_settings(index)
    rows = []
    for entry in index:
        row, summary, records = _trial_row(sweep_dir, entry)
        per_token = summary.get("flops_per_token")
        for r in records:
            kind = r.get("kind")
            if kind not in ("train", "val"):
                continue
            rows.append(
                {
                    **{k: row[k] for k in ("trial", "name", "status")},
                    "split": kind,
                    "step": r["step"],
                    "tokens": r.get("tokens", math.nan),
                    "flops": r.get("tokens", math.nan) * per_token if per_token else math.nan,
                    "wall_time": r.get("wall_time", math.nan),
                    "loss": number(r["loss"] if kind == "train" else r["val_loss"]),
                    "lr": r.get("lr", math.nan),
                    **{k: row.get(k) for k in swept},
                }
            )
    df = pd.DataFrame(rows, columns=[*CURVE_COLUMNS, "lr", *swept])
    df.attrs["swept"] = swept
    return df
