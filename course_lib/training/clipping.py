"""Gradient clipping by the global L2 norm over all parameters, as in `clip_grad_norm_`."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn


def clip_grad_norm(
    parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6
) -> Tensor:
    """Scale gradients in place so their joint L2 norm is at most `max_norm`; return the norm."""
    if not max_norm > 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    ### BEGIN SOLUTION
    grads = [p.grad for p in parameters if p.grad is not None]  # frozen parameters have none
    if not grads:
        return torch.tensor(0.0)
    total_norm = torch.sqrt(sum(g.detach().float().pow(2).sum() for g in grads))
    # multiply by min(1, c) always rather than branch on it: no host-device sync on GPUs
    scale = torch.clamp(max_norm / (total_norm + eps), max=1.0)
    for g in grads:
        g.detach().mul_(scale.to(g.dtype))
    return total_norm
    ### END SOLUTION


def global_grad_norm(parameters: Iterable[nn.Parameter]) -> Tensor:
    """The joint L2 norm of all gradients, without clipping: for logging."""
    grads = [p.grad.detach().float() for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
