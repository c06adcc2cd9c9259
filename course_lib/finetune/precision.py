"""Mixed precision in float16: its narrow range, and the loss scale that works around it.

float16 holds magnitudes up to 65504 and down to about 6e-8 (subnormal), so small gradients flush
to zero and large ones overflow to inf. Loss scaling multiplies the loss by S before backward,
lifting the gradients into range, and divides them by S before the optimizer step. Dynamic scaling
(torch.amp.GradScaler) starts high (2¹⁶), halves S and skips the step whenever a gradient is
inf or NaN, and doubles S after `growth_interval` clean steps. bfloat16 has float32's range and
needs none of this. The trainer's `precision="amp_fp16"` (course_lib.training) uses a GradScaler.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from course_lib.checks import check_int, check_number, check_positive, check_type

FP16_MAX = torch.finfo(torch.float16).max  # 65504
FP16_TINY = torch.finfo(torch.float16).smallest_normal  # 2⁻¹⁴ ≈ 6.1e-5; subnormals reach 6e-8


def in_float16(values: Sequence[float], scale: float = 1.0) -> list[dict[str, float]]:
    """Each value as float16 holds it after multiplying by `scale` and dividing again in float32:
    0 where it underflows, inf where it overflows."""
    check_type("values", values, Sequence, "a list of numbers")
    check_positive("scale", scale)
    rows = []
    for value in values:
        value = check_number("value", value)
        half = torch.tensor(value * scale, dtype=torch.float32).half()
        rows.append({"value": value, "scale": scale, "recovered": half.float().item() / scale})
    return rows


def loss_scale_demo(
    grads: Sequence[float],
    init_scale: float = 2.0**16,
    growth_interval: int = 3,
    lr: float = 0.1,
    device: str = "cpu",
) -> list[dict[str, float | bool]]:
    """Train one weight w with loss = g·w computed in float16 and a GradScaler, one step per g in
    `grads`; per step: the scale used, whether the float16 gradient overflowed, whether the step
    was skipped, the scale after `update()` and w."""
    check_type("grads", grads, Sequence, "a list of gradient sizes")
    check_positive("init_scale", init_scale)
    growth_interval = check_int("growth_interval", growth_interval, minimum=1)
    check_positive("lr", lr)
    w = torch.nn.Parameter(torch.ones((), device=device))
    optimizer = torch.optim.SGD([w], lr=lr)
    scaler = torch.amp.GradScaler(device, init_scale=init_scale, growth_interval=growth_interval)
    rows = []
    for step, g in enumerate(grads, start=1):
        g = check_number("grad", g)
        optimizer.zero_grad(set_to_none=True)
        before, scale = w.item(), scaler.get_scale()
        loss = (w.half() * torch.tensor(g, device=device, dtype=torch.float16)).float()
        scaler.scale(loss).backward()  # S reaches the float16 product, S·g its float16 w
        scaler.unscale_(optimizer)
        overflow = not torch.isfinite(w.grad).all().item()
        scaler.step(optimizer)  # skipped when unscale_ found an inf or NaN
        scaler.update()
        rows.append(
            {
                "step": step,
                "grad": g,
                "scale": scale,
                "overflow": overflow,
                "skipped": w.item() == before,
                "next_scale": scaler.get_scale(),
                "w": w.item(),
            }
        )
    return rows
