"""Tokenize whole data sets into flat `uint16` token files with a JSON sidecar.

`train.bin` holds the token ids back to back (an end-of-text id after each document when given);
`train.bin.json` records the token count, the dtype and the tokenizer's identity (its name and a hash
of its vocabulary and merges). Opening a token file with a different tokenizer, or one whose size
does not match its sidecar, is a clear error rather than silent garbage.

Any tokenizer works that has `encode(str) -> list[int]` and `vocab_size`; documents are encoded in
worker processes in chunks, written as they come, so memory stays bounded by a few chunks.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm.auto import tqdm

DTYPE = np.uint16
MAX_ID = int(np.iinfo(DTYPE).max)
SIDECAR_VERSION = 1
PROBE = "Hello, world! Once upon a time 123 ÿ café 日本 <|endoftext|>\n\n  tabs\tand spaces."


class Tokenizer(Protocol):
    vocab_size: int

    def encode(self, text: str) -> list[int]: ...


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


def _check_vocab(tokenizer: Tokenizer) -> None:
    if int(tokenizer.vocab_size) > MAX_ID + 1:
        raise ValueError(
            f"vocab_size {tokenizer.vocab_size} does not fit uint16 (at most {MAX_ID + 1} ids)"
        )


# Worker state: each process gets the tokenizer once, not with every chunk.
_WORKER: dict[str, Any] = {}


def _init_worker(tokenizer: Tokenizer, eot_id: int | None) -> None:
    _WORKER["tok"] = tokenizer
    _WORKER["eot"] = eot_id


def _encode_chunk(docs: list[str]) -> np.ndarray:
    tok, eot = _WORKER["tok"], _WORKER["eot"]
    ids: list[int] = []
    for doc in docs:
        ids.extend(tok.encode(doc))
        if eot is not None:
            ids.append(eot)
    arr = np.asarray(ids, dtype=np.int64)
    if arr.size and (arr.min() < 0 or arr.max() > MAX_ID):
        bad = int(arr.max() if arr.max() > MAX_ID else arr.min())
        raise ValueError(f"token id {bad} is out of uint16 range [0, {MAX_ID}]")
    return arr.astype(DTYPE)


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
    """Encode documents into a `uint16` token file and its sidecar; return the sidecar.

    With `num_workers > 1` chunks of `chunk_docs` documents are encoded in a process pool, at most
    `2 * num_workers` chunks in flight, and written in order.
    """
    _check_vocab(tokenizer)
    if eot_id is not None and not 0 <= eot_id <= MAX_ID:
        raise ValueError(f"eot_id {eot_id} is out of uint16 range")
    ident = identity or tokenizer_identity(tokenizer, name)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    n_tokens = 0
    n_docs = 0
    bar = tqdm(total=total_docs, unit="doc", desc=f"tokenize {path.name}", disable=not progress)
    try:
        with tmp.open("wb") as out:
            if num_workers <= 1:
                _init_worker(tokenizer, eot_id)
                results: Iterator[tuple[int, np.ndarray]] = (
                    (len(c), _encode_chunk(c)) for c in _chunks(docs, chunk_docs)
                )
                for n, arr in results:
                    arr.tofile(out)
                    n_tokens += arr.size
                    n_docs += n
                    bar.update(n)
            else:
                ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
                with ctx.Pool(num_workers, _init_worker, (tokenizer, eot_id)) as pool:
                    pending: deque = deque()
                    for chunk in _chunks(docs, chunk_docs):
                        pending.append((len(chunk), pool.apply_async(_encode_chunk, (chunk,))))
                        while len(pending) >= 2 * num_workers:
                            n, res = pending.popleft()
                            arr = res.get()
                            arr.tofile(out)
                            n_tokens += arr.size
                            n_docs += n
                            bar.update(n)
                    while pending:
                        n, res = pending.popleft()
                        arr = res.get()
                        arr.tofile(out)
                        n_tokens += arr.size
                        n_docs += n
                        bar.update(n)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    if n_docs == 0:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"no documents to tokenize for {path}")
    os.replace(tmp, path)
    meta = {
        "format": "flat token ids",
        "version": SIDECAR_VERSION,
        "dtype": "uint16",
        "num_tokens": int(n_tokens),
        "num_docs": int(n_docs),
        "eot_id": eot_id,
        "tokenizer": ident,
        "source": source,
    }
    sidecar_path(path).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def write_tokens_from_file(
    text_path: str | Path, path: str | Path, tokenizer: Tokenizer, *, mode: str = "auto", **kw: Any
) -> dict:
    """Tokenize the stories of a text file (see `loaders.iter_stories`) into a token file."""
    from course_lib.data.loaders import iter_stories

    return write_tokens(iter_stories(text_path, mode), path, tokenizer, source=str(text_path), **kw)


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
    meta = json.loads(side.read_text(encoding="utf-8"))
    if meta.get("dtype") != "uint16":
        raise ValueError(f"{side}: dtype {meta.get('dtype')!r} is not uint16")
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
