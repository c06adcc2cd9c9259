"""Gradient checkpointing (module 10) against plain backprop and module 06's memory formulas.

Gradients: checkpointed (by hand and by torch.utils.checkpoint) against the plain backward of the
same model, tolerance atol 1e-6, rtol 1e-5 (the recomputation repeats the same float32 ops; on CPU
the measured difference is 0). Saved bytes: what a saved-tensors hook counts in forward, plus the
most one segment saves when it is recomputed, against `predicted_activation_bytes` (built from
`course_lib.accounting.memory`): exact, tolerance 0 bytes, in float32 on CPU. Peak: the profiler's
peak of a forward + backward, with and without checkpointing.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_lib.accounting.memory import activation_bytes
from course_lib.finetune.checkpointing import (
    METHODS,
    best_uniform_segment,
    checkpoint_schedule,
    checkpointed_blocks,
    measured_activation_bytes,
    peak_step_memory,
    predicted_activation_bytes,
    recompute,
    segments,
)
from course_lib.finetune.lora import apply_lora
from course_lib.model.config import ModelConfig
from course_lib.model.transformer import TransformerLM

pytestmark = pytest.mark.usefixtures("one_thread")

SMALL = dict(vocab_size=128, context_length=32, d_model=32, n_layers=4, n_heads=4)


def model_and_batch(seed: int = 0, **fields):
    """A tiny TransformerLM and one random batch of 2 sequences."""
    config = ModelConfig(**{**SMALL, **fields})
    torch.manual_seed(seed)
    model = TransformerLM(config)
    ids = torch.randint(0, config.vocab_size, (2, config.context_length))
    targets = torch.randint(0, config.vocab_size, (2, config.context_length))
    return config, model, ids, targets


def gradients(model, ids, targets):
    loss = F.cross_entropy(model(ids).flatten(0, 1), targets.flatten())
    return loss, torch.autograd.grad(loss, list(model.parameters()))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("schedule", [[0], [0, 1, 2, 3], [0, 2], [0, 1, 3]])
def test_checkpointed_gradients_equal_plain_gradients(method, schedule):
    _config, model, ids, targets = model_and_batch(ffn="gelu", norm="layer")
    plain_loss, plain = gradients(model, ids, targets)
    with checkpointed_blocks(model, schedule, method):
        loss, again = gradients(model, ids, targets)
    torch.testing.assert_close(loss, plain_loss, atol=1e-6, rtol=1e-5)
    for (name, _), a, b in zip(model.named_parameters(), plain, again):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-5, msg=f"gradient of {name} differs")
    assert all("forward" not in vars(layer) for layer in model.layers), "model not restored"


def test_recompute_by_hand_replays_dropout_and_skips_frozen_parameters():
    torch.manual_seed(0)
    layer = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.5), torch.nn.Tanh())
    layer[0].bias.requires_grad_(False)
    x = torch.randn(4, 8, requires_grad=True)
    torch.manual_seed(1)
    plain = torch.autograd.grad(layer(x).square().sum(), [x, layer[0].weight])
    torch.manual_seed(1)
    out = recompute(layer, x, [layer[0].weight])
    again = torch.autograd.grad(out.square().sum(), [x, layer[0].weight])
    for a, b in zip(plain, again):
        torch.testing.assert_close(b, a, msg="recomputed dropout drew other masks")


@pytest.mark.parametrize("checkpointing", ["none", "blocks", "sqrt", 3, 4])
def test_saved_bytes_match_the_prediction_exactly(checkpointing):
    config, model, ids, targets = model_and_batch()
    schedule = checkpoint_schedule(config, checkpointing)
    measured = measured_activation_bytes(model, ids, targets, schedule)
    predicted = predicted_activation_bytes(config, 2, schedule)
    assert measured == predicted, f"{checkpointing}: measured {measured}, predicted {predicted}"
    if checkpointing != 4:  # a single segment of all layers is not module 06's "none"
        formula = activation_bytes(config, 2, checkpointing=checkpointing)["total"]
        assert predicted["total"] == formula, "disagrees with accounting.memory.activation_bytes"


def test_saved_bytes_of_an_uneven_schedule_match_the_prediction():
    config, model, ids, targets = model_and_batch(n_layers=5, positions="learned")
    measured = measured_activation_bytes(model, ids, targets, [0, 1, 4])
    predicted = predicted_activation_bytes(config, 2, [0, 1, 4])
    assert measured == predicted, f"measured {measured}, predicted {predicted}"


def test_checkpointing_saves_less_in_forward():
    config, model, ids, targets = model_and_batch()
    plain = measured_activation_bytes(model, ids, targets, [])
    for checkpointing in ("blocks", "sqrt"):
        ck = measured_activation_bytes(
            model, ids, targets, checkpoint_schedule(config, checkpointing)
        )
        assert ck["forward"] < plain["forward"] / 5, f"{checkpointing}: {ck} vs {plain}"
        assert ck["total"] < plain["total"], f"{checkpointing}: {ck} vs {plain}"


def test_peak_memory_falls_with_checkpointing_and_both_methods_agree():
    # measured on CPU: plain 1.55 MB, [0, 2] 0.99 MB by hand and 0.98 MB with torch's checkpoint
    config, model, ids, targets = model_and_batch()
    schedule = checkpoint_schedule(config, "sqrt")
    plain = peak_step_memory(model, ids, targets)
    peaks = {method: peak_step_memory(model, ids, targets, schedule, method) for method in METHODS}
    for method, peak in peaks.items():
        assert peak < 0.8 * plain, f"{method}: peak {peak} is not well below plain {plain}"
    assert peaks["manual"] == pytest.approx(peaks["torch"], rel=0.05), f"peaks differ: {peaks}"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_peak_falls_with_checkpointing():
    config, model, ids, targets = model_and_batch(context_length=256, d_model=128, n_layers=9)
    model, ids, targets = model.cuda(), ids.cuda(), targets.cuda()
    plain = peak_step_memory(model, ids, targets)
    for checkpointing in ("blocks", "sqrt"):
        schedule = checkpoint_schedule(config, checkpointing)
        for method in METHODS:
            peak = peak_step_memory(model, ids, targets, schedule, method)
            assert peak < plain, f"{checkpointing}/{method}: {peak} >= {plain}"


def test_sqrt_schedule_keeps_every_ceil_sqrt_n_th_block():
    expected = {
        1: [0],
        4: [0, 2],
        9: [0, 3, 6],
        10: [0, 4, 8],
        16: [0, 4, 8, 12],
        48: list(range(0, 48, 7)),
    }
    for n_layers, want in expected.items():
        got = checkpoint_schedule(ModelConfig(n_layers=n_layers, d_model=64, n_heads=4), "sqrt")
        assert got == want, f"n_layers={n_layers}: {got}"
        assert segments(got, n_layers)[-1][1] == n_layers, "segments must cover every block"


def test_kept_inputs_and_the_recomputed_segment_both_grow_as_sqrt_n():
    # with k = ceil(√L) both terms are O(√L) layers' worth; with k = 1 the kept inputs grow as L
    for n_layers in (16, 64):
        config = ModelConfig(
            vocab_size=64, context_length=16, d_model=32, n_heads=2, n_layers=n_layers
        )
        spans = segments(checkpoint_schedule(config, "sqrt"), n_layers)
        longest = max(b - a for a, b in spans)
        root = n_layers**0.5
        assert len(spans) <= root + 1 and longest <= root + 1, f"L={n_layers}: {spans}"


def test_best_uniform_segment_is_the_minimum_of_the_prediction():
    config = ModelConfig(vocab_size=64, context_length=16, d_model=32, n_heads=2, n_layers=9)
    best = best_uniform_segment(config, 2)
    totals = {
        k: predicted_activation_bytes(config, 2, checkpoint_schedule(config, k))["total"]
        for k in range(1, 10)
    }
    assert totals[best] == min(totals.values()), f"best {best}, totals {totals}"


@pytest.mark.parametrize("method", METHODS)
def test_checkpointing_a_lora_model_gives_the_same_adapter_gradients(method):
    # the frozen base weights need no gradient: the hand-written backward must skip them
    config, model, ids, targets = model_and_batch()
    apply_lora(model, ["q_proj", "w2"], r=2)
    for name, p in model.named_parameters():
        if name.endswith("lora_B"):
            torch.nn.init.normal_(p)
    adapters = [p for p in model.parameters() if p.requires_grad]
    loss = F.cross_entropy(model(ids).flatten(0, 1), targets.flatten())
    plain = torch.autograd.grad(loss, adapters)
    with checkpointed_blocks(model, checkpoint_schedule(config, "sqrt"), method):
        loss = F.cross_entropy(model(ids).flatten(0, 1), targets.flatten())
        again = torch.autograd.grad(loss, adapters)
    for a, b in zip(plain, again):
        torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-5, msg="adapter gradient differs")
