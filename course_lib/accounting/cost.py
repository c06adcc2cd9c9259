"""Cost of a training run before launching it: the 10-605 procedure on measured step times.

Run 20 steps; step 0 is slow (allocation, kernel selection), so take the worst of steps 10-19 as a
safe time per step; runtime (hours) = time per step (ms) × steps / 3.6e6 ms per hour; cost = runtime
× the instance's $/hour (10-605 rounds an AWS g5.xlarge's $1.06/h up to $1.50/h to be safe).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from course_lib.accounting.checks import check_positive

MS_PER_HOUR = 3.6e6
WINDOW = (10, 19)  # steps whose worst time is taken, both ends included


@dataclass(frozen=True)
class CostEstimate:
    """The worst step in the window, its time, and the run's estimated hours and dollars."""

    worst_step: int
    step_ms: float
    total_steps: int
    hours: float
    dollars: float


def time_steps(
    step_fn: Callable[[], Any], n_steps: int = 20, device: torch.device | str | None = None
) -> list[float]:
    """Wall-clock milliseconds of each of n_steps calls of step_fn (synchronizing CUDA each time)."""
    check_positive("n_steps", n_steps)
    device = torch.device(device) if device is not None else None

    def sync() -> None:
        if device is not None and device.type == "cuda":
            torch.cuda.synchronize(device)

    times = []
    for _ in range(n_steps):
        sync()
        start = time.perf_counter()
        step_fn()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return times


def cost_estimate(
    step_times_ms: Sequence[float],
    total_steps: int,
    dollars_per_hour: float = 1.50,
    window: tuple[int, int] = WINDOW,
) -> CostEstimate:
    """Estimate a run's hours and dollars from the worst measured step in `window` (10-605)."""
    first, last = window
    if not 0 <= first <= last:
        raise ValueError(f"window must be (first, last) with 0 <= first <= last, got {window}")
    if len(step_times_ms) <= last:
        raise ValueError(
            f"need step times up to step {last} ({last + 1} steps), got {len(step_times_ms)}"
        )
    check_positive("total_steps", total_steps)
    check_positive("dollars_per_hour", dollars_per_hour)
    ### BEGIN SOLUTION
    worst = max(range(first, last + 1), key=lambda i: step_times_ms[i])
    step_ms = step_times_ms[worst]
    hours = step_ms * total_steps / MS_PER_HOUR
    return CostEstimate(worst, step_ms, total_steps, hours, hours * dollars_per_hour)
    ### END SOLUTION
