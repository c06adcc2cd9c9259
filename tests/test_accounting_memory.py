"""Module 06 memory accounting against measurements on CPU.

Activations: the formula in `accounting.memory` against the bytes autograd saves for backward (a
saved-tensors hook summing distinct storages, parameters excluded) plus the logits: exact, tolerance 0,
for every variant tried in float32, bfloat16 and CPU autocast. Peak: a training step's peak measured
from the profiler's allocation events, against parameters + gradients + AdamW state + activations:
within 15% without checkpointing (the sum ignores that gradients and activations peak at different
times, and the logits' gradient at the start of backward; measured 0.96 and 1.09 of the prediction
for the two configs below), within 20% with it (measured 0.86-0.94).
"""

from __future__ import annotations

import contextlib
import math

import pytest
import torch

from course_lib.accounting.measure import (
    checkpointed_layers,
    measure_training_memory,
    optimizer_state_bytes,
    peak_memory,
    tensor_bytes,
    training_activation_bytes,
)
from course_lib.accounting.memory import (
    PRECISIONS,
    activation_bytes,
    adamw_memory,
    checkpoint_segment,
    max_batch_size,
    memory_linear_form,
    norm_bytes,
)
from course_lib.accounting.params import count_params
from course_lib.accounting.presets import gpt2_config
from course_lib.model import ModelConfig, TransformerLM

SMALL = dict(vocab_size=300, context_length=32, d_model=64, n_layers=2, n_heads=4)
VARIANTS = [
    {},
    {"ffn": "gelu"},
    {"ffn": "silu", "positions": "none"},
    {"fast_attention": True, "ffn": "silu", "positions": "none"},
    {"norm": "layer"},
    {"norm": "none", "norm_position": "post"},
    {"positions": "learned", "tie_embeddings": True},
    {"fast_attention": True},
    {"fast_attention": True, "fused_qkv": True},
    {"fast_attention": True, "positions": "learned", "fused_qkv": True},
    {"fused_qkv": True, "parallel_layers": True},
    {"parallel_layers": True, "norm": "layer", "ffn": "gelu", "norm_position": "post"},
]


def batch(config: ModelConfig, size: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    shape = (size, config.context_length)
    return (
        torch.randint(0, config.vocab_size, shape, generator=g),
        torch.randint(0, config.vocab_size, shape, generator=g),
    )


@pytest.mark.parametrize("precision", ["fp32", "pure_bf16", "amp_bf16"])
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(f"{k}={v[k]}" for k in v))
def test_activation_formula_equals_saved_tensor_bytes(variant, precision):
    torch.manual_seed(0)
    config = ModelConfig(**SMALL, **variant)
    model = TransformerLM(config)
    if precision == "pure_bf16":
        model = model.to(torch.bfloat16)
    ids, targets = batch(config, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "amp_bf16"):
        measured = training_activation_bytes(model, ids, targets)
    assert measured == activation_bytes(config, 3, precision=precision)["total"]


def test_mixed_precision_memory_conventions():
    config = gpt2_config("small")
    n = count_params(config)
    for name in ("fp32", "mixed_bf16", "amp_bf16"):  # 16 bytes per parameter either way
        p = PRECISIONS[name]
        assert p.weights + p.gradients + p.optimizer == 16, name
    assert adamw_memory(config, 1, precision="pure_bf16")["parameters"] == 2 * n
    # mixed precision's working copy is bfloat16, so its activations are the bf16 model's
    assert activation_bytes(config, 4, precision="mixed_bf16") == activation_bytes(
        config, 4, precision="pure_bf16"
    )
    fp32 = adamw_memory(config, 4)["activations"]
    assert adamw_memory(config, 4, precision="pure_bf16")["activations"] < 0.6 * fp32


CHECKPOINT_CONFIGS = [
    (dict(vocab_size=256, context_length=64, d_model=64, n_layers=6, n_heads=4), 4),
    (dict(vocab_size=512, context_length=96, d_model=32, n_layers=4, n_heads=2), 4),
]


