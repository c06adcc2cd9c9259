"""GPT-2 small, medium, large and XL as ModelConfigs, in the course's architecture or GPT-2's own.

The sizes (layers, d_model, heads) are those of Radford et al. (2019), vocab 50,257, context 1,024.
The feed-forward width is d_ff = 4·d_model in both styles (6,400 for XL, as in the CS336 table that
seed 001 answers); what differs is the rest of the architecture:

- style="course" (default): the model built in module 04 — pre-norm RMSNorm, SwiGLU (three d_model×d_ff
  matrices, so 1.5× GPT-2's MLP parameters at the same d_ff), RoPE, untied LM head. GPT-2 XL shape in
  this style has 2,127,057,600 parameters.
- style="gpt2": as close to the released GPT-2 as `TransformerLM` goes — LayerNorm (weight and bias),
  GELU MLP with two matrices, learned positions, LM head tied to the token embeddings. The only
  difference from the released checkpoints is that our Linear layers have no bias, 9·d_model per layer
  (GPT-2 XL: 1,556,920,000 here vs 1,557,611,200 released; 48 × 9 × 1600 = 691,200 apart).
"""

from __future__ import annotations

from typing import Any

from course_lib.model.config import ModelConfig

GPT2_VOCAB_SIZE = 50_257
GPT2_CONTEXT_LENGTH = 1_024
# name: (n_layers, d_model, n_heads)
GPT2_SIZES: dict[str, tuple[int, int, int]] = {
    "small": (12, 768, 12),
    "medium": (24, 1024, 16),
    "large": (36, 1280, 20),
    "xl": (48, 1600, 25),
}
STYLES = ("course", "gpt2")


def gpt2_config(size: str, style: str = "course", **overrides: Any) -> ModelConfig:
    """A GPT-2-sized ModelConfig ('small', 'medium', 'large', 'xl'); keyword overrides win."""
    key = size.lower().replace("gpt2-", "").replace("gpt2_", "").strip()
    if key not in GPT2_SIZES:
        raise ValueError(f"unknown GPT-2 size {size!r}: expected one of {sorted(GPT2_SIZES)}")
    if style not in STYLES:
        raise ValueError(f"style={style!r}: expected one of {STYLES}")
    n_layers, d_model, n_heads = GPT2_SIZES[key]
    fields: dict[str, Any] = {
        "vocab_size": GPT2_VOCAB_SIZE,
        "context_length": GPT2_CONTEXT_LENGTH,
        "d_model": d_model,
        "n_layers": n_layers,
        "n_heads": n_heads,
        "d_ff": 4 * d_model,
    }
    if style == "gpt2":
        fields.update(norm="layer", ffn="gelu", positions="learned", tie_embeddings=True)
    fields.update(overrides)
    return ModelConfig(**fields)
