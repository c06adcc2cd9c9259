"""Batched generation from prompts of different lengths, with the model's KV cache.

Prompts are not padded. Every row of the batch advances one position per step: the chunk all
prompts share in length is run at once, then a row whose prompt is longer is fed its own next
prompt token (teacher forcing) while shorter rows already sample. No row ever attends to a token
that is not its own, so a batch gives exactly the tokens each prompt gives alone (greedy, or
sampled with the same seed), with no attention mask.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from course_lib.checks import check_int, check_non_negative, check_str_list, check_type
from course_lib.generation.sampling import check_top_p, sample_next_token

END_OF_TEXT = "<|endoftext|>"


def _check_prompts(prompts: Sequence[Sequence[int]], vocab_size: int) -> list[list[int]]:
    if isinstance(prompts, Tensor):
        prompts = prompts.tolist()
    check_type("prompts", prompts, list | tuple, "a list of prompts, each a list of token ids")
    if not prompts:
        raise ValueError("prompts is empty: pass at least one prompt")
    out = []
    for i, prompt in enumerate(prompts):
        if isinstance(prompt, Tensor):
            prompt = prompt.tolist()
        check_type(f"prompts[{i}]", prompt, list | tuple, "a list of token ids")
        if not prompt:
            raise ValueError(
                f"prompts[{i}] is empty: a model needs at least one token to condition on "
                f"(start unconditional samples with the id of {END_OF_TEXT})"
            )
        ids = [check_int(f"prompts[{i}] token", t) for t in prompt]
        bad = [t for t in ids if not 0 <= t < vocab_size]
        if bad:
            raise ValueError(f"prompts[{i}] has token id {bad[0]} outside [0, {vocab_size})")
        out.append(ids)
    return out


@torch.no_grad()
def generate_ids(
    model: torch.nn.Module,
    prompts: Sequence[Sequence[int]],
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    stop_ids: Sequence[int] = (),
    seed: int | None = None,
) -> list[list[int]]:
    """The new token ids after each prompt (a list of id lists), at most `max_new_tokens` each.

    Temperature 0 is greedy decoding. A row stops at the first id in `stop_ids` (not returned).
    With a `seed`, prompt i draws from its own generator seeded `seed + i`, so its sample does not
    depend on the other prompts in the batch.
    """
    config = model.config
    rows = _check_prompts(prompts, config.vocab_size)
    max_new_tokens = check_int("max_new_tokens", max_new_tokens, minimum=0)
    check_non_negative("temperature", temperature)
    if top_k is not None:
        check_int("top_k", top_k, minimum=1)
    if top_p is not None:
        check_top_p(top_p)
    stops = {check_int("stop id", s) for s in stop_ids}
    longest = max(len(r) for r in rows)
    if longest + max_new_tokens > config.context_length:
        raise ValueError(
            f"the longest prompt ({longest} tokens) + max_new_tokens ({max_new_tokens}) is longer "
            f"than context_length {config.context_length}: shorten the prompt or ask for fewer"
        )
    ### BEGIN SOLUTION
    new: list[list[int]] = [[] for _ in rows]
    if max_new_tokens == 0:
        return new
    device = next(model.parameters()).device
    generators = None
    if seed is not None:
        generators = [torch.Generator(device).manual_seed(seed + i) for i in range(len(rows))]
    shared = min(len(r) for r in rows)
    cache = model.new_kv_cache(len(rows), longest + max_new_tokens)
    chunk = torch.tensor([r[:shared] for r in rows], device=device)
    logits = model(chunk, kv_cache=cache)[:, -1].float()
    done = [False] * len(rows)
    position = shared  # the position the next token of every row goes to
    while True:
        if generators is None:
            sampled = sample_next_token(logits, temperature, top_k, top_p).tolist()
        else:  # a row draws only when it generates, so its draws do not depend on the batch
            sampled = [
                sample_next_token(logits[i : i + 1], temperature, top_k, top_p, g).item()
                if position >= len(rows[i]) and not done[i]
                else 0
                for i, g in enumerate(generators)
            ]
        step = []
        for i, row in enumerate(rows):
            if position < len(row):  # still reading its prompt
                step.append(row[position])
                continue
            step.append(sampled[i])
            if not done[i]:
                if sampled[i] in stops:
                    done[i] = True
                else:
                    new[i].append(sampled[i])
                    done[i] = len(new[i]) == max_new_tokens
        if all(done):
            return new
        logits = model(torch.tensor(step, device=device)[:, None], kv_cache=cache)[:, -1].float()
        position += 1
    ### END SOLUTION


def generate(
    model: torch.nn.Module,
    tokenizer,
    prompts: Sequence[str],
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    stop_at_end_of_text: bool = True,
    seed: int | None = None,
) -> list[str]:
    """The text generated after each prompt (a list of str), decoded by `tokenizer`.

    An empty prompt starts from the end-of-text token (an unconditional sample); generation
    stops at end-of-text unless `stop_at_end_of_text` is False.
    """
    prompts = check_str_list("prompts", prompts)
    eot = tokenizer.special_ids.get(END_OF_TEXT)
    ids = []
    for i, prompt in enumerate(prompts):
        encoded = tokenizer.encode(prompt)
        if not encoded:
            if eot is None:
                raise ValueError(f"prompts[{i}] is empty and the tokenizer has no {END_OF_TEXT}")
            encoded = [eot]
        ids.append(encoded)
    stops = [eot] if stop_at_end_of_text and eot is not None else []
    out = generate_ids(model, ids, max_new_tokens, temperature, top_k, top_p, stops, seed)
    return [tokenizer.decode(row) for row in out]
