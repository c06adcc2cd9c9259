"""float16's range and GradScaler's dynamic loss scale (module 10), on CPU.

Oracles: float16's limits as IEEE 754 half precision defines them (largest 65504, smallest
subnormal 2⁻²⁴ ≈ 6e-8), and GradScaler's documented rule, replayed in plain Python: a step whose
gradient overflows is skipped and the scale multiplied by backoff_factor (0.5); after
growth_interval clean steps in a row it is multiplied by growth_factor (2). Exact comparisons:
scales are powers of two, and a step of SGD on one weight is w - lr·g in float32 (rel 1e-6).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.finetune.precision import FP16_MAX, in_float16, loss_scale_demo
from course_lib.model.config import ModelConfig
from course_lib.model.transformer import TransformerLM
from course_lib.training.config import TrainConfig
from course_lib.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")


def documented_scales(grads, init_scale, growth_interval):
    """(scale used, overflowed) per step by GradScaler's documented rule; overflow where S or S·g
    leaves float16's range (the demo carries S back to its float16 product, then S·g to w)."""
    scale, clean, out = init_scale, 0, []
    for g in grads:
        with np.errstate(over="ignore"):
            overflow = bool(np.isinf(np.float16(scale)) or np.isinf(np.float16(scale * g)))
        out.append((scale, overflow))
        if overflow:
            scale, clean = scale * 0.5, 0
        else:
            clean += 1
            if clean == growth_interval:
                scale, clean = scale * 2.0, 0
    return out


def test_float16_limits_are_ieee_half_precision():
    assert FP16_MAX == 65504.0, f"largest float16 is 65504, got {FP16_MAX}"
    rows = in_float16([1e-8, 1.0, 7e4])
    assert rows[0]["recovered"] == 0.0, "1e-8 is below float16's smallest subnormal (6e-8)"
    assert rows[1]["recovered"] == 1.0, "1.0 is exact in float16"
    assert rows[2]["recovered"] == float("inf"), "70000 overflows float16"


def test_scaling_lifts_small_gradients_out_of_underflow():
    rows = in_float16([1e-8, 3e-7], scale=2.0**16)
    for row in rows:
        assert row["recovered"] == pytest.approx(row["value"], rel=1e-3), (
            f"{row['value']} should survive float16 at scale 2^16 (half has ~3 decimal digits)"
        )


def test_overflow_skips_the_step_and_halves_the_scale():
    rows = loss_scale_demo([1.0, 1.0], init_scale=2.0**16, growth_interval=100, lr=0.1)
    first, second = rows
    # 2^16 · 1 = 65536 > 65504: the float16 gradient is inf at the default initial scale
    assert first["overflow"] and first["skipped"], f"2^16 must overflow float16: {first}"
    assert first["w"] == 1.0, "a skipped step must leave the weight unchanged"
    assert first["next_scale"] == 2.0**15, f"scale must halve: {first}"
    assert not second["overflow"] and not second["skipped"], f"2^15 fits float16: {second}"
    assert second["w"] == pytest.approx(1.0 - 0.1 * 1.0, rel=1e-6), "unscaled SGD step w - lr·g"


@pytest.mark.parametrize(
    "grads, init_scale, growth_interval",
    [
        ([1.0] * 8, 2.0**16, 3),
        ([1e-3, 1e-3, 1e-3, 1e-3, 40.0, 1e-3], 2.0**10, 2),
        ([0.25, 3.0, 3.0, 0.5, 0.5, 0.5], 2.0**16, 2),
    ],
)
def test_scale_follows_gradscalers_documented_rule(grads, init_scale, growth_interval):
    rows = loss_scale_demo(grads, init_scale, growth_interval)
    got = [(r["scale"], r["overflow"]) for r in rows]
    want = documented_scales(grads, init_scale, growth_interval)
    assert got == want, f"scales and overflows {got}, documented rule {want}"
    for r in rows:
        assert r["skipped"] == r["overflow"], f"a step is skipped exactly when it overflows: {r}"


def test_trainer_amp_fp16_uses_a_grad_scaler_on_cpu():
    cfg = TrainConfig(
        batch_size=2, context_length=8, max_steps=1, warmup_steps=0, device="cpu",
        precision="amp_fp16", progress=False, live_plot=False,
    )  # fmt: skip
    model = TransformerLM(ModelConfig(vocab_size=32, context_length=8, d_model=16, n_heads=2))
    trainer = Trainer(model, cfg, np.arange(64) % 32)
    assert trainer.autocast_dtype == torch.float16, "amp_fp16 must autocast to float16"
    assert isinstance(trainer.scaler, torch.amp.GradScaler), "amp_fp16 needs a GradScaler"
    assert trainer.scaler.is_enabled(), "the GradScaler must be enabled on CPU (torch >= 2.3)"
