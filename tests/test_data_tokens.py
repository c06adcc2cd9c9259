"""Token files: uint16 memmap + sidecar, tokenizer identity, the three writers against plain
encoding (parallel ones included), and clear errors."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from course_lib.data.loaders import iter_stories
from course_lib.data.tokens import (
    check_fits_uint16,
    open_tokens,
    read_sidecar,
    sidecar_path,
    to_uint16,
    tokenizer_identity,
    write_token_ids,
    write_tokens,
    write_tokens_from_file,
)
from course_lib.tokenizer.pretokenizer import count_pretokens
from course_lib.tokenizer.tokenizer import Tokenizer
from course_lib.tokenizer.trainer import train_bpe_from_counts

EOT = "<|endoftext|>"


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


def test_stories_of_a_file(tmp_path):
    text = "".join(f"{d}\n<|endoftext|>\n" for d in DOCS[:50])
    (tmp_path / "s.txt").write_text(text)
    meta = write_tokens(
        iter_stories(tmp_path / "s.txt"), tmp_path / "s.bin", ByteTokenizer(), eot_id=256,
        progress=False, source="s.txt",
    )  # fmt: skip
    assert meta["num_docs"] == 50 and meta["source"] == "s.txt"
    np.testing.assert_array_equal(open_tokens(tmp_path / "s.bin"), _oracle(DOCS[:50], 256))


def test_ids_in_hand(tmp_path):
    meta = write_token_ids(range(60_000, 60_050), tmp_path / "ids.bin")
    assert meta["num_tokens"] == 50 and meta["tokenizer"] is None
    assert open_tokens(tmp_path / "ids.bin").tolist() == list(range(60_000, 60_050))
    with pytest.raises(ValueError, match="records no tokenizer"):
        open_tokens(tmp_path / "ids.bin", ByteTokenizer())
    write_token_ids(np.array([3, 4]), tmp_path / "b.bin", ByteTokenizer(), name="bytes")
    assert open_tokens(tmp_path / "b.bin", ByteTokenizer(), name="bytes").tolist() == [3, 4]
    assert open_tokens(tmp_path / "b.bin").tolist() == [3, 4]
    write_token_ids([], tmp_path / "empty.bin")
    assert open_tokens(tmp_path / "empty.bin").size == 0


@pytest.fixture(scope="module")
def bpe() -> Tokenizer:
    rng = random.Random(0)
    words = "once upon a time there was little girl who loved the sea".split()
    text = " ".join(rng.choice(words) for _ in range(5000))
    return Tokenizer(*train_bpe_from_counts(count_pretokens(text), 400, [EOT]), [EOT])


def _file_encoding_equals_encode(tmp_path, tokenizer, text, num_workers):
    path = tmp_path / "stories.txt"
    path.write_text(text, encoding="utf-8", newline="")
    meta = write_tokens_from_file(
        path, tmp_path / "stories.bin", tokenizer, num_workers=num_workers, chunk_bytes=20_000,
        progress=num_workers == 2,
    )  # fmt: skip
    tokens = open_tokens(tmp_path / "stories.bin", tokenizer)
    expected = tokenizer.encode(text)
    assert meta["num_tokens"] == len(tokens) == len(expected)
    assert meta["source"] == str(path) and meta["tokenizer"] == tokenizer_identity(tokenizer)
    assert tokens.dtype == np.uint16 and tokens.tolist() == expected


@pytest.mark.parametrize("num_workers", [1, 2])
def test_text_file_encoding_equals_encode(tmp_path, bpe, num_workers):
    rng = random.Random(1)
    words = "Once upon a time, the girl saw café 日本 sea.\n\n little".split(" ")
    text = " ".join(
        rng.choice(words) + (f"\n{EOT}" if rng.random() < 0.01 else "") for _ in range(30_000)
    )
    _file_encoding_equals_encode(tmp_path, bpe, text, num_workers)


@pytest.mark.parametrize("num_workers", [1, 2])
def test_tinystories_file_encoding_equals_encode(tmp_path, bpe, shared_data, num_workers):
    text = (shared_data / "tinystories" / "train.txt").read_text(encoding="utf-8")[:300_000]
    text = text.replace("\n", f"\n{EOT}", 50)  # some special tokens, used as chunk boundaries
    _file_encoding_equals_encode(tmp_path, bpe, text, num_workers)


def test_to_uint16_checks_the_range():
    assert to_uint16([0, 1, 65535]).tolist() == [0, 1, 65535]
    assert to_uint16(np.array([7], dtype=np.int64)).dtype == np.uint16
    assert to_uint16([]).size == 0
    with pytest.raises(ValueError, match="65536 does not fit uint16"):
        to_uint16([1, 65536])
    with pytest.raises(ValueError, match="-1 does not fit uint16"):
        to_uint16([-1])


def test_text_file_errors(tmp_path, bpe):
    check_fits_uint16(65536)
    with pytest.raises(ValueError, match="uint32"):
        check_fits_uint16(65537)
    big = Tokenizer({**bpe.vocab, 70_000: b"<big>"}, bpe.merges)
    (tmp_path / "t.txt").write_text("hello")
    with pytest.raises(ValueError, match="uint32"):
        write_tokens_from_file(tmp_path / "t.txt", tmp_path / "t.bin", big, progress=False)
    with pytest.raises(FileNotFoundError):
        write_tokens_from_file(tmp_path / "nope.txt", tmp_path / "o.bin", bpe, progress=False)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="empty"):
        write_tokens_from_file(tmp_path / "empty.txt", tmp_path / "o.bin", bpe, progress=False)


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
    with pytest.raises(ValueError, match="65536 does not fit uint16"):
        write_tokens(["x"], tmp_path / "o.bin", OutOfRange(), progress=False)
    assert not (tmp_path / "o.bin").exists() and not (tmp_path / "o.bin.part").exists()
    with pytest.raises(ValueError, match="does not fit uint16"):
        write_tokens(["x"], tmp_path / "h.bin", HugeTokenizer(), progress=False)
    with pytest.raises(ValueError, match="eot_id"):
        write_tokens(["x"], tmp_path / "e.bin", ByteTokenizer(), eot_id=70_000, progress=False)
    with pytest.raises(ValueError, match="no documents"):
        write_tokens([], tmp_path / "n.bin", ByteTokenizer(), progress=False)
