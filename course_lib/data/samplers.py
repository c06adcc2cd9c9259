"""Batch samplers over a token file (see `tokens.py`) or any flat 1-D token array.

- `get_batch` draws (input, target) windows at start positions uniform over every valid start, for
  training; given a path it re-opens the memmap on each call instead of keeping one that grows in
  memory over a long run (the leak nanoGPT fixed in its PR #428).
- `sequential_batches` walks the array once in order, for validation and scoring. Its tail rule is
  the library's only one: full windows of `context_length` come first, in batches; the remaining
  pairs, fewer than a window, come last as a batch of one shorter row, so every token after the
  first is a target exactly once. The trainer's validation and the held-out scorer use it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from course_lib.data.tokens import open_tokens

TokenSource = np.ndarray | str | Path


def token_array(tokens: TokenSource) -> np.ndarray:
    """The tokens as a 1-D array; a path is opened read-only with `open_tokens`, sidecar checked."""
    if isinstance(tokens, (str, Path)):
        return open_tokens(tokens)
    arr = tokens if isinstance(tokens, np.ndarray) else np.asarray(tokens)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"tokens must be integer token ids (a token file path or an integer array), got "
            f"an array of dtype {arr.dtype}"
        )
    if arr.ndim != 1:
        raise ValueError(f"tokens must be a 1-D array, got shape {arr.shape}")
    return arr


def to_device(x: torch.Tensor, device: str | torch.device) -> torch.Tensor:
    """Move a batch to `device`: via pinned memory, asynchronously, on CUDA; plainly elsewhere."""
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
    data = token_array(tokens)
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
    return to_device(x, device), to_device(y, device)
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
    data = token_array(tokens)
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
            to_device(torch.from_numpy(x.astype(np.int64)), device),
            to_device(torch.from_numpy(y.astype(np.int64)), device),
        )
    tail = n_pairs - n_full * context_length
    if tail:
        start = n_full * context_length
        x = data[start : start + tail].astype(np.int64)[None, :]
        y = data[start + 1 : start + 1 + tail].astype(np.int64)[None, :]
        yield to_device(torch.from_numpy(x), device), to_device(torch.from_numpy(y), device)
    ### END SOLUTION
