"""Successive halving and Hyperband, from Li et al. (2018), "Hyperband: A Novel Bandit-Based
Approach to Hyperparameter Optimization" (JMLR 18), Algorithm 1.

Hyperband with maximum resource R (steps, tokens: whatever `objective` takes) and reduction
factor eta runs brackets s = s_max, ..., 0, where s_max = floor(log_eta(R / min_resource)). Bracket
s starts n = ceil((s_max + 1) · eta^s / (s + 1)) configurations at r = R · eta^(-s) and runs
successive halving: rung i evaluates n_i = floor(n · eta^(-i)) configurations at r_i = r · eta^i and
keeps the best floor(n_i / eta) for the next rung. Each bracket spends about (s_max + 1) · R.
In notebook 08 the bodies of `successive_halving_schedule` and `hyperband_schedule` (after their
checks) are the graded exercise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from course_lib.checks import check_int, check_positive
from course_lib.hparam.ledger import BudgetLedger

Objective = Callable[[Any, float], float]  # (config, resource) -> loss, lower is better


@dataclass(frozen=True)
class Rung:
    """One round of successive halving: n configurations at `resource` each, `keep` promoted."""

    n: int
    resource: float
    keep: int


@dataclass(frozen=True)
class Bracket:
    """Successive halving from n configurations at the smallest resource (Hyperband's s)."""

    s: int
    rungs: tuple[Rung, ...]

    @property
    def n(self) -> int:
        """Configurations the bracket starts."""
        return self.rungs[0].n

    @property
    def total_resource(self) -> float:
        """Resource the bracket spends if every evaluation starts from scratch."""
        return sum(r.n * r.resource for r in self.rungs)


def _check_eta(eta: int) -> int:
    return check_int("eta", eta, minimum=2)


def _exact(value: float) -> float:
    """An int when the value is a whole number (resources read better as 27 than 27.0)."""
    return int(round(value)) if abs(value - round(value)) < 1e-9 * max(1.0, abs(value)) else value


def max_bracket(max_resource: float, eta: int = 3, min_resource: float = 1) -> int:
    """s_max: the largest s with min_resource · eta^s <= max_resource (no float log rounding)."""
    check_positive("max_resource", max_resource)
    check_positive("min_resource", min_resource)
    _check_eta(eta)
    if max_resource < min_resource:
        raise ValueError(
            f"max_resource ({max_resource}) must be at least min_resource ({min_resource})"
        )
    s = 0
    while min_resource * eta ** (s + 1) <= max_resource * (1 + 1e-12):
        s += 1
    return s


def successive_halving_schedule(
    n: int, min_resource: float, eta: int = 3, n_rungs: int | None = None
) -> tuple[Rung, ...]:
    """Rungs of successive halving from n configurations at min_resource: n_i = floor(n/eta^i)
    at min_resource · eta^i, until one is left (or for n_rungs rungs)."""
    check_int("n", n, minimum=1)
    check_positive("min_resource", min_resource)
    _check_eta(eta)
    if n_rungs is not None:
        check_int("n_rungs", n_rungs, minimum=1)
        if n // eta ** (n_rungs - 1) < 1:
            raise ValueError(f"{n} configurations cannot fill {n_rungs} rungs with eta={eta}")
    ### BEGIN SOLUTION
    if n_rungs is None:
        n_rungs = 1
        while n // eta**n_rungs >= 1:
            n_rungs += 1
    sizes = [n // eta**i for i in range(n_rungs)]
    return tuple(
        Rung(size, _exact(min_resource * eta**i), sizes[i + 1] if i + 1 < n_rungs else 0)
        for i, size in enumerate(sizes)
    )
    ### END SOLUTION


def hyperband_schedule(
    max_resource: float, eta: int = 3, min_resource: float = 1
) -> tuple[Bracket, ...]:
    """Hyperband's brackets s = s_max..0, each successive halving from n_s configurations at
    max_resource · eta^(-s) (Li et al. 2018, Algorithm 1)."""
    s_max = max_bracket(max_resource, eta, min_resource)
    ### BEGIN SOLUTION
    brackets = []
    for s in range(s_max, -1, -1):
        n = -(-(s_max + 1) * eta**s // (s + 1))  # ceil, in integers
        r = max_resource / eta**s
        brackets.append(Bracket(s, successive_halving_schedule(n, r, eta, s + 1)))
    return tuple(brackets)
    ### END SOLUTION


@dataclass(frozen=True)
class Evaluation:
    """One call of the objective: which bracket, rung and configuration, at what resource."""

    bracket: int
    rung: int
    config_id: int
    config: Any
    resource: float
    loss: float


@dataclass
class SearchResult:
    """Every evaluation of a successive-halving or Hyperband search, in the order they ran."""

    evaluations: list[Evaluation] = field(default_factory=list)

    @property
    def best(self) -> Evaluation:
        """The evaluation with the lowest loss (Hyperband returns its configuration)."""
        if not self.evaluations:
            raise ValueError("the search evaluated nothing")
        return min(self.evaluations, key=lambda e: _rank_loss(e.loss))

    @property
    def total_resource(self) -> float:
        """Resource spent, counting every evaluation from scratch."""
        return sum(e.resource for e in self.evaluations)

    def promoted(self, bracket: int, rung: int) -> list[int]:
        """The configuration ids evaluated at `rung + 1` of `bracket` (promoted from `rung`)."""
        return [e.config_id for e in self.evaluations if (e.bracket, e.rung) == (bracket, rung + 1)]

    def table(self) -> pd.DataFrame:
        """One row per evaluation: bracket, rung, config_id, config, resource, loss."""
        return pd.DataFrame([e.__dict__ for e in self.evaluations])


def _rank_loss(loss: float) -> float:
    """NaN (a diverged run) ranks last, with +inf."""
    return math.inf if math.isnan(loss) else loss


def run_rungs(
    configs: Sequence[Any],
    rungs: Sequence[Rung],
    objective: Objective,
    bracket: int = 0,
    result: SearchResult | None = None,
    ledger: BudgetLedger | None = None,
    cost: Callable[[Any, float], float] | None = None,
) -> SearchResult:
    """Evaluate configs rung by rung, promoting the `keep` lowest losses (ties: earlier config).

    With a ledger, `cost(config, resource)` is charged before each evaluation, so a search that
    would overspend stops with the ledger's error before running the evaluation.
    """
    if (ledger is None) != (cost is None):
        raise ValueError("pass ledger and cost together (cost(config, resource) is charged)")
    if len(configs) != rungs[0].n:
        raise ValueError(f"the first rung takes {rungs[0].n} configurations, got {len(configs)}")
    result = SearchResult() if result is None else result
    alive = list(range(len(configs)))
    for i, rung in enumerate(rungs):
        losses = []
        for cid in alive:
            if ledger is not None:
                ledger.charge(
                    f"bracket {bracket} rung {i} config {cid}", cost(configs[cid], rung.resource)
                )
            loss = float(objective(configs[cid], rung.resource))
            result.evaluations.append(
                Evaluation(bracket, i, cid, configs[cid], rung.resource, loss)
            )
            losses.append(loss)
        order = sorted(range(len(alive)), key=lambda j: (_rank_loss(losses[j]), alive[j]))
        alive = sorted(alive[j] for j in order[: rung.keep])
    return result


def successive_halving(
    configs: Sequence[Any],
    objective: Objective,
    min_resource: float,
    eta: int = 3,
    n_rungs: int | None = None,
    ledger: BudgetLedger | None = None,
    cost: Callable[[Any, float], float] | None = None,
) -> SearchResult:
    """Successive halving (Jamieson & Talwalkar 2016) over the given configurations."""
    rungs = successive_halving_schedule(len(configs), min_resource, eta, n_rungs)
    return run_rungs(configs, rungs, objective, ledger=ledger, cost=cost)


def hyperband(
    sample: Callable[[np.random.Generator], Any],
    objective: Objective,
    max_resource: float,
    eta: int = 3,
    min_resource: float = 1,
    seed: int = 0,
    ledger: BudgetLedger | None = None,
    cost: Callable[[Any, float], float] | None = None,
) -> SearchResult:
    """Hyperband: each bracket samples its n configurations with `sample(rng)` and runs
    successive halving on them; config ids count within a bracket."""
    rng = np.random.default_rng(seed)
    result = SearchResult()
    for bracket in hyperband_schedule(max_resource, eta, min_resource):
        configs = [sample(rng) for _ in range(bracket.n)]
        run_rungs(configs, bracket.rungs, objective, bracket.s, result, ledger, cost)
    return result
