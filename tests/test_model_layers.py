"""Module 04 layers against torch's own ops (F.linear, F.embedding, F.layer_norm, F.silu, F.gelu)
and a float64 hand formula for RMSNorm."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.model.layers import (
    GELUMLP,
    Embedding,
    LayerNorm,
    Linear,
    RMSNorm,
    SiLUMLP,
    SwiGLU,
    build_ffn,
    build_norm,
    gelu,
    silu,
)

# float32 results should agree with torch to rounding; bfloat16 keeps ~3 significant digits.
F32 = dict(atol=1e-5, rtol=1e-5)
BF16 = dict(atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_linear_matches_f_linear(shape):
    torch.manual_seed(0)
    layer = Linear(12, 9)
    x = torch.randn(*shape, 12)
    torch.testing.assert_close(layer(x), F.linear(x, layer.weight), **F32)
    assert layer(x).shape == (*shape, 9)


def test_linear_bfloat16_matches_f_linear():
    torch.manual_seed(0)
    layer = Linear(32, 16, dtype=torch.bfloat16)
    x = torch.randn(4, 32, dtype=torch.bfloat16)
    out = layer(x)
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out, F.linear(x, layer.weight), **BF16)


def test_linear_weight_shape_init_and_no_bias():
    torch.manual_seed(0)
    layer = Linear(300, 200)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.shape == (200, 300)  # (out, in) like nn.Linear
    std = math.sqrt(2 / (300 + 200))
    # truncation at ±3σ shrinks the std by ~1.3%; 60k samples give ~0.3% noise
    assert abs(layer.weight.std().item() / std - 0.987) < 0.02
    assert layer.weight.abs().max().item() <= 3 * std + 1e-6


def test_embedding_matches_f_embedding_and_init():
    torch.manual_seed(0)
    emb = Embedding(1000, 64)
    ids = torch.randint(0, 1000, (3, 11))
    torch.testing.assert_close(emb(ids), F.embedding(ids, emb.weight), atol=0, rtol=0)
    assert emb.weight.shape == (1000, 64)
    assert abs(emb.weight.std().item() - 0.987) < 0.02
    assert emb.weight.abs().max().item() <= 3.0 + 1e-6


def rms_norm_float64(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """The RMSNorm formula in float64: x / sqrt(mean(x²) + eps) · weight."""
    x, weight = x.double(), weight.double()
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * weight


def test_rmsnorm_matches_float64_formula():
    torch.manual_seed(0)
    norm = RMSNorm(16, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(16))
    for scale in (3.0, 1e-3):  # at 1e-3, mean(x²) ~ 1e-6 is below eps, so eps must be there
        x = torch.randn(2, 5, 16) * scale
        expected = rms_norm_float64(x, norm.weight, 1e-5).float()
        torch.testing.assert_close(norm(x), expected, **F32)
    assert [name for name, _ in norm.named_parameters()] == ["weight"]


def test_rmsnorm_bfloat16_is_computed_in_float32_and_cast_back():
    torch.manual_seed(0)
    norm = RMSNorm(64).to(torch.bfloat16)
    # values whose squares lose precision in bfloat16 arithmetic
    x = (torch.randn(4, 64) * 100 + 300).to(torch.bfloat16)
    out = norm(x)
    assert out.dtype == torch.bfloat16
    expected = rms_norm_float64(x, norm.weight, norm.eps)
    # only the final cast rounds: error within one bfloat16 ulp (2^-8 relative)
    torch.testing.assert_close(out.double(), expected, atol=0, rtol=2**-8)


def test_layernorm_matches_f_layer_norm():
    torch.manual_seed(0)
    norm = LayerNorm(16, eps=1e-5)
    with torch.no_grad():
        norm.weight.copy_(torch.randn(16))
        norm.bias.copy_(torch.randn(16))
    x = torch.randn(3, 7, 16) * 2 + 1
    expected = F.layer_norm(x, (16,), norm.weight, norm.bias, eps=1e-5)
    torch.testing.assert_close(norm(x), expected, **F32)
    assert sorted(name for name, _ in norm.named_parameters()) == ["bias", "weight"]


def test_silu_and_gelu_match_torch():
    x = torch.linspace(-20, 20, 1001)
    torch.testing.assert_close(silu(x), F.silu(x), **F32)
    torch.testing.assert_close(gelu(x), F.gelu(x), **F32)
    xb = x.to(torch.bfloat16)
    torch.testing.assert_close(silu(xb), F.silu(xb), **BF16)


def test_swiglu_matches_formula_with_torch_ops():
    torch.manual_seed(0)
    ffn = SwiGLU(16, 48)
    x = torch.randn(2, 3, 16)
    w1, w2, w3 = ffn.w1.weight, ffn.w2.weight, ffn.w3.weight
    expected = F.linear(F.silu(F.linear(x, w1)) * F.linear(x, w3), w2)
    torch.testing.assert_close(ffn(x), expected, **F32)
    assert w1.shape == w3.shape == (48, 16) and w2.shape == (16, 48)


def test_gelu_mlp_matches_formula_with_torch_ops():
    torch.manual_seed(0)
    ffn = GELUMLP(16, 64)
    x = torch.randn(2, 3, 16)
    expected = F.linear(F.gelu(F.linear(x, ffn.w1.weight)), ffn.w2.weight)
    torch.testing.assert_close(ffn(x), expected, **F32)


def test_silu_mlp_matches_formula_with_torch_ops_and_matches_swiglu_parameters():
    torch.manual_seed(0)
    ffn = build_ffn("silu", 16, 64)
    assert isinstance(ffn, SiLUMLP)
    x = torch.randn(2, 3, 16)
    expected = F.linear(F.silu(F.linear(x, ffn.w1.weight)), ffn.w2.weight)
    torch.testing.assert_close(ffn(x), expected, **F32)
    # d_ff 4d with two matrices holds as many weights as SwiGLU's three at 8d/3
    silu_weights = sum(p.numel() for p in SiLUMLP(48, 4 * 48).parameters())
    assert silu_weights == sum(p.numel() for p in SwiGLU(48, 8 * 48 // 3).parameters())


def test_builders_reject_unknown_kinds():
    with pytest.raises(ValueError, match="norm='batch'"):
        build_norm("batch", 8)
    with pytest.raises(ValueError, match="ffn='relu'"):
        build_ffn("relu", 8, 32)
    assert isinstance(build_norm("none", 8), torch.nn.Identity)


def test_layers_build_on_meta_device_without_memory():
    with torch.device("meta"):
        layer = Linear(8192, 8192)
    assert layer.weight.is_meta
