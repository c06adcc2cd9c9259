"""Cross-entropy and perplexity against torch's F.cross_entropy (tolerances stated per test)."""

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.training.losses import cross_entropy, fast_cross_entropy, perplexity


def torch_ce(logits, targets, ignore_index=-100, reduction="mean"):
    """Oracle: torch's cross-entropy on the flattened leading dimensions."""
    v = logits.shape[-1]
    loss = F.cross_entropy(
        logits.reshape(-1, v).double(),
        targets.reshape(-1),
        ignore_index=ignore_index,
        reduction=reduction,
    )
    return loss.reshape(targets.shape) if reduction == "none" else loss


@pytest.mark.parametrize("shape", [(7,), (4, 7), (2, 3, 5, 7)])
@pytest.mark.parametrize("transform", ["plain", "shift+100", "scale*1000"])
def test_cross_entropy_matches_torch(shape, transform):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(*shape, generator=g)
    if transform == "shift+100":
        logits = logits + 100
    if transform == "scale*1000":
        logits = logits * 1000
    targets = torch.randint(0, shape[-1], shape[:-1], generator=g)
    got = cross_entropy(logits, targets)
    assert torch.isfinite(got)
    # fp32 against an fp64 oracle: relative 1e-5 (×1000 logits give losses in the thousands)
    torch.testing.assert_close(got.double(), torch_ce(logits, targets), rtol=1e-5, atol=1e-5)


def test_cross_entropy_gradient_matches_torch():
    logits = (torch.randn(3, 4, 11) * 50).requires_grad_()
    targets = torch.randint(0, 11, (3, 4))
    cross_entropy(logits, targets).backward()
    ours = logits.grad.clone()
    logits.grad = None
    F.cross_entropy(logits.reshape(-1, 11), targets.reshape(-1)).backward()
    torch.testing.assert_close(ours, logits.grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ignore_index_and_reductions(reduction):
    logits = torch.randn(2, 6, 9)
    targets = torch.randint(0, 9, (2, 6))
    targets[0, :3] = -100
    targets[1, 5] = -100
    got = cross_entropy(logits, targets, reduction=reduction)
    torch.testing.assert_close(
        got.double(), torch_ce(logits, targets, reduction=reduction), rtol=1e-5, atol=1e-6
    )
    other_ignore = torch.where(targets == -100, -1, targets)
    torch.testing.assert_close(
        cross_entropy(logits, other_ignore, ignore_index=-1, reduction=reduction),
        cross_entropy(logits, targets, reduction=reduction),
    )


def test_half_precision_logits_are_upcast():
    logits = torch.randn(4, 5, 13) * 30
    targets = torch.randint(0, 13, (4, 5))
    got = cross_entropy(logits.bfloat16(), targets)
    assert got.dtype == torch.float32
    # the oracle sees the same bf16-rounded inputs in fp64: relative 1e-5
    torch.testing.assert_close(
        got.double(), torch_ce(logits.bfloat16().float(), targets), rtol=1e-5, atol=1e-5
    )


def test_perplexity_is_exp_of_mean_loss():
    logits = torch.randn(3, 8, 17)
    targets = torch.randint(0, 17, (3, 8))
    expected = math.exp(F.cross_entropy(logits.reshape(-1, 17), targets.reshape(-1)).item())
    assert perplexity(logits, targets).item() == pytest.approx(expected, rel=1e-5)
    uniform = torch.zeros(2, 4, 17)
    assert perplexity(uniform, targets[:2, :4]).item() == pytest.approx(17.0, rel=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fast_cross_entropy_matches_teaching_version(reduction):
    logits = torch.randn(2, 3, 10) * 100
    targets = torch.randint(0, 10, (2, 3))
    targets[0, 0] = -100
    torch.testing.assert_close(
        fast_cross_entropy(logits, targets, reduction=reduction),
        cross_entropy(logits, targets, reduction=reduction),
        rtol=1e-5,
        atol=1e-5,
    )


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="targets shape"):
        cross_entropy(torch.randn(2, 3, 5), torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="reduction"):
        cross_entropy(torch.randn(2, 5), torch.zeros(2, dtype=torch.long), reduction="avg")
