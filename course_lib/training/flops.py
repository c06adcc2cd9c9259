"""Training FLOPs per token, counted from the model a config builds (module 06 derives the rule).

A training step costs three forward passes' worth of matmuls (the backward pass two: one product
for each matmul's input gradient and one for its weight's). Forward, every weight that multiplies
activations costs 2 FLOPs per token, and attention's two T×T products 4·T·d_model per layer and
token, so a token costs 6·N + 12·n_layers·T·d_model with N the matmul weights.
"""

from __future__ import annotations

import torch

from course_lib.model.config import ModelConfig
from course_lib.model.layers import Linear
from course_lib.model.transformer import TransformerLM


def matmul_weights(config: ModelConfig) -> int:
    """Weights that multiply activations: every Linear of the model, and the tied embedding as head."""
    with torch.device("meta"):  # shapes only: no memory, no initialisation cost
        model = TransformerLM(config)
    n = sum(m.weight.numel() for m in model.modules() if isinstance(m, Linear))
    return n + (config.vocab_size * config.d_model if config.tie_embeddings else 0)


def training_flops_per_token(config: ModelConfig, context_length: int | None = None) -> float:
    """Training FLOPs per token at this context: 6·N + 12·n_layers·T·d_model (N: matmul weights)."""
    seq = config.context_length if context_length is None else context_length
    if not isinstance(seq, int) or not 0 < seq <= config.context_length:
        raise ValueError(
            f"context_length must be an int in 1..{config.context_length} (the model's), got {seq!r}"
        )
    return 6 * matmul_weights(config) + 12 * config.n_layers * seq * config.d_model
