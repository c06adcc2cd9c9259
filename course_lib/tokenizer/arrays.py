"""Token ids on disk: uint16 arrays, and a parallel text-file-to-.bin encoder with a progress bar."""

from __future__ import annotations

import os
from collections.abc import Iterable
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from course_lib.tokenizer.pretokenizer import find_chunk_boundaries
from course_lib.tokenizer.tokenizer import Tokenizer

UINT16_LIMIT = 1 << 16  # ids 0..65,535


def check_fits_uint16(vocab_size: int) -> None:
    """Raise if ids of a vocabulary of this size do not all fit in uint16."""
    if vocab_size > UINT16_LIMIT:
        raise ValueError(
            f"a vocabulary of {vocab_size:,} tokens does not fit uint16 (at most {UINT16_LIMIT:,} "
            "ids); store the ids as uint32 instead"
        )


def to_uint16(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    """The ids as a uint16 array; raises if any id is negative or above 65,535."""
    array = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
    if array.size and (array.min() < 0 or array.max() >= UINT16_LIMIT):
        bad = array[(array < 0) | (array >= UINT16_LIMIT)][0]
        raise ValueError(f"token id {bad} does not fit uint16 (0..{UINT16_LIMIT - 1})")
    return array.astype(np.uint16)


def load_tokens(path: str | os.PathLike) -> np.memmap:
    """A read-only uint16 memmap of a .bin file written by `encode_file_to_bin`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"token file not found: {path}")
    return np.memmap(path, dtype=np.uint16, mode="r")


def encode_file_to_bin(
    tokenizer: Tokenizer,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    num_workers: int | None = None,
    chunk_bytes: int = 1 << 20,
    progress: bool = True,
) -> int:
    """Encode a UTF-8 text file to raw uint16 ids (readable with `load_tokens`); returns the count.

    Chunks are cut where encoding them apart gives the same ids, encoded by a pool of processes,
    and written in order, so memory stays bounded by a few chunks.
    """
    check_fits_uint16(tokenizer.vocab_size)
    input_path = Path(input_path)
    if not input_path.is_file():
        raise FileNotFoundError(f"text file not found: {input_path}")
    size = input_path.stat().st_size
    if size == 0:
        raise ValueError(f"text file is empty: {input_path}")
    workers = num_workers or os.cpu_count() or 1
    n_chunks = workers * -(-size // (chunk_bytes * workers))  # a multiple of workers: balanced
    bounds = find_chunk_boundaries(input_path, n_chunks, tokenizer.special_tokens)
    jobs = [(str(input_path), a, b) for a, b in zip(bounds, bounds[1:])]

    bar = _progress_bar(size, input_path.name) if progress else None
    n_tokens = 0
    with open(output_path, "wb") as out:
        if workers == 1 or len(jobs) == 1:
            results = (_encode_range(tokenizer, *job) for job in jobs)
            n_tokens = _write_all(results, jobs, out, bar)
        else:
            n_tokens = _write_all_parallel(tokenizer, jobs, min(workers, len(jobs)), out, bar)
    if bar is not None:
        bar.close()
    return n_tokens


def _write_all(results, jobs, out, bar) -> int:
    """Write the arrays in order and advance the bar by each chunk's bytes."""
    n_tokens = 0
    for (_, start, end), array in zip(jobs, results):
        out.write(array.tobytes())
        n_tokens += len(array)
        if bar is not None:
            bar.update(end - start)
    return n_tokens


_worker_tokenizer: Tokenizer | None = None


def _write_all_parallel(tokenizer: Tokenizer, jobs: list, workers: int, out, bar) -> int:
    """Encode the chunks in a process pool, writing the results in file order."""
    context = get_context()
    forking = context.get_start_method() == "fork"
    n_tokens = 0
    if forking:  # encode the first chunk here: forked workers inherit the warm caches
        first, jobs = jobs[:1], jobs[1:]
        n_tokens = _write_all([_encode_range(tokenizer, *first[0])], first, out, bar)
        _init_worker(tokenizer)  # inherited by the workers, never pickled
        pool = context.Pool(workers)
    else:
        pool = context.Pool(workers, _init_worker, (tokenizer,))
    try:
        with pool:
            return n_tokens + _write_all(pool.imap(_encode_chunk, jobs), jobs, out, bar)
    finally:
        _init_worker(None)


def _init_worker(tokenizer: Tokenizer | None) -> None:
    """Give each worker process its own copy of the tokenizer (and so its own cache)."""
    global _worker_tokenizer
    _worker_tokenizer = tokenizer


def _encode_chunk(job: tuple[str, int, int]) -> np.ndarray:
    """Worker: uint16 ids of one byte range of the file."""
    return _encode_range(_worker_tokenizer, *job)


def _encode_range(tokenizer: Tokenizer, path: str, start: int, end: int) -> np.ndarray:
    """uint16 ids of bytes start..end of a file."""
    with open(path, "rb") as f:
        f.seek(start)
        text = f.read(end - start).decode("utf-8", errors="replace")
    return np.array(tokenizer.encode(text), dtype=np.uint16)


def _progress_bar(total: int, name: str):
    """A tqdm bar over input bytes."""
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, desc=f"encoding {name}")
