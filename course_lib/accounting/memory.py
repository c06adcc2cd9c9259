"""Training memory of `TransformerLM(config)` with AdamW, by part, as a·batch + b, and the largest batch.

Parts: parameters, gradients, optimizer state (AdamW keeps two moments, m and v, per parameter) and
activations: the tensors autograd saves in the forward pass for the backward pass, plus the logits the
loss holds. Bytes per parameter and per activation depend on the precision (`PRECISIONS`): "fp32",
"amp_bf16" (torch.autocast in bfloat16 over float32 weights: the trainer's precision of that name),
"mixed_bf16" (bfloat16 weights and gradients, float32 master weights) and "pure_bf16" (the whole
model cast to bfloat16).

Activations are counted tensor by tensor for the course's implementation, and the tests check the
count against the bytes autograd really saves (`measure.training_activation_bytes`): exact for every
model variant in fp32, pure_bf16 and mixed_bf16, and in amp_bf16 on CPU. Per layer and token, in
elements of the activation dtype (d = d_model, f = d_ff, h = n_heads, T = context):

    each norm        RMSNorm: input x, rms, x / rms in float32 (2d + 1) + its output (d);
                     LayerNorm: x - mean twice, std, normalized in float32 (3d + 1) + output (d);
                     none: its input (d), which the next matmul saves. Two norms per layer, one with
                     parallel_layers. Under autocast each matmul saves its own bfloat16 cast of the
                     output instead: 3 (q, k, v; 1 if fused_qkv) for attention, 2 (w1, w3) or 1 for
                     the feed-forward.
    attention        teaching attention: 4d + 3hT + 2h (rotated q and k, a copy of v, the merged
                     heads; scores, exp and probabilities, h×T each; row max and row sum);
                     fast_attention (fused SDPA): 4d (q, k, v, output) + h float32 (logsumexp), with
                     RoPE + d for merging the heads (a copy: the output is laid out like the rotated
                     q) and + 2d more with fused_qkv (v, a view, keeps the whole q|k|v output alive).
    feed-forward     SwiGLU 5f (w1 x, sigmoid, silu, w3 x, product); GELU 4f (x/√2, erf + 1, x/2,
                     gelu)
    per layer, once  teaching attention: the causal mask (T² booleans); RoPE: cos and sin gathered for
                     q and for k (2·T·d_head); bfloat16 weights: each norm's float32 weight copy (d).
Once per token: the final norm, the log-softmax output and the logits (vocab each; log-softmax is
float32 under autocast), token ids and targets (int64); per forward: the position ids (learned
positions) and under autocast the bfloat16 copies of every matmul weight (2 bytes each).

The residual stream has the weights' dtype (float32 under autocast). Activation checkpointing keeps
each segment's input (d per token in that dtype) and recomputes one segment of k layers during
backward: ceil(L/k)·d + k·(one layer) instead of L·(one layer); k = 1 for "blocks", k = ceil(√L) for
"sqrt" (Chen et al. 2016: O(√L) activation memory for one extra forward pass).

The count is exact for two heads or more and batches of two sequences or more of two tokens or more:
with one head, sequence or token some reshapes are views instead of copies and a few saved tensors share storage (the
teaching attention with RoPE and fused_qkv then keeps 2d more per token: v stays a view of the whole
q|k|v projection).

On CUDA, autocast runs exp, sum and softmax in float32, so the teaching attention's h×T² terms are
larger there than this CPU-exact count; with fast_attention the count holds on both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from course_lib.accounting.checks import check_config, check_positive, resolve_context
from course_lib.accounting.params import count_params, param_counts
from course_lib.model.config import ModelConfig

FP32, INT64, BOOL = 4, 8, 1


@dataclass(frozen=True)
class Precision:
    """Bytes per parameter of weights, gradients and optimizer state, and per activation element."""

    weights: int
    gradients: int
    optimizer: int
    activations: int
    autocast: bool
    note: str


PRECISIONS = {
    "fp32": Precision(4, 4, 8, 4, False, "float32 everywhere; AdamW's m and v in float32"),
    "pure_bf16": Precision(
        2, 2, 4, 2, False, "model.to(bfloat16): weights, gradients, m and v in bfloat16"
    ),
    "mixed_bf16": Precision(
        2, 2, 12, 2, False,
        "bfloat16 weights and gradients, float32 master weights, m and v (ZeRO's 16 bytes/param)",
    ),
    "amp_bf16": Precision(
        4, 4, 8, 2, True,
        "torch.autocast(bfloat16): float32 weights, gradients, m and v; bfloat16 matmuls",
    ),
}  # fmt: skip
CHECKPOINTING = ("none", "blocks", "sqrt")


def get_precision(precision: str) -> Precision:
    """The `PRECISIONS` entry named, or a ValueError listing the names."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r}: expected one of {sorted(PRECISIONS)}")
    return PRECISIONS[precision]


