"""Your own zero-shot tuning (notebook 08, questions 4 and 5): the experiments you run within the
budget ledger, and the learning rate you choose for the target model from their results.

`experiment_plan` returns the experiments as rows {"strategy", "d_model", "steps", "lr"}: a model
of the target's shape at width `d_model` trained for `steps` steps at peak learning rate `lr`.
`choose_final_lr` reads the finished experiment table (those columns plus "best_val_loss" and
"status") and returns the one learning rate the target model will be trained with.
In notebook 08 the bodies of both functions (after their checks) are the graded exercises.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from course_lib.checks import check_int, check_positive, check_type
from course_lib.hparam.fit import fit_log_log, predict_log_log
from course_lib.sweeps.analysis import best_by, check_columns

PLAN_KEYS = ("strategy", "d_model", "steps", "lr")
MIN_EXPERIMENTS = 10
LR_TOLERANCE = 3.0  # full marks: the chosen rate within this factor of the target's best rate


def experiment_plan(
    target_d_model: int, target_steps: int, n_heads: int, tiny_best_lr: float
) -> list[dict[str, Any]]:
    """At least MIN_EXPERIMENTS experiments {"strategy", "d_model", "steps", "lr"} to run on
    models of the target's shape; `tiny_best_lr` is the optimum question 2 found."""
    check_int("target_d_model", target_d_model, minimum=1)
    check_int("target_steps", target_steps, minimum=1)
    check_int("n_heads", n_heads, minimum=1)
    check_positive("tiny_best_lr", tiny_best_lr)
    ### BEGIN SOLUTION
    # Model-scaling projection: the full number of steps at a quarter, a half and three quarters of
    # the target's width, each at rates a factor of two apart from the tiniest model's optimum
    # down to an eighth of it (deeper, wider models than the one-layer tiniest need smaller rates).
    step = 2 * n_heads  # widths the heads divide, with an even head size for RoPE
    widths = sorted({max(step, target_d_model * k // 4 // step * step) for k in (1, 2, 3)})
    factors = (1 / 8, 1 / 4, 1 / 2, 1)
    plan = [
        {"strategy": "model scaling", "d_model": w, "steps": target_steps, "lr": tiny_best_lr * f}
        for w in widths
        for f in factors
    ]
    # Short horizon at full width: an eighth of the steps, the same rates, no transfer rule.
    short = max(1, target_steps // 8)
    plan += [
        {"strategy": "short horizon", "d_model": target_d_model, "steps": short, "lr": row["lr"]}
        for row in plan[: len(factors)]
    ]
    return plan
    ### END SOLUTION


def choose_final_lr(table: pd.DataFrame, target_d_model: int) -> float:
    """The peak learning rate for the target model (width `target_d_model`), from the experiment
    table: one row per experiment with its strategy, d_model, steps, lr, status and best_val_loss."""
    check_type("table", table, pd.DataFrame, "the experiment table (a pandas DataFrame)")
    check_columns(table, *PLAN_KEYS, "status", "best_val_loss")
    check_int("target_d_model", target_d_model, minimum=1)
    ### BEGIN SOLUTION
    # Transfer hypothesis: the best rate is a power law of the width (straight on log-log axes).
    best = best_by(table[table["strategy"] == "model scaling"], "d_model")
    if len(best) >= 2:
        fit = fit_log_log(best["d_model"].astype(float), best["lr"].astype(float))
        return float(predict_log_log(fit, target_d_model))
    ranked = table[table["status"] == "completed"].sort_values("best_val_loss", kind="stable")
    return float(ranked["lr"].iloc[0])
    ### END SOLUTION
