"""Gradient checkpointing: keep only some blocks' inputs in forward, recompute the rest in backward.

A plain training step keeps every activation of every block until backward reaches it. With
checkpointing the blocks are split into segments; forward runs each segment without saving
anything but its input, and backward runs the segment again (with gradients on) just before it
needs the activations. Memory falls from L layers' activations to one input per segment plus one
segment's activations, for one extra forward pass. Segments of ceil(√L) layers make both terms
O(√L) (Chen et al. 2016, "Training deep nets with sublinear memory cost").

`RecomputeSegment` is the idea by hand, an autograd.Function; `method="torch"` uses
`torch.utils.checkpoint` (non-reentrant), which does the same with more care. The predicted bytes
come from module 06's formulas (`course_lib.accounting.memory`); `measured_activation_bytes`
counts what autograd saves (the hand-written version's saved inputs are visible to a
saved-tensors hook; torch's checkpoint keeps its inputs outside autograd's saved tensors, so it is
measured by its peak instead: `peak_step_memory`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from course_lib.accounting.measure import (
    lm_loss,
    patch_segments,
    peak_memory,
    saved_tensor_bytes,
    training_activation_bytes,
    unpatch_segments,
)
from course_lib.accounting.memory import (
    activation_bytes,
    checkpoint_segment,
    get_precision,
    layer_activation_bytes,
)
from course_lib.checks import check_choice, check_int, check_type
from course_lib.model.config import ModelConfig

METHODS = ("manual", "torch")


class RecomputeSegment(torch.autograd.Function):
    """y = fn(x), saving only x (and the parameters) for backward, where fn(x) runs again."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, fn: Callable[[Tensor], Tensor], *params: Tensor) -> Tensor:
        ctx.fn = fn
        ctx.autocast = (
            torch.is_autocast_enabled(x.device.type),
            torch.get_autocast_dtype(x.device.type),
        )
        ctx.cpu_rng = torch.get_rng_state()  # dropout must draw the same masks again
        ctx.cuda_rng = torch.cuda.get_rng_state(x.device) if x.is_cuda else None
        ### BEGIN SOLUTION
        ctx.save_for_backward(x, *params)
        with torch.no_grad():
            return fn(x)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple[Tensor | None, ...]:
        ### BEGIN SOLUTION
        x, *params = ctx.saved_tensors
        wanted = [ctx.needs_input_grad[0], *ctx.needs_input_grad[2:]]
        x = x.detach().requires_grad_(wanted[0])
        enabled, dtype = ctx.autocast
        with torch.random.fork_rng(devices=[x.device] if x.is_cuda else []):
            torch.set_rng_state(ctx.cpu_rng)
            if ctx.cuda_rng is not None:
                torch.cuda.set_rng_state(ctx.cuda_rng, x.device)
            with torch.enable_grad(), torch.autocast(x.device.type, dtype, enabled=enabled):
                out = ctx.fn(x)
        inputs = [t for t, want in zip([x, *params], wanted) if want]
        grads = iter(
            torch.autograd.grad(out, inputs, grad_out, allow_unused=True) if inputs else ()
        )
        found = [next(grads) if want else None for want in wanted]
        return found[0], None, *found[1:]
        ### END SOLUTION


def recompute(fn: Callable[[Tensor], Tensor], x: Tensor, params: Sequence[Tensor]) -> Tensor:
    """fn(x) through `RecomputeSegment`; `params` are the tensors fn reads that need gradients."""
    check_type("x", x, Tensor, "a tensor")
    return RecomputeSegment.apply(x, fn, *params)


def checkpoint_schedule(config: ModelConfig, checkpointing: str | int = "sqrt") -> list[int]:
    """The blocks whose inputs are kept: every k-th from 0, k as `checkpoint_segment` says
    ('sqrt': ceil(√L), 'blocks': 1, an int: k); 'none' keeps no input and recomputes nothing."""
    check_type("config", config, ModelConfig, "a ModelConfig")
    if checkpointing == "none":
        return []
    return list(range(0, config.n_layers, checkpoint_segment(config, checkpointing)))


def check_schedule(schedule: Sequence[int], n_layers: int) -> list[int]:
    """`schedule` as a list: increasing block indices from 0 (or empty, for no checkpointing)."""
    if isinstance(schedule, str | bytes) or not isinstance(schedule, Sequence):
        raise TypeError(f"schedule must be a list of block indices, got {schedule!r}")
    out = [check_int("schedule entry", i, minimum=0) for i in schedule]
    if out and (out[0] != 0 or any(b <= a for a, b in zip(out, out[1:])) or out[-1] >= n_layers):
        raise ValueError(
            f"schedule must be increasing block indices starting at 0 and below {n_layers}, "
            f"got {out}"
        )
    return out


def segments(schedule: Sequence[int], n_layers: int) -> list[tuple[int, int]]:
    """(start, stop) of each recomputed segment: from one kept input to the next."""
    starts = check_schedule(schedule, n_layers)
    return list(zip(starts, [*starts[1:], n_layers]))