def checkpoint_segment(config: ModelConfig, checkpointing: str | int) -> int:
    """Layers per recomputed segment: 'none' → all of them, 'blocks' → 1, 'sqrt' → ceil(√L), or k."""
    n_layers = config.n_layers
    if isinstance(checkpointing, bool) or not isinstance(checkpointing, str | int):
        raise ValueError(
            f"checkpointing={checkpointing!r}: expected one of {CHECKPOINTING} or an int"
        )
    if isinstance(checkpointing, int):
        if not 1 <= checkpointing <= n_layers:
            raise ValueError(
                f"checkpoint segment must be 1..{n_layers} layers, got {checkpointing}"
            )
        return checkpointing
    if checkpointing == "none":
        return n_layers
    if checkpointing == "blocks":
        return 1
    if checkpointing == "sqrt":
        return math.ceil(math.sqrt(n_layers))
    raise ValueError(f"checkpointing={checkpointing!r}: expected one of {CHECKPOINTING} or an int")


def norm_bytes(config: ModelConfig, precision: str = "fp32", consumers: int = 1) -> int:
    """Bytes one norm leaves saved per token: its float32 internals and the output its `consumers`
    (the matmuls that read it) save; under autocast each consumer saves its own bfloat16 cast."""
    p = get_precision(precision)
    check_positive("consumers", consumers)
    d = config.d_model
    internals = {"rms": 2 * d + 1, "layer": 3 * d + 1, "none": 0}[config.norm] * FP32
    return internals + (consumers if p.autocast else 1) * d * p.activations


# tensors of width d_ff that one token's feed-forward saves for backward (hand-written SiLU and
# exact GELU as in course_lib.model.layers; checked against autograd in the tests)
FFN_SAVED_PER_DIM = {"swiglu": 5, "gelu": 4, "silu": 3}


def layer_activation_bytes(
    config: ModelConfig, context_length: int | None = None, precision: str = "fp32"
) -> dict[str, int]:
    """Bytes one layer saves for backward for one sequence: norms, attention, feed-forward; and the
    batch-independent 'constants' (causal mask, RoPE tables, float32 norm weights)."""
    check_config(config)
    seq = resolve_context(config, context_length)
    p = get_precision(precision)
    ### BEGIN SOLUTION
    act = p.activations
    d, f, h = config.d_model, config.d_ff, config.n_heads
    attn_casts = 1 if config.fused_qkv else 3  # matmuls reading the attention norm's output
    ffn_casts = 2 if config.ffn == "swiglu" else 1  # w1 and w3, or w1 alone
    if config.parallel_layers:
        norms = norm_bytes(config, precision, attn_casts + ffn_casts)
    else:
        norms = norm_bytes(config, precision, attn_casts) + norm_bytes(config, precision, ffn_casts)
    if config.fast_attention:
        attn = 4 * d * act + h * FP32  # q, k, v, output; logsumexp per head
        if config.positions == "rope":
            attn += (3 * d if config.fused_qkv else d) * act
    else:
        attn = (4 * d + 3 * h * seq + 2 * h) * act
    ffn = FFN_SAVED_PER_DIM[config.ffn] * f * act
    constants = 0 if config.fast_attention else seq * seq * BOOL  # the causal mask
    if config.positions == "rope":
        constants += 2 * seq * config.head_dim * act  # cos and sin, gathered for q and for k
    if config.norm != "none" and p.weights < FP32:
        constants += (1 if config.parallel_layers else 2) * d * FP32  # float32 norm weights
    if p.autocast:  # bfloat16 copies of the layer's matmul weights
        c = param_counts(config)
        constants += (c["attention"] + c["ffn"]) // config.n_layers * act
    ### END SOLUTION
    return {
        "norms": seq * norms,
        "attention": seq * attn,
        "ffn": seq * ffn,
        "constants": constants,
    }


