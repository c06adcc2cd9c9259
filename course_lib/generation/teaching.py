"""The readable scoring that students write in module 09: one context/continuation pair, one item.

`score_continuation` scores a single pair with one forward pass and no padding; `choose` picks the
ending of one multiple-choice item. The fast versions every evaluation uses are
`course_lib.generation.scoring.score_continuations` (batched, padded) and
`course_lib.generation.multiple_choice.multiple_choice_metrics`, tested to give the same results.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from course_lib.generation.scoring import ContinuationScore, check_pair


@torch.no_grad()
def score_continuation(
    model: torch.nn.Module, context: Sequence[int], continuation: Sequence[int]
) -> ContinuationScore:
    """The log-likelihood of the continuation's tokens after the context (one pair, no padding)."""
    seq, n = check_pair(model, context, continuation)
    ### BEGIN SOLUTION
    device = next(model.parameters()).device
    logits = model(torch.tensor([seq[:-1]], device=device))[0]
    if logits.dtype in (torch.float16, torch.bfloat16):  # log-softmax in at least float32
        logits = logits.float()
    logprobs = F.log_softmax(logits, dim=-1)
    rows = logprobs[len(seq) - 1 - n :]  # the positions that predict the continuation
    targets = torch.tensor(seq[-n:], device=device)
    picked = rows.gather(-1, targets[:, None]).squeeze(-1)
    greedy = bool((rows.argmax(dim=-1) == targets).all())
    return ContinuationScore(float(picked.sum()), n, greedy)
    ### END SOLUTION


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
