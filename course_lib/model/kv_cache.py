"""A preallocated key/value cache for generation, one token (or chunk) at a time.

Generating token t+1 needs the keys and values of tokens 0..t in every layer; they never change once
computed (attention is causal), so the cache keeps them and each step projects only the new tokens.
Training does not use one: with teacher forcing all positions of a sequence are known up front and
are processed in a single parallel pass, which computes every key and value exactly once already;
a cache would only add memory traffic and turn one big matrix multiply into many small ones.
"""

from __future__ import annotations

import torch
from torch import Tensor


class LayerKVCache:
    """One layer's keys and values, preallocated as (batch, n_heads, max_seq_len, head_dim)."""

    def __init__(
        self,
        batch_size: int,
        n_heads: int,
        max_seq_len: int,
        head_dim: int,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        shape = (batch_size, n_heads, max_seq_len, head_dim)
        self.k = torch.zeros(shape, device=device, dtype=dtype)
        self.v = torch.zeros(shape, device=device, dtype=dtype)
        self.length = 0  # number of positions filled so far

    @property
    def max_seq_len(self) -> int:
        """How many positions the cache can hold."""
        return self.k.shape[-2]

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Store k, v (batch, n_heads, seq, head_dim) after the cached ones; return all of them."""
        start, end = self.length, self.length + k.shape[-2]
        if end > self.max_seq_len:
            raise ValueError(
                f"KV cache is full: {start} cached + {k.shape[-2]} new positions "
                f"> max_seq_len {self.max_seq_len}"
            )
        try:
            self.k[..., start:end, :] = k
            self.v[..., start:end, :] = v
        except RuntimeError:  # a shape that does not broadcast into the preallocated slots
            raise ValueError(
                f"KV cache holds (batch, n_heads, seq, head_dim) = {tuple(self.k.shape)}, got "
                f"keys {tuple(k.shape)} and values {tuple(v.shape)}: a different batch size or "
                "head layout needs a new cache (model.new_kv_cache(batch_size))"
            ) from None
        self.length = end
        return self.k[..., :end, :], self.v[..., :end, :]


class KVCache:
    """The caches of every layer of a model, filled in step: `cache[i]` belongs to block i."""

    def __init__(
        self,
        n_layers: int,
        batch_size: int,
        n_heads: int,
        max_seq_len: int,
        head_dim: int,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.layers = [
            LayerKVCache(batch_size, n_heads, max_seq_len, head_dim, device, dtype)
            for _ in range(n_layers)
        ]

    def __getitem__(self, layer: int) -> LayerKVCache:
        return self.layers[layer]

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def length(self) -> int:
        """Number of positions already cached (the position of the next token)."""
        return self.layers[0].length

    @property
    def max_seq_len(self) -> int:
        """How many positions the cache can hold."""
        return self.layers[0].max_seq_len

    def reset(self) -> None:
        """Forget every cached position (the memory stays allocated)."""
        for layer in self.layers:
            layer.length = 0
