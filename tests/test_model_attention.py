"""Module 04 attention against torch: softmax vs torch.softmax, attention vs
F.scaled_dot_product_attention and nn.MultiheadAttention, RoPE vs a complex-number formulation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_lib.model.attention import CausalSelfAttention, scaled_dot_product_attention, softmax
from course_lib.model.rope import RotaryEmbedding, apply_rope

F32 = dict(atol=1e-5, rtol=1e-5)  # float32, different summation orders
BF16 = dict(atol=3e-2, rtol=3e-2)  # bfloat16 inputs, reference computed in float32


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_matches_torch(dim):
    torch.manual_seed(0)
    x = torch.randn(4, 5, 6)
    torch.testing.assert_close(softmax(x, dim=dim), torch.softmax(x, dim=dim), **F32)


def test_softmax_is_stable_for_shifted_and_scaled_logits():
    torch.manual_seed(0)
    x = torch.randn(3, 10)
    torch.testing.assert_close(softmax(x + 100), softmax(x), **F32)
    big = x * 1000  # exp overflows float32 without the max shift
    out = softmax(big)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, torch.softmax(big, dim=-1), **F32)


def random_mask(*shape: int) -> torch.Tensor:
    """A boolean mask with at least one True per row (a fully masked row has no defined output)."""
    mask = torch.rand(*shape) > 0.5
    mask[..., 0] = True
    return mask


@pytest.mark.parametrize(
    "lead, n_q, n_k, d_k, d_v",
    [((), 5, 5, 8, 8), ((2,), 4, 7, 16, 8), ((2, 3), 6, 6, 4, 12), ((2, 1, 3), 1, 9, 8, 8)],
)
@pytest.mark.parametrize("masked", [False, True])
def test_sdpa_matches_torch(lead, n_q, n_k, d_k, d_v, masked):
    torch.manual_seed(0)
    q, k = torch.randn(*lead, n_q, d_k), torch.randn(*lead, n_k, d_k)
    v = torch.randn(*lead, n_k, d_v)
    mask = random_mask(*lead, n_q, n_k) if masked else None
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, mask), expected, **F32)


def test_sdpa_broadcasts_a_causal_mask_and_runs_in_bfloat16():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, 8, 16) for _ in range(3))
    causal = torch.ones(8, 8, dtype=torch.bool).tril()
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v, causal), expected, **F32)
    qb, kb, vb = (t.to(torch.bfloat16) for t in (q, k, v))
    out = scaled_dot_product_attention(qb, kb, vb, causal)
    assert out.dtype == torch.bfloat16
    expected = F.scaled_dot_product_attention(qb.float(), kb.float(), vb.float(), is_causal=True)
    torch.testing.assert_close(out.float(), expected, **BF16)


def test_sdpa_rejects_a_float_mask():
    q = torch.randn(2, 3, 4)
    with pytest.raises(ValueError, match="mask must be boolean"):
        scaled_dot_product_attention(q, q, q, torch.zeros(3, 3))


def rope_complex(x: torch.Tensor, positions: torch.Tensor, theta: float) -> torch.Tensor:
    """RoPE as complex multiplication: pair (x[2k], x[2k+1]) times exp(i · p · theta^(-2k/d))."""
    d = x.shape[-1]
    freqs = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = positions.double()[..., None] * freqs
    z = torch.view_as_complex(x.double().unflatten(-1, (d // 2, 2)).contiguous())
    return torch.view_as_real(z * torch.polar(torch.ones_like(angles), angles)).flatten(-2)


def test_rope_matches_complex_rotation_at_arbitrary_positions():
    torch.manual_seed(0)
    rope = RotaryEmbedding(theta=10_000.0, d_k=16, max_seq_len=64)
    x = torch.randn(2, 5, 16)
    positions = torch.tensor([[0, 3, 7, 63, 1], [5, 5, 2, 40, 9]])  # unsorted, repeated
    expected = rope_complex(x, positions, 10_000.0).float()
    torch.testing.assert_close(rope(x, positions), expected, **F32)


def test_apply_rope_is_a_rotation_of_pairs():
    x = torch.tensor([1.0, 0.0, 0.0, 2.0])
    angle = torch.tensor([torch.pi / 2, torch.pi / 2])
    out = apply_rope(x, angle.cos(), angle.sin())
    torch.testing.assert_close(out, torch.tensor([0.0, 1.0, -2.0, 0.0]), **F32)


def test_rope_scores_depend_only_on_relative_position():
    torch.manual_seed(0)
    rope = RotaryEmbedding(theta=500.0, d_k=8, max_seq_len=128)
    q, k = torch.randn(8), torch.randn(8)

    def score(m: int, n: int) -> torch.Tensor:
        qm = rope(q[None], torch.tensor([m]))[0]
        kn = rope(k[None], torch.tensor([n]))[0]
        return qm @ kn

    for offset in (0, 5, 60):
        torch.testing.assert_close(score(10 + offset, 3 + offset), score(10, 3), **F32)
    assert not torch.allclose(score(10, 3), score(10, 4))


def test_rope_buffers_are_not_saved_and_odd_dim_is_rejected():
    rope = RotaryEmbedding(10_000.0, d_k=8, max_seq_len=16)
    assert rope.state_dict() == {}
    assert rope.cos.shape == rope.sin.shape == (16, 4)
    with pytest.raises(ValueError, match="d_k must be even"):
        RotaryEmbedding(10_000.0, d_k=7, max_seq_len=16)


def copy_to_torch_mha(attn: CausalSelfAttention) -> torch.nn.MultiheadAttention:
    """nn.MultiheadAttention without biases holding the same weights as attn."""
    mha = torch.nn.MultiheadAttention(attn.d_model, attn.n_heads, bias=False, batch_first=True)
    with torch.no_grad():
        if attn.fused_qkv:
            mha.in_proj_weight.copy_(attn.qkv_proj.weight)
        else:
            weights = (attn.q_proj.weight, attn.k_proj.weight, attn.v_proj.weight)
            mha.in_proj_weight.copy_(torch.cat(weights))
        mha.out_proj.weight.copy_(attn.output_proj.weight)
    return mha


@pytest.mark.parametrize("fused_qkv", [False, True])
def test_attention_matches_nn_multihead_attention(fused_qkv):
    torch.manual_seed(0)
    attn = CausalSelfAttention(d_model=32, n_heads=4, fused_qkv=fused_qkv)
    mha = copy_to_torch_mha(attn)
    x = torch.randn(3, 10, 32)
    future = torch.ones(10, 10, dtype=torch.bool).triu(1)  # MHA's convention: True = blocked
    expected, _ = mha(x, x, x, attn_mask=future, need_weights=False)
    torch.testing.assert_close(attn(x), expected, **F32)


def test_attention_is_causal():
    torch.manual_seed(0)
    rope = RotaryEmbedding(10_000.0, d_k=8, max_seq_len=16)
    attn = CausalSelfAttention(d_model=32, n_heads=4, rope=rope)
    x = torch.randn(2, 12, 32)
    changed = x.clone()
    changed[:, 7:] = torch.randn(2, 5, 32)
    torch.testing.assert_close(attn(changed)[:, :7], attn(x)[:, :7], atol=0, rtol=0)
    assert not torch.allclose(attn(changed)[:, 7:], attn(x)[:, 7:])


@pytest.mark.parametrize("fused_qkv", [False, True])
@pytest.mark.parametrize("use_rope", [False, True])
def test_fast_path_matches_teaching_path(fused_qkv, use_rope):
    torch.manual_seed(0)
    rope = RotaryEmbedding(10_000.0, d_k=16, max_seq_len=32) if use_rope else None
    slow = CausalSelfAttention(64, 4, rope=rope, fused_qkv=fused_qkv)
    fast = CausalSelfAttention(64, 4, rope=rope, fused_qkv=fused_qkv, fast=True)
    fast.load_state_dict(slow.state_dict())
    x = torch.randn(2, 20, 64, requires_grad=True)
    torch.testing.assert_close(fast(x), slow(x), **F32)
    (g_fast,) = torch.autograd.grad(fast(x).square().sum(), x)
    (g_slow,) = torch.autograd.grad(slow(x).square().sum(), x)
    torch.testing.assert_close(g_fast, g_slow, atol=1e-4, rtol=1e-4)


def test_attention_with_rope_takes_batched_positions():
    torch.manual_seed(0)
    rope = RotaryEmbedding(10_000.0, d_k=8, max_seq_len=64)
    attn = CausalSelfAttention(16, 2, rope=rope)
    x = torch.randn(2, 6, 16)
    shifted = torch.arange(6).expand(2, 6) + torch.tensor([[0], [30]])
    # RoPE scores depend on relative positions only, so a constant shift changes nothing
    torch.testing.assert_close(attn(x, shifted), attn(x), **F32)
    # per-sequence positions are honoured: the second row alone, shifted, gives the same
    torch.testing.assert_close(attn(x, shifted)[1], attn(x[1], shifted[1]), **F32)


def test_attention_errors():
    with pytest.raises(ValueError, match=r"d_model \(30\) must be divisible by n_heads \(4\)"):
        CausalSelfAttention(30, 4)
    rope = RotaryEmbedding(10_000.0, d_k=8, max_seq_len=16)
    with pytest.raises(ValueError, match="RoPE was built for d_k=8, but head_dim is 16"):
        CausalSelfAttention(32, 2, rope=rope)
