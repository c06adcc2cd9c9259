"""Scale-down strategies: spend a small budget on cheap runs and carry the best learning rate over
to a target run too expensive to tune (the strategies of 10-605 HW5, over module 07's sweeps).

- divergence: find the smallest learning rate that diverges, then try fractions of it;
- short horizon: seeded random search at a fraction of the target's steps;
- model scaling: the best learning rate at several small widths, fitted as a power law of width
  (`fit_log_log`) and extrapolated to the target width;
- data scaling: the same at one width over several run lengths, extrapolated to the target's.

The functions that train are thin: they write a sweep spec, charge the ledger for every trial
before anything runs, call `run_sweep`, and hand the results to the pure functions below.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from course_lib.checks import check_int, check_positive
from course_lib.hparam.fit import fit_log_log, predict_log_log
from course_lib.hparam.ledger import BudgetExceeded, BudgetLedger, run_flops
from course_lib.model.config import ModelConfig
from course_lib.sweeps.analysis import best_by, edge_of_stability, stable_mask
from course_lib.sweeps.runner import run_sweep
from course_lib.sweeps.spec import load_spec
from course_lib.sweeps.training import TRAIN
from course_lib.training.config import TrainConfig

LR = "train.lr"
DIVERGENCE_FRACTIONS = (1 / 2, 1 / 4, 1 / 8, 1 / 16)


def trial_flops(config: Mapping[str, Any]) -> float:
    """Training FLOPs of one checked `train` trial config (model, steps, batch, accumulation)."""
    model = ModelConfig.from_dict(config["model"])
    train = TrainConfig.from_dict(config["train"])
    return run_flops(
        model, train.max_steps, train.batch_size * train.grad_accum_steps, train.context_length
    )


def charge_sweep(
    ledger: BudgetLedger,
    spec: Mapping[str, Any],
    cost: Callable[[Mapping[str, Any]], float] = trial_flops,
) -> float:
    """Charge every trial of `spec` to the ledger, or none of them if the total does not fit."""
    if ledger.unit != "flops" and cost is trial_flops:
        raise ValueError(f"a {ledger.unit} ledger needs its own cost(config) for sweep trials")
    sweep = load_spec(spec)
    amounts = [(t.id, cost(t.config)) for t in sweep.expand(TRAIN)]
    total = sum(a for _, a in amounts)
    if not ledger.can_afford(total):
        raise BudgetExceeded(
            f"sweep {sweep.name!r} ({len(amounts)} trials) would cost {total:.4g} {ledger.unit}, "
            f"but only {ledger.remaining:.4g} of {ledger.budget:.4g} is left: nothing was run"
        )
    for trial_id, amount in amounts:
        ledger.charge(f"{sweep.name}/{trial_id}", amount)
    return total


def _run(
    spec: dict[str, Any], out_dir: str | Path, ledger: BudgetLedger | None, **kwargs: Any
) -> pd.DataFrame:
    if ledger is not None:
        charge_sweep(ledger, spec)
    return run_sweep(spec, out_dir, progress=False, **kwargs)


# divergence: fractions of the first learning rate that diverges


def divergence_candidates(
    results: pd.DataFrame,
    fractions: Sequence[float] = DIVERGENCE_FRACTIONS,
    metric: str = "final_train_loss",
) -> list[float]:
    """Fractions of the smallest learning rate of `results` that diverged (module 07's edge)."""
    _, first_diverged = edge_of_stability(results, LR, metric)
    if math.isnan(first_diverged):
        raise ValueError("no trial diverged: extend the learning-rate range upward")
    for f in fractions:
        check_positive("fractions", f)
    return [first_diverged * f for f in fractions]


def lr_range_test(
    base: dict[str, Any],
    lrs: Sequence[float],
    out_dir: str | Path,
    ledger: BudgetLedger | None = None,
    fractions: Sequence[float] = DIVERGENCE_FRACTIONS,
    **kwargs: Any,
) -> tuple[pd.DataFrame, list[float]]:
    """Train `base` at each learning rate in `lrs`; (results, fractions of the first divergence)."""
    spec = {"name": "lr_range", "base": base, "grid": {LR: [float(v) for v in lrs]}}
    df = _run(spec, out_dir, ledger, **kwargs)
    return df, divergence_candidates(df, fractions)


# short horizon: seeded random search with fewer steps


def log_uniform(n: int, low: float, high: float, seed: int = 0) -> list[float]:
    """n values drawn log-uniformly from [low, high] with a seeded generator."""
    check_int("n", n, minimum=1)
    check_positive("low", low)
    check_positive("high", high)
    if low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high})")
    rng = np.random.default_rng(seed)
    return [float(v) for v in np.exp(rng.uniform(math.log(low), math.log(high), n))]


