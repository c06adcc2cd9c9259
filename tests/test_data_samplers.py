"""Random and sequential batch samplers over flat token arrays and memmaps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.data.samplers import get_batch, sequential_batches
from course_lib.data.tokens import write_token_ids


def test_windows_are_slices_shifted_by_one():
    data = np.arange(100, 300, dtype=np.uint16)
    g = torch.Generator().manual_seed(0)
    x, y = get_batch(data, 32, 8, "cpu", g)
    assert x.shape == y.shape == (32, 8) and x.dtype == y.dtype == torch.int64
    for row_x, row_y in zip(x.tolist(), y.tolist()):
        s = row_x[0] - 100
        assert row_x == list(range(100 + s, 108 + s))
        assert row_y == list(range(101 + s, 109 + s))


def test_every_valid_start_is_uniform():
    """20 tokens, context 4: starts 0..15 are valid; 32,000 draws give each about 2,000 (std ~43)."""
    data = np.arange(20, dtype=np.uint16)
    g = torch.Generator().manual_seed(1)
    counts = np.zeros(20, dtype=int)
    for _ in range(100):
        x, _ = get_batch(data, 320, 4, "cpu", g)
        np.add.at(counts, x[:, 0].numpy(), 1)
    assert counts[16:].sum() == 0
    assert counts[:16].min() > 0
    assert np.abs(counts[:16] - 2000).max() < 250  # ~6 standard deviations


def test_generator_makes_it_reproducible_and_path_reopens(tmp_path):
    data = np.arange(1000, dtype=np.uint16)
    path = tmp_path / "t.bin"
    write_token_ids(data, path)
    a = get_batch(data, 4, 16, "cpu", torch.Generator().manual_seed(7))
    b = get_batch(path, 4, 16, "cpu", torch.Generator().manual_seed(7))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_window_longer_than_data_and_bad_shapes():
    with pytest.raises(ValueError, match="needs at least 11 tokens"):
        get_batch(np.arange(10, dtype=np.uint16), 2, 10)
    assert get_batch(np.arange(11, dtype=np.uint16), 2, 10)[0].shape == (2, 10)
    with pytest.raises(ValueError, match="1-D"):
        get_batch(np.zeros((4, 4), dtype=np.uint16), 1, 2)
    with pytest.raises(ValueError, match=">= 1"):
        get_batch(np.arange(10, dtype=np.uint16), 0, 2)
    with pytest.raises(FileNotFoundError):
        get_batch("/nonexistent/tokens.bin", 1, 2)


def test_a_token_file_needs_its_sidecar(tmp_path):
    np.arange(100, dtype=np.uint16).tofile(tmp_path / "raw.bin")
    with pytest.raises(FileNotFoundError, match="no sidecar"):
        get_batch(tmp_path / "raw.bin", 1, 2)
    with pytest.raises(FileNotFoundError, match="no sidecar"):
        next(sequential_batches(tmp_path / "raw.bin", 1, 2))


@pytest.mark.parametrize(
    "n,batch,ctx", [(101, 4, 10), (100, 3, 7), (2, 5, 1), (50, 64, 8), (9, 2, 20)]
)
def test_sequential_covers_every_target_once_in_order(n, batch, ctx):
    data = np.arange(n, dtype=np.uint16)
    batches = list(sequential_batches(data, batch, ctx))
    n_full, tail = divmod(n - 1, ctx)  # full windows first, in batches; the tail row last
    assert len(batches) == -(-n_full // batch) + (tail > 0)
    xs = torch.cat([x.reshape(-1) for x, _ in batches]).tolist()
    ys = torch.cat([y.reshape(-1) for _, y in batches]).tolist()
    assert ys == list(range(1, n)) and xs == list(range(0, n - 1))
    for x, y in batches:
        assert x.shape == y.shape and x.shape[0] <= batch and x.shape[1] <= ctx
        assert torch.equal(x + 1, y)


def test_sequential_on_memmap(tmp_path):
    write_token_ids(np.arange(500), tmp_path / "v.bin")
    ys = [y for _, y in sequential_batches(tmp_path / "v.bin", 8, 16)]
    assert torch.cat([y.reshape(-1) for y in ys]).tolist() == list(range(1, 500))
    with pytest.raises(ValueError, match="at least 2 tokens"):
        list(sequential_batches(np.zeros(1, dtype=np.uint16), 1, 4))
