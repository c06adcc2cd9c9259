"""Batch samplers over a flat token array (a `uint16` memmap from `tokens.py`, or any 1-D array).

- `get_batch` draws (input, target) windows at start positions uniform over every valid start, for
  training; given a path it re-opens the memmap on each call instead of keeping one that grows in
  memory over a long run (the leak nanoGPT fixed in its PR #428).
- `sequential_batches` walks the array once in order, for validation: every token is a target once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

TokenSource = np.ndarray | str | Path


def _as_array(tokens: TokenSource) -> np.ndarray:
    if isinstance(tokens, (str, Path)):
        path = Path(tokens)
        if not path.is_file():
            raise FileNotFoundError(f"token file not found: {path}")
        return np.memmap(path, dtype=np.uint16, mode="r")
    arr = np.asarray(tokens) if not isinstance(tokens, np.ndarray) else tokens
    if arr.ndim != 1:
        raise ValueError(f"tokens must be a 1-D array, got shape {arr.shape}")
    return arr


def _to_device(x: torch.Tensor, device: str | torch.device) -> torch.Tensor:
    device = torch.device(device)
    if device.type == "cuda":
        return x.pin_memory().to(device, non_blocking=True)
    return x.to(device)


def get_batch(
    tokens: TokenSource,
    batch_size: int,
    context_length: int,
    device: str | torch.device = "cpu",
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample `batch_size` random windows: x = tokens[s : s+L], y = tokens[s+1 : s+L+1] (int64).

    Start positions s are uniform over all `len(tokens) - context_length` valid ones.
    """
    ### BEGIN SOLUTION
    data = _as_array(tokens)
    if batch_size < 1 or context_length < 1:
        raise ValueError(
            f"batch_size and context_length must be >= 1, got {batch_size}, {context_length}"
        )
    n_starts = len(data) - context_length
    if n_starts < 1:
        raise ValueError(
            f"context_length {context_length} needs at least {context_length + 1} tokens, "
            f"the data has {len(data)}"
        )
    starts = torch.randint(0, n_starts, (batch_size,), generator=generator).tolist()
    x = torch.from_numpy(np.stack([data[s : s + context_length] for s in starts]).astype(np.int64))
    y = torch.from_numpy(
        np.stack([data[s + 1 : s + 1 + context_length] for s in starts]).astype(np.int64)
    )
    return _to_device(x, device), _to_device(y, device)
    ### END SOLUTION


def sequential_batches(
    tokens: TokenSource,
    batch_size: int,
    context_length: int,
    device: str | torch.device = "cpu",
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield (x, y) batches of consecutive windows covering the data once, in order.

    Window i holds inputs tokens[iL : iL+L] and targets tokens[iL+1 : iL+L+1]; full windows come in
    batches of `batch_size` (the last batch may have fewer rows); the tail shorter than L comes last
    as a batch of one shorter row, so every token after the first is a target exactly once.
    """
    ### BEGIN SOLUTION
    data = _as_array(tokens)
    if batch_size < 1 or context_length < 1:
        raise ValueError(
            f"batch_size and context_length must be >= 1, got {batch_size}, {context_length}"
        )
    if len(data) < 2:
        raise ValueError(f"need at least 2 tokens for one (input, target) pair, got {len(data)}")
    n_pairs = len(data) - 1
    n_full = n_pairs // context_length
    for first in range(0, n_full, batch_size):
        rows = range(first, min(first + batch_size, n_full))
        x = np.stack([data[r * context_length : (r + 1) * context_length] for r in rows])
        y = np.stack([data[r * context_length + 1 : (r + 1) * context_length + 1] for r in rows])
        yield (
            _to_device(torch.from_numpy(x.astype(np.int64)), device),
            _to_device(torch.from_numpy(y.astype(np.int64)), device),
        )
    tail = n_pairs - n_full * context_length
    if tail:
        start = n_full * context_length
        x = data[start : start + tail].astype(np.int64)[None, :]
        y = data[start + 1 : start + 1 + tail].astype(np.int64)[None, :]
        yield _to_device(torch.from_numpy(x), device), _to_device(torch.from_numpy(y), device)
    ### END SOLUTION


def num_sequential_batches(n_tokens: int, batch_size: int, context_length: int) -> int:
    """How many batches `sequential_batches` yields for an array of `n_tokens`."""
    n_pairs = max(n_tokens - 1, 0)
    n_full = n_pairs // context_length
    return -(-n_full // batch_size) + (1 if n_pairs % context_length else 0)
