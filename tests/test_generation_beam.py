"""Module 09 beam search against exhaustive search over every continuation of a tiny vocabulary,
and with one beam against greedy decoding."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.generation.beam import beam_search, beam_search_ids
from course_lib.generation.decode import generate_ids
from course_lib.model import ModelConfig, TransformerLM

V, STEPS, STOP = 5, 3, 0
PROMPT = [3, 1, 4]


def tiny_model(seed: int = 0, vocab: int = V) -> TransformerLM:
    torch.manual_seed(seed)
    config = ModelConfig(vocab_size=vocab, context_length=16, d_model=16, n_layers=2, n_heads=2)
    model = TransformerLM(config).double().eval()
    with torch.no_grad():  # sharper next-token distributions, so that beams and greedy differ
        model.lm_head.weight.mul_(8)
    return model


@torch.no_grad()
def logprob(model: TransformerLM, prompt: list[int], new: list[int]) -> float:
    """Summed log-likelihood of `new` after `prompt`, one full forward pass."""
    seq = torch.tensor([prompt + new])
    lp = F.log_softmax(model(seq[:, :-1]).double(), dim=-1)[0, len(prompt) - 1 :]
    return float(lp.gather(-1, torch.tensor(new)[:, None]).sum())


def exhaustive(model, stop: int | None, length_penalty: float) -> tuple[list[int], float]:
    """The best continuation of at most STEPS tokens by brute force (a stop id only at the end)."""
    best, best_score = None, -math.inf
    for n in range(1, STEPS + 1):
        for new in itertools.product(range(V), repeat=n):
            body = list(new[:-1])
            if stop is not None and stop in body:
                continue
            if (stop is None or new[-1] != stop) and n < STEPS:
                continue  # an unfinished continuation runs to STEPS tokens
            score = logprob(model, PROMPT, list(new)) / n**length_penalty
            if score > best_score:
                best, best_score = list(new), score
    if stop is not None and best[-1] == stop:
        best = best[:-1]
    return best, best_score


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wide_beams_find_the_exhaustive_best_without_stops(seed):
    model = tiny_model(seed)
    want, score = exhaustive(model, None, 1.0)
    got = beam_search_ids(model, PROMPT, STEPS, num_beams=V**STEPS)[0]
    assert got.ids == want, f"expected the exhaustive best {want}, got {got.ids}"
    assert got.score == pytest.approx(score, abs=1e-9), "ranking score = mean log-likelihood"


@pytest.mark.parametrize("length_penalty", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("seed", [0, 3])
def test_wide_beams_find_the_exhaustive_best_with_a_stop_id(seed, length_penalty):
    model = tiny_model(seed)
    want, score = exhaustive(model, STOP, length_penalty)
    got = beam_search_ids(model, PROMPT, STEPS, V**STEPS, length_penalty, stop_ids=[STOP])[0]
    assert got.ids == want, f"expected {want} (length_penalty {length_penalty}), got {got.ids}"
    assert got.score == pytest.approx(score, abs=1e-9)


def test_one_beam_is_greedy_decoding():
    model = tiny_model(4, vocab=37)
    greedy = generate_ids(model, [PROMPT], 8, temperature=0)[0]
    got = beam_search_ids(model, PROMPT, 8, num_beams=1)[0]
    assert got.ids == greedy, f"one beam should follow the argmax: {greedy}, got {got.ids}"


def test_beams_are_ranked_and_their_log_likelihoods_are_the_models():
    model = tiny_model(5, vocab=37)
    beams = beam_search_ids(model, PROMPT, 6, num_beams=4, stop_ids=[STOP])
    assert 1 <= len(beams) <= 4, f"expected 1 to 4 beams, got {len(beams)}"
    assert [b.score for b in beams] == sorted((b.score for b in beams), reverse=True)
    for b in beams:
        scored = b.ids + ([STOP] if len(b.ids) < 6 else [])
        assert b.logprob == pytest.approx(logprob(model, PROMPT, scored), abs=1e-9)


class _Chars:
    """A character tokenizer over 'abcd' with <|endoftext|> as id 0."""

    special_ids = {"<|endoftext|>": 0}

    def encode(self, text: str) -> list[int]:
        return ["_abcd".index(c) for c in text]

    def decode(self, ids: list[int]) -> str:
        return "".join("_abcd"[i] for i in ids)


def test_text_beam_search_decodes_the_best_beam_and_starts_empty_prompts_at_end_of_text():
    model = tiny_model(6)
    tok = _Chars()
    got = beam_search(model, tok, ["cad", ""], 4, num_beams=3)
    for prompt, text in zip(["cad", ""], got, strict=True):
        ids = tok.encode(prompt) or [0]
        best = beam_search_ids(model, ids, 4, 3, stop_ids=[0])[0]
        assert text == tok.decode(best.ids), f"expected {tok.decode(best.ids)!r}, got {text!r}"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"num_beams": 0}, ValueError, "num_beams must be positive"),
        ({"max_new_tokens": 0}, ValueError, "max_new_tokens must be positive"),
        ({"max_new_tokens": 14}, ValueError, "longer than context_length 16"),
        ({"prompt": []}, ValueError, "prompts.0. is empty"),
        ({"length_penalty": "long"}, TypeError, "length_penalty must be a number"),
    ],
)
def test_bad_beam_arguments_are_clear_errors(kwargs, error, message):
    args = {"prompt": PROMPT, "max_new_tokens": 3, **kwargs}
    with pytest.raises(error, match=message):
        beam_search_ids(tiny_model(), **args)
