"""Multiple-choice evaluation as HellaSwag is scored: the likeliest ending wins.

Each ending is scored as a continuation of the item's context (a space between them), and two
accuracies are reported, defined as lm-eval defines them: `acc` picks the ending with the largest
summed log-likelihood, `acc_norm` the largest log-likelihood per character of the ending, which
stops long endings from losing only for being long. Ties go to the first ending (numpy's argmax).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from course_lib.checks import check_type
from course_lib.data.loaders import MultipleChoice
from course_lib.generation.scoring import ContinuationScore, score_texts


def choose(logprobs: Sequence[float], lengths: Sequence[int] | None = None) -> int:
    """Index of the best ending: the largest log-likelihood, or per unit of length if given."""
    if len(logprobs) == 0:
        raise ValueError("an item needs at least one ending to choose from")
    if lengths is not None and (len(lengths) != len(logprobs) or any(n <= 0 for n in lengths)):
        raise ValueError(f"lengths must be positive, one per ending, got {list(lengths)}")
    ### BEGIN SOLUTION
    values = [float(v) for v in logprobs]
    if lengths is not None:
        values = [v / n for v, n in zip(values, lengths, strict=True)]
    return max(range(len(values)), key=lambda i: (values[i], -i))
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    hits = norm_hits = 0
    for item, item_scores in zip(items, scores, strict=True):
        logprobs = [s.logprob for s in item_scores]
        hits += choose(logprobs) == item.label
        norm_hits += choose(logprobs, [len(e) for e in item.endings]) == item.label
    return {"acc": hits / len(items), "acc_norm": norm_hits / len(items), "n": len(items)}
    ### END SOLUTION


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
