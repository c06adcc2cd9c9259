"""A data mix: token streams of several domains, sampled window by window with given weights.

`mixture_source` returns a trainer batch source (a function of the micro-batch's generator), so
the Trainer's resume guarantee holds: each row picks its domain and its window from that generator
alone, and a resumed run sees the same batches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from course_lib.checks import check_int, check_number, check_str_list, check_type
from course_lib.data.samplers import token_array


def encode_stories(tokenizer, stories: Sequence[str], eot_id: int) -> np.ndarray:
    """The stories' token ids, each story followed by `eot_id` (module 05's layout), as int64."""
    stories = check_str_list("stories", stories)
    if not stories:
        raise ValueError("stories is empty: encode at least one story")
    check_int("eot_id", eot_id, minimum=0)
    ids: list[int] = []
    for story in stories:
        ids.extend(tokenizer.encode(story))
        ids.append(eot_id)
    return np.asarray(ids, dtype=np.int64)


def mixture_weights(weights: Mapping[str, float], names: Sequence[str]) -> dict[str, float]:
    """The weights of a mix normalised to sum to 1, after checking they name known domains."""
    check_type("weights", weights, Mapping, "a dict {domain: weight}")
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise ValueError(f"weights name unknown domains {unknown}; known: {sorted(names)}")
    for name, w in weights.items():
        if not check_number(f"weights[{name!r}]", w) >= 0:
            raise ValueError(f"weights[{name!r}] must be >= 0, got {w}")
    total = sum(float(w) for w in weights.values())
    if total <= 0:
        raise ValueError(f"weights must have a positive sum, got {dict(weights)}")
    return {name: float(w) / total for name, w in weights.items()}


def mixture_source(
    domains: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    batch_size: int,
    context_length: int,
) -> Callable[[torch.Generator], tuple[Tensor, Tensor]]:
    """A batch source drawing each row's domain by `weights`, then a uniform window of it."""
    check_type("domains", domains, Mapping, "a dict {domain: token array}")
    check_int("batch_size", batch_size, minimum=1)
    check_int("context_length", context_length, minimum=1)
    probs = mixture_weights(weights, list(domains))
    names = [n for n in probs if probs[n] > 0]
    arrays = {n: token_array(domains[n]) for n in names}
    for name, arr in arrays.items():
        if len(arr) <= context_length:
            raise ValueError(
                f"domain {name!r} holds {len(arr)} tokens, fewer than one window of "
                f"context_length + 1 = {context_length + 1}"
            )
    p = torch.tensor([probs[n] for n in names], dtype=torch.float64)

    def source(generator: torch.Generator) -> tuple[Tensor, Tensor]:
        picks = torch.multinomial(p, batch_size, replacement=True, generator=generator).tolist()
        rows = []
        for k in picks:
            arr = arrays[names[k]]
            s = int(torch.randint(0, len(arr) - context_length, (1,), generator=generator))
            rows.append(arr[s : s + context_length + 1].astype(np.int64))
        batch = torch.from_numpy(np.stack(rows))
        return batch[:, :-1].contiguous(), batch[:, 1:].contiguous()

    return source
