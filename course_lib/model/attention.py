"""Softmax, scaled dot-product attention and causal multi-head self-attention, written from tensors.

Masks are boolean with torch's convention: True where a query may attend to a key.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.model.kv_cache import LayerKVCache
from course_lib.model.layers import Linear
from course_lib.model.rope import RotaryEmbedding


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along dim, shifted by the max first so large logits cannot overflow."""
    ### BEGIN SOLUTION
    exp = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return exp / exp.sum(dim=dim, keepdim=True)
    ### END SOLUTION


def scaled_dot_product_attention(
    q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None
) -> Tensor:
    """softmax(q kᵀ / sqrt(d_k)) v for q (..., n_q, d_k), k (..., n_k, d_k), v (..., n_k, d_v).

    `mask` is boolean, broadcastable to (..., n_q, n_k), True where the query may attend to the key.
    """
    if mask is not None and mask.dtype != torch.bool:
        raise ValueError(f"mask must be boolean (True = attend), got dtype {mask.dtype}")
    ### BEGIN SOLUTION
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return softmax(scores, dim=-1) @ v
    ### END SOLUTION


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each token sees itself and the tokens before it.

    Separate projections are `q_proj`, `k_proj`, `v_proj`; with `fused_qkv` one `qkv_proj` holds
    them stacked as rows [q; k; v] (the layout of nn.MultiheadAttention's `in_proj_weight`).
    `fast=True` swaps the teaching attention for F.scaled_dot_product_attention (same numbers).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        rope: RotaryEmbedding | None = None,
        fused_qkv: bool = False,
        fast: bool = False,
    ) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.d_model, self.n_heads, self.head_dim = d_model, n_heads, d_model // n_heads
        if rope is not None and rope.d_k != self.head_dim:
            raise ValueError(f"RoPE was built for d_k={rope.d_k}, but head_dim is {self.head_dim}")
        self.fused_qkv, self.fast = fused_qkv, fast
        if fused_qkv:
            self.qkv_proj = Linear(d_model, 3 * d_model)
        else:
            self.q_proj = Linear(d_model, d_model)
            self.k_proj = Linear(d_model, d_model)
            self.v_proj = Linear(d_model, d_model)
        self.output_proj = Linear(d_model, d_model)
        self.rope = rope  # shared by every layer; its buffers are not in the state dict

    def project_qkv(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Project x (..., seq, d_model) to q, k, v in heads: (..., n_heads, seq, head_dim)."""
        ### BEGIN SOLUTION
        if self.fused_qkv:
            q, k, v = self.qkv_proj(x).chunk(3, dim=-1)
        else:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        heads = (self.n_heads, self.head_dim)
        return tuple(t.unflatten(-1, heads).transpose(-3, -2) for t in (q, k, v))
        ### END SOLUTION

    def forward(
        self,
        x: Tensor,
        positions: Tensor | None = None,
        kv_cache: LayerKVCache | None = None,
    ) -> Tensor:
        """Causal attention over x (..., seq, d_model) at `positions` (..., seq), or 0..seq-1."""
        if kv_cache is not None:
            return self.forward_with_cache(x, kv_cache)
        ### BEGIN SOLUTION
        seq_len = x.shape[-2]
        q, k, v = self.project_qkv(x)
        if self.rope is not None:
            if positions is None:
                positions = torch.arange(seq_len, device=x.device)
            positions = positions.unsqueeze(-2)  # the same positions for every head
            q, k = self.rope(q, positions), self.rope(k, positions)
        if self.fast:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            causal = torch.ones(seq_len, seq_len, dtype=torch.bool, device=x.device).tril()
            out = scaled_dot_product_attention(q, k, v, causal)
        return self.output_proj(out.transpose(-3, -2).flatten(-2))
        ### END SOLUTION

    def forward_with_cache(self, x: Tensor, kv_cache: LayerKVCache) -> Tensor:
        """Decode step: new tokens x (batch, seq, d_model) attend to the cached and themselves."""
        return attend_with_cache(self, x, kv_cache)


def attend_with_cache(attn: CausalSelfAttention, x: Tensor, kv_cache: LayerKVCache) -> Tensor:
    """`attn` on new tokens x (batch, seq, d_model) that follow the `kv_cache.length` cached ones.

    Their keys and values are appended to the cache, and each new token attends to every cached
    position and to the new ones up to its own.
    """
    ### BEGIN SOLUTION
    start, seq_len = kv_cache.length, x.shape[-2]
    q, k, v = attn.project_qkv(x)
    if attn.rope is not None:
        positions = torch.arange(start, start + seq_len, device=x.device)
        q, k = attn.rope(q, positions), attn.rope(k, positions)
    # every key and value so far: (batch, n_heads, start + seq_len, head_dim)
    k, v = kv_cache.append(k, v)
    # new token i sits at position start + i and may see every key up to and including it
    causal = torch.ones(seq_len, start + seq_len, dtype=torch.bool, device=x.device)
    causal = causal.tril(diagonal=start)
    if attn.fast:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=causal)
    else:
        out = scaled_dot_product_attention(q, k, v, causal)
    return attn.output_proj(out.transpose(-3, -2).flatten(-2))
    ### END SOLUTION
