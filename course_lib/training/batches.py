"""Batches of token windows: random windows for training, sequential ones for validation."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor


def _check(tokens: np.ndarray, batch_size: int, context_length: int) -> None:
    if batch_size <= 0 or context_length <= 0:
        raise ValueError(
            f"batch_size and context_length must be positive, got {batch_size}, {context_length}"
        )
    if len(tokens) <= context_length:
        raise ValueError(
            f"the token array holds {len(tokens)} tokens; a window of context_length="
            f"{context_length} needs at least {context_length + 1}"
        )


def _to_device(window: np.ndarray, device: str | torch.device) -> tuple[Tensor, Tensor]:
    w = torch.from_numpy(window.astype(np.int64))
    device = torch.device(device)
    if device.type == "cuda":
        w = w.pin_memory().to(device, non_blocking=True)
    else:
        w = w.to(device)
    return w[:, :-1], w[:, 1:]


def get_batch(
    tokens: np.ndarray,
    batch_size: int,
    context_length: int,
    device: str | torch.device,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """`batch_size` random windows: inputs x and next-token targets y, both (batch, context)."""
    _check(tokens, batch_size, context_length)
    n_starts = len(tokens) - context_length
    starts = torch.randint(0, n_starts, (batch_size,), generator=generator).numpy()
    window = tokens[starts[:, None] + np.arange(context_length + 1)]
    return _to_device(window, device)


def iter_sequential_batches(
    tokens: np.ndarray,
    batch_size: int,
    context_length: int,
    device: str | torch.device,
    max_batches: int | None = None,
) -> Iterator[tuple[Tensor, Tensor]]:
    """Non-overlapping windows in order, for validation: every token is scored once."""
    _check(tokens, batch_size, context_length)
    n_windows = (len(tokens) - 1) // context_length
    offsets = np.arange(context_length + 1)
    for i, first in enumerate(range(0, n_windows, batch_size)):
        if max_batches is not None and i >= max_batches:
            return
        starts = np.arange(first, min(first + batch_size, n_windows)) * context_length
        yield _to_device(tokens[starts[:, None] + offsets], device)
