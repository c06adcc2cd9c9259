"""The decoder-only Transformer LM: token embeddings → blocks → final norm → LM head.

Parameter names (state-dict keys) are part of the interface and stay as listed; {i} counts blocks
from 0. The defaults build a LLaMA-style model (pre-norm RMSNorm, SwiGLU, RoPE, untied head).

    token_embeddings.weight             (vocab_size, d_model)
    position_embeddings.weight          (context_length, d_model)   positions="learned" only
    layers.{i}.ln1.weight               (d_model,)                  absent with norm="none"
    layers.{i}.ln1.bias                 (d_model,)                  norm="layer" only
    layers.{i}.attn.q_proj.weight       (d_model, d_model)          also k_proj, v_proj
    layers.{i}.attn.qkv_proj.weight     (3 * d_model, d_model)      fused_qkv=True, rows [q; k; v]
    layers.{i}.attn.output_proj.weight  (d_model, d_model)
    layers.{i}.ln2.weight (and .bias)   (d_model,)                  like ln1; not parallel_layers
    layers.{i}.ffn.w1.weight            (d_ff, d_model)             SwiGLU gate, or GELU/SiLU up
    layers.{i}.ffn.w3.weight            (d_ff, d_model)             SwiGLU up (ffn="swiglu" only)
    layers.{i}.ffn.w2.weight            (d_model, d_ff)             down
    ln_final.weight (and .bias)         (d_model,)                  like ln1
    lm_head.weight                      (vocab_size, d_model)       absent with tie_embeddings

With tie_embeddings the logits reuse `token_embeddings.weight`, so there is no `lm_head` at all.
Parallel blocks have one norm, ln1, read by both branches; post-norm models keep ln_final too.
RoPE's cos/sin tables are buffers outside the state dict, rebuilt from the config.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from course_lib.checks import check_int, check_non_negative, check_type
from course_lib.model.attention import CausalSelfAttention
from course_lib.model.config import ModelConfig
from course_lib.model.kv_cache import KVCache, LayerKVCache
from course_lib.model.layers import Embedding, Linear, build_ffn, build_norm
from course_lib.model.rope import RotaryEmbedding


def tied_logits(h: Tensor, embedding_weight: Tensor) -> Tensor:
    """Logits of hidden states h (..., d_model) against each embedding row (vocab, d_model)."""
    ### BEGIN SOLUTION
    return h @ embedding_weight.T
    ### END SOLUTION


class TransformerBlock(nn.Module):
    """One layer: causal attention and a feed-forward network, each a residual branch with norm."""

    def __init__(self, config: ModelConfig, rope: RotaryEmbedding | None = None) -> None:
        super().__init__()
        self.norm_position, self.parallel_layers = config.norm_position, config.parallel_layers
        self.ln1 = build_norm(config.norm, config.d_model, config.eps)
        self.attn = CausalSelfAttention(
            config.d_model, config.n_heads, rope, config.fused_qkv, config.fast_attention
        )
        if not config.parallel_layers:
            self.ln2 = build_norm(config.norm, config.d_model, config.eps)
        self.ffn = build_ffn(config.ffn, config.d_model, config.d_ff)

    def forward(
        self, x: Tensor, positions: Tensor | None = None, kv_cache: LayerKVCache | None = None
    ) -> Tensor:
        """Pre-norm x + attn(ln1(x)), then + ffn(ln2(x)); post-norm, parallel variants by config."""
        ### BEGIN SOLUTION
        if self.parallel_layers:  # GPT-J / PaLM: both branches read the same input, one norm
            if self.norm_position == "pre":
                h = self.ln1(x)
                return x + self.attn(h, positions, kv_cache) + self.ffn(h)
            return self.ln1(x + self.attn(x, positions, kv_cache) + self.ffn(x))
        if self.norm_position == "pre":
            x = x + self.attn(self.ln1(x), positions, kv_cache)
            return x + self.ffn(self.ln2(x))
        x = self.ln1(x + self.attn(x, positions, kv_cache))  # post-norm, as in Vaswani et al.
        return self.ln2(x + self.ffn(x))
        ### END SOLUTION


class TransformerLM(nn.Module):
    """A decoder-only language model; `forward(ids)` returns next-token logits at every position."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.token_embeddings = Embedding(config.vocab_size, config.d_model)
        rope = None
        if config.positions == "learned":
            self.position_embeddings = Embedding(config.context_length, config.d_model)
        elif config.positions == "rope":  # "none": no position signal but the causal mask
            rope = RotaryEmbedding(config.rope_theta, config.head_dim, config.context_length)
        self.layers = nn.ModuleList(TransformerBlock(config, rope) for _ in range(config.n_layers))
        self.ln_final = build_norm(config.norm, config.d_model, config.eps)
        if not config.tie_embeddings:
            self.lm_head = Linear(config.d_model, config.vocab_size)
        if config.parametrization == "mup":  # module 08: μP's multipliers and head init
            from course_lib.model.mup import apply_mup

            apply_mup(self)

    def forward(
        self, ids: Tensor, positions: Tensor | None = None, kv_cache: KVCache | None = None
    ) -> Tensor:
        """Logits (..., seq, vocab_size) for ids (..., seq); with a cache, ids follow the cached."""
        self._check_inputs(ids, positions, kv_cache)
        if positions is None:
            start = 0 if kv_cache is None else kv_cache.length
            positions = torch.arange(start, start + ids.shape[-1], device=ids.device)
        ### BEGIN SOLUTION
        x = self.token_embeddings(ids)
        if self.config.positions == "learned":
            x = x + self.position_embeddings(positions)
        for i, layer in enumerate(self.layers):
            x = layer(x, positions, None if kv_cache is None else kv_cache[i])
        x = self.ln_final(x)
        if self.config.tie_embeddings:
            return tied_logits(x, self.token_embeddings.weight)
        return self.lm_head(x)
        ### END SOLUTION

    def _check_inputs(
        self, ids: Tensor, positions: Tensor | None, kv_cache: KVCache | None
    ) -> None:
        """Raise a clear ValueError for ids or positions the model cannot take."""
        cfg = self.config
        check_type("ids", ids, Tensor, "a tensor of token ids")
        if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
            raise ValueError(f"token ids must be an integer tensor, got dtype {ids.dtype}")
        if ids.dim() == 0:
            raise ValueError("token ids need a sequence dimension: expected shape (..., seq)")
        start = 0 if kv_cache is None else kv_cache.length
        if kv_cache is not None and math.prod(ids.shape[:-1]) != kv_cache[0].k.shape[0]:
            raise ValueError(
                f"ids of shape {tuple(ids.shape)} do not fit a KV cache made for batch size "
                f"{kv_cache[0].k.shape[0]}: expected ({kv_cache[0].k.shape[0]}, seq); make a new "
                "cache with model.new_kv_cache(batch_size)"
            )
        if start + ids.shape[-1] > cfg.context_length:
            cached = f" after {start} cached tokens" if start else ""
            raise ValueError(
                f"sequence of length {ids.shape[-1]}{cached} is longer than "
                f"context_length {cfg.context_length}"
            )
        out_of_range = (ids < 0) | (ids >= cfg.vocab_size)
        if out_of_range.any():  # one host sync per call
            bad = ids[out_of_range][0].item()
            raise ValueError(f"token id {bad} out of range: expected 0 <= id < {cfg.vocab_size}")
        if positions is not None:
            if kv_cache is not None:
                raise ValueError("positions come from the KV cache: pass positions or kv_cache")
            if positions.shape[-1] != ids.shape[-1]:
                raise ValueError(
                    f"positions {tuple(positions.shape)} do not match ids {tuple(ids.shape)}"
                )
            if positions.numel() and (positions.min() < 0 or positions.max() >= cfg.context_length):
                raise ValueError(
                    f"positions must lie in [0, {cfg.context_length}), got "
                    f"{positions.min().item()}..{positions.max().item()}"
                )

    def new_kv_cache(self, batch_size: int, max_seq_len: int | None = None) -> KVCache:
        """An empty cache for this model on its device and dtype (max_seq_len: context_length)."""
        cfg, weight = self.config, self.token_embeddings.weight
        max_seq_len = cfg.context_length if max_seq_len is None else max_seq_len
        return KVCache(
            cfg.n_layers,
            batch_size,
            cfg.n_heads,
            max_seq_len,
            cfg.head_dim,
            weight.device,
            weight.dtype,
        )

    @torch.no_grad()
    def generate(
        self,
        ids: Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Sample max_new_tokens after ids (batch, seq) with a KV cache; temperature 0 is argmax."""
        check_type("ids", ids, Tensor, "a (batch, seq) tensor of token ids")
        if ids.dim() != 2:
            raise ValueError(f"ids must have shape (batch, seq), got {tuple(ids.shape)}")
        max_new_tokens = check_int("max_new_tokens", max_new_tokens, minimum=0)
        check_non_negative("temperature", temperature)
        if top_k is not None:
            check_int("top_k", top_k, minimum=1)
        if ids.shape[-1] + max_new_tokens > self.config.context_length:
            raise ValueError(
                f"prompt ({ids.shape[-1]}) + max_new_tokens ({max_new_tokens}) is longer than "
                f"context_length {self.config.context_length}"
            )
        cache = self.new_kv_cache(ids.shape[0], ids.shape[-1] + max_new_tokens)
        out, step = [ids], ids
        for _ in range(max_new_tokens):
            logits = self(step, kv_cache=cache)[:, -1].float()
            if temperature == 0:
                step = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
                    logits = logits.masked_fill(logits < kth, float("-inf"))
                probs = torch.softmax(logits, dim=-1)
                step = torch.multinomial(probs, 1, generator=generator)
            out.append(step)
        return torch.cat(out, dim=-1)
