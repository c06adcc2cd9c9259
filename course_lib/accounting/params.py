"""Parameter count of `TransformerLM(config)` by component, equal to `sum(p.numel())` of the built model.

Per block: attention 4·d_model² (q, k, v and output projections, fused or not, no biases), feed-forward
3·d_model·d_ff (SwiGLU w1, w3, w2) or 2·d_model·d_ff (GELU w1, w2), and one norm per sublayer (one
per block with parallel layers): d_model for RMSNorm (weight), 2·d_model for LayerNorm (weight and
bias), 0 for none. Outside the blocks: token embeddings vocab·d_model, learned positions
context_length·d_model (RoPE has none), the final norm, and the LM head vocab·d_model unless tied.
"""

from __future__ import annotations

from course_lib.accounting.checks import check_config
from course_lib.model.config import ModelConfig

NORM_PARAMS_PER_DIM = {"rms": 1, "layer": 2, "none": 0}
FFN_MATRICES = {"swiglu": 3, "gelu": 2, "silu": 2}


def param_counts(config: ModelConfig) -> dict[str, int]:
    """Trainable parameters by component (summed over layers) and their 'total'."""
    check_config(config)
    ### BEGIN SOLUTION
    d, n_layers, vocab = config.d_model, config.n_layers, config.vocab_size
    norm = NORM_PARAMS_PER_DIM[config.norm] * d
    norms_per_layer = 1 if config.parallel_layers else 2
    counts = {
        "token_embeddings": vocab * d,
        "position_embeddings": config.context_length * d if config.positions == "learned" else 0,
        "attention": n_layers * 4 * d * d,
        "ffn": n_layers * FFN_MATRICES[config.ffn] * d * config.d_ff,
        "norms": n_layers * norms_per_layer * norm,
        "final_norm": norm,
        "lm_head": 0 if config.tie_embeddings else vocab * d,
    }
    counts["total"] = sum(counts.values())
    ### END SOLUTION
    return counts


def count_params(config: ModelConfig) -> int:
    """Total trainable parameters of the model a config builds."""
    return param_counts(config)["total"]


def matmul_params(config: ModelConfig) -> int:
    """Weights that multiply activations in a forward pass: blocks' matrices and the LM head (tied too).

    A forward pass over T tokens costs exactly 2·matmul_params·T FLOPs outside attention's two
    T×T products, which is where "2N per token" comes from.
    """
    c = param_counts(config)
    return c["attention"] + c["ffn"] + config.vocab_size * config.d_model
