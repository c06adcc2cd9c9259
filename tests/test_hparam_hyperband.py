"""Successive halving and Hyperband: the paper's table, optuna's brackets, and optuna's promotion
rule replayed on a deterministic objective as the oracle for every rung's promotions."""

from __future__ import annotations

import math

import numpy as np
import optuna
import pytest

from course_lib.hparam.hyperband import (
    hyperband,
    hyperband_schedule,
    max_bracket,
    successive_halving,
    successive_halving_schedule,
)
from course_lib.hparam.ledger import BudgetExceeded, BudgetLedger

optuna.logging.set_verbosity(optuna.logging.WARNING)

# Li et al. (2018), Table 1: R = 81, eta = 3; (n_i, r_i) for each bracket s = 4..0
PAPER_R81 = {
    4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    3: [(34, 3), (11, 9), (3, 27), (1, 81)],
    2: [(15, 9), (5, 27), (1, 81)],
    1: [(8, 27), (2, 81)],
    0: [(5, 81)],
}


def test_schedule_for_r81_eta3_is_the_papers_table() -> None:
    brackets = hyperband_schedule(81, eta=3)
    assert [b.s for b in brackets] == [4, 3, 2, 1, 0]
    for b in brackets:
        assert [(r.n, r.resource) for r in b.rungs] == PAPER_R81[b.s]
        assert [r.keep for r in b.rungs] == [r.n for r in b.rungs[1:]] + [0]
        assert all(isinstance(r.resource, int) for r in b.rungs)


def test_small_schedules_by_hand() -> None:
    # R = 4, eta = 2: s_max = 2, B = 12; s=2: n = ceil(3·4/3) = 4 at 1; s=1: ceil(3·2/2) = 3 at 2;
    # s=0: ceil(3/1) = 3 at 4
    got = [[(r.n, r.resource) for r in b.rungs] for b in hyperband_schedule(4, eta=2)]
    assert got == [[(4, 1), (2, 2), (1, 4)], [(3, 2), (1, 4)], [(3, 4)]]
    # a resource unit that is not 1: R = 10 steps of min 2.5 with eta 2 -> s_max = 2
    assert max_bracket(10, 2, min_resource=2.5) == 2
    assert [r.resource for r in hyperband_schedule(10, 2, 2.5)[0].rungs] == [2.5, 5, 10]
    # plain successive halving: 10 configs, eta 3 -> 10, 3, 1
    assert [(r.n, r.keep) for r in successive_halving_schedule(10, 1, 3)] == [
        (10, 3),
        (3, 1),
        (1, 0),
    ]


def test_integer_bracket_count_where_a_float_log_would_round_down() -> None:
    assert math.floor(math.log(243, 3)) == 4  # log(243, 3) = 4.999...: one bracket short
    assert max_bracket(243, 3) == 5
    assert max_bracket(1000, 10) == 3 and max_bracket(999, 10) == 2


@pytest.mark.parametrize(("max_resource", "eta"), [(81, 3), (27, 3), (64, 2), (64, 4), (16, 2)])
def test_brackets_match_optuna_hyperband_pruner(max_resource: int, eta: int) -> None:
    """optuna 5.0's HyperbandPruner: bracket b has min_early_stopping_rate b, so its rung k sits at
    min_resource · eta^(b + k), and it gets a share ceil(n_brackets · eta^s / (s + 1)) of the
    trials with s = n_brackets - 1 - b: the same n and r_i as Algorithm 1's bracket s."""
    pruner = optuna.pruners.HyperbandPruner(
        min_resource=1, max_resource=max_resource, reduction_factor=eta
    )
    pruner._try_initialization(optuna.create_study())
    ours = hyperband_schedule(max_resource, eta)
    assert len(ours) == pruner._n_brackets
    for b, bracket in enumerate(ours):
        sh = pruner._pruners[b]
        assert bracket.s == pruner._n_brackets - 1 - b
        assert bracket.n == pruner._trial_allocation_budgets[b]
        rung_steps = [
            sh._min_resource * eta ** (sh._min_early_stopping_rate + k)
            for k in range(len(bracket.rungs))
        ]
        assert rung_steps == [r.resource for r in bracket.rungs]
        assert rung_steps[-1] == max_resource


def optuna_promotes(losses: dict[int, float], target: int, eta: int) -> bool:
    """optuna's SuccessiveHalvingPruner deciding `target` at rung 0 after every other trial of the
    rung has reported: it then ranks target among all of them, as synchronous halving does."""
    pruner = optuna.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=eta, min_early_stopping_rate=0, bootstrap_count=0
    )
    study = optuna.create_study(pruner=pruner)
    for cid in [c for c in losses if c != target] + [target]:
        trial = study.ask()
        trial.report(losses[cid], step=1)
        pruned = trial.should_prune()
    return not pruned


def objective(config: tuple[float, float], resource: float) -> float:
    """A learning curve that crosses others: final quality q plus a slow start a / resource."""
    q, a = config
    return q + a / resource


def sample(rng: np.random.Generator) -> tuple[float, float]:
    return float(rng.uniform(0, 1)), float(rng.uniform(0, 3))


def test_every_promotion_matches_optunas_rule_on_a_deterministic_objective() -> None:
    """Synchronous halving keeps the best floor(n_i / eta) of a rung. optuna's asynchronous pruner
    ranks a trial among those that reached the rung before it, so it agrees exactly when the trial
    is the rung's last to arrive: each rung is replayed with every trial in turn arriving last."""
    eta = 3
    result = hyperband(sample, objective, max_resource=27, eta=eta, seed=1)
    table = result.table()
    checked = 0
    for bracket in hyperband_schedule(27, eta):
        for i, rung in enumerate(bracket.rungs[:-1]):
            rows = table[(table.bracket == bracket.s) & (table.rung == i)]
            assert len(rows) == rung.n
            losses = dict(zip(rows.config_id, rows.loss))
            want = sorted(c for c in losses if optuna_promotes(losses, c, eta))
            assert result.promoted(bracket.s, i) == want
            assert len(want) == rung.keep
            checked += 1
    assert checked == 6  # rungs that promote: 3 + 2 + 1 + 0 in brackets 3..0
    # Hyperband returns the lowest loss seen; every evaluation is the objective's value
    assert result.best.loss == min(table.loss)
    assert all(objective(e.config, e.resource) == e.loss for e in result.evaluations)


def test_successive_halving_ranks_diverged_runs_last_and_breaks_ties_by_order() -> None:
    configs = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    losses = {0: 5.0, 1: math.nan, 2: 1.0, 3: 1.0, 4: 9.0, 5: 2.0, 6: math.inf, 7: 7.0, 8: 3.0}
    result = successive_halving(configs, lambda c, r: losses[c] / r, min_resource=1, eta=3)
    assert result.promoted(0, 0) == [2, 3, 5]
    assert result.promoted(0, 1) == [2]
    assert result.total_resource == 9 * 1 + 3 * 3 + 1 * 9


def test_a_search_that_would_overspend_stops_before_the_evaluation() -> None:
    ledger = BudgetLedger(100, unit="flops")
    calls = []

    def counted(config: float, resource: float) -> float:
        calls.append(resource)
        return config / resource

    with pytest.raises(
        BudgetExceeded, match="rung 3 config 0 would cost 27 flops, but only 19 of the 100"
    ):
        successive_halving(
            [float(i) for i in range(27)], counted, 1, 3, ledger=ledger, cost=lambda c, r: r
        )
    assert ledger.spent == sum(calls) == 27 * 1 + 9 * 3 + 3 * 9  # rungs 0-2 ran, rung 3 refused
