"""LoRA (module 10) against Hugging Face `peft` on the same base model and the same weights.

peft wraps only torch's own nn.Linear, not the course's `Linear` (the same x Wᵀ), so its copy of the
model has each course Linear swapped for an nn.Linear(bias=False) holding the same weight. Both get
the same A and B (B made non-zero, so the update matters), then forward outputs, gradients on A
and B, and merged weights (peft's merge_and_unload) are compared: atol 1e-5 / rtol 1e-4 in float32.
"""

from __future__ import annotations

import copy
import math

import peft
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.finetune.lora import (
    LoRALinear,
    apply_lora,
    lora_layers,
    merge_and_unload,
    merge_lora,
    predicted_lora_params,
    trainable_parameters,
    unmerge_lora,
)
from course_lib.model.config import ModelConfig
from course_lib.model.layers import Linear
from course_lib.model.transformer import TransformerLM

pytestmark = pytest.mark.usefixtures("one_thread")

CONFIG = dict(vocab_size=64, context_length=16, d_model=32, n_layers=2, n_heads=4)
TARGETS = ["q_proj", "v_proj", "output_proj", "w1", "w2", "w3", "lm_head"]
TOL = dict(atol=1e-5, rtol=1e-4)


def base_model(**fields) -> TransformerLM:
    torch.manual_seed(0)
    return TransformerLM(ModelConfig(**{**CONFIG, **fields}))


def batch(config: ModelConfig, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, config.vocab_size, (2, config.context_length), generator=g)
    return ids, torch.randint(0, config.vocab_size, (2, config.context_length), generator=g)


def with_torch_linears(model: nn.Module) -> nn.Module:
    """A copy of `model` with every course Linear replaced by nn.Linear(bias=False), same weight."""
    model = copy.deepcopy(model)
    for name, module in list(model.named_modules()):
        if isinstance(module, Linear):
            swap = nn.Linear(module.in_features, module.out_features, bias=False)
            swap.weight = nn.Parameter(module.weight.detach().clone())
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent), child, swap)
    return model


def ours_and_peft(r: int = 4, alpha: float = 8.0):
    """Our LoRA and peft's on copies of one base model, holding the same (non-zero) A and B."""
    base = base_model()
    ours = copy.deepcopy(base)
    apply_lora(ours, TARGETS, r=r, alpha=alpha)
    config = peft.LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=0.0, target_modules=TARGETS, use_rslora=False
    )
    theirs = peft.get_peft_model(with_torch_linears(base), config)
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for name, layer in lora_layers(ours).items():
            target = theirs.base_model.model.get_submodule(name)
            layer.lora_B.normal_(generator=g)  # B = 0 would hide every mistake in the update
            target.lora_A["default"].weight.copy_(layer.lora_A)
            target.lora_B["default"].weight.copy_(layer.lora_B)
    return base, ours, theirs


def test_wrapped_model_starts_identical_to_the_base():
    base = base_model()
    ids, _ = batch(base.config)
    ours = copy.deepcopy(base)
    apply_lora(ours, TARGETS, r=4, alpha=8)
    assert torch.equal(ours(ids), base(ids)), "B = 0 must leave the outputs unchanged"
    for name, layer in lora_layers(ours).items():
        assert torch.count_nonzero(layer.lora_B) == 0, f"{name}: B must start at 0"


def test_a_is_kaiming_uniform_as_in_peft():
    # kaiming_uniform_(a=√5) on (r, in) draws from U(±1/√in): std = 1/√(3·in)
    layer = LoRALinear(nn.Linear(1024, 16), r=64, alpha=64)
    bound = 1 / math.sqrt(1024)
    assert layer.lora_A.abs().max() <= bound, "A outside nn.Linear's default bound"
    assert layer.lora_A.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05), "not uniform"


def test_forward_equals_peft():
    _base, ours, theirs = ours_and_peft()
    ids, _ = batch(ours.config)
    torch.testing.assert_close(ours(ids), theirs(ids), **TOL, msg="forward differs from peft")


def test_gradients_on_a_and_b_equal_peft():
    _base, ours, theirs = ours_and_peft()
    ids, targets = batch(ours.config)
    for model in (ours, theirs):
        F.cross_entropy(model(ids).flatten(0, 1), targets.flatten()).backward()
    for name, layer in lora_layers(ours).items():
        target = theirs.base_model.model.get_submodule(name)
        for ab in ("A", "B"):
            got = getattr(layer, f"lora_{ab}").grad
            want = getattr(target, f"lora_{ab}")["default"].weight.grad
            torch.testing.assert_close(got, want, **TOL, msg=f"gradient of {name}.lora_{ab}")


