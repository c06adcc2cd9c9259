"""Forward FLOPs of `TransformerLM(config)` by matmul, their shares, and training FLOPs.

Convention: a matmul (m×k)·(k×n) costs 2·m·k·n FLOPs (a multiply and an add per term). Only matmuls
are counted; everything elementwise (norms, RoPE, softmax, masking, SiLU/GELU, residual adds, the
loss) is O(T·d_model) or O(n_heads·T²) and excluded, as is the embedding lookup (no arithmetic).
This is exactly what `torch.utils.flop_counter.FlopCounterMode` counts for the model (the tests check).
Attention scores are counted over the full T×T matrix: the causal mask hides half of it but the
model (and FlopCounterMode) computes all of it.

Per layer, for T tokens: q, k, v and output projections 2·T·d² each; scores Q·Kᵀ 2·T²·d; weighted
values P·V 2·T²·d; SwiGLU w1, w3 (d→d_ff) and w2 (d_ff→d) 2·T·d·d_ff each (GELU: w1 and w2 only).
Once: LM head 2·T·d·vocab.

Backward costs 2× forward (for each matmul, one product for the input's gradient and one for the
weight's), so a training step costs 3× forward: per token, 6·N + 12·n_layers·T·d with N the matmul
weights (`params.matmul_params`); `training_flops_per_token` lives in `course_lib.training.flops`
(module 05 budgets its final model with it) and is tested equal to this module's count.
"""

from __future__ import annotations

from course_lib.accounting.checks import check_config, check_positive, resolve_context
from course_lib.checks import check_int
from course_lib.model.config import ModelConfig
from course_lib.training.flops import training_flops_per_token as training_flops_per_token

# how the per-matmul keys of `forward_flops` add up into the four parts plotted in the notebook
GROUPS = {
    "attention projections": ("attn_q", "attn_k", "attn_v", "attn_out"),
    "attention scores and values": ("attn_scores", "attn_values"),
    "feed-forward": ("ffn_w1", "ffn_w3", "ffn_w2"),
    "lm head": ("lm_head",),
}


def forward_flops(
    config: ModelConfig, context_length: int | None = None, batch_size: int = 1
) -> dict[str, int]:
    """Forward-pass matmul FLOPs by matmul (summed over layers) for batch × context tokens, and 'total'."""
    check_config(config)
    seq = resolve_context(config, context_length)
    check_positive("batch_size", batch_size)
    ### BEGIN SOLUTION
    d, d_ff, n_layers = config.d_model, config.d_ff, config.n_layers
    projection = n_layers * 2 * seq * d * d  # one d×d projection in every layer
    flops = {
        "attn_q": projection,
        "attn_k": projection,
        "attn_v": projection,
        "attn_scores": n_layers * 2 * seq * seq * d,  # every head: (T×d_head)·(d_head×T)
        "attn_values": n_layers * 2 * seq * seq * d,  # every head: (T×T)·(T×d_head)
        "attn_out": projection,
        "ffn_w1": n_layers * 2 * seq * d * d_ff,
        "ffn_w3": n_layers * 2 * seq * d * d_ff if config.ffn == "swiglu" else 0,
        "ffn_w2": n_layers * 2 * seq * d_ff * d,
        "lm_head": 2 * seq * d * config.vocab_size,
    }
    flops = {name: batch_size * value for name, value in flops.items()}
    flops["total"] = sum(flops.values())
    ### END SOLUTION
    return flops


def group_flops(flops: dict[str, int]) -> dict[str, int]:
    """Sum `forward_flops` output into attention projections, scores·values, feed-forward, LM head."""
    return {group: sum(flops[k] for k in keys) for group, keys in GROUPS.items()}


def flop_shares(flops: dict[str, int]) -> dict[str, float]:
    """Each entry's fraction of the total (ignores a 'total' key; the fractions sum to 1)."""
    parts = {k: v for k, v in flops.items() if k != "total"}
    total = sum(parts.values())
    if total <= 0:
        raise ValueError("FLOP counts sum to zero: nothing to take shares of")
    return {k: v / total for k, v in parts.items()}


def training_step_flops(
    config: ModelConfig, batch_size: int, context_length: int | None = None
) -> int:
    """FLOPs of one optimizer step's forward and backward over batch × context tokens (3× forward).

    AdamW's own update (`adamw_step_flops`: a few elementwise FLOPs per parameter) is paid once per
    step, not per token, and left out: next to 6 FLOPs per parameter per token it is negligible.
    """
    return 3 * forward_flops(config, context_length, batch_size)["total"]


def adamw_step_flops(n_params: int, weight_decay: bool = True) -> int:
    """Elementwise FLOPs of one AdamW update of n_params parameters (scalar work not counted)."""
    check_int("n_params", n_params, minimum=1)
    if not isinstance(weight_decay, bool):
        raise TypeError(f"weight_decay must be True or False, got {weight_decay!r}")
    ### BEGIN SOLUTION
    # m ← β1·m + (1 − β1)·g: 2 multiplies, 1 add; v ← β2·v + (1 − β2)·g²: 3 multiplies, 1 add;
    # θ ← θ − α_t·m / (√v + ε): square root, add, divide, multiply, subtract
    per_param = 3 + 4 + 5
    if weight_decay:
        per_param += 2  # θ ← θ − (α·λ)·θ: multiply, subtract
    return per_param * n_params
    ### END SOLUTION
