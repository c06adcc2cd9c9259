"""Truncated SVD (module 10): the Eckart–Young theorem checked numerically.

Oracles: torch.linalg.svdvals (the singular values, computed apart from our truncation),
torch.linalg.matrix_rank, and random rank-r competitors (random factors, and the best matrix with a
random r-dimensional column space, Q Qᵀ W). Tolerances: errors in float64 to rel 1e-6 of ‖W‖_F.
"""

from __future__ import annotations

import pytest
import torch

from course_lib.finetune.low_rank import (
    eckart_young_error,
    error_vs_rank,
    low_rank_approximation,
    low_rank_factors,
    low_rank_params,
    truncated_svd,
)


@pytest.fixture
def weight() -> torch.Tensor:
    """A 24 × 16 matrix with decaying spectrum, like a trained layer's (plus noise)."""
    g = torch.Generator().manual_seed(0)
    u, _ = torch.linalg.qr(torch.randn(24, 16, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(16, 16, generator=g, dtype=torch.float64))
    s = 2.0 ** -torch.arange(16, dtype=torch.float64) * 10
    return (u * s) @ v.T + 1e-3 * torch.randn(24, 16, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("rank", [0, 1, 3, 8, 16])
def test_squared_error_is_the_sum_of_dropped_singular_values_squared(weight, rank):
    s = torch.linalg.svdvals(weight)
    approx = low_rank_approximation(weight, rank)
    error_sq = (weight - approx).norm().item() ** 2
    dropped_sq = s[rank:].square().sum().item()
    assert error_sq == pytest.approx(dropped_sq, rel=1e-6, abs=1e-12), f"rank {rank}"
    assert eckart_young_error(s, rank) == pytest.approx(dropped_sq**0.5, rel=1e-9), f"rank {rank}"
    if rank:
        got = torch.linalg.matrix_rank(approx).item()
        assert got == rank, f"approximation of rank {got}, asked for {rank}"


def test_truncated_svd_gives_the_top_singular_values_and_orthonormal_factors(weight):
    u, s, vh = truncated_svd(weight, 5)
    oracle = torch.linalg.svdvals(weight)[:5]
    torch.testing.assert_close(s.double(), oracle, rtol=1e-5, atol=1e-6, msg="singular values")
    eye = torch.eye(5, dtype=u.dtype)
    torch.testing.assert_close(u.T @ u, eye, atol=1e-5, rtol=0, msg="U_r not orthonormal")
    torch.testing.assert_close(vh @ vh.T, eye, atol=1e-5, rtol=0, msg="V_r not orthonormal")


def test_factors_multiply_to_the_approximation(weight):
    b, a = low_rank_factors(weight, 4)
    assert b.shape == (24, 4) and a.shape == (4, 16), f"factor shapes {b.shape}, {a.shape}"
    torch.testing.assert_close(
        (b @ a).double(), low_rank_approximation(weight, 4).double(), atol=1e-5, rtol=1e-5
    )


@pytest.mark.parametrize("rank", [1, 4])
def test_no_random_rank_r_matrix_does_better(weight, rank):
    best = (weight - low_rank_approximation(weight, rank)).norm().item()
    g = torch.Generator().manual_seed(1)
    for _ in range(50):
        b = torch.randn(24, rank, generator=g, dtype=weight.dtype)
        a = torch.randn(rank, 16, generator=g, dtype=weight.dtype)
        q, _ = torch.linalg.qr(b)
        projected = q @ (q.T @ weight)  # the closest matrix with this column space
        for other in (b @ a, projected):
            error = (weight - other).norm().item()
            assert error >= best * (1 - 1e-9), f"a random rank-{rank} matrix did better"


def test_error_falls_and_parameters_grow_with_rank(weight):
    rows = error_vs_rank(weight)
    assert [r["rank"] for r in rows] == list(range(17)), "default ranks are 0..min(out, in)"
    errors = [r["error"] for r in rows]
    assert all(b <= a + 1e-12 for a, b in zip(errors, errors[1:])), f"error rose: {errors}"
    assert rows[0]["relative_error"] == pytest.approx(1.0), "rank 0 loses everything"
    assert rows[-1]["error"] == pytest.approx(0.0, abs=1e-4), "full rank loses nothing"
    assert rows[8]["params"] == 8 * (24 + 16), f"params at rank 8: {rows[8]['params']}"
    assert rows[8]["params_fraction"] == pytest.approx(320 / 384), "share of the full matrix"


def test_low_rank_params_count_both_factors():
    assert low_rank_params(4096, 4096, 8) == 65_536, "r·(out + in) for a 4096² matrix at r = 8"
    b, a = low_rank_factors(torch.randn(30, 20), 3)
    assert b.numel() + a.numel() == low_rank_params(30, 20, 3), "the factors' own sizes"
