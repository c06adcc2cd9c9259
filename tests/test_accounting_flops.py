"""Module 06 FLOP counts against `torch.utils.flop_counter.FlopCounterMode` on the built model.

FlopCounterMode counts matmuls (mm, bmm, addmm, ...) at 2·m·k·n, exactly our convention; the
elementwise work (norms, RoPE, softmax, masking, activations, the loss) is neither in its count nor in
ours. So the comparisons below are equalities, tolerance 0. Not covered: fast_attention on CPU, whose
fused kernel FlopCounterMode does not count (it reports 0 for it), so these tests use the teaching
attention.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from course_lib.accounting.flops import (
    adamw_step_flops,
    flop_shares,
    forward_flops,
    group_flops,
    training_flops_per_token,
    training_step_flops,
)
from course_lib.accounting.params import matmul_params
from course_lib.accounting.presets import gpt2_config
from course_lib.model import ModelConfig, TransformerLM

SMALL = dict(vocab_size=211, context_length=40, d_model=64, n_layers=2, n_heads=4)
VARIANTS = [
    {},
    {"ffn": "gelu"},
    {"ffn": "silu", "positions": "none"},
    {"positions": "learned", "norm": "layer", "tie_embeddings": True},
    {"fused_qkv": True, "parallel_layers": True},
    {"norm_position": "post", "norm": "none", "d_ff": 96},
]

# which forward_flops key each module's matmuls belong to (module names: transformer.py docstring)
MODULE_KEYS = {
    "q_proj": ("attn_q",),
    "k_proj": ("attn_k",),
    "v_proj": ("attn_v",),
    "qkv_proj": ("attn_q", "attn_k", "attn_v"),
    "output_proj": ("attn_out",),
    "w1": ("ffn_w1",),
    "w3": ("ffn_w3",),
    "w2": ("ffn_w2",),
    "lm_head": ("lm_head",),
}


def count(fn) -> tuple[object, FlopCounterMode]:
    with FlopCounterMode(display=False) as counter:
        out = fn()
    return out, counter


def leaf_module_flops(counter: FlopCounterMode) -> dict[str, int]:
    """FLOPs per forward_flops key from the counter's per-module table."""
    out: dict[str, int] = {}
    for module, ops in counter.get_flop_counts().items():
        leaf = module.split(".")[-1]
        if leaf in MODULE_KEYS:
            keys = MODULE_KEYS[leaf]
            for key in keys:
                out[key] = out.get(key, 0) + sum(ops.values()) // len(keys)
    return out


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(v) or "default")
def test_forward_flops_equal_flop_counter_by_matmul(variant):
    torch.manual_seed(0)
    config = ModelConfig(**SMALL, **variant)
    model = TransformerLM(config)
    batch, seq = 3, 40
    ids = torch.randint(0, config.vocab_size, (batch, seq))
    logits, counter = count(lambda: model(ids))
    ours = forward_flops(config, seq, batch)
    assert counter.get_total_flops() == ours["total"]
    measured = leaf_module_flops(counter)
    if config.tie_embeddings:  # tied logits: the one matmul outside the blocks, in no submodule
        counts = counter.get_flop_counts()
        blocks = sum(sum(counts[f"TransformerLM.layers.{i}"].values()) for i in range(2))
        measured["lm_head"] = sum(counts["TransformerLM"].values()) - blocks
    for key in {k for keys in MODULE_KEYS.values() for k in keys}:
        assert measured.get(key, 0) == ours[key], key
    # what is left is attention's two T×T products, the only bmm calls
    global_ops = counter.get_flop_counts()["Global"]
    bmm = sum(n for op, n in global_ops.items() if "bmm" in str(op))
    assert bmm == ours["attn_scores"] + ours["attn_values"]

    loss = F.cross_entropy(logits.flatten(0, 1), ids.flatten())
    _, backward = count(loss.backward)
    assert backward.get_total_flops() == 2 * ours["total"]