def test_only_a_and_b_train_and_the_count_equals_peft():
    _base, ours, theirs = ours_and_peft()
    trainable = {n for n, p in ours.named_parameters() if p.requires_grad}
    assert trainable == {f"{n}.lora_{ab}" for n in lora_layers(ours) for ab in "AB"}, (
        f"only LoRA factors may train, got {sorted(trainable)}"
    )
    counts = trainable_parameters(ours)
    want_trainable, want_total = theirs.get_nb_trainable_parameters()
    assert (counts["trainable"], counts["total"]) == (want_trainable, want_total), counts
    assert counts["percent"] == pytest.approx(100 * want_trainable / want_total), counts


def test_merged_weights_equal_peft_merge_and_unload():
    _base, ours, theirs = ours_and_peft()
    ids, _ = batch(ours.config)
    before = ours(ids).detach()
    merged_ours = merge_and_unload(ours)
    merged_theirs = theirs.merge_and_unload()
    assert not lora_layers(merged_ours), "merge_and_unload must remove the wrappers"
    theirs_weights = dict(merged_theirs.named_parameters())
    for name, p in merged_ours.named_parameters():
        torch.testing.assert_close(p, theirs_weights[name], **TOL, msg=f"merged {name} differs")
    torch.testing.assert_close(merged_ours(ids), before, **TOL, msg="merged outputs changed")


def test_merge_then_unmerge_restores_outputs_and_weights():
    base, ours, _theirs = ours_and_peft()
    ids, _ = batch(ours.config)
    unmerged = ours(ids).detach()
    weights = {n: layer.base.weight.clone() for n, layer in lora_layers(ours).items()}
    merge_lora(ours)
    merge_lora(ours)  # a second merge must not add the update twice
    assert all(layer.merged for layer in lora_layers(ours).values()), "not marked merged"
    torch.testing.assert_close(ours(ids), unmerged, **TOL, msg="merged outputs differ")
    unmerge_lora(ours)
    torch.testing.assert_close(ours(ids), unmerged, **TOL, msg="unmerged outputs differ")
    for name, layer in lora_layers(ours).items():
        torch.testing.assert_close(layer.base.weight, weights[name], atol=1e-6, rtol=0)
    assert not torch.equal(ours(ids), base(ids)), "the non-zero update must change the model"


def test_update_is_alpha_over_r_times_b_a():
    layer = LoRALinear(Linear(6, 5), r=2, alpha=3.0)
    with torch.no_grad():
        layer.lora_A.copy_(torch.arange(12.0).reshape(2, 6))
        layer.lora_B.copy_(torch.ones(5, 2))
    x = torch.randn(4, 6)
    want = x @ layer.base.weight.T + (x @ layer.lora_A.T @ layer.lora_B.T) * 1.5
    torch.testing.assert_close(layer(x), want, msg="y = base(x) + (α/r) B A x")
    torch.testing.assert_close(layer.delta_weight(), 1.5 * layer.lora_B @ layer.lora_A)


def test_dropout_acts_on_the_update_only():
    layer = LoRALinear(nn.Linear(8, 8), r=2, alpha=2, dropout=0.5)
    with torch.no_grad():
        layer.lora_B.fill_(1.0)
    x = torch.randn(3, 8)
    layer.eval()
    torch.testing.assert_close(layer(x), layer.base(x) + x @ layer.delta_weight().T)
    layer.train()
    torch.manual_seed(0)
    train_out = layer(x)
    assert not torch.allclose(train_out, layer.base(x) + x @ layer.delta_weight().T), (
        "dropout in training should change the update"
    )


@pytest.mark.parametrize(
    "fields, targets",
    [
        ({}, ["q_proj", "v_proj"]),
        ({}, TARGETS),
        ({"fused_qkv": True, "ffn": "gelu", "tie_embeddings": True}, ["qkv_proj", "w1", "w2"]),
    ],
)
def test_trainable_count_matches_the_prediction(fields, targets):
    model = base_model(**fields)
    apply_lora(model, targets, r=3)
    got = trainable_parameters(model)["trainable"]
    want = predicted_lora_params(model.config, targets, 3)
    assert got == want, f"counted {got}, predicted r·(in + out) per matrix {want}"


def test_full_names_target_one_layer():
    model = base_model()
    wrapped = apply_lora(model, ["layers.1.attn.q_proj"], r=2)
    assert wrapped == ["layers.1.attn.q_proj"], f"wrapped {wrapped}"
