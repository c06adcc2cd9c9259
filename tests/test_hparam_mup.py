"""μP: the standard model is unchanged, attention and init as specified, the per-layer learning
rates and updates of `mup.MuAdamW` with `mup.set_base_shapes`, and the coordinate check."""

from __future__ import annotations

import copy
import math

import mup
import pytest
import torch
import torch.nn.functional as F

from course_lib.hparam.mup import (
    base_config,
    coord_check,
    mup_param_groups,
    standard_param_groups,
    width_slope,
)
from course_lib.model.config import ModelConfig
from course_lib.model.mup import ScaledLinear
from course_lib.model.transformer import TransformerLM
from course_lib.training.adamw import param_groups

pytestmark = pytest.mark.usefixtures("one_thread")
V, T, BASE = 50, 16, 32


def config(d_model: int, parametrization: str = "mup", **kw: object) -> ModelConfig:
    return ModelConfig(
        vocab_size=V, context_length=T, d_model=d_model, n_layers=2, n_heads=2,
        parametrization=parametrization, mup_base_d_model=BASE, **kw,
    )  # fmt: skip


def build(cfg: ModelConfig, seed: int = 0) -> TransformerLM:
    torch.manual_seed(seed)
    return TransformerLM(cfg)


def batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.randint(0, V, (4, T + 1), generator=torch.Generator().manual_seed(seed))
    return ids[:, :-1], ids[:, 1:]


def test_mup_at_the_base_width_is_the_standard_model_bit_for_bit() -> None:
    sp, mp = build(config(BASE, "sp")), build(config(BASE))
    assert not any(isinstance(m, ScaledLinear) for m in sp.modules())
    assert sp.state_dict().keys() == mp.state_dict().keys()
    assert all(
        torch.equal(a, b) for a, b in zip(sp.state_dict().values(), mp.state_dict().values())
    )
    x, _ = batch()
    assert torch.equal(sp(x), mp(x))


def test_mup_needs_a_base_width_and_an_untied_head() -> None:
    with pytest.raises(ValueError, match="needs mup_base_d_model"):
        ModelConfig(d_model=64, n_heads=2, parametrization="mup")
    with pytest.raises(ValueError, match="untied LM head"):
        config(64, tie_embeddings=True)
    with pytest.raises(ValueError, match="unknown parametrization 'mu'"):
        config(64, "mu")


