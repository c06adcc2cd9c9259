"""Learning-rate schedules as functions of the step: cosine with warmup, constant, linear, WSD."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from course_lib.checks import check_choice, check_non_negative, check_number

SCHEDULES = ("cosine", "constant", "linear", "wsd")


def check_schedule(
    lr_max: float,
    lr_min: float,
    warmup_steps: int,
    total_steps: int,
    *,
    step: int | None = None,
    total_name: str = "total_steps",
    decay_fraction: float | None = None,
) -> None:
    """The checks every schedule shares: step >= 0, 0 <= lr_min <= lr_max, 0 <= warmup <= total."""
    if step is not None:
        check_non_negative("step", step)
    if not 0 <= check_number("lr_min", lr_min) <= check_number("lr_max", lr_max):
        raise ValueError(f"need 0 <= lr_min <= lr_max, got lr_min={lr_min}, lr_max={lr_max}")
    if not 0 <= check_number("warmup_steps", warmup_steps) <= check_number(total_name, total_steps):
        raise ValueError(
            f"need 0 <= warmup_steps <= {total_name}, got {warmup_steps} and {total_steps}"
        )
    if decay_fraction is not None and not 0 <= check_number("decay_fraction", decay_fraction) <= 1:
        raise ValueError(f"decay_fraction must lie in [0, 1], got {decay_fraction}")


def _warmup(step: int, lr_max: float, warmup_steps: int) -> float:
    return lr_max * step / warmup_steps


def cosine_schedule(
    step: int, lr_max: float, lr_min: float, warmup_steps: int, cosine_steps: int
) -> float:
    """Linear warmup to `lr_max` over `warmup_steps`, cosine decay to `lr_min` at `cosine_steps`."""
    check_schedule(lr_max, lr_min, warmup_steps, cosine_steps, step=step, total_name="cosine_steps")
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return lr_max * step / warmup_steps
    if step >= cosine_steps:
        return lr_min
    progress = (step - warmup_steps) / (cosine_steps - warmup_steps)
    return lr_min + 0.5 * (1 + math.cos(math.pi * progress)) * (lr_max - lr_min)
    ### END SOLUTION


def constant_schedule(step: int, lr_max: float, warmup_steps: int = 0) -> float:
    """Linear warmup, then `lr_max` for ever."""
    check_schedule(lr_max, 0.0, warmup_steps, warmup_steps, step=step)
    return _warmup(step, lr_max, warmup_steps) if step < warmup_steps else lr_max


def linear_schedule(
    step: int, lr_max: float, lr_min: float, warmup_steps: int, total_steps: int
) -> float:
    """Linear warmup, then a straight line from `lr_max` down to `lr_min` at `total_steps`."""
    check_schedule(lr_max, lr_min, warmup_steps, total_steps, step=step)
    if step < warmup_steps:
        return _warmup(step, lr_max, warmup_steps)
    if step >= total_steps:
        return lr_min
    progress = (step - warmup_steps) / (total_steps - warmup_steps)
    return lr_max + progress * (lr_min - lr_max)


def wsd_schedule(
    step: int,
    lr_max: float,
    lr_min: float,
    warmup_steps: int,
    total_steps: int,
    decay_fraction: float = 0.2,
) -> float:
    """Warmup-stable-decay: warmup, hold `lr_max`, then decay linearly over the last fraction."""
    check_schedule(
        lr_max, lr_min, warmup_steps, total_steps, step=step, decay_fraction=decay_fraction
    )
    decay_start = max(warmup_steps, round(total_steps * (1 - decay_fraction)))
    if step < warmup_steps:
        return _warmup(step, lr_max, warmup_steps)
    if step < decay_start:
        return lr_max
    return linear_schedule(step, lr_max, lr_min, decay_start, total_steps)


@dataclass
class LRSchedule:
    """A named schedule with its settings: callable on the step, and saved in checkpoints."""

    name: str = "cosine"
    lr_max: float = 1e-3
    lr_min: float = 1e-4
    warmup_steps: int = 0
    total_steps: int = 1000
    decay_fraction: float = 0.2

    def __post_init__(self) -> None:
        check_choice("schedule", self.name, SCHEDULES)
        check_schedule(
            self.lr_max,
            self.lr_min,
            self.warmup_steps,
            self.total_steps,
            decay_fraction=self.decay_fraction,
        )

    def __call__(self, step: int) -> float:
        """Learning rate for the update numbered `step`."""
        if self.name == "cosine":
            return cosine_schedule(
                step, self.lr_max, self.lr_min, self.warmup_steps, self.total_steps
            )
        if self.name == "constant":
            return constant_schedule(step, self.lr_max, self.warmup_steps)
        if self.name == "linear":
            return linear_schedule(
                step, self.lr_max, self.lr_min, self.warmup_steps, self.total_steps
            )
        return wsd_schedule(
            step, self.lr_max, self.lr_min, self.warmup_steps, self.total_steps, self.decay_fraction
        )

    def state_dict(self) -> dict[str, Any]:
        """The settings, for checkpoints."""
        return asdict(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the settings saved by `state_dict`."""
        restored = LRSchedule(**state)
        self.__dict__.update(restored.__dict__)
