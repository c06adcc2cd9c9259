"""The building blocks, from tensors: Linear, Embedding, RMSNorm, LayerNorm, SiLU, GELU, MLPs."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def trunc_normal(*shape: int, std: float, device=None, dtype=None) -> nn.Parameter:
    """A parameter drawn from N(0, std²) truncated at ±3 std, the init every layer here uses."""
    weight = torch.empty(*shape, device=device, dtype=dtype)
    nn.init.trunc_normal_(weight, mean=0.0, std=std, a=-3 * std, b=3 * std)
    return nn.Parameter(weight)


class Linear(nn.Module):
    """y = x Wᵀ with no bias; W has shape (out_features, in_features) as in torch.nn.Linear."""

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        std = math.sqrt(2 / (in_features + out_features))
        self.weight = trunc_normal(out_features, in_features, std=std, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        """Map (..., in_features) to (..., out_features)."""
        ### BEGIN SOLUTION
        return x @ self.weight.T
        ### END SOLUTION

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


class Embedding(nn.Module):
    """A lookup table: row i of `weight` (num_embeddings, embedding_dim) is token i's vector."""

    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = trunc_normal(
            num_embeddings, embedding_dim, std=1.0, device=device, dtype=dtype
        )

    def forward(self, token_ids: Tensor) -> Tensor:
        """Map integer ids (...) to vectors (..., embedding_dim)."""
        ### BEGIN SOLUTION
        return self.weight[token_ids]
        ### END SOLUTION

    def extra_repr(self) -> str:
        return f"num_embeddings={self.num_embeddings}, embedding_dim={self.embedding_dim}"


class RMSNorm(nn.Module):
    """x / sqrt(mean(x²) + eps) · weight, computed in float32 so bfloat16 inputs keep precision."""

    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        """Normalize the last dimension of x (..., d_model); the result has x's dtype."""
        ### BEGIN SOLUTION
        in_dtype = x.dtype
        x = x.float()
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return (x / rms * self.weight.float()).to(in_dtype)
        ### END SOLUTION


class LayerNorm(nn.Module):
    """(x - mean) / sqrt(var + eps) · weight + bias, the original Transformer's norm, in float32."""

    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        """Normalize the last dimension of x (..., d_model); the result has x's dtype."""
        in_dtype = x.dtype
        x = x.float()
        mean = x.mean(dim=-1, keepdim=True)
        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)
        y = (x - mean) / torch.sqrt(var + self.eps)
        return (y * self.weight.float() + self.bias.float()).to(in_dtype)


def silu(x: Tensor) -> Tensor:
    """SiLU (swish): x · sigmoid(x)."""
    ### BEGIN SOLUTION
    return x * torch.sigmoid(x)
    ### END SOLUTION


def gelu(x: Tensor) -> Tensor:
    """GELU, the exact form: x · Φ(x) with Φ the standard normal CDF."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class SwiGLU(nn.Module):
    """LLaMA's gated feed-forward: w2(silu(w1 x) ⊙ w3 x)."""

    def __init__(self, d_model: int, d_ff: int, device=None, dtype=None) -> None:
        super().__init__()
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)  # gate
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)  # down
        self.w3 = Linear(d_model, d_ff, device=device, dtype=dtype)  # up

    def forward(self, x: Tensor) -> Tensor:
        """Map (..., d_model) to (..., d_model) through a gated hidden layer of width d_ff."""
        ### BEGIN SOLUTION
        return self.w2(silu(self.w1(x)) * self.w3(x))
        ### END SOLUTION


class GELUMLP(nn.Module):
    """GPT-2's feed-forward (without biases): w2(gelu(w1 x))."""

    def __init__(self, d_model: int, d_ff: int, device=None, dtype=None) -> None:
        super().__init__()
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)  # up
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)  # down

    def forward(self, x: Tensor) -> Tensor:
        """Map (..., d_model) to (..., d_model) through a hidden layer of width d_ff."""
        return self.w2(gelu(self.w1(x)))


class SiLUMLP(GELUMLP):
    """The same two matrices with SiLU in between: w2(silu(w1 x)), SwiGLU without its gate."""

    def forward(self, x: Tensor) -> Tensor:
        """Map (..., d_model) to (..., d_model) through a hidden layer of width d_ff."""
        return self.w2(silu(self.w1(x)))


def build_norm(kind: str, d_model: int, eps: float = 1e-5) -> nn.Module:
    """The norm a config names: 'rms', 'layer', or 'none' (identity, no parameters)."""
    if kind == "rms":
        return RMSNorm(d_model, eps)
    if kind == "layer":
        return LayerNorm(d_model, eps)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm={kind!r}: expected one of 'rms', 'layer', 'none'")


def build_ffn(kind: str, d_model: int, d_ff: int) -> nn.Module:
    """The feed-forward a config names: 'swiglu', 'gelu' or 'silu'."""
    if kind == "swiglu":
        return SwiGLU(d_model, d_ff)
    if kind == "gelu":
        return GELUMLP(d_model, d_ff)
    if kind == "silu":
        return SiLUMLP(d_model, d_ff)
    raise ValueError(f"ffn={kind!r}: expected one of 'swiglu', 'gelu', 'silu'")
