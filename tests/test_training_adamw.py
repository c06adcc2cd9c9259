"""AdamW against torch.optim.AdamW, and the weight-decay parameter groups."""

import copy

import pytest
import torch
from torch import nn

from course_lib.training.adamw import AdamW, param_groups
from tests.helpers import TinyLM

pytestmark = pytest.mark.usefixtures("one_thread")


def small_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.LayerNorm(16), nn.Linear(16, 3))


def test_adamw_matches_torch_over_1000_steps():
    ours_model, ref_model = small_model(0), small_model(0)
    kwargs = {"lr": 3e-3, "betas": (0.9, 0.98), "eps": 1e-8, "weight_decay": 0.1}
    ours = AdamW(ours_model.parameters(), **kwargs)
    ref = torch.optim.AdamW(ref_model.parameters(), **kwargs)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 6, generator=g), torch.randn(64, 3, generator=g)
    for step in range(1000):
        xb, yb = x[step % 8 :: 8], y[step % 8 :: 8]  # batches change, so moments keep moving
        for model, opt in ((ours_model, ours), (ref_model, ref)):
            opt.zero_grad()
            nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
    # same update in fp32 with differently ordered ops: after 1,000 steps the parameters agree
    # to 1e-5 absolute and the moment estimates to 1e-5 relative
    for p_ours, p_ref in zip(ours_model.parameters(), ref_model.parameters()):
        torch.testing.assert_close(p_ours, p_ref, rtol=1e-5, atol=1e-5)
        s_ours, s_ref = ours.state[p_ours], ref.state[p_ref]
        assert s_ours["step"] == int(s_ref["step"]) == 1000
        torch.testing.assert_close(s_ours["exp_avg"], s_ref["exp_avg"], rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(s_ours["exp_avg_sq"], s_ref["exp_avg_sq"], rtol=1e-5, atol=1e-9)


def test_first_step_is_lr_times_sign():
    """With zero decay, the first bias-corrected step moves each weight by lr·g/(|g|+eps)."""
    p = nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    opt = AdamW([p], lr=0.1, weight_decay=0.0, eps=0.0)
    p.grad = torch.tensor([0.5, -4.0, 1e-3])
    opt.step()
    torch.testing.assert_close(p.detach(), torch.tensor([0.9, -1.9, 2.9]))


def test_decoupled_weight_decay_without_gradient_signal():
    """A zero gradient leaves only the decay: p ← p·(1 − lr·λ)."""
    p = nn.Parameter(torch.tensor([2.0]))
    opt = AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = torch.zeros(1)
    opt.step()
    torch.testing.assert_close(p.detach(), torch.tensor([2.0 * (1 - 0.05)]))


def test_state_dict_round_trip_continues_identically():
    a, b = small_model(0), small_model(0)
    opt_a = AdamW(a.parameters(), lr=1e-2)
    x, y = torch.randn(8, 6), torch.randn(8, 3)
    for _ in range(3):
        opt_a.zero_grad()
        nn.functional.mse_loss(a(x), y).backward()
        opt_a.step()
    b.load_state_dict(a.state_dict())
    opt_b = AdamW(b.parameters(), lr=1e-2)
    opt_b.load_state_dict(copy.deepcopy(opt_a.state_dict()))  # torch shares state tensors
    for model, opt in ((a, opt_a), (b, opt_b)):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_bad_hyperparameters_are_clear_errors():
    p = [nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match="lr must be >= 0"):
        AdamW(p, lr=-1)
    with pytest.raises(ValueError, match="betas"):
        AdamW(p, betas=(0.9, 1.0))


def test_param_groups_skip_norms_biases_and_embeddings():
    model = TinyLM(vocab_size=20, context_length=8, d_model=16, n_layers=1, n_heads=2)
    names = {id(p): n for n, p in model.named_parameters()}
    decay, no_decay = param_groups(model, weight_decay=0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    decayed = {names[id(p)] for p in decay["params"]}
    assert decayed == {
        "layers.0.qkv.weight",
        "layers.0.proj.weight",
        "layers.0.mlp.0.weight",
        "layers.0.mlp.2.weight",
        "head.weight",
    }
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))

    with_embeddings = param_groups(model, 0.1, decay_embeddings=True)[0]
    extra = {names[id(p)] for p in with_embeddings["params"]} - decayed
    assert extra == {"token_embedding.weight", "position_embedding.weight"}


def test_param_groups_count_tied_and_skip_frozen_weights():
    model = TinyLM(vocab_size=20, context_length=8, d_model=16, n_layers=1, n_heads=2)
    model.head.weight = (
        model.token_embedding.weight
    )  # tied: one tensor, registered first as an embedding
    model.position_embedding.weight.requires_grad_(False)
    groups = param_groups(model, 0.1)
    all_params = [p for g in groups for p in g["params"]]
    assert len(all_params) == len({id(p) for p in all_params})
    assert not any(p is model.position_embedding.weight for p in all_params)
    assert any(p is model.token_embedding.weight for p in groups[1]["params"])
