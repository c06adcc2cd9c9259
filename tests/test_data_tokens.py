"""Token files: uint16 memmap + sidecar, tokenizer identity, parallel encoding, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from course_lib.data.tokens import (
    open_tokens,
    read_sidecar,
    sidecar_path,
    tokenizer_identity,
    write_tokens,
    write_tokens_from_file,
)


class ByteTokenizer:
    """UTF-8 bytes as ids, plus one end-of-text id: the oracle is `list(text.encode())`."""

    vocab_size = 257
    eot_id = 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))


class ShiftedTokenizer(ByteTokenizer):
    """Same vocabulary size, different ids: must not be mistaken for ByteTokenizer."""

    def encode(self, text: str) -> list[int]:
        return [(b + 1) % 256 for b in text.encode("utf-8")]


class HugeTokenizer(ByteTokenizer):
    vocab_size = 70_000


class OutOfRange(ByteTokenizer):
    def encode(self, text: str) -> list[int]:
        return [65_536]


DOCS = [f"Story {i}: once upon a time, café {'x' * (i % 7)}." for i in range(500)]


def _oracle(docs, eot):
    out = []
    for d in docs:
        out += list(d.encode("utf-8")) + [eot]
    return np.array(out, dtype=np.uint16)


def test_roundtrip_and_sidecar(tmp_path):
    tok = ByteTokenizer()
    meta = write_tokens(DOCS, tmp_path / "train.bin", tok, eot_id=256, name="bytes", progress=False)
    arr = open_tokens(tmp_path / "train.bin", tok, name="bytes")
    assert arr.dtype == np.uint16
    np.testing.assert_array_equal(arr, _oracle(DOCS, 256))
    side = json.loads(sidecar_path(tmp_path / "train.bin").read_text())
    assert side == meta == read_sidecar(tmp_path / "train.bin")
    assert side["num_tokens"] == len(arr) and side["num_docs"] == 500
    assert side["tokenizer"] == tokenizer_identity(tok, "bytes")
    assert (tmp_path / "train.bin").stat().st_size == 2 * len(arr)
    assert not (tmp_path / "train.bin.part").exists()


def test_parallel_matches_serial(tmp_path):
    tok = ByteTokenizer()
    write_tokens(DOCS, tmp_path / "a.bin", tok, eot_id=256, progress=False)
    write_tokens(
        iter(DOCS),
        tmp_path / "b.bin",
        tok,
        eot_id=256,
        num_workers=2,
        chunk_docs=37,
        progress=False,
    )
    assert (tmp_path / "a.bin").read_bytes() == (tmp_path / "b.bin").read_bytes()


def test_from_story_file(tmp_path):
    text = "".join(f"{d}\n<|endoftext|>\n" for d in DOCS[:50])
    (tmp_path / "s.txt").write_text(text)
    meta = write_tokens_from_file(
        tmp_path / "s.txt", tmp_path / "s.bin", ByteTokenizer(), eot_id=256, progress=False
    )
    assert meta["num_docs"] == 50 and meta["source"].endswith("s.txt")
    np.testing.assert_array_equal(open_tokens(tmp_path / "s.bin"), _oracle(DOCS[:50], 256))


def test_identity_tells_tokenizers_apart():
    a, b = tokenizer_identity(ByteTokenizer()), tokenizer_identity(ShiftedTokenizer())
    assert a["vocab_size"] == b["vocab_size"] and a["sha256"] != b["sha256"]
    v1 = tokenizer_identity(ByteTokenizer(), vocab={0: b"a"}, merges=[(b"a", b"b")])
    v2 = tokenizer_identity(ByteTokenizer(), vocab={0: b"a"}, merges=[(b"b", b"a")])
    assert v1["sha256"] != v2["sha256"]
    assert tokenizer_identity(ByteTokenizer()) == tokenizer_identity(ByteTokenizer())


def test_mismatch_and_damage_are_clear_errors(tmp_path):
    path = tmp_path / "t.bin"
    write_tokens(DOCS[:20], path, ByteTokenizer(), eot_id=256, progress=False)
    with pytest.raises(ValueError, match="re-tokenize"):
        open_tokens(path, ShiftedTokenizer())
    with path.open("ab") as f:
        f.write(b"\x00")
    with pytest.raises(ValueError, match="truncated or was written by something else"):
        open_tokens(path)
    sidecar_path(path).unlink()
    with pytest.raises(FileNotFoundError, match="no sidecar"):
        open_tokens(path)
    with pytest.raises(FileNotFoundError):
        open_tokens(tmp_path / "missing.bin")


def test_out_of_range_ids_and_vocab(tmp_path):
    with pytest.raises(ValueError, match="out of uint16 range"):
        write_tokens(["x"], tmp_path / "o.bin", OutOfRange(), progress=False)
    assert not (tmp_path / "o.bin").exists() and not (tmp_path / "o.bin.part").exists()
    with pytest.raises(ValueError, match="does not fit uint16"):
        write_tokens(["x"], tmp_path / "h.bin", HugeTokenizer(), progress=False)
    with pytest.raises(ValueError, match="eot_id"):
        write_tokens(["x"], tmp_path / "e.bin", ByteTokenizer(), eot_id=70_000, progress=False)
    with pytest.raises(ValueError, match="no documents"):
        write_tokens([], tmp_path / "n.bin", ByteTokenizer(), progress=False)
