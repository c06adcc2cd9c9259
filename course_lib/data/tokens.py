"""Token files, the one on-disk format for token ids: a flat `uint16` file and its JSON sidecar.

`train.bin` holds the token ids back to back; `train.bin.json` records the token count, the dtype,
the tokenizer's identity (its name and a hash of its vocabulary and merges) and where the ids came
from. Opening a token file without its sidecar, with a different tokenizer, or one whose size does
not match its sidecar, is a clear error rather than silent garbage.

Three writers, one format: `write_token_ids` stores ids already in hand; `write_tokens` encodes
documents (an end-of-text id after each when given); `write_tokens_from_file` encodes a whole text
file as it stands, cut into byte ranges at safe boundaries. The last two encode in worker processes
and write the results in order as they come, so memory stays bounded by a few chunks. One reader,
`open_tokens`, maps a file back read-only.

Any tokenizer works that has `encode(str) -> list[int]` and `vocab_size` (and, for text files with
special tokens, `special_tokens`).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm

from course_lib.checks import check_distinct_paths, read_json, write_text_atomic

DTYPE = np.uint16
UINT16_LIMIT = 1 << 16  # ids 0..65,535
SIDECAR_VERSION = 1
PROBE = "Hello, world! Once upon a time 123 ÿ café 日本 <|endoftext|>\n\n  tabs\tand spaces."


class Tokenizer(Protocol):
    vocab_size: int

    def encode(self, text: str) -> list[int]: ...


def check_fits_uint16(vocab_size: int) -> None:
    """Raise if the ids of a vocabulary of this size do not all fit in uint16."""
    if int(vocab_size) > UINT16_LIMIT:
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
    return array.astype(DTYPE)


def sidecar_path(path: str | Path) -> Path:
    """Where the sidecar of a token file lives: `<file>.json`."""
    return Path(f"{path}.json")


def _canonical(obj: Any) -> bytes:
    def default(o: Any) -> Any:
        if isinstance(o, bytes):
            return o.hex()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        raise TypeError(f"cannot hash {type(o).__name__}")

    if isinstance(obj, dict):
        obj = sorted(((str(k), v) for k, v in obj.items()), key=lambda kv: kv[0])
    return json.dumps(obj, default=default, ensure_ascii=False).encode("utf-8")


def tokenizer_identity(
    tokenizer: Tokenizer,
    name: str | None = None,
    vocab: Any = None,
    merges: Any = None,
) -> dict:
    """Name, vocabulary size and a sha256 fingerprint of a tokenizer.

    The fingerprint hashes the vocabulary and merges (passed in, or read from the tokenizer's `vocab`
    and `merges` attributes) together with the ids it gives a fixed probe string, so two tokenizers
    that split text differently never share one.
    """
    vocab = vocab if vocab is not None else getattr(tokenizer, "vocab", None)
    merges = merges if merges is not None else getattr(tokenizer, "merges", None)
    h = hashlib.sha256()
    h.update(b"vocab:" + (_canonical(vocab) if vocab is not None else b"-"))
    h.update(b"merges:" + (_canonical(list(merges)) if merges is not None else b"-"))
    h.update(b"probe:" + _canonical(list(tokenizer.encode(PROBE))))
    return {
        "name": name or type(tokenizer).__name__,
        "vocab_size": int(tokenizer.vocab_size),
        "sha256": h.hexdigest(),
    }


def _write_token_file(
    path: str | Path, arrays: Iterable[np.ndarray], describe: Callable[[], dict]
) -> dict:
    """Write uint16 arrays back to back to `path` and then its sidecar; return the sidecar.

    The ids go to `<path>.part`, renamed over `path` only when complete; `describe()`, called once
    every array is written, gives the sidecar's fields (it may raise to discard the file).
    """
    path = Path(path)
    if path.exists() and not (path.is_file() and sidecar_path(path).is_file()):
        raise FileExistsError(
            f"{path} exists and is not a token file (it has no sidecar {sidecar_path(path).name}): "
            "refusing to replace it; choose another path, or delete it if it is a stale token file"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    n_tokens = 0
    try:
        with tmp.open("wb") as out:
            for array in arrays:
                array.astype(DTYPE, copy=False).tofile(out)
                n_tokens += array.size
        fields = describe()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    meta = {
        "format": "flat token ids",
        "version": SIDECAR_VERSION,
        "dtype": "uint16",
        "num_tokens": int(n_tokens),
        "num_docs": None,
        "eot_id": None,
        "tokenizer": None,
        "source": None,
        **fields,
    }
    write_text_atomic(sidecar_path(path), json.dumps(meta, indent=2) + "\n")
    return meta


def _identity(tokenizer: Tokenizer | None, name: str | None, identity: dict | None) -> dict | None:
    if tokenizer is not None:
        check_fits_uint16(tokenizer.vocab_size)
    if identity is not None or tokenizer is None:
        return identity
    return tokenizer_identity(tokenizer, name)


def write_token_ids(
    ids: Iterable[int] | np.ndarray,
    path: str | Path,
    tokenizer: Tokenizer | None = None,
    *,
    name: str | None = None,
    identity: dict | None = None,
    eot_id: int | None = None,
    source: str | None = None,
) -> dict:
    """Store token ids already in hand as a token file; return its sidecar.

    Without a tokenizer (or its `identity`) the sidecar names none, and `open_tokens` can then not
    check which tokenizer made the ids.
    """
    ident = _identity(tokenizer, name, identity)
    array = to_uint16(ids)
    fields = {"eot_id": eot_id, "tokenizer": ident, "source": source}
    return _write_token_file(path, [array], lambda: fields)


# Worker state: each process gets the tokenizer once, not with every job.
_WORKER: dict[str, Any] = {}

# A job is a list of documents (each encoded, then followed by the end-of-text id if there is
# one) or a byte range (path, start, end) of a text file, encoded as it stands.
Job = list[str] | tuple[str, int, int]


def _init_worker(tokenizer: Tokenizer, eot_id: int | None) -> None:
    _WORKER["tokenizer"] = tokenizer
    _WORKER["eot_id"] = eot_id


def _encode_job(job: Job) -> np.ndarray:
    tokenizer, eot_id = _WORKER["tokenizer"], _WORKER["eot_id"]
    if isinstance(job, tuple):
        from course_lib.tokenizer.pretokenizer import read_text_range

        return to_uint16(tokenizer.encode(read_text_range(*job)))
    ids: list[int] = []
    for doc in job:
        ids.extend(tokenizer.encode(doc))
        if eot_id is not None:
            ids.append(eot_id)
    return to_uint16(ids)


def _encode_in_order(
    jobs: Iterable[Job], tokenizer: Tokenizer, eot_id: int | None, num_workers: int
) -> Iterator[tuple[Job, np.ndarray]]:
    """(job, ids) for every job, in order; with `num_workers > 1` encoded in a process pool with at
    most `2 * num_workers` jobs in flight."""
    _init_worker(tokenizer, eot_id)
    jobs = iter(jobs)
    try:
        if num_workers <= 1:
            for job in jobs:
                yield job, _encode_job(job)
            return
        context = mp.get_context()
        if context.get_start_method() == "fork":
            # the first job is encoded here: forked workers inherit the tokenizer, its cache warm,
            # without pickling it
            first = next(jobs, None)
            if first is None:
                return
            yield first, _encode_job(first)
            pool = context.Pool(num_workers)
        else:
            pool = context.Pool(num_workers, _init_worker, (tokenizer, eot_id))
        with pool:
            pending: deque = deque()
            for job in jobs:
                pending.append((job, pool.apply_async(_encode_job, (job,))))
                if len(pending) >= 2 * num_workers:
                    done, result = pending.popleft()
                    yield done, result.get()
            while pending:
                done, result = pending.popleft()
                yield done, result.get()
    finally:
        _WORKER.clear()


def _chunks(docs: Iterable[str], size: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_tokens(
    docs: Iterable[str],
    path: str | Path,
    tokenizer: Tokenizer,
    *,
    eot_id: int | None = None,
    name: str | None = None,
    identity: dict | None = None,
    num_workers: int = 1,
    chunk_docs: int = 512,
    progress: bool = True,
    total_docs: int | None = None,
    source: str | None = None,
) -> dict:
    """Encode documents into a token file, each followed by `eot_id` when given; return the sidecar.

    With `num_workers > 1` chunks of `chunk_docs` documents are encoded in a process pool.
    """
    ident = _identity(tokenizer, name, identity)
    if eot_id is not None and not 0 <= eot_id < UINT16_LIMIT:
        raise ValueError(f"eot_id {eot_id} is out of uint16 range")
    path = Path(path)
    n_docs = 0
    bar = tqdm(total=total_docs, unit="doc", desc=f"tokenize {path.name}", disable=not progress)

    def arrays() -> Iterator[np.ndarray]:
        nonlocal n_docs
        for chunk, ids in _encode_in_order(
            _chunks(docs, chunk_docs), tokenizer, eot_id, num_workers
        ):
            n_docs += len(chunk)
            bar.update(len(chunk))
            yield ids

    def describe() -> dict:
        if n_docs == 0:
            raise ValueError(f"no documents to tokenize for {path}")
        return {"num_docs": n_docs, "eot_id": eot_id, "tokenizer": ident, "source": source}

    try:
        return _write_token_file(path, arrays(), describe)
    finally:
        bar.close()


def write_tokens_from_file(
    text_path: str | Path,
    path: str | Path,
    tokenizer: Tokenizer,
    *,
    name: str | None = None,
    identity: dict | None = None,
    num_workers: int | None = None,
    chunk_bytes: int = 1 << 20,
    progress: bool = True,
) -> dict:
    """Encode a UTF-8 text file as it stands (special tokens in it become their ids) into a token
    file; return the sidecar.

    The file is cut into byte ranges where encoding them apart gives the same ids as encoding the
    whole text (`find_chunk_boundaries`), encoded by `num_workers` processes (default: every CPU).
    """
    from course_lib.tokenizer.pretokenizer import plan_chunks

    check_distinct_paths(
        {"path": path, "its sidecar": sidecar_path(path)}, {"text_path": text_path}
    )
    ident = _identity(tokenizer, name, identity)
    text_path = Path(text_path)
    specials = getattr(tokenizer, "special_tokens", ())
    workers, ranges = plan_chunks(text_path, specials, num_workers, chunk_bytes)
    size = text_path.stat().st_size
    jobs = [(str(text_path), a, b) for a, b in ranges]
    bar = tqdm(
        total=size,
        unit="B",
        unit_scale=True,
        desc=f"tokenize {text_path.name}",
        disable=not progress,
    )

    def arrays() -> Iterator[np.ndarray]:
        for (_, start, end), ids in _encode_in_order(
            jobs, tokenizer, None, min(workers, len(jobs))
        ):
            bar.update(end - start)
            yield ids

    try:
        return _write_token_file(
            path, arrays(), lambda: {"tokenizer": ident, "source": str(text_path)}
        )
    finally:
        bar.close()


def read_sidecar(path: str | Path) -> dict:
    """The sidecar of a token file, checked against the file's size."""
    path = Path(path)
    side = sidecar_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"token file not found: {path}")
    if not side.is_file():
        raise FileNotFoundError(
            f"token file {path} has no sidecar {side.name}: re-create it with write_tokens"
        )
    meta = read_json(side, "token file sidecar")
    if not isinstance(meta, dict) or not isinstance(meta.get("num_tokens"), int):
        raise ValueError(f"{side} is not a token file sidecar: it records no integer num_tokens")
    if meta.get("dtype") != "uint16":
        raise ValueError(
            f"{side}: the ids are stored as {meta.get('dtype')!r}, but token files are uint16: "
            "re-create the file with write_tokens"
        )
    expected = int(meta["num_tokens"]) * np.dtype(DTYPE).itemsize
    actual = path.stat().st_size
    if actual != expected:
        raise ValueError(
            f"{path} has {actual} bytes but its sidecar promises {meta['num_tokens']} uint16 tokens "
            f"({expected} bytes): the file is truncated or was written by something else"
        )
    return meta


