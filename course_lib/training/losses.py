"""Cross-entropy and perplexity: the language-modelling loss, written to survive extreme logits."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from course_lib.checks import check_type

REDUCTIONS = ("mean", "sum", "none")


def check_loss_inputs(
    logits: Tensor,
    targets: Tensor,
    reduction: str,
    ignore_index: int | None = None,
    check_values: bool = True,
) -> None:
    """Raise unless logits are a float tensor, targets integer ids shaped like logits without vocab,
    and the reduction known; with `check_values`, also unless every target is an id of the
    vocabulary or `ignore_index`, and (for a mean) at least one is not ignored."""
    check_type("logits", logits, Tensor, "a float tensor")
    check_type("targets", targets, Tensor, "an integer tensor")
    if not logits.dtype.is_floating_point:
        raise TypeError(f"logits must be a float tensor, got dtype {logits.dtype}")
    if targets.dtype.is_floating_point or targets.dtype.is_complex or targets.dtype == torch.bool:
        raise TypeError(f"targets must be integer token ids, got dtype {targets.dtype}")
    if logits.ndim < 1 or targets.shape != logits.shape[:-1]:
        raise ValueError(
            f"targets shape {tuple(targets.shape)} must equal logits shape without its last "
            f"(vocab) dimension, got logits {tuple(logits.shape)}"
        )
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r}: expected one of {REDUCTIONS}")
    if not check_values or targets.numel() == 0:
        return
    vocab = logits.shape[-1]
    kept = targets != ignore_index if ignore_index is not None else torch.ones_like(targets).bool()
    bad = kept & ((targets < 0) | (targets >= vocab))
    any_bad, any_kept = torch.stack([bad.any(), kept.any()]).tolist()  # one host sync
    if any_bad:
        value = targets[bad][0].item()
        raise ValueError(
            f"target {value} is not a token id of the {vocab}-token vocabulary (0..{vocab - 1})"
            + ("" if ignore_index is None else f" nor ignore_index ({ignore_index})")
        )
    if reduction == "mean" and not any_kept:
        raise ValueError(
            f"every target equals ignore_index ({ignore_index}): the mean loss over no tokens is "
            "undefined; use reduction='sum' or keep at least one target"
        )


def cross_entropy(
    logits: Tensor, targets: Tensor, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Negative log-likelihood of `targets` under softmax(`logits`) over any leading shape."""
    check_loss_inputs(logits, targets, reduction, ignore_index)
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
    """Same as `cross_entropy` through torch's fused kernel: what the trainer uses for speed.

    Target values are checked only on the CPU: on an accelerator the check would cost a host sync
    in every training step (torch's kernel still stops at an id outside the vocabulary).
    """
    check_loss_inputs(logits, targets, reduction, ignore_index, targets.device.type == "cpu")
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    loss = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]),
        targets.reshape(-1),
        ignore_index=ignore_index,
        reduction=reduction,
    )
    return loss.reshape(targets.shape) if reduction == "none" else loss
