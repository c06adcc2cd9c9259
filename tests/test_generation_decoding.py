"""Module 09 decoding: temperature, top-k and top-p against Hugging Face's logits warpers, the
sampler's distribution by a chi-square test, and batched generation equal to one prompt at a time
and to greedy decoding without a cache."""

from __future__ import annotations

import pytest
import torch
from transformers.generation.logits_process import (
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from course_lib.generation.decode import generate, generate_ids
from course_lib.generation.sampling import (
    next_token_distribution,
    sample_next_token,
    softmax_with_temperature,
    top_k_filter,
    top_p_filter,
)
from course_lib.model import ModelConfig, TransformerLM

V, C = 61, 32
NO_IDS = torch.zeros(1, 1, dtype=torch.long)  # the warpers' unused input_ids


def tiny_model(seed: int = 0, dtype: torch.dtype = torch.float64, **overrides) -> TransformerLM:
    torch.manual_seed(seed)
    sizes = dict(vocab_size=V, context_length=C, d_model=32, n_layers=2, n_heads=4)
    return TransformerLM(ModelConfig(**{**sizes, **overrides})).to(dtype).eval()


def random_logits(rows: int = 6, vocab: int = V, seed: int = 0, scale: float = 3.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(rows, vocab, generator=g) * scale


@pytest.mark.parametrize("temperature", [1e-3, 0.5, 1.0, 2.5])
def test_softmax_with_temperature_equals_torch_softmax_of_scaled_logits(temperature):
    logits = random_logits()
    got = softmax_with_temperature(logits, temperature)
    want = torch.softmax(logits / temperature, dim=-1)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)


def test_softmax_with_temperature_survives_huge_logits_and_zero_is_argmax():
    logits = torch.tensor([[1e4, 1e4 - 1.0, -1e4]])
    got = softmax_with_temperature(logits, 1.0)
    assert torch.isfinite(got).all(), f"expected finite probabilities, got {got}"
    torch.testing.assert_close(got, torch.softmax(logits.double(), -1).float())
    hot = softmax_with_temperature(random_logits(), 0)
    assert torch.equal(hot.argmax(-1), random_logits().argmax(-1)) and torch.equal(
        hot.sum(-1), torch.ones(6)
    ), "temperature 0 must be a one-hot at the argmax"


@pytest.mark.parametrize("k", [1, 2, 5, V, V + 10])
def test_top_k_keeps_what_hugging_face_keeps(k):
    logits = random_logits()
    want = TopKLogitsWarper(top_k=k)(NO_IDS, logits.clone())
    assert torch.equal(top_k_filter(logits, k), want), f"top-k = {k} differs from TopKLogitsWarper"


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.9, 0.999, 1.0])
@pytest.mark.parametrize("scale", [0.3, 3.0])
def test_top_p_keeps_what_hugging_face_keeps(p, scale):
    logits = random_logits(rows=20, scale=scale, seed=int(p * 1000))
    want = TopPLogitsWarper(top_p=p)(NO_IDS, logits.clone())
    got = top_p_filter(logits, p)
    assert torch.equal(torch.isinf(got), torch.isinf(want)), f"top-p = {p}: other tokens kept"
    assert torch.equal(got[~torch.isinf(got)], logits[~torch.isinf(want)]), "kept logits changed"


def test_top_p_always_keeps_the_most_likely_token_and_works_on_batched_positions():
    logits = random_logits(rows=12).reshape(3, 4, V)
    got = top_p_filter(logits, 1e-6)
    assert (torch.isfinite(got).sum(-1) == 1).all(), "a tiny top-p keeps exactly the top token"
    assert torch.equal(got.argmax(-1), logits.argmax(-1))
    torch.testing.assert_close(top_p_filter(logits, 0.7)[1], top_p_filter(logits[1], 0.7))


def test_filters_in_hugging_face_order_give_its_distribution():
    logits = random_logits(rows=8)
    want = logits.clone()
    for warper in (TemperatureLogitsWarper(0.7), TopKLogitsWarper(10), TopPLogitsWarper(0.8)):
        want = warper(NO_IDS, want)
    got = next_token_distribution(logits, 0.7, top_k=10, top_p=0.8)
    torch.testing.assert_close(got, torch.softmax(want, -1))


def test_filters_run_on_the_meta_device():
    logits = torch.empty(2, 3, V, device="meta")
    assert top_k_filter(logits, 4).shape == (2, 3, V)
    assert top_p_filter(logits, 0.5).shape == (2, 3, V)
    assert softmax_with_temperature(logits, 0.5).device.type == "meta"


