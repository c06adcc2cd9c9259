"""Module 04 model: every variant builds, trains and has the parameter count computed by hand here;
causality; tied weights; state-dict round trip; fast path; KV-cache decoding vs the full forward."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F

from course_lib.model import KVCache, ModelConfig, TransformerLM, tied_logits

F32 = dict(atol=1e-5, rtol=1e-5)
V, C, D, L, H = 97, 24, 32, 2, 4  # small enough for 2 CPU cores


def small_config(**overrides) -> ModelConfig:
    sizes = dict(vocab_size=V, context_length=C, d_model=D, n_layers=L, n_heads=H)
    return ModelConfig(**{**sizes, **overrides})


VARIANTS = {
    "llama": {},
    "no_norm": {"norm": "none"},
    "post_norm": {"norm_position": "post"},
    "layer_norm": {"norm": "layer"},
    "parallel": {"parallel_layers": True},
    "parallel_post": {"parallel_layers": True, "norm_position": "post"},
    "gelu": {"ffn": "gelu"},
    "silu": {"ffn": "silu"},
    "no_positions": {"positions": "none"},
    "learned_positions": {"positions": "learned"},
    "tied": {"tie_embeddings": True},
    "fused_qkv": {"fused_qkv": True},
    "fast": {"fast_attention": True},
    "gpt2_like": {"norm": "layer", "ffn": "gelu", "positions": "learned", "tie_embeddings": True},
}


def expected_parameter_count(cfg: ModelConfig) -> int:
    """Count by hand from the architecture, independently of the code."""
    d, d_ff = cfg.d_model, cfg.d_ff
    norm = {"rms": d, "layer": 2 * d, "none": 0}[cfg.norm]
    attention = 4 * d * d  # q, k, v, output projections, no biases
    ffn = (3 if cfg.ffn == "swiglu" else 2) * d * d_ff
    block = attention + ffn + (1 if cfg.parallel_layers else 2) * norm
    total = cfg.vocab_size * d + cfg.n_layers * block + norm  # embeddings, blocks, final norm
    if cfg.positions == "learned":
        total += cfg.context_length * d
    if not cfg.tie_embeddings:
        total += cfg.vocab_size * d
    return total


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_builds_trains_and_has_expected_parameter_count(name):
    torch.manual_seed(0)
    cfg = small_config(**VARIANTS[name])
    model = TransformerLM(cfg)
    assert sum(p.numel() for p in model.parameters()) == expected_parameter_count(cfg)
    ids = torch.randint(0, V, (2, 10))
    logits = model(ids)
    assert logits.shape == (2, 10, V) and torch.isfinite(logits).all()
    logits.logsumexp(-1).mean().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reaches {pname}"


def test_default_d_ff_sizes():
    assert small_config().d_ff == 128  # 8/3 · 32 = 85.3, rounded up to a multiple of 64
    assert small_config(ffn="gelu").d_ff == 4 * D


DOCUMENTED = [  # the names listed in course_lib/model/transformer.py's docstring
    r"token_embeddings\.weight",
    r"position_embeddings\.weight",
    r"layers\.\d+\.ln[12]\.(weight|bias)",
    r"layers\.\d+\.attn\.(q_proj|k_proj|v_proj|qkv_proj|output_proj)\.weight",
    r"layers\.\d+\.ffn\.w[123]\.weight",
    r"ln_final\.(weight|bias)",
    r"lm_head\.weight",
]


@pytest.mark.parametrize("name", VARIANTS)
def test_state_dict_names_are_the_documented_ones(name):
    keys = TransformerLM(small_config(**VARIANTS[name])).state_dict().keys()
    undocumented = [k for k in keys if not any(re.fullmatch(p, k) for p in DOCUMENTED)]
    assert undocumented == []


def test_llama_state_dict_names_and_shapes():
    shapes = {k: tuple(v.shape) for k, v in TransformerLM(small_config()).state_dict().items()}
    assert shapes["token_embeddings.weight"] == (V, D)
    assert shapes["layers.1.attn.q_proj.weight"] == (D, D)
    assert shapes["layers.0.attn.output_proj.weight"] == (D, D)
    assert shapes["layers.0.ln1.weight"] == shapes["layers.0.ln2.weight"] == (D,)
    assert shapes["layers.0.ffn.w1.weight"] == shapes["layers.0.ffn.w3.weight"] == (128, D)
    assert shapes["layers.0.ffn.w2.weight"] == (D, 128)
    assert shapes["ln_final.weight"] == (D,)
    assert shapes["lm_head.weight"] == (V, D)
    assert len(shapes) == 3 + 9 * L  # ln1, q, k, v, output, ln2, w1, w2, w3 per block


def test_state_dict_round_trip(tmp_path):
    torch.manual_seed(0)
    model = TransformerLM(small_config(norm="layer"))
    torch.save(model.state_dict(), tmp_path / "model.pt")
    torch.manual_seed(1)
    loaded = TransformerLM(small_config(norm="layer"))
    loaded.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    ids = torch.randint(0, V, (2, 12))
    torch.testing.assert_close(loaded(ids), model(ids), atol=0, rtol=0)


def test_tied_embeddings_share_one_matrix():
    torch.manual_seed(0)
    model = TransformerLM(small_config(tie_embeddings=True))
    assert not hasattr(model, "lm_head")
    h = torch.randn(3, D)
    torch.testing.assert_close(
        tied_logits(h, model.token_embeddings.weight), F.linear(h, model.token_embeddings.weight)
    )
    ids = torch.randint(0, V // 2, (2, 8))  # only the first half of the vocabulary as input
    model(ids).logsumexp(-1).sum().backward()
    grad = model.token_embeddings.weight.grad
    assert grad[V // 2 :].abs().sum() > 0, "the output side must write into the embedding matrix"
    with torch.no_grad():
        before = model(ids)
        model.token_embeddings.weight[-1] += 1.0  # a row never used as input
        assert not torch.allclose(model(ids)[..., -1], before[..., -1])
        torch.testing.assert_close(model(ids)[..., :-1], before[..., :-1], atol=0, rtol=0)


@pytest.mark.parametrize("name", ["llama", "learned_positions", "parallel_post", "no_norm"])
def test_model_is_causal(name):
    torch.manual_seed(0)
    model = TransformerLM(small_config(**VARIANTS[name]))
    ids = torch.randint(0, V, (2, 16))
    changed = ids.clone()
    changed[:, 9] = (changed[:, 9] + 1) % V
    torch.testing.assert_close(model(changed)[:, :9], model(ids)[:, :9], atol=0, rtol=0)
    assert not torch.allclose(model(changed)[:, 9:], model(ids)[:, 9:])


def test_without_positions_the_last_output_ignores_the_order_of_earlier_tokens():
    # one causal attention layer with no position signal sees the prefix as a set (NoPE)
    torch.manual_seed(0)
    model = TransformerLM(small_config(positions="none", n_layers=1)).eval()
    ids = torch.randint(0, V, (1, 9))
    shuffled = torch.cat([ids[:, :-1][:, torch.randperm(8)], ids[:, -1:]], dim=1)
    torch.testing.assert_close(model(ids)[:, -1], model(shuffled)[:, -1], rtol=1e-5, atol=1e-5)
    with_rope = TransformerLM(small_config(n_layers=1)).eval()
    assert not torch.allclose(with_rope(ids)[:, -1], with_rope(shuffled)[:, -1], atol=1e-3)


@pytest.mark.parametrize("positions", ["rope", "learned", "none"])
def test_fast_attention_model_matches_teaching_model(positions):
    torch.manual_seed(0)
    slow = TransformerLM(small_config(positions=positions))
    fast = TransformerLM(small_config(positions=positions, fast_attention=True))
    fast.load_state_dict(slow.state_dict())
    ids = torch.randint(0, V, (3, C))
    torch.testing.assert_close(fast(ids), slow(ids), atol=1e-4, rtol=1e-4)


def test_explicit_positions_and_unbatched_ids():
    torch.manual_seed(0)
    model = TransformerLM(small_config())
    ids = torch.randint(0, V, (2, 10))
    torch.testing.assert_close(model(ids, torch.arange(10)), model(ids), atol=0, rtol=0)
    torch.testing.assert_close(model(ids[0]), model(ids)[0], **F32)


def test_bfloat16_model_is_close_to_float32():
    torch.manual_seed(0)
    model = TransformerLM(small_config())
    ids = torch.randint(0, V, (2, 12))
    expected = model(ids)
    out = model.to(torch.bfloat16)(ids)
    assert out.dtype == torch.bfloat16
    # bf16 weights and activations: errors of a few 1e-2 on logits of size ~5
    torch.testing.assert_close(out.float(), expected, atol=0.15, rtol=0.05)


@pytest.mark.parametrize("name", ["llama", "learned_positions", "fast", "parallel", "fused_qkv"])
def test_kv_cache_decoding_equals_full_forward(name):
    torch.manual_seed(0)
    model = TransformerLM(small_config(**VARIANTS[name])).eval()
    ids = torch.randint(0, V, (2, C))
    full = model(ids)
    cache = model.new_kv_cache(batch_size=2)
    with torch.no_grad():
        steps = [model(ids[:, :5], kv_cache=cache)]  # prefill 5 tokens
        steps += [model(ids[:, t : t + 1], kv_cache=cache) for t in range(5, 14)]  # one at a time
        steps.append(model(ids[:, 14:], kv_cache=cache))  # then a chunk of 10
    assert cache.length == C
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-4, rtol=1e-4)


def test_kv_cache_reset_and_overflow():
    torch.manual_seed(0)
    model = TransformerLM(small_config())
    cache = model.new_kv_cache(batch_size=1, max_seq_len=6)
    assert isinstance(cache, KVCache) and len(cache) == L and cache.max_seq_len == 6
    ids = torch.randint(0, V, (1, 6))
    with torch.no_grad():
        first = model(ids, kv_cache=cache)
        with pytest.raises(ValueError, match="KV cache is full: 6 cached \\+ 1 new positions"):
            model(ids[:, :1], kv_cache=cache)
        cache.reset()
        assert cache.length == 0
        torch.testing.assert_close(model(ids, kv_cache=cache), first, atol=0, rtol=0)


def test_greedy_generate_matches_argmax_of_full_forward():
    torch.manual_seed(0)
    model = TransformerLM(small_config()).eval()
    prompt = torch.randint(0, V, (2, 4))
    out = model.generate(prompt, max_new_tokens=8, temperature=0)
    assert out.shape == (2, 12) and torch.equal(out[:, :4], prompt)
    with torch.no_grad():
        ids = prompt
        for _ in range(8):
            ids = torch.cat([ids, model(ids)[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(out, ids)
    generator = torch.Generator().manual_seed(0)
    top_1 = model.generate(prompt, 8, temperature=1.0, top_k=1, generator=generator)
    assert torch.equal(top_1, out)  # sampling from the single most likely token is greedy
    sampled = model.generate(prompt, 8, temperature=2.0, top_k=5, generator=generator)
    assert sampled.shape == (2, 12) and sampled.max() < V and not torch.equal(sampled, out)


def test_input_errors():
    model = TransformerLM(small_config())
    with pytest.raises(
        ValueError, match=f"sequence of length {C + 1} is longer than context_length {C}"
    ):
        model(torch.zeros(1, C + 1, dtype=torch.long))
    with pytest.raises(ValueError, match=f"token id {V} out of range: expected 0 <= id < {V}"):
        model(torch.tensor([[1, 2, V]]))
    with pytest.raises(ValueError, match="token id -1 out of range"):
        model(torch.tensor([[-1, 2]]))
    with pytest.raises(ValueError, match="token ids must be an integer tensor"):
        model(torch.zeros(1, 4))
    with pytest.raises(ValueError, match=f"positions must lie in \\[0, {C}\\)"):
        model(torch.zeros(1, 2, dtype=torch.long), positions=torch.tensor([0, C]))
    with pytest.raises(ValueError, match="positions .* do not match ids"):
        model(torch.zeros(1, 2, dtype=torch.long), positions=torch.arange(3))
    cache = model.new_kv_cache(1)
    with torch.no_grad():
        model(torch.zeros(1, C - 1, dtype=torch.long), kv_cache=cache)
        with pytest.raises(ValueError, match=f"length 2 after {C - 1} cached tokens is longer"):
            model(torch.zeros(1, 2, dtype=torch.long), kv_cache=cache)
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate(torch.zeros(1, C - 2, dtype=torch.long), max_new_tokens=3)


def test_config_errors():
    with pytest.raises(ValueError, match=r"d_model \(30\) must be divisible by n_heads \(4\)"):
        small_config(d_model=30)
    with pytest.raises(ValueError, match="RoPE needs an even head dimension, got 5"):
        small_config(d_model=20, n_heads=4)
    small_config(d_model=20, n_heads=4, positions="learned")  # odd heads are fine without RoPE


def test_large_model_builds_on_meta_device_for_counting():
    cfg = ModelConfig(vocab_size=50_257, context_length=1024, d_model=1600, n_layers=48, n_heads=25)
    with torch.device("meta"):  # no memory is allocated: shapes only
        model = TransformerLM(cfg)
    assert model.token_embeddings.weight.is_meta
    assert sum(p.numel() for p in model.parameters()) == expected_parameter_count(cfg)
