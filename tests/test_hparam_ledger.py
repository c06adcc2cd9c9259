"""The budget ledger: refusals that change nothing, FLOPs from module 06's count, and the 10-605
probe estimate from module 06's cost rule."""

from __future__ import annotations

import pytest

from course_lib.hparam import ledger as ledger_module
from course_lib.hparam.ledger import (
    BudgetExceeded,
    BudgetLedger,
    estimate_amount,
    probe_cost,
    run_flops,
)
from course_lib.model.config import ModelConfig
from course_lib.model.layers import Linear
from course_lib.model.transformer import TransformerLM


def test_charges_add_up_and_an_overspend_is_refused_without_a_trace() -> None:
    ledger = BudgetLedger(100.0, unit="seconds")
    ledger.charge("probe", 30)
    ledger.charge("sweep", 70, note="4 trials")
    assert ledger.spent == 100 and ledger.remaining == 0
    with pytest.raises(BudgetExceeded, match="target would cost 1 seconds, but only 0 of the 100"):
        ledger.charge("target", 1)
    assert [c.name for c in ledger.charges] == ["probe", "sweep"]
    table = ledger.table()
    assert table["cumulative"].tolist() == [30, 100] and table["budget_fraction"].iloc[-1] == 1
    with pytest.raises(ValueError, match="amount must be >= 0"):
        ledger.charge("refund", -5)
    with pytest.raises(ValueError, match="unknown unit 'flop'"):
        BudgetLedger(1, unit="flop")
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        ledger.charge("", 0)


def test_run_flops_is_six_times_matmul_weights_plus_attention_per_token() -> None:
    cfg = ModelConfig(vocab_size=64, context_length=32, d_model=32, n_layers=2, n_heads=2)
    model = TransformerLM(cfg)
    weights = sum(m.weight.numel() for m in model.modules() if isinstance(m, Linear))
    per_token = 6 * weights + 12 * cfg.n_layers * 16 * cfg.d_model  # at context 16
    assert run_flops(cfg, steps=10, batch_size=4, context_length=16) == per_token * 10 * 4 * 16


def test_probe_cost_prices_the_worst_of_steps_10_to_19(monkeypatch: pytest.MonkeyPatch) -> None:
    times = [500.0] * 10 + [10.0, 12.0, 30.0, 11.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    monkeypatch.setattr(ledger_module, "time_steps", lambda fn, n, device: times[:n])
    est = probe_cost(lambda: None, total_steps=3600, dollars_per_hour=2.0)
    assert (est.worst_step, est.step_ms) == (12, 30.0)
    assert est.hours == pytest.approx(30.0 * 3600 / 3.6e6) and est.dollars == pytest.approx(0.06)
    assert estimate_amount("seconds", est) == pytest.approx(108.0)
    assert estimate_amount("dollars", est) == pytest.approx(0.06)
