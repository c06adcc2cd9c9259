"""Model FLOPs utilization (MFU) and training time from a FLOP count and a device's peak.

MFU (Chowdhery et al. 2022, PaLM) = achieved model FLOP/s ÷ peak FLOP/s, where achieved model FLOP/s
= tokens per second × training FLOPs per token (the model's FLOPs, not counting recomputation).
"""

from __future__ import annotations

from course_lib.accounting.checks import check_positive
from course_lib.accounting.flops import training_flops_per_token, training_step_flops
from course_lib.model.config import ModelConfig

SECONDS_PER_DAY = 86_400


def tokens_per_second(batch_size: int, context_length: int, step_seconds: float) -> float:
    """Training throughput of steps of batch_size × context_length tokens taking step_seconds."""
    check_positive("batch_size", batch_size)
    check_positive("context_length", context_length)
    check_positive("step_seconds", step_seconds)
    return batch_size * context_length / step_seconds


def mfu(tokens_per_s: float, flops_per_token: float, peak_flops_per_s: float) -> float:
    """Model FLOPs utilization: the fraction of the device's peak spent on the model's FLOPs."""
    check_positive("tokens_per_s", tokens_per_s)
    check_positive("flops_per_token", flops_per_token)
    check_positive("peak_flops_per_s", peak_flops_per_s)
    ### BEGIN SOLUTION
    return tokens_per_s * flops_per_token / peak_flops_per_s
    ### END SOLUTION


def model_mfu(
    config: ModelConfig,
    tokens_per_s: float,
    peak_flops_per_s: float,
    context_length: int | None = None,
) -> float:
    """MFU of training `config` at a measured tokens/s (FLOPs per token from `flops`)."""
    return mfu(tokens_per_s, training_flops_per_token(config, context_length), peak_flops_per_s)


def training_time_seconds(
    flops_per_step: float, n_steps: int, peak_flops_per_s: float, utilization: float
) -> float:
    """Wall-clock seconds for n_steps steps of flops_per_step each, at MFU `utilization` of a peak."""
    check_positive("flops_per_step", flops_per_step)
    check_positive("n_steps", n_steps)
    check_positive("peak_flops_per_s", peak_flops_per_s)
    if not 0 < utilization <= 1:
        raise ValueError(
            f"mfu is a fraction of the peak: expected 0 < utilization <= 1, got {utilization}"
        )
    ### BEGIN SOLUTION
    return flops_per_step * n_steps / (utilization * peak_flops_per_s)
    ### END SOLUTION


def model_training_days(
    config: ModelConfig,
    n_steps: int,
    batch_size: int,
    peak_flops_per_s: float,
    utilization: float,
    context_length: int | None = None,
) -> float:
    """Days to train `config` for n_steps of batch_size × context tokens (backward = 2× forward)."""
    flops = training_step_flops(config, batch_size, context_length)
    return training_time_seconds(flops, n_steps, peak_flops_per_s, utilization) / SECONDS_PER_DAY
