"""Module 07's analysis functions against brute-force oracles written from their definitions, on
random synthetic sweeps (seeded), plus their edge cases and bad input."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pandas as pd
import pytest

from course_lib.model import ModelConfig
from course_lib.sweeps.analysis import (
    best_by,
    buildable,
    compute_matched_runs,
    edge_of_stability,
    model_grid,
    stable_mask,
)

STATUSES = ["completed", "stopped", "diverged", "failed", "pending"]


def random_sweep(rng: random.Random, n: int) -> pd.DataFrame:
    """n trials with a swept lr (repeats allowed), a status and a loss that may be NaN or inf."""
    rows = []
    for i in range(n):
        loss = rng.choice([rng.uniform(1, 5), rng.uniform(1, 5), math.nan, math.inf])
        rows.append(
            {
                "trial": f"t{i}",
                "train.lr": rng.choice([1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]),
                "status": rng.choice(STATUSES),
                "best_val_loss": loss,
            }
        )
    return pd.DataFrame(rows, columns=["trial", "train.lr", "status", "best_val_loss"])


def is_stable(row: pd.Series) -> bool:
    return row["status"] in ("completed", "stopped") and math.isfinite(row["best_val_loss"])


def is_diverged(row: pd.Series) -> bool:
    finished = row["status"] in ("completed", "stopped")
    return row["status"] == "diverged" or (finished and not math.isfinite(row["best_val_loss"]))


@pytest.mark.parametrize("seed", range(40))
def test_edge_of_stability_matches_its_definition(seed: int) -> None:
    df = random_sweep(random.Random(seed), random.Random(seed).randint(0, 12))
    rows = [r for _, r in df.iterrows()]
    diverged = [r["train.lr"] for r in rows if is_diverged(r)]
    edge = min(diverged) if diverged else math.nan
    stable = [r["train.lr"] for r in rows if is_stable(r) and not (r["train.lr"] >= edge)]
    expected = (max(stable) if stable else math.nan, edge)
    got = edge_of_stability(df, "train.lr", metric="best_val_loss")
    assert np.allclose(got, expected, equal_nan=True), (got, expected)
    assert all(type(v) is float for v in got)


@pytest.mark.parametrize("seed", range(40))
def test_best_by_matches_a_loop_over_groups(seed: int) -> None:
    df = random_sweep(random.Random(seed), random.Random(seed).randint(0, 15))
    expected = []
    for value in sorted({r["train.lr"] for _, r in df.iterrows()}):
        group = [r for _, r in df.iterrows() if r["train.lr"] == value and is_stable(r)]
        if group:
            expected.append(min(group, key=lambda r: r["best_val_loss"])["trial"])  # first on ties
    got = best_by(df, "train.lr")
    assert list(got["trial"]) == expected
    assert list(got.columns) == list(df.columns) and list(got.index) == list(range(len(got)))


def test_stable_mask_splits_trials_three_ways() -> None:
    df = pd.DataFrame(
        {
            "status": ["completed", "stopped", "completed", "diverged", "failed", "pending"],
            "loss": [1.0, 2.0, math.nan, 3.0, 1.0, math.nan],
        }
    )
    stable, diverged = stable_mask(df, "loss")
    assert list(stable) == [True, True, False, False, False, False]
    assert list(diverged) == [False, False, True, True, False, False]


@pytest.mark.parametrize(
    ("budget", "epochs", "per_step"), [(100_000, [1, 4, 16], 1_000), (10_500, [3, 1, 7], 1_000)]
)
def test_compute_matched_runs_spend_the_same_tokens(budget, epochs, per_step) -> None:
    runs = compute_matched_runs(budget, epochs, per_step)
    assert [r["epochs"] for r in runs] == epochs
    for run in runs:
        assert run["steps"] == budget // per_step  # the same compute for every run
        tokens = run["steps"] * per_step
        assert (
            run["unique_tokens"] * run["epochs"]
            <= tokens
            < (run["unique_tokens"] + 1) * (run["epochs"])
        )


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, [1], 10), "token_budget"),
        ((100, [1], 0), "tokens_per_step"),
        ((100, [0], 10), "epochs"),
        ((100, [1.5], 10), "epochs"),
        ((100, [True], 10), "epochs"),
        ((5, [1], 10), "does not fill one step"),
    ],
)
def test_compute_matched_runs_rejects_bad_input(args, match) -> None:
    with pytest.raises(ValueError, match=match):
        compute_matched_runs(*args)


def test_model_grid_matches_a_product_filtered_by_model_config() -> None:
    axes = {
        "model.d_model": [24, 32, 48, 50],
        "train.lr": [0.1, 0.01],
        "model.n_heads": [2, 3, 4, 8],
    }
    expected = []
    for d, lr, h in itertools.product(*axes.values()):
        try:
            ModelConfig(d_model=d, n_heads=h)
        except ValueError:
            continue
        expected.append({"model.d_model": d, "train.lr": lr, "model.n_heads": h})
    assert model_grid(axes) == expected
    assert model_grid({}) == [{}]
    # learned positions lift RoPE's even-width rule: 24 / 8 = 3 builds
    assert model_grid({"model.n_heads": [8]}, base={"d_model": 24}) == []
    learned = model_grid({"model.n_heads": [8]}, base={"d_model": 24, "positions": "learned"})
    assert learned == [{"model.n_heads": 8}]


@pytest.mark.parametrize(
    "axes", [{"d_model": [32]}, {"model.d_model": []}, {"model.d_model": "64"}, {"model.x": 3}]
)
def test_model_grid_rejects_bad_axes(axes) -> None:
    with pytest.raises(ValueError, match="axis"):
        model_grid(axes)


def test_buildable_and_column_checks() -> None:
    assert buildable({"d_model": 64, "n_heads": 4}) and not buildable({"d_model": 64, "n_heads": 3})
    assert not buildable({"no_such_setting": 1})
    with pytest.raises(ValueError, match="no column"):
        edge_of_stability(pd.DataFrame({"status": []}), "train.lr")
    with pytest.raises(TypeError, match="DataFrame"):
        best_by([{"status": "completed"}], "train.lr")
