"""Module 06 parameter counts against `sum(p.numel())` of the built `TransformerLM`, per component and
for every model variant, and the GPT-2 sizes against a table derived by hand below."""

from __future__ import annotations

import itertools

import pytest
import torch

from course_lib.accounting.params import (
    count_params,
    matmul_params,
    param_counts,
)
from course_lib.accounting.presets import GPT2_SIZES, gpt2_config
from course_lib.model import ModelConfig, TransformerLM

VARIANTS = list(
    itertools.product(
        ("rms", "layer", "none"),  # norm
        ("swiglu", "gelu", "silu"),  # ffn
        ("rope", "learned", "none"),  # positions
        (False, True),  # parallel_layers
        (False, True),  # tie_embeddings
        (False, True),  # fused_qkv
        ("pre", "post"),  # norm_position
    )
)


def build_on_meta(config: ModelConfig) -> TransformerLM:
    """The model with shapes only (no memory, no init cost), enough to count parameters."""
    with torch.device("meta"):
        return TransformerLM(config)


def component_of(name: str) -> str:
    """Which `param_counts` key a state-dict name belongs to (names: transformer.py docstring)."""
    if name.startswith("token_embeddings."):
        return "token_embeddings"
    if name.startswith("position_embeddings."):
        return "position_embeddings"
    if name.startswith("lm_head."):
        return "lm_head"
    if name.startswith("ln_final."):
        return "final_norm"
    if ".attn." in name:
        return "attention"
    if ".ffn." in name:
        return "ffn"
    if ".ln1." in name or ".ln2." in name:
        return "norms"
    raise AssertionError(f"unexpected parameter {name}")


@pytest.mark.parametrize(
    "norm, ffn, positions, parallel, tie, fused, norm_position",
    VARIANTS,
)
def test_param_counts_equal_the_built_model_by_component(
    norm, ffn, positions, parallel, tie, fused, norm_position
):
    config = ModelConfig(
        vocab_size=97,
        context_length=24,
        d_model=48,
        n_layers=3,
        n_heads=4,
        d_ff=80,
        norm=norm,
        ffn=ffn,
        positions=positions,
        parallel_layers=parallel,
        tie_embeddings=tie,
        fused_qkv=fused,
        norm_position=norm_position,
    )
    model = build_on_meta(config)
    measured = dict.fromkeys(param_counts(config), 0)
    for name, p in model.named_parameters():
        measured[component_of(name)] += p.numel()
    measured["total"] = sum(p.numel() for p in model.parameters())
    assert param_counts(config) == measured


def test_default_d_ff_counts_on_a_real_model():
    config = ModelConfig(vocab_size=300, d_model=96, n_layers=2, n_heads=4)  # SwiGLU d_ff 256
    model = TransformerLM(config)
    assert count_params(config) == sum(p.numel() for p in model.parameters())


# GPT-2 sizes, vocab V = 50,257, context 1,024, d_ff = 4d.
# Course style (RMSNorm, SwiGLU, RoPE, untied), per layer 4d² + 3·d·4d + 2d = 16d² + 2d, plus
# embeddings and LM head 2·V·d and the final norm d:
#   XL (L=48, d=1600): 48·(16·1600² + 3200) = 1,966,233,600; 2·50257·1600 = 160,822,400; + 1,600
#                      = 2,127,057,600
#   small (12, 768):  12·(16·768² + 1536) = 113,264,640 + 77,194,752 + 768 = 190,460,160
# GPT-2 style (LayerNorm with bias, GELU, learned positions, tied), per layer 12d² + 4d, plus V·d,
# 1024·d and the final LayerNorm 2d:
#   XL: 48·(12·1600² + 6400) = 1,474,867,200 + 80,411,200 + 1,638,400 + 3,200 = 1,556,920,000
#   small: 12·(12·768² + 3072) = 84,971,520 + 38,597,376 + 786,432 + 1,536 = 124,356,864
# The released GPT-2 checkpoints add Linear biases, 9d per layer (3d q|k|v, d attention output, 4d
# up, d down): small 124,356,864 + 12·9·768 = 124,439,808 and XL 1,556,920,000 + 48·9·1600 =
# 1,557,611,200, the counts of the published checkpoints.
HAND_COUNTS = {
    ("course", "small"): 190_460_160,
    ("course", "xl"): 2_127_057_600,
    ("gpt2", "small"): 124_356_864,
    ("gpt2", "xl"): 1_556_920_000,
}
RELEASED_GPT2 = {"small": 124_439_808, "xl": 1_557_611_200}


@pytest.mark.parametrize("style, size", sorted(HAND_COUNTS))
def test_gpt2_counts_match_the_hand_derivation(style, size):
    config = gpt2_config(size, style=style)
    assert count_params(config) == HAND_COUNTS[style, size]
    if style == "gpt2":
        n_layers, d_model, _ = GPT2_SIZES[size]
        assert count_params(config) + n_layers * 9 * d_model == RELEASED_GPT2[size]


@pytest.mark.parametrize("style", ["course", "gpt2"])
@pytest.mark.parametrize("size", sorted(GPT2_SIZES))
def test_gpt2_presets_equal_the_built_model(style, size):
    config = gpt2_config(size, style=style)
    model = build_on_meta(config)
    assert count_params(config) == sum(p.numel() for p in model.parameters())


def test_matmul_params():
    config = gpt2_config("small")
    c = param_counts(config)
    # every Linear weight, and the LM head (tied or not) multiplies activations
    assert matmul_params(config) == c["attention"] + c["ffn"] + c["lm_head"]
    tied = gpt2_config("small", tie_embeddings=True)
    assert matmul_params(tied) == matmul_params(config)


def test_presets_take_overrides_and_reject_unknown_names():
    assert gpt2_config("XL", context_length=16_384).context_length == 16_384
    assert gpt2_config("gpt2-medium").n_layers == 24
    with pytest.raises(ValueError, match="unknown GPT-2 size 'huge'"):
        gpt2_config("huge")
    with pytest.raises(ValueError, match="style='llama'"):
        gpt2_config("small", style="llama")


def test_inconsistent_configs_raise_clear_errors():
    config = ModelConfig(d_model=64, n_heads=4)
    config.d_model = 66  # edited after construction: no longer divisible by n_heads
    with pytest.raises(ValueError, match="divisible by n_heads"):
        count_params(config)
    bad_ff = ModelConfig(d_model=64, n_heads=4)
    bad_ff.d_ff = 0  # edited after construction, which rejects it
    with pytest.raises(ValueError, match="d_ff must be positive"):
        count_params(bad_ff)
    with pytest.raises(TypeError, match="expected a ModelConfig"):
        count_params({"d_model": 64})
