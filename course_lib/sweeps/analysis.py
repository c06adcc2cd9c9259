"""Module 07: reading a sweep — where training diverges, the best trial per group, compute-matched
epochs, and a grid of model shapes that can be built.

Every function takes the DataFrame of `course_lib.sweeps.results` (one row per trial with `status`,
the swept settings as dotted columns and the loss columns) or plain numbers, so the hidden tests can
feed them synthetic sweeps.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_lib.model.config import ModelConfig

FINISHED = ("completed", "stopped")  # trials that ran to their end (or to an early stop)


def check_columns(results: pd.DataFrame, *columns: str) -> None:
    """Raise a ValueError naming the columns `results` lacks."""
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    missing = [c for c in columns if c not in results.columns]
    if missing:
        raise ValueError(f"results has no column {missing}; it has {list(results.columns)}")


def stable_mask(results: pd.DataFrame, metric: str) -> tuple[pd.Series, pd.Series]:
    """Boolean Series (stable, diverged) over the trials of `results`.

    Stable: status "completed" or "stopped" with a finite `metric`. Diverged: status "diverged",
    or a finished trial whose `metric` is NaN or infinite. Failed or pending trials are neither.
    """
    check_columns(results, "status", metric)
    finite = pd.Series(np.isfinite(results[metric].astype(float)), index=results.index)
    finished = results["status"].isin(FINISHED)
    return finished & finite, (results["status"] == "diverged") | (finished & ~finite)


def edge_of_stability(
    results: pd.DataFrame, setting: str, metric: str = "final_train_loss"
) -> tuple[float, float]:
    """(largest stable value of `setting` below the smallest diverged one, smallest diverged value).

    Either is NaN when the sweep has no such trial; with no diverged trial the first is the largest
    stable value.
    """
    check_columns(results, setting)
    stable, diverged = stable_mask(results, metric)
    ### BEGIN SOLUTION
    values = results[setting].astype(float)
    first_diverged = float(values[diverged].min()) if diverged.any() else math.nan
    below = (
        values[stable] if math.isnan(first_diverged) else values[stable & (values < first_diverged)]
    )
    last_stable = float(below.max()) if len(below) else math.nan
    return last_stable, first_diverged
    ### END SOLUTION


def best_by(results: pd.DataFrame, by: str, metric: str = "best_val_loss") -> pd.DataFrame:
    """For each value of `by`, in increasing order, the stable trial with the lowest `metric`.

    Rows keep all columns of `results` and are numbered from 0; a value whose trials all diverged
    or failed has no row; of trials tied on `metric` the first in `results` wins.
    """
    check_columns(results, by)
    stable, _ = stable_mask(results, metric)
    ### BEGIN SOLUTION
    ranked = results[stable].sort_values(metric, kind="stable")
    best = ranked.groupby(by, sort=True).head(1).sort_values(by, kind="stable")
    return best.reset_index(drop=True)
    ### END SOLUTION


def compute_matched_runs(
    token_budget: int, epochs: Sequence[int], tokens_per_step: int
) -> list[dict[str, int]]:
    """For each number of epochs, the run that spends `token_budget` training tokens as that many
    passes over fewer distinct tokens: {"epochs", "steps", "unique_tokens"}.

    Every run takes the same whole number of steps, `token_budget // tokens_per_step`, and sees
    `steps * tokens_per_step // epochs` distinct tokens.
    """
    for name, value in (("token_budget", token_budget), ("tokens_per_step", tokens_per_step)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    for e in epochs:
        if isinstance(e, bool) or not isinstance(e, int | np.integer) or e < 1:
            raise ValueError(f"epochs must be positive integers, got {e!r}")
    if token_budget < tokens_per_step:
        raise ValueError(
            f"a budget of {token_budget} tokens does not fill one step of {tokens_per_step}"
        )
    ### BEGIN SOLUTION
    steps = token_budget // tokens_per_step
    return [
        {"epochs": int(e), "steps": steps, "unique_tokens": steps * tokens_per_step // int(e)}
        for e in epochs
    ]
    ### END SOLUTION


def buildable(settings: Mapping[str, Any]) -> bool:
    """True when ModelConfig accepts these model settings (d_model divisible by n_heads, RoPE's
    even head dimension, ...)."""
    try:
        ModelConfig(**settings)
    except (ValueError, TypeError):
        return False
    return True


def model_grid(
    axes: Mapping[str, Sequence[Any]], base: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every combination of the axes' values as a dict of overrides, the last axis varying fastest,
    keeping only the model shapes `buildable` accepts with `base`'s other model settings.

    Axis names are dotted sweep settings ("model.d_model", "train.lr"); the `model.` ones, on top of
    `base` (a dict of ModelConfig settings), must build. No axes: one empty combination.
    """
    base = dict(base or {})
    for key, values in axes.items():
        if not isinstance(key, str) or "." not in key:
            raise ValueError(f"axis {key!r} must be a dotted setting such as 'model.d_model'")
        if isinstance(values, str) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"axis {key!r} needs a non-empty list of values, got {values!r}")
    ### BEGIN SOLUTION
    keys = list(axes)
    grid = []
    for combo in itertools.product(*(axes[k] for k in keys)):
        point = dict(zip(keys, combo, strict=True))
        model = {k.split(".", 1)[1]: v for k, v in point.items() if k.startswith("model.")}
        if buildable({**base, **model}):
            grid.append(point)
    return grid
    ### END SOLUTION
