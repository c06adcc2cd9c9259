"""Power-law trends fitted on log-log axes: log(y) = a + b·log(x), by ordinary least squares.

Used to extrapolate the best learning rate from small widths (or token counts) to the target
one, and to measure how activations grow with width in the coordinate check.
In notebook 08 the body of `fit_log_log` (after its checks) is the graded exercise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from course_lib.checks import check_number


def fit_log_log(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """(a, b) minimizing Σ (log y - a - b·log x)²: the line through the points on log-log axes."""
    x, y = list(x), list(y)
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(
            f"need two or more (x, y) pairs of equal length, got {len(x)} and {len(y)}"
        )
    for name, values in (("x", x), ("y", y)):
        for v in values:
            if not check_number(name, v) > 0 or not math.isfinite(v):
                raise ValueError(f"{name} must be positive and finite to take logs, got {v}")
    if len(set(x)) < 2:
        raise ValueError(f"x needs two or more distinct values to fit a slope, got {x}")
    ### BEGIN SOLUTION
    lx, ly = [math.log(v) for v in x], [math.log(v) for v in y]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    b = sum((u - mx) * (v - my) for u, v in zip(lx, ly)) / sum((u - mx) ** 2 for u in lx)
    return my - b * mx, b
    ### END SOLUTION


def predict_log_log(fit: tuple[float, float], x: float) -> float:
    """exp(a + b·log x): the fitted trend's value at x."""
    a, b = fit
    if not check_number("x", x) > 0:
        raise ValueError(f"x must be positive, got {x}")
    return math.exp(a + b * math.log(x))