@pytest.mark.parametrize("size, seq", [("small", 1024), ("xl", 16_384)])
def test_gpt2_forward_flops_equal_flop_counter_on_meta_tensors(size, seq):
    config = gpt2_config(size, context_length=seq)
    with torch.device("meta"):  # shapes only: FlopCounterMode needs no real arithmetic
        model = TransformerLM(config)
        ids = torch.zeros(1, seq, dtype=torch.long)
    model._check_inputs = lambda *args: None  # its id range check would read meta values
    _, counter = count(lambda: model(ids))
    assert counter.get_total_flops() == forward_flops(config)["total"]


# GPT-2 XL, course style (SwiGLU, d_ff = 6400), one sequence of T = 1024 tokens, by hand:
#   q, k, v, o projections  48 · 4 · 2·1024·1600²      = 1,006,632,960,000
#   scores and values       48 · 2 · 2·1024²·1600      =   322,122,547,200
#   SwiGLU w1, w3, w2       48 · 3 · 2·1024·1600·6400  = 3,019,898,880,000
#   LM head                 2·1024·1600·50257          =   164,682,137,600
#   total                                              = 4,513,336,524,800  (4.51 TFLOPs)
# (Seed 001's 3.5 TFLOPs counts GPT-2's two MLP matrices, not SwiGLU's three, and uses 1028 for T.)
XL_1024 = {
    "attention projections": 1_006_632_960_000,
    "attention scores and values": 322_122_547_200,
    "feed-forward": 3_019_898_880_000,
    "lm head": 164_682_137_600,
}
# At T = 16,384 the projections, FFN and head grow 16×, scores and values 256×:
#   16,106,127,360,000 + 82,463,372,083,200 + 48,318,382,080,000 + 2,634,914,201,600
#   = 149,522,795,724,800 (150 TFLOPs)
XL_16K_TOTAL = 149_522_795_724_800


def test_gpt2_xl_flops_match_the_hand_table():
    flops = forward_flops(gpt2_config("xl"))
    assert group_flops(flops) == XL_1024
    assert flops["total"] == sum(XL_1024.values()) == 4_513_336_524_800
    shares = flop_shares(group_flops(flops))
    assert shares["feed-forward"] == pytest.approx(0.6691, abs=1e-4)
    assert shares["attention projections"] == pytest.approx(0.2230, abs=1e-4)
    assert shares["attention scores and values"] == pytest.approx(0.0714, abs=1e-4)
    assert shares["lm head"] == pytest.approx(0.0365, abs=1e-4)
    long = forward_flops(gpt2_config("xl"), context_length=16_384)
    assert long["total"] == XL_16K_TOTAL
    assert flop_shares(group_flops(long))["attention scores and values"] == pytest.approx(
        0.5515, abs=1e-4
    )


def test_shares_shift_with_model_size():
    shares = {s: flop_shares(group_flops(forward_flops(gpt2_config(s)))) for s in ("small", "xl")}
    # the d² terms (projections, FFN) grow faster with width than the T²·d and V·d terms
    assert shares["xl"]["feed-forward"] > shares["small"]["feed-forward"]
    assert shares["xl"]["lm head"] < shares["small"]["lm head"]
    assert (
        shares["xl"]["attention scores and values"] < shares["small"]["attention scores and values"]
    )
    assert sum(shares["small"].values()) == pytest.approx(1.0)


def test_training_flops_are_three_forwards_and_six_n_plus_attention():
    config = gpt2_config("medium")
    seq, forward = 1024, forward_flops(gpt2_config("medium"))["total"]
    assert training_step_flops(config, 8) == 3 * 8 * forward
    per_token = training_flops_per_token(config)
    assert per_token == 3 * forward / seq
    assert per_token == 6 * matmul_params(config) + 12 * config.n_layers * seq * config.d_model