def short_horizon_base(base: dict[str, Any], fraction: float) -> dict[str, Any]:
    """`base` with max_steps (and warmup) cut to `fraction` of the target's, at least one step."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    out = copy.deepcopy(base)
    train = out.setdefault("train", {})
    steps = train.get("max_steps", TrainConfig().max_steps)
    train["max_steps"] = max(1, round(steps * fraction))
    warmup = train.get("warmup_steps", TrainConfig().warmup_steps)
    train["warmup_steps"] = min(round(warmup * fraction), train["max_steps"])
    return out


def best_lr(results: pd.DataFrame, metric: str = "best_val_loss") -> float:
    """The learning rate of the stable trial with the lowest `metric`."""
    stable, _ = stable_mask(results, metric)
    if not stable.any():
        raise ValueError(f"no stable trial with a finite {metric}")
    ranked = results[stable].sort_values(metric, kind="stable")
    return float(ranked[LR].iloc[0])


def short_horizon_search(
    base: dict[str, Any],
    n: int,
    lr_range: tuple[float, float],
    fraction: float,
    out_dir: str | Path,
    seed: int = 0,
    ledger: BudgetLedger | None = None,
    metric: str = "best_val_loss",
    **kwargs: Any,
) -> tuple[pd.DataFrame, float]:
    """n log-uniform learning rates at `fraction` of the steps; (results, best learning rate)."""
    lrs = log_uniform(n, *lr_range, seed=seed)
    spec = {"name": "short_horizon", "base": short_horizon_base(base, fraction)}
    spec["trials"] = [{LR: v} for v in lrs]
    df = _run(spec, out_dir, ledger, **kwargs)
    return df, best_lr(df, metric)


# model and data scaling: best learning rate per size, fitted and extrapolated


def project_best_lr(
    results: pd.DataFrame, by: str, target: float, metric: str = "best_val_loss"
) -> tuple[float, tuple[float, float], pd.DataFrame]:
    """Best learning rate per value of `by` (module 07's best_by), the fit log(lr*) = a + b·log(by)
    and its prediction at `target`: (lr at target, (a, b), best rows)."""
    best = best_by(results, by, metric)
    if len(best) < 2:
        raise ValueError(f"need a stable best trial at two or more values of {by}, got {len(best)}")
    fit = fit_log_log(best[by].astype(float).tolist(), best[LR].astype(float).tolist())
    return predict_log_log(fit, target), fit, best


def model_scaling_projection(
    base: dict[str, Any],
    widths: Sequence[int],
    lrs: Sequence[float],
    target_width: int,
    out_dir: str | Path,
    ledger: BudgetLedger | None = None,
    metric: str = "best_val_loss",
    **kwargs: Any,
) -> tuple[float, tuple[float, float], pd.DataFrame]:
    """Sweep learning rates at each small width; extrapolate the best one to target_width."""
    spec = {"name": "model_scaling", "base": base}
    spec["grid"] = {"model.d_model": [int(w) for w in widths], LR: [float(v) for v in lrs]}
    df = _run(spec, out_dir, ledger, **kwargs)
    return project_best_lr(df, "model.d_model", target_width, metric)


def data_scaling_projection(
    base: dict[str, Any],
    steps: Sequence[int],
    lrs: Sequence[float],
    target_steps: int,
    out_dir: str | Path,
    ledger: BudgetLedger | None = None,
    metric: str = "best_val_loss",
    **kwargs: Any,
) -> tuple[float, tuple[float, float], pd.DataFrame]:
    """Sweep learning rates at several run lengths of one width; extrapolate to target_steps."""
    spec = {"name": "data_scaling", "base": base}
    spec["grid"] = {"train.max_steps": [int(s) for s in steps], LR: [float(v) for v in lrs]}
    df = _run(spec, out_dir, ledger, **kwargs)
    return project_best_lr(df, "train.max_steps", target_steps, metric)