def activation_bytes(
    config: ModelConfig,
    batch_size: int,
    context_length: int | None = None,
    precision: str = "fp32",
    checkpointing: str | int = "none",
) -> dict[str, int]:
    """Activation memory of one training step by part, for a batch of sequences, and its 'total'."""
    check_positive("batch_size", batch_size)
    seq = resolve_context(config, context_length)
    p = get_precision(precision)
    act, d, vocab = p.activations, config.d_model, config.vocab_size
    layer = layer_activation_bytes(config, seq, precision)
    one_layer = layer["norms"] + layer["attention"] + layer["ffn"]
    k = checkpoint_segment(config, checkpointing)
    n_layers = config.n_layers
    if k == n_layers:
        blocks = batch_size * n_layers * one_layer
    else:
        kept = math.ceil(n_layers / k) * seq * d * p.weights  # each segment's input
        blocks = batch_size * (kept + k * one_layer)
    constants = min(k, n_layers) * layer["constants"]
    if config.positions == "learned":
        constants += seq * INT64
    if config.norm != "none" and p.weights < FP32:
        constants += d * FP32  # the final norm's float32 weight
    if p.autocast:
        constants += vocab * d * act  # the LM head's (or tied embedding's) bfloat16 copy
    out = {
        "blocks": blocks,
        "final_norm": batch_size * seq * norm_bytes(config, precision),
        "log_softmax": batch_size * seq * vocab * (FP32 if p.autocast else act),
        "logits": batch_size * seq * vocab * act,
        "token_ids": batch_size * seq * 2 * INT64,  # inputs and targets
        "loss": FP32 if p.autocast else act,  # cross-entropy's total weight, a scalar
        "constants": constants,
    }
    out["total"] = sum(out.values())
    return out


def adamw_memory(
    config: ModelConfig,
    batch_size: int,
    context_length: int | None = None,
    precision: str = "fp32",
    checkpointing: str | int = "none",
) -> dict[str, int]:
    """Training memory with AdamW in bytes: parameters, gradients, optimizer state, activations."""
    check_config(config)
    ### BEGIN SOLUTION
    p = get_precision(precision)
    n_params = count_params(config)
    parts = {
        "parameters": n_params * p.weights,
        "gradients": n_params * p.gradients,
        "optimizer_state": n_params * p.optimizer,  # m, v (and float32 master weights if mixed)
        "activations": activation_bytes(
            config, batch_size, context_length, precision, checkpointing
        )["total"],
    }
    parts["total"] = sum(parts.values())
    ### END SOLUTION
    return parts


def memory_linear_form(
    config: ModelConfig,
    context_length: int | None = None,
    precision: str = "fp32",
    checkpointing: str | int = "none",
) -> tuple[int, int]:
    """(a, b) with training memory = a·batch_size + b bytes: a the bytes each sequence adds, b the
    bytes that do not depend on the batch."""
    check_config(config)
    ### BEGIN SOLUTION
    p = get_precision(precision)
    acts = activation_bytes(config, 1, context_length, precision, checkpointing)
    fixed = acts["constants"] + acts["loss"]  # the loss's total weight is one scalar per batch
    a = acts["total"] - fixed
    b = count_params(config) * (p.weights + p.gradients + p.optimizer) + fixed
    ### END SOLUTION
    return a, b


def max_batch_size(
    config: ModelConfig,
    memory_bytes: float = 80e9,
    context_length: int | None = None,
    precision: str = "fp32",
    checkpointing: str | int = "none",
) -> int:
    """Largest batch whose training memory fits in `memory_bytes` (80 GB = 80e9); 0 if none fits."""
    check_positive("memory_bytes", memory_bytes)
    ### BEGIN SOLUTION
    a, b = memory_linear_form(config, context_length, precision, checkpointing)
    return max(0, math.floor((memory_bytes - b) / a))
    ### END SOLUTION
