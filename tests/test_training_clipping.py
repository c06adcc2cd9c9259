"""Gradient clipping by the global norm against torch.nn.utils.clip_grad_norm_."""

import pytest
import torch
from torch import nn

from course_lib.training.clipping import clip_grad_norm, global_grad_norm


def model_with_grads(scale: float, freeze: bool = False) -> nn.Module:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    if freeze:
        model[0].weight.requires_grad_(False)  # frozen: no gradient at all
    (model(torch.randn(4, 5)).sum() * scale).backward()
    return model


@pytest.mark.parametrize("freeze", [False, True])
@pytest.mark.parametrize(("scale", "max_norm"), [(100.0, 1.0), (1e-3, 1.0), (3.0, 0.5)])
def test_matches_clip_grad_norm_(scale, max_norm, freeze):
    ours, ref = model_with_grads(scale, freeze), model_with_grads(scale, freeze)
    norm = clip_grad_norm(ours.parameters(), max_norm)
    ref_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm)
    torch.testing.assert_close(norm, ref_norm, rtol=1e-6, atol=0)  # fp32 summation order
    for p, q in zip(ours.parameters(), ref.parameters()):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-6, atol=1e-9)


def test_clipped_norm_is_max_norm_and_small_grads_are_untouched():
    model = model_with_grads(100.0)
    clip_grad_norm(model.parameters(), 1.0)
    assert global_grad_norm(model.parameters()).item() == pytest.approx(1.0, rel=1e-5)
    small = model_with_grads(1e-4)
    before = [p.grad.clone() for p in small.parameters()]
    clip_grad_norm(small.parameters(), 1.0)
    assert all(torch.equal(b, p.grad) for b, p in zip(before, small.parameters()))


def test_no_gradients_and_bad_max_norm():
    assert clip_grad_norm([nn.Parameter(torch.ones(3))], 1.0).item() == 0.0
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([], 0.0)