@contextlib.contextmanager
def checkpointed_blocks(
    model: nn.Module, schedule: Sequence[int], method: str = "manual"
) -> Iterator[nn.Module]:
    """Within the block, `model.layers` run as the segments `schedule` starts, recomputed in
    backward by hand ('manual') or by torch.utils.checkpoint ('torch'); restored on exit."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, nn.ModuleList):
        raise TypeError("checkpointed_blocks needs a model with an nn.ModuleList `layers`")
    check_choice("method", method, METHODS)
    spans = segments(schedule, len(layers))

    def run(body: Callable[[Tensor], Tensor], x: Tensor, blocks: list[nn.Module]) -> Tensor:
        if not torch.is_grad_enabled():
            return body(x)
        if method == "torch":
            return checkpoint(body, x, use_reentrant=False)
        return recompute(
            body, x, [p for block in blocks for p in block.parameters() if p.requires_grad]
        )

    if spans:  # an empty schedule checkpoints nothing
        patch_segments(layers, spans, run)
    try:
        yield model
    finally:
        unpatch_segments(layers)


def predicted_activation_bytes(
    config: ModelConfig,
    batch_size: int,
    schedule: Sequence[int],
    context_length: int | None = None,
    precision: str = "fp32",
) -> dict[str, int]:
    """Module 06's activation bytes with `schedule`: 'forward' (kept after the forward pass: the
    kept inputs and all outside the blocks), 'recompute' (the longest segment, alive in backward)
    and their 'total'. Without a schedule, 'forward' holds every block's activations."""
    plain = activation_bytes(config, batch_size, context_length, precision, "none")
    spans = segments(schedule, config.n_layers)
    if not spans:
        return {"forward": plain["total"], "recompute": 0, "total": plain["total"]}
    seq = config.context_length if context_length is None else context_length
    layer = layer_activation_bytes(config, seq, precision)
    one_layer = batch_size * (layer["norms"] + layer["attention"] + layer["ffn"])
    outside = plain["total"] - plain["blocks"] - config.n_layers * layer["constants"]
    kept = len(spans) * batch_size * seq * config.d_model * get_precision(precision).weights
    longest = max(stop - start for start, stop in spans)
    recomputed = longest * (one_layer + layer["constants"])
    return {
        "forward": outside + kept,
        "recompute": recomputed,
        "total": outside + kept + recomputed,
    }


def best_uniform_segment(
    config: ModelConfig,
    batch_size: int,
    context_length: int | None = None,
    precision: str = "fp32",
) -> int:
    """The segment length k (1..L) with the least predicted activation memory."""
    return min(
        range(1, config.n_layers + 1),
        key=lambda k: predicted_activation_bytes(
            config, batch_size, checkpoint_schedule(config, k), context_length, precision
        )["total"],
    )


def measured_activation_bytes(
    model: nn.Module, ids: Tensor, targets: Tensor, schedule: Sequence[int]
) -> dict[str, int]:
    """Bytes autograd saves with the hand-written checkpointing: 'forward' (one forward and loss,
    the logits included), 'recompute' (the most any one segment saves when run again) and 'total'."""
    with checkpointed_blocks(model, schedule, "manual"):
        forward = training_activation_bytes(model, ids, targets)
    spans = segments(schedule, len(model.layers))
    if not spans:
        return {"forward": forward, "recompute": 0, "total": forward}
    own = [*model.parameters(), *model.buffers()]
    positions = torch.arange(ids.shape[-1], device=ids.device)
    weight = next(model.parameters())
    shape = (*ids.shape, model.config.d_model)
    recomputed = 0
    for start, stop in spans:
        x = torch.zeros(shape, device=ids.device, dtype=weight.dtype, requires_grad=True)

        def run(h: Tensor = x, start: int = start, stop: int = stop) -> Tensor:
            for block in model.layers[start:stop]:
                h = block(h, positions)
            return h

        _, saved = saved_tensor_bytes(run, own)
        recomputed = max(recomputed, saved)
    return {"forward": forward, "recompute": recomputed, "total": forward + recomputed}


def peak_step_memory(
    model: nn.Module,
    ids: Tensor,
    targets: Tensor,
    schedule: Sequence[int] = (),
    method: str = "manual",
) -> int:
    """Peak bytes of one forward + backward above those held before (CUDA: max_memory_allocated;
    CPU: the profiler's allocation events), with `schedule` checkpointed by `method`."""

    def step() -> None:
        model.zero_grad(set_to_none=True)
        _logits, loss = lm_loss(model, ids, targets)
        loss.backward()

    with checkpointed_blocks(model, schedule, method):
        step()  # gradients exist from here on: the peak counts activations and their gradients
        model.zero_grad(set_to_none=True)
        _, peak = peak_memory(step, ids.device)
    return peak
