"""Cross-entropy and perplexity: the language-modelling loss, written to survive extreme logits."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

REDUCTIONS = ("mean", "sum", "none")


def check_loss_inputs(logits: Tensor, targets: Tensor, reduction: str) -> None:
    """Raise a ValueError unless targets are shaped like logits without vocab, reduction known."""
    if logits.ndim < 1 or targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"targets shape {tuple(targets.shape)} must equal logits shape without its last "
            f"(vocab) dimension, got logits {tuple(logits.shape)}"
        )
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r}: expected one of {REDUCTIONS}")


def cross_entropy(
    logits: Tensor, targets: Tensor, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood of `targets` under softmax(`logits`) over any leading shape."""
    check_loss_inputs(logits, targets, reduction)
    ### BEGIN SOLUTION
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()  # the log-sum-exp needs more precision than half gives
    keep = targets != ignore_index
    safe_targets = torch.where(keep, targets, torch.zeros_like(targets))
    # log softmax = x - max - log(sum(exp(x - max))): the shift keeps exp from overflowing
    shifted = logits - logits.amax(dim=-1, keepdim=True).detach()
    log_z = shifted.exp().sum(dim=-1).log()
    target_logit = shifted.gather(-1, safe_targets.unsqueeze(-1)).squeeze(-1)
    nll = (log_z - target_logit) * keep
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    return nll.sum() / keep.sum()
    ### END SOLUTION


def perplexity(logits: Tensor, targets: Tensor, ignore_index: int = -100) -> Tensor:
    """exp of the mean cross-entropy: the effective number of equally likely next tokens."""
    ### BEGIN SOLUTION
    return cross_entropy(logits, targets, ignore_index=ignore_index).exp()
    ### END SOLUTION


def fast_cross_entropy(
    logits: Tensor, targets: Tensor, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Same as `cross_entropy` through torch's fused kernel: what the trainer uses for speed."""
    check_loss_inputs(logits, targets, reduction)
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    loss = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        targets.reshape(-1),
        ignore_index=ignore_index,
        reduction=reduction,
    )
    return loss.reshape(targets.shape) if reduction == "none" else loss
