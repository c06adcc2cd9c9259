"""Linear mode connectivity: the loss along θ(α) = (1-α)θ_a + αθ_b between two models.

Two branches of one seed usually sit in one basin: the loss along the straight path stays at or
below the endpoints'. Two independently initialised models do not: the path climbs over a barrier,
here measured as the largest rise of the loss above the straight line between the endpoint losses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import nn

from course_lib.checks import check_int, check_number, check_type
from course_lib.merging.merge import average_models


def interpolate(model_a: nn.Module, model_b: nn.Module, alpha: float) -> nn.Module:
    """A new model with weights (1-α)θ_a + αθ_b, α in [0, 1]."""
    if not 0 <= check_number("alpha", alpha) <= 1:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    ### BEGIN SOLUTION
    return average_models([model_a, model_b], [1 - float(alpha), float(alpha)])
    ### END SOLUTION


def interpolation_curve(
    model_a: nn.Module,
    model_b: nn.Module,
    loss_fn: Callable[[nn.Module], float],
    alphas: Sequence[float] | int = 11,
) -> list[tuple[float, float]]:
    """(α, loss_fn(θ(α))) along the path; an int n of alphas means n evenly spaced in [0, 1]."""
    check_type("model_a", model_a, nn.Module, "an nn.Module")
    check_type("model_b", model_b, nn.Module, "an nn.Module")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a function of a model, got {type(loss_fn).__name__}")
    if isinstance(alphas, int) and not isinstance(alphas, bool):
        n = check_int("alphas", alphas, minimum=2)
        alphas = [i / (n - 1) for i in range(n)]
    check_type("alphas", alphas, list | tuple, "a list of numbers in [0, 1] or a count")
    ### BEGIN SOLUTION
    return [(float(a), float(loss_fn(interpolate(model_a, model_b, a)))) for a in alphas]
    ### END SOLUTION


def loss_barrier(curve: Sequence[tuple[float, float]]) -> float:
    """max over α of loss(α) - ((1-α) loss(0) + α loss(1)); the curve must include α = 0 and 1."""
    check_type("curve", curve, list | tuple, "a list of (alpha, loss) pairs")
    ends = dict(curve)
    if 0.0 not in ends or 1.0 not in ends:
        raise ValueError("the curve must include alpha = 0 and alpha = 1 to measure a barrier")
    ### BEGIN SOLUTION
    return max(loss - ((1 - a) * ends[0.0] + a * ends[1.0]) for a, loss in curve)
    ### END SOLUTION
