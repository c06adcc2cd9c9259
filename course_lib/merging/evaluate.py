"""Evaluation of branches, soups and ensembles: validation loss per domain, multiple choice.

Losses are mean cross-entropy per token over `sequential_batches` (every token after the first a
target once), the same walk the trainer validates with. Multiple-choice accuracy is module 09's
`evaluate_multiple_choice`; an `EnsembleLM` goes through it as a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from course_lib.checks import check_int, check_type
from course_lib.data.loaders import MultipleChoice
from course_lib.data.samplers import TokenSource, sequential_batches
from course_lib.generation.multiple_choice import evaluate_multiple_choice
from course_lib.training.losses import fast_cross_entropy


@torch.no_grad()
def validation_loss(
    model: nn.Module,
    tokens: TokenSource,
    context_length: int,
    batch_size: int = 16,
    max_batches: int | None = None,
) -> float:
    """Mean cross-entropy per token of `model` on a token stream (the first `max_batches`)."""
    check_type("model", model, nn.Module, "an nn.Module")
    check_int("context_length", context_length, minimum=1)
    check_int("batch_size", batch_size, minimum=1)
    if max_batches is not None:
        check_int("max_batches", max_batches, minimum=1)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for i, (x, y) in enumerate(sequential_batches(tokens, batch_size, context_length, device)):
        if max_batches is not None and i >= max_batches:
            break
        total += float(fast_cross_entropy(model(x), y, reduction="sum"))
        count += y.numel()
    model.train(was_training)
    return total / count


def domain_losses(
    model: nn.Module,
    domains: Mapping[str, TokenSource],
    context_length: int,
    batch_size: int = 16,
    max_batches: int | None = None,
) -> dict[str, float]:
    """The validation loss of `model` on each domain's token stream."""
    check_type("domains", domains, Mapping, "a dict {domain: token stream}")
    if not domains:
        raise ValueError("domains is empty: give at least one domain's validation tokens")
    return {
        name: validation_loss(model, tokens, context_length, batch_size, max_batches)
        for name, tokens in domains.items()
    }


def multiple_choice_accuracy(
    model: nn.Module, tokenizer, items: Sequence[MultipleChoice], batch_size: int = 16
) -> dict[str, float]:
    """acc, acc_norm and chance on multiple-choice items (module 09's evaluation)."""
    return evaluate_multiple_choice(model, tokenizer, items, batch_size)
