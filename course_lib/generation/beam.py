"""Beam search: keep the `num_beams` likeliest partial continuations at every step.

Greedy decoding commits to the likeliest next token; beam search keeps several candidates and
extends each by every token, so it can find a continuation whose total log-likelihood is higher
than greedy's. A candidate that emits a stop id is finished (the stop token's log-probability
counts, the token itself is not returned). Finished and unfinished candidates are compared by
their log-likelihood divided by `length ** length_penalty` (length = new tokens scored), as
Hugging Face's beam search ranks its hypotheses: with 0 the raw sum (short continuations win),
with 1 the mean per token.

Each step runs the model on the whole sequence of every beam (no KV cache): clear, and fast
enough for the short continuations this is used for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from course_lib.checks import check_int, check_number, check_str_list
from course_lib.generation.decode import END_OF_TEXT, _check_prompts


@dataclass(frozen=True)
class Beam:
    """One finished candidate: its new token ids, summed log-likelihood and ranking score."""

    ids: list[int]
    logprob: float
    score: float


def _rank(logprob: float, length: int, length_penalty: float) -> float:
    return logprob / max(length, 1) ** length_penalty


@torch.no_grad()
def beam_search_ids(
    model: torch.nn.Module,
    prompt: Sequence[int],
    max_new_tokens: int,
    num_beams: int = 4,
    length_penalty: float = 1.0,
    stop_ids: Sequence[int] = (),
) -> list[Beam]:
    """The finished candidates after one prompt, best first (at most `num_beams` of them)."""
    (prompt,) = _check_prompts([prompt], model.config.vocab_size)
    max_new_tokens = check_int("max_new_tokens", max_new_tokens, minimum=1)
    num_beams = check_int("num_beams", num_beams, minimum=1)
    length_penalty = check_number("length_penalty", length_penalty)
    stops = {check_int("stop id", s) for s in stop_ids}
    if len(prompt) + max_new_tokens > model.config.context_length:
        raise ValueError(
            f"the prompt ({len(prompt)} tokens) + max_new_tokens ({max_new_tokens}) is longer "
            f"than context_length {model.config.context_length}"
        )
    device = next(model.parameters()).device
    alive: list[tuple[list[int], float]] = [([], 0.0)]  # new ids, summed log-likelihood
    finished: list[Beam] = []
    for step in range(max_new_tokens):
        seqs = torch.tensor([prompt + ids for ids, _ in alive], device=device)
        logprobs = F.log_softmax(model(seqs)[:, -1].double(), dim=-1)
        totals = torch.tensor([lp for _, lp in alive], dtype=torch.float64, device=device)
        scores = (totals[:, None] + logprobs).flatten()
        # 2 x num_beams candidates leave room for those that finish
        top = torch.topk(scores, min(2 * num_beams, scores.numel()), sorted=True)
        vocab = logprobs.shape[-1]
        survivors = []
        for value, index in zip(top.values.tolist(), top.indices.tolist(), strict=True):
            beam, token = divmod(index, vocab)
            ids = alive[beam][0]
            if token in stops:
                finished.append(Beam(ids, value, _rank(value, step + 1, length_penalty)))
            else:
                survivors.append((ids + [token], value))
            if len(survivors) == num_beams:
                break
        alive = survivors
        if not alive:
            break
    finished += [Beam(ids, lp, _rank(lp, len(ids), length_penalty)) for ids, lp in alive]
    finished.sort(key=lambda b: -b.score)
    return finished[:num_beams]


def beam_search(
    model: torch.nn.Module,
    tokenizer,
    prompts: Sequence[str],
    max_new_tokens: int,
    num_beams: int = 4,
    length_penalty: float = 1.0,
    stop_at_end_of_text: bool = True,
) -> list[str]:
    """The best beam's text after each prompt (an empty prompt starts from end-of-text)."""
    prompts = check_str_list("prompts", prompts)
    eot = tokenizer.special_ids.get(END_OF_TEXT)
    stops = [eot] if stop_at_end_of_text and eot is not None else []
    out = []
    for i, prompt in enumerate(prompts):
        ids = tokenizer.encode(prompt)
        if not ids:
            if eot is None:
                raise ValueError(f"prompts[{i}] is empty and the tokenizer has no {END_OF_TEXT}")
            ids = [eot]
        best = beam_search_ids(model, ids, max_new_tokens, num_beams, length_penalty, stops)[0]
        out.append(tokenizer.decode(best.ids))
    return out