def test_flop_errors_are_clear():
    learned = ModelConfig(**SMALL, positions="learned")
    with pytest.raises(ValueError, match="longer than the learned position table"):
        forward_flops(learned, context_length=41)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        forward_flops(learned, batch_size=0)
    with pytest.raises(ValueError, match="context_length must be positive"):
        forward_flops(learned, context_length=0)
    with pytest.raises(ValueError, match="sum to zero"):
        flop_shares({"a": 0, "total": 0})


class _CountElementwise(TorchDispatchMode):
    """One FLOP per output element of every arithmetic aten operation run inside it."""

    ARITHMETIC = {"add", "sub", "rsub", "mul", "div", "sqrt", "addcmul", "addcdiv", "lerp"}

    def __init__(self) -> None:
        super().__init__()
        self.ops: dict[str, int] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
        out = func(*args, **(kwargs or {}))
        name = func.overloadpacket.__name__.rstrip("_")
        if name in self.ARITHMETIC:
            self.ops[name] = self.ops.get(name, 0) + out.numel()
        return out


def _cs336_update(p, g, m, v, step, lr, betas, eps, weight_decay):  # noqa: ANN001, ANN202
    """AdamW as CS336's Algorithm 1 writes it, one torch operation per arithmetic operation."""
    beta1, beta2 = betas
    if weight_decay:
        p = p - (lr * weight_decay) * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * (g * g)
    alpha_t = lr * math.sqrt(1 - beta2**step) / (1 - beta1**step)
    return p - alpha_t * m / (v.sqrt() + eps), m, v


@pytest.mark.parametrize("weight_decay", [0.1, 0.0])
def test_adamw_step_flops_count_the_update_that_torch_runs(weight_decay):
    # the oracle: the update written op by op, checked against torch.optim.AdamW over three steps
    # (rtol 1e-5: torch puts eps after the bias correction of sqrt(v), CS336 before), and its
    # elementwise operations counted as they run
    torch.manual_seed(0)
    shapes = [(7, 5), (5,), (3, 4, 2)]
    params = [torch.nn.Parameter(torch.randn(s)) for s in shapes]
    state = [(p.detach().clone(), torch.zeros(s), torch.zeros(s)) for p, s in zip(params, shapes)]
    adamw = torch.optim.AdamW(params, lr=1e-2, betas=(0.9, 0.95), weight_decay=weight_decay)
    n = sum(p.numel() for p in params)
    for step in (1, 2, 3):
        grads = [torch.randn(s) for s in shapes]
        for p, g in zip(params, grads):
            p.grad = g
        adamw.step()
        with _CountElementwise() as counter:
            state = [
                _cs336_update(p, g, m, v, step, 1e-2, (0.9, 0.95), 1e-8, weight_decay)
                for (p, m, v), g in zip(state, grads)
            ]
        for (mine, _, _), theirs in zip(state, params):
            torch.testing.assert_close(mine, theirs.detach(), rtol=1e-5, atol=1e-6)
        assert adamw_step_flops(n, weight_decay=weight_decay > 0) == sum(counter.ops.values())
    assert adamw_step_flops(n) == 14 * n and adamw_step_flops(n, weight_decay=False) == 12 * n


def test_adamw_step_flops_are_negligible_next_to_a_step():
    config = gpt2_config("xl")
    step = training_step_flops(config, 1)  # one sequence of 1,024 tokens
    # 14 FLOPs per parameter against at least 6 per parameter per token: below 14 / 6,144 = 0.23 %
    assert adamw_step_flops(matmul_params(config)) < 14 / (6 * 1_024) * step


def test_adamw_step_flops_errors():
    with pytest.raises(TypeError, match="n_params must be an integer, got float"):
        adamw_step_flops(1e9)
    with pytest.raises(ValueError, match="n_params must be positive, got 0"):
        adamw_step_flops(0)
    with pytest.raises(TypeError, match="weight_decay must be True or False, got 0.1"):
        adamw_step_flops(10, weight_decay=0.1)
