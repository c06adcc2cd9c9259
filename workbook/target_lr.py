"""The grader's reference for notebook 08's final learning rate: the target model trained by the
reference code at a fixed grid of peak learning rates on the notebook's own token files.

Never released: the hidden test of question 5 calls `target_lr_curve` with the notebook's target
run and scores the student's rate by its distance from the curve's best rate (`lr_score`).
"""

from __future__ import annotations

import copy
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from course_lib.checks import check_positive
from course_lib.sweeps.analysis import stable_mask
from course_lib.sweeps.runner import run_sweep

TARGET_LRS = tuple(2.0**k for k in range(-11, -1))  # 0.0005 … 0.25, factors of two


def target_lr_curve(
    base: Mapping[str, Any],
    lrs: Sequence[float] = TARGET_LRS,
    out_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Train the sweep config `base` at each peak rate (minimum a tenth of it); one row per rate:
    lr, status, best_val_loss. Without `out_dir` the runs go to a temporary folder."""
    if not isinstance(base, Mapping) or not {"model", "train", "data"} <= set(base):
        raise TypeError(
            f"base must be a sweep base config with model, train and data, got {base!r}"
        )
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
    return results[["lr", "status", "best_val_loss"]].sort_values("lr").reset_index(drop=True)


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
