"""A budget ledger: every experiment of module 08 is charged to it, and a run that would overspend
is refused before it starts. Costs come from module 06's accounting, before anything runs.

Units: "flops" (training FLOPs, from `course_lib.training.flops.training_flops_per_token`),
"seconds" or "dollars" (from a short probe timed the 10-605 way: `course_lib.accounting.cost`).
In notebook 08 the bodies of `run_flops` and `probe_cost` (after their checks) are the graded exercise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from course_lib.accounting.cost import CostEstimate, cost_estimate, time_steps
from course_lib.checks import check_choice, check_int, check_non_negative, check_positive
from course_lib.model.config import ModelConfig
from course_lib.training.flops import training_flops_per_token

UNITS = ("flops", "seconds", "dollars")


class BudgetExceeded(ValueError):
    """A charge that would take the ledger past its budget; nothing was charged."""


@dataclass(frozen=True)
class Charge:
    """One experiment's cost as charged: its name, amount and a free-form note."""

    name: str
    amount: float
    note: str = ""


class BudgetLedger:
    """A fixed budget in one unit; `charge` records an experiment's cost or refuses it."""

    def __init__(self, budget: float, unit: str = "flops") -> None:
        check_positive("budget", budget)
        self.budget = float(budget)
        check_choice("unit", unit, UNITS)
        self.unit = unit
        self.charges: list[Charge] = []

    @property
    def spent(self) -> float:
        """Total charged so far."""
        return sum(c.amount for c in self.charges)

    @property
    def remaining(self) -> float:
        """What is left of the budget."""
        return self.budget - self.spent

    def can_afford(self, amount: float) -> bool:
        """True when charging `amount` would stay within the budget."""
        check_non_negative("amount", amount)
        return self.spent + amount <= self.budget * (1 + 1e-12)

    def charge(self, name: str, amount: float, note: str = "") -> Charge:
        """Record `amount` for experiment `name`, or raise BudgetExceeded and record nothing."""
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string naming the experiment, got {name!r}")
        check_non_negative("amount", amount)
        if not self.can_afford(amount):
            raise BudgetExceeded(
                f"{name} would cost {amount:.4g} {self.unit}, but only {self.remaining:.4g} of "
                f"the {self.budget:.4g} {self.unit} budget is left ({self.spent:.4g} spent on "
                f"{len(self.charges)} experiments): make it smaller or drop it"
            )
        charge = Charge(name, float(amount), note)
        self.charges.append(charge)
        return charge

    def table(self) -> pd.DataFrame:
        """One row per charge with its running total and share of the budget."""
        df = pd.DataFrame([c.__dict__ for c in self.charges], columns=["name", "amount", "note"])
        df["cumulative"] = df["amount"].cumsum()
        df["budget_fraction"] = df["cumulative"] / self.budget
        return df

    def __repr__(self) -> str:
        return (
            f"BudgetLedger({self.spent:.4g} of {self.budget:.4g} {self.unit} spent, "
            f"{len(self.charges)} charges)"
        )


def run_flops(
    config: ModelConfig, steps: int, batch_size: int, context_length: int | None = None
) -> float:
    """Training FLOPs of `steps` steps of batch_size sequences (module 06's count per token)."""
    check_int("steps", steps, minimum=1)
    check_int("batch_size", batch_size, minimum=1)
    seq = config.context_length if context_length is None else context_length
    ### BEGIN SOLUTION
    return training_flops_per_token(config, seq) * steps * batch_size * seq
    ### END SOLUTION


def probe_cost(
    step_fn: Callable[[], Any],
    total_steps: int,
    dollars_per_hour: float = 1.50,
    device: Any = None,
) -> CostEstimate:
    """Time 20 steps of step_fn, take the worst of steps 10-19 and price total_steps (10-605)."""
    check_int("total_steps", total_steps, minimum=1)
    check_positive("dollars_per_hour", dollars_per_hour)
    ### BEGIN SOLUTION
    return cost_estimate(time_steps(step_fn, 20, device), total_steps, dollars_per_hour)
    ### END SOLUTION


def estimate_amount(unit: str, estimate: CostEstimate) -> float:
    """The amount of a probe's estimate in a time or money unit ("seconds" or "dollars")."""
    check_choice("unit", unit, ("seconds", "dollars"))
    return estimate.hours * 3600 if unit == "seconds" else estimate.dollars
