"""GPT-2's file format: vocab.json and merges.txt with bytes shown as printable characters."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

from course_lib.checks import check_distinct_paths, read_json, write_text_atomic
from course_lib.tokenizer.pretokenizer import GPT2_PATTERN
from course_lib.tokenizer.tokenizer import Merges, Tokenizer, Vocab

GPT2_SPECIAL_TOKENS = ["<|endoftext|>"]


@cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from each byte to a printable character (a space becomes 'Ġ', a newline 'Ċ').

    Printable Latin-1 bytes map to themselves; the other 68 bytes map, in order, to U+0100 onward.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    mapping = {b: chr(b) for b in printable}
    shift = 0
    for b in range(256):
        if b not in mapping:
            mapping[b] = chr(256 + shift)
            shift += 1
    return mapping


@cache
def unicode_to_bytes() -> dict[str, int]:
    """The inverse of `bytes_to_unicode`."""
    return {c: b for b, c in bytes_to_unicode().items()}


@cache
def _decode_table() -> dict[int, int]:
    """A str.translate table: GPT-2's characters to their byte values, any other to U+FFFF."""
    table = {cp: 0xFFFF for cp in range(0x100 + 68)}
    table.update({ord(c): b for c, b in unicode_to_bytes().items()})
    return table


def token_to_str(token: bytes) -> str:
    """A token's bytes in GPT-2's printable form."""
    table = bytes_to_unicode()
    return "".join(table[b] for b in token)


def str_to_token(text: str) -> bytes:
    """Bytes of a token written in GPT-2's printable form (raw UTF-8 if it is not in that form)."""
    try:  # each character becomes chr(its byte), which Latin-1 writes as that byte
        return text.translate(_decode_table()).encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def load_vocab_and_merges(
    vocab_path: str | os.PathLike, merges_path: str | os.PathLike
) -> tuple[Vocab, Merges]:
    """Read vocab.json ({token: id}) and merges.txt (one 'left right' pair per line, in rank order).

    A first line '#version: ...' is a header and is skipped; any other first line is a merge.
    """
    for path in (vocab_path, merges_path):
        if not Path(path).is_file():
            raise FileNotFoundError(f"tokenizer file not found: {path}")
    table = read_json(vocab_path, "vocab file (vocab.json)")
    if not isinstance(table, dict) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in table.values()
    ):
        raise ValueError(
            f"vocab file {vocab_path} must hold a JSON object {{token: id}} with integer ids; "
            "were the vocab and merges files swapped?"
        )
    vocab = {i: str_to_token(token) for token, i in table.items()}
    merges = []
    try:
        text = Path(merges_path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"merges file {merges_path} is not UTF-8 text (byte {err.start})"
        ) from None
    lines = text.split("\n")  # not splitlines(): it would also split on U+0085 and U+2028
    for n, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line or (n == 1 and line.startswith("#version")):
            continue
        parts = line.split(" ")
        if len(parts) != 2:
            raise ValueError(f"{merges_path}:{n}: expected 'left right', got {line!r}")
        merges.append((str_to_token(parts[0]), str_to_token(parts[1])))
    return vocab, merges


def save_vocab_and_merges(
    vocab: Vocab,
    merges: Merges,
    vocab_path: str | os.PathLike,
    merges_path: str | os.PathLike,
) -> None:
    """Write vocab.json and merges.txt (with GPT-2's '#version: 0.2' header line)."""
    check_distinct_paths({"vocab_path": vocab_path, "merges_path": merges_path}, {})
    as_text = {}
    for i, token in sorted(vocab.items()):
        key = token_to_str(token)
        if key in as_text:
            raise ValueError(f"ids {as_text[key]} and {i} are the same token {token!r}")
        as_text[key] = i
    write_text_atomic(vocab_path, json.dumps(as_text, ensure_ascii=False))
    lines = ["#version: 0.2"] + [f"{token_to_str(a)} {token_to_str(b)}" for a, b in merges]
    write_text_atomic(merges_path, "\n".join(lines) + "\n")


def load_gpt2_tokenizer(gpt2_dir: str | os.PathLike | None = None) -> Tokenizer:
    """GPT-2's tokenizer from a folder with vocab.json and merges.txt (default: shared data/gpt2)."""
    if gpt2_dir is None:
        from course_lib.paths import shared_data_dir

        shared = shared_data_dir()
        if shared is None:
            raise FileNotFoundError("no shared data folder: pass the folder with GPT-2's files")
        gpt2_dir = shared / "gpt2"
    folder = Path(gpt2_dir)
    return Tokenizer.from_files(folder / "vocab.json", folder / "merges.txt", GPT2_SPECIAL_TOKENS)


def tiktoken_encoding(tokenizer: Tokenizer, name: str = "course-bpe"):
    """A `tiktoken.Encoding` with the same tokens, so tiktoken can serve as an oracle offline.

    tiktoken merges by token id (lowest first), which equals merge order in BPE vocabularies.
    """
    import tiktoken

    special = set(tokenizer.special_ids.values())
    ranks = {token: i for i, token in tokenizer.vocab.items() if i not in special}
    return tiktoken.Encoding(
        name=name,
        pat_str=GPT2_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=dict(tokenizer.special_ids),
    )
