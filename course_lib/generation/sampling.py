"""Turning next-token logits into a choice: temperature, top-k and top-p (nucleus) filtering.

Filters keep the logits they allow and set the others to -inf, so a softmax afterwards gives the
renormalised distribution over what is left; they work on any leading shape (..., vocab).
"""

from __future__ import annotations

import torch
from torch import Tensor

from course_lib.checks import check_int, check_non_negative, check_number, check_type


def _check_logits(logits: Tensor) -> None:
    check_type("logits", logits, Tensor, "a tensor of shape (..., vocab)")
    if logits.dim() == 0 or logits.shape[-1] == 0:
        raise ValueError(f"logits need a non-empty vocabulary dimension, got {tuple(logits.shape)}")
    if not logits.dtype.is_floating_point:
        raise ValueError(f"logits must be floating point, got dtype {logits.dtype}")


def check_top_p(top_p: float) -> float:
    """`top_p` as a float in (0, 1]."""
    value = check_number("top_p", top_p)
    if not 0 < value <= 1:
        raise ValueError(f"top_p must lie in (0, 1], got {top_p}")
    return value


def softmax_with_temperature(logits: Tensor, temperature: float = 1.0) -> Tensor:
    """softmax(logits / temperature) over the last dimension; temperature 0 is one-hot argmax."""
    _check_logits(logits)
    check_non_negative("temperature", temperature)
    ### BEGIN SOLUTION
    if temperature == 0:
        one_hot = torch.zeros_like(logits)
        return one_hot.scatter_(-1, logits.argmax(dim=-1, keepdim=True), 1.0)
    scaled = logits / temperature
    shifted = scaled - scaled.amax(dim=-1, keepdim=True)  # the largest is 0: exp cannot overflow
    exp = torch.exp(shifted)
    return exp / exp.sum(dim=-1, keepdim=True)
    ### END SOLUTION


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep the k largest logits of each row (ties with the k-th kept too), -inf elsewhere."""
    _check_logits(logits)
    k = check_int("top_k", k, minimum=1)
    ### BEGIN SOLUTION
    kth = torch.topk(logits, min(k, logits.shape[-1]), dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))
    ### END SOLUTION


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Keep the smallest set of most likely tokens whose probability reaches p, -inf elsewhere.

    A token is kept when the probability of the tokens strictly more likely than it is below p, so
    the most likely token always survives and the kept mass is the first to reach p.
    """
    _check_logits(logits)
    p = check_top_p(p)
    ### BEGIN SOLUTION
    if p == 1:  # everything: rounding must not drop the least likely token
        return logits
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits.float(), dim=-1)
    before = torch.cumsum(probs, dim=-1) - probs  # mass of the tokens ranked above each one
    drop_sorted = before >= p
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))
    ### END SOLUTION


def next_token_distribution(
    logits: Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> Tensor:
    """The distribution a sampler draws from: logits / temperature, then top-k, then top-p."""
    _check_logits(logits)
    check_non_negative("temperature", temperature)
    if temperature == 0:
        return softmax_with_temperature(logits, 0)
    logits = logits.float() / temperature
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return torch.softmax(logits, dim=-1)


def sample_next_token(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """One token id per row of logits (batch, vocab) → (batch,); temperature 0 is greedy."""
    if temperature == 0:
        _check_logits(logits)
        return logits.argmax(dim=-1)
    probs = next_token_distribution(logits, temperature, top_k, top_p)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).reshape(probs.shape[:-1])
