"""Compute budgets: which model configs a FLOP budget can train, and Chinchilla's compute-optimal size.

Hoffmann et al. (2022, "Chinchilla") found that for a compute budget C ≈ 6·N·D the loss-optimal model
has about 20 training tokens per parameter, so N ≈ √(C / 120) and D ≈ 20·N.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from course_lib.accounting.checks import check_positive
from course_lib.accounting.flops import training_flops_per_token
from course_lib.accounting.params import count_params
from course_lib.checks import check_int
from course_lib.model.config import ModelConfig

CHINCHILLA_TOKENS_PER_PARAM = 20.0
FLOP_RULES = ("exact", "6N")


def chinchilla_tokens(
    n_params: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM
) -> float:
    """Compute-optimal training tokens for a model of n_params parameters (≈ 20 per parameter)."""
    check_positive("n_params", n_params)
    check_positive("tokens_per_param", tokens_per_param)
    return tokens_per_param * n_params


def chinchilla_optimal(
    compute_flops: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM
) -> tuple[float, float]:
    """(N parameters, D tokens) spending compute_flops = 6·N·D with D = tokens_per_param·N."""
    check_positive("compute_flops", compute_flops)
    check_positive("tokens_per_param", tokens_per_param)
    n_params = math.sqrt(compute_flops / (6 * tokens_per_param))
    return n_params, tokens_per_param * n_params


@dataclass(frozen=True)
class BudgetPlan:
    """One config that fits a budget: its size, cost per token, and how long the budget trains it."""

    config: ModelConfig
    n_params: int
    flops_per_token: float
    steps: int
    tokens: int
    flops: float
    tokens_per_param: float


def plan_budget(
    budget_flops: float,
    batch_size: int,
    context_length: int,
    vocab_size: int,
    n_layers: Iterable[int] = (2, 4, 6, 8, 12, 16),
    d_model: Iterable[int] = (64, 128, 256, 384, 512, 768, 1024),
    head_dim: int = 64,
    min_steps: int = 100,
    flop_rule: str = "exact",
    **config_fields: Any,
) -> list[BudgetPlan]:
    """Every (n_layers, d_model) config that trains for at least min_steps steps of batch × context
    tokens within budget_flops, closest to Chinchilla's 20 tokens/parameter first.

    flop_rule 'exact' uses `flops.training_flops_per_token` (6N + attention); '6N' uses 6 × params.
    """
    check_positive("budget_flops", budget_flops)
    check_positive("batch_size", batch_size)
    check_positive("head_dim", head_dim)
    check_positive("min_steps", min_steps)
    if flop_rule not in FLOP_RULES:
        raise ValueError(f"flop_rule={flop_rule!r}: expected one of {FLOP_RULES}")
    tokens_per_step = batch_size * context_length
    plans = []
    for layers in n_layers:
        for width in d_model:
            if width % head_dim:
                continue
            config = ModelConfig(
                vocab_size=vocab_size,
                context_length=context_length,
                d_model=width,
                n_layers=layers,
                n_heads=width // head_dim,
                **config_fields,
            )
            n_params = count_params(config)
            if flop_rule == "exact":
                per_token = training_flops_per_token(config)
            else:
                per_token = 6 * n_params
            steps = int(budget_flops // (per_token * tokens_per_step))
            if steps < min_steps:
                continue
            tokens = steps * tokens_per_step
            plans.append(
                BudgetPlan(
                    config,
                    n_params,
                    per_token,
                    steps,
                    tokens,
                    tokens * per_token,
                    tokens / n_params,
                )
            )
    if not plans:
        raise ValueError(
            f"no config in the grid trains {min_steps} steps of {tokens_per_step} tokens "
            f"within {budget_flops:.3g} FLOPs: lower min_steps or offer smaller sizes"
        )
    target = CHINCHILLA_TOKENS_PER_PARAM
    return sorted(plans, key=lambda p: abs(math.log(p.tokens_per_param / target)))


def spread_plans(plans: Sequence[BudgetPlan], k: int) -> list[BudgetPlan]:
    """k of the plans spread evenly over model size, one of them the planner's first (the closest to
    Chinchilla's ratio), smallest first: a few configs worth training for real at one budget."""
    k = check_int("k", k, minimum=1)
    if isinstance(plans, str) or not isinstance(plans, Sequence):
        raise TypeError(
            f"plans must be a list of plans from plan_budget, got {type(plans).__name__}"
        )
    if not plans:
        raise ValueError("plans is empty: plan_budget returns at least one plan")
    by_size = sorted(plans, key=lambda p: (p.n_params, p.config.n_layers))
    n = len(by_size)
    if k >= n:
        return by_size
    best = by_size.index(plans[0])
    picks = [round(i * (n - 1) / (k - 1)) for i in range(k)] if k > 1 else [best]
    if best not in picks:  # the inner pick nearest to the best gives way; the ends stay
        inner = range(1, k - 1) if k >= 3 else range(k)
        picks[min(inner, key=lambda i: abs(picks[i] - best))] = best
    return [by_size[i] for i in sorted(picks)]
