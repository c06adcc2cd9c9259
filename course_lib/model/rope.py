"""Rotary position embeddings (RoFormer): turn pairs of features by an angle growing with position.

Pair k of a head vector is (x[2k], x[2k+1]); at position p it turns by p · theta^(-2k/d_k). The dot
product of a rotated query at position m and a rotated key at position n then depends on m - n only.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate each pair (x[..., 2k], x[..., 2k+1]) of x (..., d_k) by the angle of cos and sin.

    `cos` and `sin` have shape (..., d_k // 2) and broadcast against x without its last dimension.
    """
    ### BEGIN SOLUTION
    x_even, x_odd = x[..., 0::2], x[..., 1::2]
    rotated = torch.stack((x_even * cos - x_odd * sin, x_even * sin + x_odd * cos), dim=-1)
    return rotated.flatten(-2)
    ### END SOLUTION


class RotaryEmbedding(nn.Module):
    """RoPE with cos/sin tables for positions 0..max_seq_len-1 precomputed (not in checkpoints)."""

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None) -> None:
        super().__init__()
        if d_k % 2:
            raise ValueError(f"RoPE rotates pairs of features: d_k must be even, got {d_k}")
        if not theta > 0:  # theta ** (negative) would be inf or NaN: every angle garbage
            raise ValueError(f"RoPE's base theta must be positive, got {theta}")
        self.theta, self.d_k, self.max_seq_len = theta, d_k, max_seq_len
        inv_freq = theta ** (-torch.arange(0, d_k, 2, device=device, dtype=torch.float32) / d_k)
        angles = torch.outer(
            torch.arange(max_seq_len, device=device, dtype=torch.float32), inv_freq
        )
        self.register_buffer("cos", angles.cos(), persistent=False)  # (max_seq_len, d_k // 2)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: Tensor, positions: Tensor) -> Tensor:
        """Rotate x (..., seq, d_k) for its tokens' integer positions (..., seq), in any order."""
        cos = self.cos[positions].to(x.dtype)
        sin = self.sin[positions].to(x.dtype)
        return apply_rope(x, cos, sin)

    def extra_repr(self) -> str:
        return f"theta={self.theta}, d_k={self.d_k}, max_seq_len={self.max_seq_len}"
