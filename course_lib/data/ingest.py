"""Ingest Pile-style JSONL (`{"text": ..., "meta": {...}}` per line) with a cap, keeping only the text.

Train, validation and test live in separate files or folders and are read separately; `check_disjoint`
makes sure no document leaked from one split into another.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path


def ingest_jsonl(path: str | Path, cap: int | None = None, text_key: str = "text") -> list[str]:
    """Read at most `cap` documents from a JSONL file, keep each record's text and discard its metadata.

    Blank lines are skipped. A missing file is a FileNotFoundError; a file with no documents, a line
    that is not a JSON object, or a record without a string `text` is a ValueError naming the line.
    """
    ### BEGIN SOLUTION
    path = Path(path)
    if cap is not None and cap < 0:
        raise ValueError(f"cap must be None or >= 0, got {cap}")
    if not path.is_file():
        raise FileNotFoundError(f"JSONL file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    docs: list[str] = []
    saw_line = False
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if cap is not None and len(docs) >= cap:
                break
            if not line.strip():
                continue
            saw_line = True
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: malformed JSON line ({e.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get(text_key), str):
                raise ValueError(f"{path}:{lineno}: expected an object with a string {text_key!r}")
            docs.append(record[text_key])
    if not saw_line and cap != 0:
        raise ValueError(f"{path} holds no documents")
    return docs
    ### END SOLUTION


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.strip().encode("utf-8"), digest_size=16).digest()


def check_disjoint(splits: dict[str, list[str]]) -> None:
    """Raise ValueError if any document (after stripping whitespace) appears in two splits."""
    owner: dict[bytes, str] = {}
    for name, docs in splits.items():
        for i, doc in enumerate(docs):
            d = _digest(doc)
            if d in owner and owner[d] != name:
                raise ValueError(
                    f"document {i} of split {name!r} also appears in split {owner[d]!r}: "
                    "train, validation and test must not share documents"
                )
            owner.setdefault(d, name)