def open_tokens(
    path: str | Path,
    tokenizer: Tokenizer | None = None,
    *,
    identity: dict | None = None,
    name: str | None = None,
) -> np.ndarray:
    """Open a token file read-only as a memmap, refusing one made by a different tokenizer."""
    meta = read_sidecar(path)
    want = identity or (tokenizer_identity(tokenizer, name) if tokenizer is not None else None)
    if want is not None:
        have = meta["tokenizer"]
        if have is None:
            raise ValueError(
                f"{path} records no tokenizer, so it cannot be checked against "
                f"{want.get('name')!r}: re-tokenize the data with this tokenizer"
            )
        if have.get("sha256") != want.get("sha256") or have.get("vocab_size") != want.get(
            "vocab_size"
        ):
            raise ValueError(
                f"{path} was tokenized with {have.get('name')!r} (vocab {have.get('vocab_size')}, "
                f"sha256 {str(have.get('sha256'))[:12]}...) but you passed {want.get('name')!r} "
                f"(vocab {want.get('vocab_size')}, sha256 {str(want.get('sha256'))[:12]}...): "
                "re-tokenize the data with this tokenizer"
            )
    if meta["num_tokens"] == 0:
        return np.zeros(0, dtype=DTYPE)  # np.memmap cannot map an empty file
    return np.memmap(path, dtype=DTYPE, mode="r", shape=(int(meta["num_tokens"]),))