@pytest.mark.parametrize("fused", [False, True])
def test_attention_scores_are_divided_by_head_dim_not_its_root(fused: bool) -> None:
    """Oracle: torch's SDPA with scale sqrt(base_head_dim) / head_dim on the layer's own q, k, v."""
    cfg = config(128, fused_qkv=fused)
    attn = build(cfg).layers[0].attn
    x = torch.randn(2, T, 128)
    if fused:
        q, k, v = (x @ attn.qkv_proj.weight.T).chunk(3, dim=-1)
    else:
        q, k, v = x @ attn.q_proj.weight.T, x @ attn.k_proj.weight.T, x @ attn.v_proj.weight.T
    q, k, v = (t.unflatten(-1, (2, 64)).transpose(1, 2) for t in (q, k, v))
    pos = torch.arange(T)
    q, k = attn.rope(q, pos), attn.rope(k, pos)
    scale = math.sqrt(BASE // 2) / 64  # ∝ 1/head_dim, equal to 1/sqrt(head_dim) at the base
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    want = out.transpose(1, 2).flatten(-2) @ attn.output_proj.weight.T
    torch.testing.assert_close(attn(x), want, atol=1e-5, rtol=1e-5)


def with_readout(model: TransformerLM) -> TransformerLM:
    """A standard model whose LM head is mup's MuReadout holding the same weights."""
    model = copy.deepcopy(model)
    head = mup.MuReadout(model.config.d_model, V, bias=False)
    head.weight.data.copy_(model.lm_head.weight.data)
    model.lm_head = head
    return model


def test_head_init_and_logits_match_mup_readout_after_set_base_shapes() -> None:
    """set_base_shapes rescales MuReadout's weights by sqrt(width_mult) and its forward divides by
    width_mult: the same numbers as our μP model built from the same seed."""
    width = 128
    ours = build(config(width))
    theirs = with_readout(build(config(width, "sp")))
    base = with_readout(build(config(BASE, "sp")))
    mup.set_base_shapes(theirs, base, rescale_params=True)
    assert torch.equal(ours.lm_head.weight, theirs.lm_head.weight)
    h = torch.randn(3, width)
    torch.testing.assert_close(ours.lm_head(h), theirs.lm_head(h), atol=1e-6, rtol=1e-5)
    for name, p in ours.named_parameters():  # every other weight keeps the standard init
        if not name.startswith("lm_head"):
            assert torch.equal(p, dict(theirs.named_parameters())[name]), name


@pytest.mark.parametrize("width", [64, 96])
def test_learning_rates_and_updates_match_mup_adamw(width: int) -> None:
    """mup.MuAdamW over base shapes from the base-width model: hidden matrices get lr / fan-in
    multiplier and weight decay times it; the same groups give the same AdamW steps."""
    lr, wd = 3e-2, 0.1
    ours = build(config(width))
    theirs = copy.deepcopy(ours)
    mup.set_base_shapes(theirs, TransformerLM(base_config(ours.config)), rescale_params=False)
    opt_ours = torch.optim.AdamW(mup_param_groups(ours, lr, wd), lr=lr)
    opt_theirs = mup.MuAdamW(param_groups(theirs, wd), lr=lr)
    names = {id(p): n for n, p in ours.named_parameters()}
    names_theirs = {id(p): n for n, p in theirs.named_parameters()}
    got = {
        names[id(p)]: (g["lr"], g["weight_decay"])
        for g in opt_ours.param_groups
        for p in g["params"]
    }
    want = {
        names_theirs[id(p)]: (g["lr"], g["weight_decay"])
        for g in opt_theirs.param_groups
        for p in g["params"]
    }
    assert got.keys() == want.keys() == dict(ours.named_parameters()).keys()
    for name in got:
        assert got[name] == pytest.approx(want[name], rel=1e-12), name
    w1 = "layers.0.ffn.w1.weight"  # a hidden matrix: fan-in d_model
    assert got[w1][0] == pytest.approx(lr * BASE / width)
    assert got["lm_head.weight"][0] == got["token_embeddings.weight"][0] == lr
    x, y = batch()
    for model, opt in ((ours, opt_ours), (theirs, opt_theirs)):
        for _ in range(3):
            loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
            opt.zero_grad()
            loss.backward()
            opt.step()
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5, msg=name)


def test_standard_groups_use_one_learning_rate() -> None:
    groups = standard_param_groups(build(config(64, "sp")), 1e-3, 0.1)
    assert {g["lr"] for g in groups} == {1e-3} and {g["lr_scale"] for g in groups} == {1.0}


def test_coordinate_check_is_flat_in_width_under_mup_and_grows_under_sp() -> None:
    """After 4 Adam steps at lr 1e-2 the blocks' mean |activation| grows about as width^0.5 under
    the standard parametrization and stays within width^±0.1 under μP (measured 0.52 and -0.02 for
    widths 32..256); μP's logits never grow (at init they shrink as width^-1/2, as they should)."""
    x, y = batch(1)
    slopes = {}
    for p in ("sp", "mup"):
        sizes = coord_check([config(w, p) for w in (32, 64, 128, 256)], (x, y), 1e-2, steps=4)
        slopes[p] = {
            layer: width_slope(sizes, layer, 4) for layer in ("block 0", "block 1", "logits")
        }
        assert abs(width_slope(sizes, "embedding", 4)) < 0.05
    for layer in ("block 0", "block 1"):
        assert slopes["sp"][layer] > 0.35, slopes
        assert abs(slopes["mup"][layer]) < 0.1, slopes
    assert slopes["sp"]["logits"] > 0.25 and slopes["mup"]["logits"] < 0.0, slopes
