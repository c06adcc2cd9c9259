"""μP (Yang et al. 2021, "Tensor Programs V") for the reference model: what changes in the forward
pass and at init when `ModelConfig(parametrization="mup")`; module 08 adds the learning rates.

Widths are measured against `mup_base_d_model`, where μP equals the standard parametrization:
width_mult = d_model / mup_base_d_model. Hidden matrices keep their init (variance ∝ 1/fan_in
already); the logits are multiplied by 1/width_mult and the LM head's initial weights by
sqrt(width_mult), as `mup.MuReadout` with `set_base_shapes` does; attention scores are divided by
head_dim instead of sqrt(head_dim) (scaled to match at the base width) by multiplying the queries
by sqrt(base_head_dim / head_dim), which q·k / sqrt(head_dim) turns into q·k·sqrt(base_head_dim)
/ head_dim. The state dict keeps its keys: multipliers are buffers outside it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from course_lib.model.config import ModelConfig
from course_lib.model.layers import Linear

if TYPE_CHECKING:
    from course_lib.model.transformer import TransformerLM


class ScaledLinear(Linear):
    """A Linear whose outputs are multiplied by a fixed factor (one, or one per output feature)."""

    def __init__(self, linear: Linear, multiplier: float | Tensor) -> None:
        nn.Module.__init__(self)  # reuse `linear`'s weight: no new draw from the random generator
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight = linear.weight
        mult = torch.as_tensor(multiplier, dtype=torch.float32, device=linear.weight.device)
        if mult.dim() > 1 or (mult.dim() == 1 and mult.numel() != self.out_features):
            raise ValueError(
                f"multiplier must be a number or one per output feature ({self.out_features}), "
                f"got shape {tuple(mult.shape)}"
            )
        self.register_buffer("multiplier", mult, persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        """x Wᵀ times the multiplier, in the output's dtype."""
        out = super().forward(x)
        return out * self.multiplier.to(out.dtype)


def mup_width_mult(config: ModelConfig) -> float:
    """d_model / mup_base_d_model: how many times wider than the base the model is."""
    if config.parametrization != "mup":
        raise ValueError(f"the config's parametrization is {config.parametrization!r}, not 'mup'")
    return config.d_model / config.mup_base_d_model


def query_multiplier(config: ModelConfig) -> float:
    """sqrt(base_head_dim / head_dim): turns 1/sqrt(head_dim) attention into ∝ 1/head_dim."""
    base_head_dim = config.mup_base_d_model // config.n_heads
    return math.sqrt(base_head_dim / config.head_dim)


def apply_mup(model: TransformerLM) -> TransformerLM:
    """Turn a freshly built standard model into its μP version in place (multipliers, head init)."""
    config = model.config
    width_mult = mup_width_mult(config)
    q_mult = query_multiplier(config)
    for block in model.layers:
        attn = block.attn
        if attn.fused_qkv:  # rows [q; k; v]: only the queries are scaled
            mult = torch.ones(3 * config.d_model)
            mult[: config.d_model] = q_mult
            attn.qkv_proj = ScaledLinear(attn.qkv_proj, mult)
        else:
            attn.q_proj = ScaledLinear(attn.q_proj, q_mult)
    with torch.no_grad():
        model.lm_head.weight.mul_(width_mult**0.5)
    model.lm_head = ScaledLinear(model.lm_head, 1 / width_mult)
    return model
