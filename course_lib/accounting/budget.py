"""Compute budgets: Chinchilla's compute-optimal model size and token count for a FLOP budget.

Hoffmann et al. (2022, "Chinchilla") found that for a compute budget C ≈ 6·N·D the loss-optimal model
has about 20 training tokens per parameter, so N ≈ √(C / 120) and D ≈ 20·N.
"""

from __future__ import annotations

import math

from course_lib.accounting.checks import check_positive

CHINCHILLA_TOKENS_PER_PARAM = 20.0


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