@pytest.mark.parametrize("fields, batch_size", CHECKPOINT_CONFIGS)
def test_measured_peak_matches_adamw_memory(fields, batch_size):
    config = ModelConfig(**fields)
    ids, targets = batch(config, batch_size)
    peaks = {}
    for checkpointing in ("none", "blocks", "sqrt"):
        torch.manual_seed(0)
        model = TransformerLM(config)
        optimizer = torch.optim.AdamW(model.parameters())
        segment = checkpoint_segment(config, checkpointing)
        with (
            checkpointed_layers(model, segment)
            if checkpointing != "none"
            else contextlib.nullcontext()
        ):
            measured = measure_training_memory(model, optimizer, ids, targets)
        predicted = adamw_memory(config, batch_size, checkpointing=checkpointing)
        for part in ("parameters", "gradients", "optimizer_state"):
            assert measured[part] == predicted[part], part
        if checkpointing == "none":
            assert measured["activations"] == predicted["activations"]
            assert measured["total"] == pytest.approx(predicted["total"], rel=0.15)
        else:
            assert measured["total"] == pytest.approx(predicted["total"], rel=0.20)
        peaks[checkpointing] = measured["total"]
    assert peaks["blocks"] < peaks["none"] and peaks["sqrt"] < peaks["none"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_peak_matches_adamw_memory():
    # torch.cuda.max_memory_allocated rounds each block up to 512 bytes: tolerances as on CPU
    config = ModelConfig(**CHECKPOINT_CONFIGS[0][0])
    torch.manual_seed(0)
    model = TransformerLM(config).to("cuda")
    optimizer = torch.optim.AdamW(model.parameters())
    ids, targets = (t.to("cuda") for t in batch(config, 4))
    measured = measure_training_memory(model, optimizer, ids, targets)
    predicted = adamw_memory(config, 4)
    assert measured["activations"] == pytest.approx(predicted["activations"], rel=0.02)
    assert measured["total"] == pytest.approx(predicted["total"], rel=0.15)


def test_checkpointed_layers_give_the_same_gradients_and_restore_the_model():
    torch.manual_seed(0)
    config = ModelConfig(**SMALL)
    model = TransformerLM(config)
    ids, targets = batch(config, 2)
    loss = torch.nn.functional.cross_entropy(model(ids).flatten(0, 1), targets.flatten())
    plain = torch.autograd.grad(loss, list(model.parameters()))
    with checkpointed_layers(model, 2):
        loss = torch.nn.functional.cross_entropy(model(ids).flatten(0, 1), targets.flatten())
        again = torch.autograd.grad(loss, list(model.parameters()))
    for a, b in zip(plain, again):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    assert all("forward" not in vars(layer) for layer in model.layers)


def test_peak_memory_counts_cpu_allocations():
    def work() -> torch.Tensor:
        a = torch.ones(1000, 1000)  # 4 MB
        b = a * 2  # 4 MB more while a is alive
        del a
        return b.sum()

    _, peak = peak_memory(work)
    assert 8_000_000 <= peak < 8_100_000  # two 4 MB buffers plus a few scalars
    assert tensor_bytes([torch.ones(10), torch.ones(10)[:5]]) == 80  # the view's storage is new
    w = torch.nn.Parameter(torch.ones(5))
    opt = torch.optim.AdamW([w])
    w.sum().backward()
    opt.step()
    assert optimizer_state_bytes(opt) == 2 * 5 * 4


def test_linear_form_and_max_batch():
    config = gpt2_config("small", context_length=256)
    a, b = memory_linear_form(config)
    for n in (1, 3, 10):
        assert adamw_memory(config, n)["total"] == a * n + b
    limit = 24e9
    best = max_batch_size(config, limit)
    assert adamw_memory(config, best)["total"] <= limit < adamw_memory(config, best + 1)["total"]
    assert max_batch_size(config, 1e9) == 0  # the weights alone need 3 GB
    assert max_batch_size(config, limit, checkpointing="blocks") > best
    assert max_batch_size(config, limit, precision="pure_bf16") > best


# GPT-2 XL, course style, fp32, T = 1024, teaching attention, by hand (elements per token):
#   per layer  norms 2·(3·1600 + 1) = 9,602; attention 4·1600 + 3·25·1024 + 2·25 = 83,250;
#              SwiGLU 5·6400 = 32,000 → 124,852 elements = 499,408 bytes
#   once       final norm 4,801 + log-softmax 50,257 + logits 50,257 = 105,315 elements
#              = 421,260 bytes, + 16 bytes of int64 ids and targets
#   a = 1024 · (48 · 499,408 + 421,276) = 24,978,288,640 bytes per sequence (25.0 GB)
#   b = 16 bytes · 2,127,057,600 params = 34,032,921,600, + per layer a 1024² boolean mask and
#       RoPE cos/sin 2·1024·64·4 bytes: 48 · (1,048,576 + 524,288) = 75,497,472, + a 4-byte scalar
#     = 34,108,419,076 bytes
#   80 GB: (80e9 - b) / a = 1.84 → batch 1. With fast_attention the attention term is
#   5·1600 + 25 (float32 logsumexp) per token, no T² terms, and the batch grows to 4.
XL_A, XL_B = 24_978_288_640, 34_108_419_076


def test_gpt2_xl_memory_matches_the_hand_derivation():
    config = gpt2_config("xl")
    assert memory_linear_form(config) == (XL_A, XL_B)
    assert max_batch_size(config, 80e9) == math.floor((80e9 - XL_B) / XL_A) == 1
    assert max_batch_size(gpt2_config("xl", fast_attention=True), 80e9) == 4
    parts = adamw_memory(config, 1)
    assert parts["optimizer_state"] == 2 * parts["parameters"] == 2 * 4 * 2_127_057_600


def test_checkpoint_segments():
    config = gpt2_config("xl")
    assert checkpoint_segment(config, "none") == 48
    assert checkpoint_segment(config, "blocks") == 1
    assert checkpoint_segment(config, "sqrt") == 7  # ceil(√48)
    none = activation_bytes(config, 1)["blocks"]
    sqrt = activation_bytes(config, 1, checkpointing="sqrt")["blocks"]
    assert sqrt < none / 5  # ~7 segment inputs + 7 layers instead of 48 layers


def test_memory_errors_are_clear():
    config = ModelConfig(**SMALL)
    with pytest.raises(ValueError, match="precision='fp8'"):
        adamw_memory(config, 1, precision="fp8")
    with pytest.raises(ValueError, match="precision='bf16'.*pure_bf16"):  # cast or autocast?
        adamw_memory(config, 1, precision="bf16")
    with pytest.raises(ValueError, match="checkpointing='layers'"):
        adamw_memory(config, 1, checkpointing="layers")
    with pytest.raises(ValueError, match="segment must be 1..2 layers"):
        adamw_memory(config, 1, checkpointing=3)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        adamw_memory(config, 0)
    with pytest.raises(ValueError, match="memory_bytes must be positive"):
        max_batch_size(config, -1)
    with pytest.raises(ValueError, match="nn.ModuleList `layers`"):
        with checkpointed_layers(torch.nn.Linear(2, 2)):
            pass


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("checkpointing", ["none", "blocks", "sqrt", 2])
def test_linear_form_from_the_parts_is_the_line_through_adamw_memory(precision, checkpointing):
    # memory_linear_form adds up the parts; adamw_memory evaluated at any batch must lie on its line
    for variant in ({}, {"fast_attention": True, "fused_qkv": True}, {"positions": "learned"}):
        config = gpt2_config("small", context_length=256, **variant)
        a, b = memory_linear_form(config, 200, precision, checkpointing)
        for n in (1, 2, 7):
            total = adamw_memory(config, n, 200, precision, checkpointing)["total"]
            assert total == a * n + b, (variant, n)


def test_norm_bytes_count_one_output_per_consumer_only_under_autocast():
    config = ModelConfig(**SMALL)  # RMSNorm: x, rms and x / rms in float32, 2d + 1, + the output
    d = config.d_model
    assert norm_bytes(config) == (2 * d + 1) * 4 + d * 4
    assert norm_bytes(config, "fp32", 3) == norm_bytes(config)  # one saved output, read 3 times
    assert norm_bytes(config, "amp_bf16", 3) == (2 * d + 1) * 4 + 3 * d * 2  # a cast per matmul
    assert norm_bytes(ModelConfig(**SMALL, norm="none"), "pure_bf16") == d * 2
