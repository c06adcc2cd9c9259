"""Module 04: the Transformer language model, layer by layer.

Parameter names are listed once, in `course_lib.model.transformer`'s docstring.
"""

from course_lib.model.attention import CausalSelfAttention, scaled_dot_product_attention, softmax
from course_lib.model.config import ModelConfig
from course_lib.model.kv_cache import KVCache, LayerKVCache
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
from course_lib.model.rope import RotaryEmbedding, apply_rope
from course_lib.model.transformer import TransformerBlock, TransformerLM, tied_logits

__all__ = [
    "GELUMLP",
    "CausalSelfAttention",
    "Embedding",
    "KVCache",
    "LayerKVCache",
    "LayerNorm",
    "Linear",
    "ModelConfig",
    "RMSNorm",
    "RotaryEmbedding",
    "SiLUMLP",
    "SwiGLU",
    "TransformerBlock",
    "TransformerLM",
    "apply_rope",
    "build_ffn",
    "build_norm",
    "gelu",
    "scaled_dot_product_attention",
    "silu",
    "softmax",
    "tied_logits",
]
