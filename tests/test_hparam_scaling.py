"""Scale-down strategies: the log-log fit against numpy, the choices on synthetic sweeps, and one
tiny real sweep charged to a ledger whose charges match the FLOPs the sweep then reports."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from course_lib.data.tokens import write_token_ids
from course_lib.hparam.fit import fit_log_log, predict_log_log
from course_lib.hparam.ledger import BudgetExceeded, BudgetLedger
from course_lib.hparam.scaling import (
    best_lr,
    charge_sweep,
    divergence_candidates,
    log_uniform,
    model_scaling_projection,
    project_best_lr,
    short_horizon_base,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_fit_matches_numpy_polyfit_on_logs_and_recovers_an_exact_power_law() -> None:
    rng = np.random.default_rng(0)
    x = np.array([64, 128, 256, 512.0])
    y = 0.8 * x**-0.7 * np.exp(rng.normal(0, 0.1, 4))
    a, b = fit_log_log(x.tolist(), y.tolist())
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    assert (a, b) == pytest.approx((intercept, slope), rel=1e-10)
    exact = fit_log_log([10, 100], [3e-3, 3e-4])
    assert exact == pytest.approx((math.log(3e-2), -1.0))
    assert predict_log_log(exact, 1000) == pytest.approx(3e-5)
    with pytest.raises(ValueError, match="positive and finite"):
        fit_log_log([1, 2], [0.1, -0.1])
    with pytest.raises(ValueError, match="two or more distinct"):
        fit_log_log([4, 4], [0.1, 0.2])


def sweep(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["status", "model.d_model", "train.lr", "best_val_loss"])


def test_divergence_strategy_takes_fractions_of_the_first_diverging_lr() -> None:
    df = sweep([("completed", 16, 0.01, 2.0), ("completed", 16, 0.1, 1.5),
                ("diverged", 16, 1.0, math.nan), ("diverged", 16, 3.0, math.nan)])  # fmt: skip
    df["final_train_loss"] = df["best_val_loss"]
    assert divergence_candidates(df, (0.5, 0.1)) == pytest.approx([0.5, 0.1])
    with pytest.raises(ValueError, match="no trial diverged"):
        divergence_candidates(df[df.status == "completed"])
    assert best_lr(df) == 0.1


def test_model_scaling_projection_recovers_a_planted_trend() -> None:
    """Per width the best lr is 2/width (the U's bottom); the fit must find exponent -1."""
    rows = []
    for w in (16, 32, 64):
        for lr in (0.5 / w, 1 / w, 2 / w, 4 / w, 8 / w):
            rows.append(("completed", w, lr, 1 + math.log(lr * w / 2) ** 2))
        rows.append(("diverged", w, 64 / w, math.nan))
    lr, (a, b), best = project_best_lr(sweep(rows), "model.d_model", 1024)
    assert b == pytest.approx(-1.0) and a == pytest.approx(math.log(2))
    assert lr == pytest.approx(2 / 1024)
    assert best["model.d_model"].tolist() == [16, 32, 64]


def test_short_horizon_is_seeded_and_cuts_steps() -> None:
    lrs = log_uniform(5, 1e-4, 1e-1, seed=3)
    assert lrs == log_uniform(5, 1e-4, 1e-1, seed=3) != log_uniform(5, 1e-4, 1e-1, seed=4)
    assert all(1e-4 <= v <= 1e-1 for v in lrs)
    base = {"train": {"max_steps": 400, "warmup_steps": 40, "lr": 1e-3}}
    assert short_horizon_base(base, 0.25)["train"] == {
        "max_steps": 100,
        "warmup_steps": 10,
        "lr": 1e-3,
    }
    assert base["train"]["max_steps"] == 400  # the target's config is untouched


V = 32


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """module 07's tiny trial: a learnable stream, a few thousand parameters, 12 steps."""
    folder = tmp_path_factory.mktemp("tokens")
    stream = np.tile(np.arange(V), 200)
    write_token_ids(stream, folder / "train.bin")
    write_token_ids(stream[:600], folder / "val.bin")
    return {
        "model": {"vocab_size": V, "context_length": 16, "d_model": 16, "n_layers": 1, "n_heads": 2},
        "train": {"batch_size": 4, "max_steps": 12, "lr": 1e-2, "min_lr": 1e-3, "warmup_steps": 2,
                  "eval_interval": 6, "eval_batches": 2, "log_interval": 3, "device": "cpu"},
        "data": {"train": str(folder / "train.bin"), "val": str(folder / "val.bin")},
    }  # fmt: skip


def test_a_real_model_scaling_sweep_is_charged_what_it_spends(
    tiny_base: dict, tmp_path: Path
) -> None:
    ledger = BudgetLedger(1e12, unit="flops")
    lr, fit, best = model_scaling_projection(
        tiny_base, [16, 32], [3e-3, 3e-2], target_width=128, out_dir=tmp_path / "s", ledger=ledger
    )
    df = pd.read_json(tmp_path / "s" / "trials.json")
    assert len(ledger.charges) == len(df) == 4
    from course_lib.sweeps import results

    spent = results(tmp_path / "s")
    assert ledger.spent == pytest.approx(spent["flops"].sum(), rel=1e-12)
    assert lr == pytest.approx(predict_log_log(fit, 128)) and len(best) == 2
    # a sweep that does not fit is refused whole, before anything runs
    small = BudgetLedger(ledger.spent / 2)
    with pytest.raises(BudgetExceeded, match="4 trials.*nothing was run"):
        model_scaling_projection(tiny_base, [16, 32], [3e-3, 3e-2], 128, tmp_path / "t", small)
    assert small.charges == [] and not (tmp_path / "t").exists()
    with pytest.raises(ValueError, match="needs its own cost"):
        charge_sweep(BudgetLedger(1.0, "seconds"), {"base": tiny_base})
