"""How likely a model finds a continuation after a context: the log-likelihood of its tokens.

`score_continuations` is the fast scorer every evaluation uses (module 08's experiment table, 09's
tasks, 11's merged models): pairs are scored in batches, each sequence (context + continuation)
right-padded to the longest of its batch. Attention is causal, so padding after a sequence never
changes its own logits: a batch scores exactly as one pair at a time does, which is how students
write it in module 09 (`course_lib.generation.teaching.score_continuation`, tested equal). A pair
longer than the context window keeps its last `context_length + 1` tokens (the start of the
context is cut), as lm-eval does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from course_lib.checks import check_int, check_str_list, check_type


@dataclass(frozen=True)
class ContinuationScore:
    """The log-likelihood of one continuation: summed over its tokens, and its token count."""

    logprob: float
    n_tokens: int
    greedy: bool  # every continuation token was the model's argmax (lm-eval's `is_greedy`)

    @property
    def mean_logprob(self) -> float:
        """Log-likelihood per token (length-normalised)."""
        return self.logprob / self.n_tokens


def _ids(name: str, ids: Sequence[int], allow_empty: bool) -> list[int]:
    if isinstance(ids, torch.Tensor):
        ids = ids.tolist()
    check_type(name, ids, list | tuple, "a list of token ids")
    if not ids and not allow_empty:
        raise ValueError(f"{name} is empty: score at least one token after at least one token")
    return [check_int(f"{name} token", t) for t in ids]


def check_pair(
    model: torch.nn.Module, context: Sequence[int], continuation: Sequence[int], where: str = ""
) -> tuple[list[int], int]:
    """One pair checked and cut to the window: (context + continuation ids, continuation length)."""
    window = model.config.context_length
    ctx = _ids(f"context{where}", context, False)
    cont = _ids(f"continuation{where}", continuation, False)
    if len(cont) > window:
        raise ValueError(
            f"continuation{where} has {len(cont)} tokens, more than context_length {window}"
        )
    seq = (ctx + cont)[-(window + 1) :]
    bad = [t for t in seq if not 0 <= t < model.config.vocab_size]
    if bad:
        raise ValueError(f"pair{where} has token id {bad[0]} outside the vocabulary")
    return seq, len(cont)


@torch.no_grad()
def score_continuations(
    model: torch.nn.Module,
    contexts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[int]],
    batch_size: int = 16,
) -> list[ContinuationScore]:
    """Score each continuation's tokens after its context (equal-length lists of id lists)."""
    check_type("contexts", contexts, list | tuple, "a list of token-id lists")
    check_type("continuations", continuations, list | tuple, "a list of token-id lists")
    if len(contexts) != len(continuations):
        raise ValueError(
            f"{len(contexts)} contexts but {len(continuations)} continuations: pair them up"
        )
    batch_size = check_int("batch_size", batch_size, minimum=1)
    pairs = [
        check_pair(model, ctx, cont, f"[{i}]")
        for i, (ctx, cont) in enumerate(zip(contexts, continuations, strict=True))
    ]
    device = next(model.parameters()).device
    scores = []
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start : start + batch_size]
        width = max(len(seq) for seq, _ in batch) - 1
        inputs = torch.zeros(len(batch), width, dtype=torch.long, device=device)
        for row, (seq, _) in enumerate(batch):
            inputs[row, : len(seq) - 1] = torch.tensor(seq[:-1])
        logits = model(inputs)
        if logits.dtype in (torch.float16, torch.bfloat16):  # log-softmax in at least fp32
            logits = logits.float()
        logprobs = F.log_softmax(logits, dim=-1)
        for row, (seq, n) in enumerate(batch):
            # the continuation's tokens are targets at the last n input positions of the row
            positions = torch.arange(len(seq) - 1 - n, len(seq) - 1, device=device)
            targets = torch.tensor(seq[-n:], device=device)
            rows = logprobs[row, positions]
            picked = rows.gather(-1, targets[:, None]).squeeze(-1)
            greedy = bool((rows.argmax(dim=-1) == targets).all())
            scores.append(ContinuationScore(float(picked.sum()), n, greedy))
    return scores


def score_texts(
    model: torch.nn.Module,
    tokenizer,
    contexts: Sequence[str],
    continuations: Sequence[str],
    batch_size: int = 16,
) -> list[ContinuationScore]:
    """`score_continuations` on text: context and continuation are encoded separately."""
    contexts = check_str_list("contexts", contexts)
    continuations = check_str_list("continuations", continuations)
    ctx_ids = [tokenizer.encode(c) for c in contexts]
    cont_ids = [tokenizer.encode(c) for c in continuations]
    return score_continuations(model, ctx_ids, cont_ids, batch_size)