def test_sampled_tokens_follow_the_filtered_distribution():
    """Chi-square goodness of fit on 8 tokens after top-k 6: 40,000 draws from a fixed seed. The
    critical value 20.52 is the chi-square 0.999 quantile for 5 degrees of freedom (6 kept
    tokens), from a standard table."""
    logits = torch.tensor([[2.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, -1.5]])
    probs = next_token_distribution(logits, 0.8, top_k=6)[0]
    g = torch.Generator().manual_seed(1234)
    draws = torch.stack(
        [sample_next_token(logits.expand(1000, 8), 0.8, top_k=6, generator=g) for _ in range(40)]
    ).flatten()
    counts = torch.bincount(draws, minlength=8).double()
    assert counts[6:].sum() == 0, f"tokens removed by top-k were drawn: {counts.tolist()}"
    expected = probs[:6].double() * draws.numel()
    chi2 = float(((counts[:6] - expected) ** 2 / expected).sum())
    assert chi2 < 20.52, f"chi-square {chi2:.1f} > 20.52: the sampler does not follow {probs}"


def greedy_without_cache(model: TransformerLM, prompt: list[int], steps: int) -> list[int]:
    """The oracle: recompute the whole sequence each step and take the argmax."""
    ids = list(prompt)
    for _ in range(steps):
        logits = model(torch.tensor([ids]))[0, -1]
        ids.append(int(logits.argmax()))
    return ids[len(prompt) :]


PROMPTS = [[3, 9, 27, 20], [5], [1, 2, 3, 4, 5, 6, 7, 8, 9], [40, 41]]


def test_greedy_generation_equals_argmax_step_by_step_without_cache():
    model = tiny_model()
    got = generate_ids(model, PROMPTS, max_new_tokens=10, temperature=0)
    for prompt, new in zip(PROMPTS, got, strict=True):
        assert new == greedy_without_cache(model, prompt, 10), f"prompt {prompt}"


@pytest.mark.parametrize("kwargs", [dict(temperature=0), dict(temperature=0.9, top_k=7, seed=3),
                                    dict(temperature=1.3, top_p=0.8, seed=11)])  # fmt: skip
def test_a_batch_generates_what_each_prompt_generates_alone(kwargs):
    model = tiny_model(seed=1)
    batch = generate_ids(model, PROMPTS, max_new_tokens=12, **kwargs)
    for i, prompt in enumerate(PROMPTS):
        alone_kwargs = dict(kwargs, seed=kwargs["seed"] + i) if "seed" in kwargs else kwargs
        alone = generate_ids(model, [prompt], max_new_tokens=12, **alone_kwargs)[0]
        assert batch[i] == alone, f"prompt {i}: batched {batch[i]} != alone {alone}"


def test_generation_stops_at_a_stop_id_and_fills_the_context_at_most():
    model = tiny_model(seed=2)
    free = generate_ids(model, [[7]], max_new_tokens=C - 1, temperature=0)[0]
    assert len(free) == C - 1, "without a stop id every requested token is generated"
    stop = free[3]
    first = free.index(stop)
    stopped = generate_ids(model, [[7], [7, 8]], C - 2, temperature=0, stop_ids=[stop])[0]
    assert stopped == free[:first], "generation must stop before the first stop id"


def test_generation_runs_a_float32_model_and_text_prompts():
    from course_lib.tokenizer import Tokenizer

    vocab = {i: bytes([i]) for i in range(256)}
    tok = Tokenizer(vocab, [], ["<|endoftext|>"])
    model = tiny_model(dtype=torch.float32, vocab_size=tok.vocab_size)
    texts = generate(model, tok, ["ab", "", "hello"], max_new_tokens=5, temperature=0)
    assert len(texts) == 3 and all(isinstance(t, str) for t in texts)
    ids = generate_ids(model, [tok.encode("ab")], 5, temperature=0, stop_ids=[256])[0]
    assert texts[0] == tok.decode(ids), "text generation decodes what generate_ids generates"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(prompts=[[1], []]), ValueError, r"prompts\[1\] is empty"),
        (dict(prompts=[]), ValueError, "prompts is empty"),
        (dict(top_p=0.0), ValueError, r"top_p must lie in \(0, 1\]"),
        (dict(top_p=1.5), ValueError, r"top_p must lie in \(0, 1\]"),
        (dict(temperature=-0.1), ValueError, "temperature must be >= 0"),
        (dict(top_k=0), ValueError, "top_k must be positive"),
        (dict(max_new_tokens=C), ValueError, "longer than context_length"),
        (dict(prompts=[[V]]), ValueError, "outside"),
        (dict(prompts=[[1.5]]), TypeError, "must be an integer"),
    ],
)
def test_bad_generation_arguments_are_clear_errors(kwargs, error, message):
    args = dict(prompts=[[1, 2]], max_new_tokens=4, temperature=1.0)
    with pytest.raises(error, match=message):
        generate_ids(tiny_model(), **{**args, **kwargs})
