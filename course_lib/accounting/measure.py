"""Measured memory: the bytes autograd saves for backward, and the peak of a training step.

On CUDA the peak comes from the caching allocator (`torch.cuda.max_memory_allocated`). On CPU there is
no allocator counter, so the peak is rebuilt from `torch.profiler`'s memory events: every allocation
and free during the step, summed in time order; it counts tensor bytes exactly as the CUDA counter
does (not the process RSS, which also holds the allocator's caches and Python).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint


def tensor_bytes(tensors: Iterable[Tensor]) -> int:
    """Bytes of distinct storages among `tensors` (views of one storage count once)."""
    seen: dict[int, int] = {}
    for t in tensors:
        storage = t.untyped_storage()
        seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


def optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes of the optimizer's tensors (AdamW: exp_avg and exp_avg_sq; step counters excluded)."""
    return tensor_bytes(
        v
        for state in optimizer.state.values()
        for k, v in state.items()
        if isinstance(v, Tensor) and k != "step"
    )


def saved_tensor_bytes(fn: Callable[[], Any], exclude: Iterable[Tensor] = ()) -> tuple[Any, int]:
    """Run fn() and return (its result, bytes of distinct storages autograd saved for backward).

    Storages of `exclude` (a model's parameters and buffers) are not counted: they exist anyway.
    """
    skip = {t.untyped_storage().data_ptr() for t in exclude}
    seen: dict[int, int] = {}

    def pack(t: Tensor) -> Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in skip:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        result = fn()
    return result, sum(seen.values())


def lm_loss(model: nn.Module, ids: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """(logits, mean cross-entropy) of a language model on ids (batch, seq) and targets."""
    logits = model(ids)
    return logits, F.cross_entropy(logits.flatten(0, -2), targets.flatten())


def training_activation_bytes(model: nn.Module, ids: Tensor, targets: Tensor) -> int:
    """Measured activation memory of one forward + loss: saved tensors plus the logits held."""
    own = [*model.parameters(), *model.buffers()]
    (logits, _loss), saved = saved_tensor_bytes(lambda: lm_loss(model, ids, targets), own)
    return saved + logits.numel() * logits.element_size()


def _cpu_peak(events: Iterable[Any]) -> int:
    """Highest running total of the profiler's [memory] events (allocations +, frees -)."""
    steps = sorted(
        (e.start_ns(), e.nbytes())
        for e in events
        if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU
    )
    total = peak = 0
    for _, nbytes in steps:
        total += nbytes
        peak = max(peak, total)
    return peak


def peak_memory(fn: Callable[[], Any], device: torch.device | str = "cpu") -> tuple[Any, int]:
    """Run fn() and return (its result, peak bytes allocated on `device` above those held before)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        result = fn()
        torch.cuda.synchronize(device)
        return result, torch.cuda.max_memory_allocated(device) - before
    if device.type != "cpu":
        raise ValueError(f"peak memory is measured on 'cpu' or 'cuda', not {device.type!r}")
    activities = [torch.profiler.ProfilerActivity.CPU]
    with torch.profiler.profile(activities=activities, profile_memory=True) as prof:
        result = fn()
    return result, _cpu_peak(prof.profiler.kineto_results.events())


def measure_training_memory(
    model: nn.Module, optimizer: torch.optim.Optimizer, ids: Tensor, targets: Tensor
) -> dict[str, int]:
    """Measured bytes of one training step by part, and the step's peak ('total').

    A first, unmeasured step creates AdamW's moments; the measured step then starts from parameters
    and optimizer state (gradients set to None) and its peak is those plus the profiled increase.
    """
    device = ids.device

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        _logits, loss = lm_loss(model, ids, targets)
        loss.backward()
        optimizer.step()

    step()
    optimizer.zero_grad(set_to_none=True)
    params = tensor_bytes(model.parameters())
    state = optimizer_state_bytes(optimizer)
    activations = training_activation_bytes(model, ids, targets)
    _, increase = peak_memory(step, device)
    grads = tensor_bytes(p.grad for p in model.parameters() if p.grad is not None)
    return {
        "parameters": params,
        "gradients": grads,
        "optimizer_state": state,
        "activations": activations,
        "total": params + state + increase,
    }


SegmentRunner = Callable[[Callable[[Tensor], Tensor], Tensor, list[nn.Module]], Tensor]


def patch_segments(
    layers: nn.ModuleList, spans: Iterable[tuple[int, int]], run: SegmentRunner
) -> None:
    """Make the first layer of each span (start, stop) run layers[start:stop] as one segment,
    `run(body, x, blocks)`, and the span's other layers pass their input through;
    `unpatch_segments` restores the layers' own forward."""

    def segment_forward(blocks: list[nn.Module]) -> Callable[..., Tensor]:
        def forward(x: Tensor, positions: Tensor | None = None, kv_cache: Any = None) -> Tensor:
            if kv_cache is not None:
                raise ValueError("checkpointed layers are for training, not cached decoding")

            def body(h: Tensor) -> Tensor:
                for block in blocks:
                    h = type(block).forward(block, h, positions)
                return h

            return run(body, x, blocks)

        return forward

    def skip(x: Tensor, positions: Tensor | None = None, kv_cache: Any = None) -> Tensor:
        return x  # this layer already ran inside its segment's first layer

    starts = dict(spans)
    for i, layer in enumerate(layers):
        layer.forward = segment_forward(list(layers[i : starts[i]])) if i in starts else skip


def unpatch_segments(layers: nn.ModuleList) -> None:
    """Undo `patch_segments`: every layer runs its own forward again."""
    for layer in layers:
        vars(layer).pop("forward", None)


@contextlib.contextmanager
def checkpointed_layers(model: nn.Module, segment: int = 1) -> Iterator[nn.Module]:
    """Within the block, recompute `model.layers` in segments of `segment` layers during backward.

    Only each segment's input is saved; the layers' own activations are rebuilt when backward reaches
    them (torch.utils.checkpoint, non-reentrant). The model is restored on exit.
    """
    layers = getattr(model, "layers", None)
    if not isinstance(layers, nn.ModuleList):
        raise ValueError("checkpointed_layers needs a model with an nn.ModuleList `layers`")
    if not 1 <= segment <= len(layers):
        raise ValueError(f"segment must be 1..{len(layers)} layers, got {segment}")
    spans = [(i, min(i + segment, len(layers))) for i in range(0, len(layers), segment)]
    patch_segments(layers, spans, lambda body, x, _: checkpoint(body, x, use_reentrant=False))
    try:
        yield model
    finally:
        unpatch_segments(layers)
