"""Truncated SVD of a weight matrix: how much a rank-r approximation loses, and what it saves.

W = U diag(S) Vᵀ with singular values S sorted from largest. Keeping the first r gives
W_r = U_r diag(S_r) V_rᵀ, stored as two factors (out × r and r × in): r·(out + in) numbers instead
of out·in. By the Eckart–Young theorem no matrix of rank r is closer to W in the Frobenius norm,
and the squared error is the sum of the dropped singular values squared. This is the bet LoRA
makes about weight updates.
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.checks import check_int, check_type


def check_matrix(name: str, weight: Tensor) -> Tensor:
    """Raise unless `weight` is a 2-D floating-point tensor."""
    check_type(name, weight, Tensor, "a 2-D float tensor")
    if weight.dim() != 2 or not weight.dtype.is_floating_point:
        raise ValueError(
            f"{name} must be a 2-D float tensor, got shape {tuple(weight.shape)}, {weight.dtype}"
        )
    return weight


def check_rank(rank: int, weight: Tensor) -> int:
    """`rank` as an int in 0..min(out, in)."""
    rank = check_int("rank", rank, minimum=0)
    if rank > min(weight.shape):
        raise ValueError(f"rank must be at most min{tuple(weight.shape)} = {min(weight.shape)}")
    return rank


def truncated_svd(weight: Tensor, rank: int) -> tuple[Tensor, Tensor, Tensor]:
    """(U_r (out, r), S_r (r,), Vh_r (r, in)): the top `rank` singular triplets of `weight`."""
    check_matrix("weight", weight)
    rank = check_rank(rank, weight)
    ### BEGIN SOLUTION
    if weight.dtype in (torch.float16, torch.bfloat16):
        weight = weight.float()  # linalg has no half-precision SVD
    u, s, vh = torch.linalg.svd(weight, full_matrices=False)
    return u[:, :rank], s[:rank], vh[:rank]
    ### END SOLUTION


def low_rank_factors(weight: Tensor, rank: int) -> tuple[Tensor, Tensor]:
    """(B (out, r), A (r, in)) with B @ A the best rank-r approximation; √S split between them."""
    u, s, vh = truncated_svd(weight, rank)
    root = s.sqrt()
    return u * root, root[:, None] * vh


def low_rank_approximation(weight: Tensor, rank: int) -> Tensor:
    """W_r = U_r diag(S_r) V_rᵀ, the closest matrix of rank `rank` to `weight`, in its dtype."""
    u, s, vh = truncated_svd(weight, rank)
    return ((u * s) @ vh).to(weight.dtype)


def eckart_young_error(singular_values: Tensor, rank: int) -> float:
    """‖W − W_r‖_F from the singular values alone: √(sum of the dropped ones squared)."""
    check_type("singular_values", singular_values, Tensor, "a 1-D tensor")
    rank = check_int("rank", rank, minimum=0)
    ### BEGIN SOLUTION
    return singular_values[rank:].double().square().sum().sqrt().item()
    ### END SOLUTION


def low_rank_params(out_features: int, in_features: int, rank: int) -> int:
    """Numbers stored by the two factors: r·(out + in) (against out·in for the full matrix)."""
    out_features = check_int("out_features", out_features, minimum=1)
    in_features = check_int("in_features", in_features, minimum=1)
    return check_int("rank", rank, minimum=0) * (out_features + in_features)


def error_vs_rank(weight: Tensor, ranks: list[int] | None = None) -> list[dict[str, float]]:
    """For each rank: parameters (absolute and as a share of the full matrix), the Frobenius error
    of the approximation and that error relative to ‖W‖_F. Default ranks: 0..min(out, in)."""
    check_matrix("weight", weight)
    ranks = list(range(min(weight.shape) + 1)) if ranks is None else ranks
    full = weight.double().norm().item()
    rows = []
    for rank in ranks:
        error = (weight.double() - low_rank_approximation(weight, rank).double()).norm().item()
        params = low_rank_params(*weight.shape, rank)
        rows.append(
            {
                "rank": rank,
                "params": params,
                "params_fraction": params / weight.numel(),
                "error": error,
                "relative_error": error / full if full else 0.0,
            }
        )
    return rows
