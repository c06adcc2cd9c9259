"""Multiple-choice evaluation as HellaSwag is scored: the likeliest ending wins.

Each ending is scored as a continuation of the item's context (a space between them), and two
accuracies are reported, defined as lm-eval defines them: `acc` picks the ending with the largest
summed log-likelihood, `acc_norm` the largest log-likelihood per character of the ending, which
stops long endings from losing only for being long. Ties go to the first ending (numpy's argmax).

This is the evaluator every module uses (08's experiment table, 09, 11); it holds no exercise.
Students write the choice of one item in module 09 (`course_lib.generation.teaching.choose`),
tested to pick what `multiple_choice_metrics` counts.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import torch

from course_lib.checks import check_int, check_type
from course_lib.data.loaders import MultipleChoice
from course_lib.generation.scoring import ContinuationScore, score_texts


def multiple_choice_metrics(
    items: Sequence[MultipleChoice], scores: Sequence[Sequence[ContinuationScore]]
) -> dict[str, float]:
    """acc and acc_norm (lm-eval's definitions) of the items, given each ending's score."""
    if len(items) != len(scores) or not items:
        raise ValueError(f"{len(items)} items but {len(scores)} lists of scores (need >= 1 each)")
    for i, (item, item_scores) in enumerate(zip(items, scores, strict=True)):
        if len(item_scores) != len(item.endings):
            raise ValueError(
                f"item {i} has {len(item.endings)} endings but {len(item_scores)} scores"
            )
    hits = norm_hits = 0
    for item, item_scores in zip(items, scores, strict=True):
        logprobs = np.array([s.logprob for s in item_scores], dtype=np.float64)
        lengths = np.array([len(e) for e in item.endings], dtype=np.float64)
        hits += int(np.argmax(logprobs)) == item.label  # argmax: ties go to the first
        norm_hits += int(np.argmax(logprobs / lengths)) == item.label
    return {"acc": hits / len(items), "acc_norm": norm_hits / len(items), "n": len(items)}


def score_items(
    model: torch.nn.Module,
    tokenizer,
    items: Sequence[MultipleChoice],
    delimiter: str = " ",
    batch_size: int = 16,
) -> list[list[ContinuationScore]]:
    """Every ending of every item scored after its context (`delimiter` + ending)."""
    check_type("items", items, list | tuple, "a list of MultipleChoice items")
    contexts = [item.context for item in items for _ in item.endings]
    endings = [delimiter + e for item in items for e in item.endings]
    flat = score_texts(model, tokenizer, contexts, endings, batch_size)
    out, i = [], 0
    for item in items:
        out.append(flat[i : i + len(item.endings)])
        i += len(item.endings)
    return out


def evaluate_multiple_choice(
    model: torch.nn.Module, tokenizer, items: Sequence[MultipleChoice], batch_size: int = 16
) -> dict[str, float]:
    """acc and acc_norm of the model on the items, with the chance level for comparison."""
    metrics = multiple_choice_metrics(items, score_items(model, tokenizer, items, " ", batch_size))
    metrics["chance"] = sum(1 / len(item.endings) for item in items) / len(items)
    return metrics


def sample_items(
    items: Sequence[MultipleChoice], tokenizer, context_length: int, n: int, seed: int = 0
) -> tuple[list[MultipleChoice], int]:
    """Up to `n` items drawn at random among those whose every ending (after a space) fits the
    context window; the sample and how many items did not fit."""
    check_type("items", items, list | tuple, "a list of MultipleChoice items")
    check_int("context_length", context_length, minimum=1)
    check_int("n", n, minimum=1)
    fits = [
        item
        for item in items
        if max(len(tokenizer.encode(" " + e)) for e in item.endings) < context_length
    ]
    return random.Random(seed).sample(fits, min(n, len(fits))), len(items) - len(fits)
