"""Model FLOPs utilization (MFU) and training time from a FLOP count and a device's peak.

MFU (Chowdhery et al. 2022, PaLM) = achieved model FLOP/s ÷ peak FLOP/s, where achieved model FLOP/s
= tokens per second × training FLOPs per token (the model's FLOPs, not counting recomputation).
"""

from __future__ import annotations

from course_lib.accounting.checks import check_positive


def mfu(tokens_per_s: float, flops_per_token: float, peak_flops_per_s: float) -> float:
    """Model FLOPs utilization: the fraction of the device's peak spent on the model's FLOPs."""
    check_positive("tokens_per_s", tokens_per_s)
    check_positive("flops_per_token", flops_per_token)
    check_positive("peak_flops_per_s", peak_flops_per_s)
    ### BEGIN SOLUTION
    return tokens_per_s * flops_per_token / peak_flops_per_s
    ### END SOLUTION


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
