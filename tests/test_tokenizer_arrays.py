"""uint16 token arrays and the parallel file encoder against Tokenizer.encode on the whole text."""

from __future__ import annotations

import random

import numpy as np
import pytest

from course_lib.tokenizer.arrays import (
    check_fits_uint16,
    encode_file_to_bin,
    load_tokens,
    to_uint16,
)
from course_lib.tokenizer.pretokenizer import count_pretokens
from course_lib.tokenizer.tokenizer import Tokenizer
from course_lib.tokenizer.trainer import train_bpe_from_counts

EOT = "<|endoftext|>"


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    rng = random.Random(0)
    words = "once upon a time there was little girl who loved the sea".split()
    text = " ".join(rng.choice(words) for _ in range(5000))
    return Tokenizer(*train_bpe_from_counts(count_pretokens(text), 400, [EOT]), [EOT])


def test_to_uint16_checks_the_range():
    assert to_uint16([0, 1, 65535]).tolist() == [0, 1, 65535]
    assert to_uint16(np.array([7], dtype=np.int64)).dtype == np.uint16
    assert to_uint16([]).size == 0
    with pytest.raises(ValueError, match="65536 does not fit uint16"):
        to_uint16([1, 65536])
    with pytest.raises(ValueError, match="-1 does not fit uint16"):
        to_uint16([-1])


def test_vocab_too_big_for_uint16_is_rejected(tmp_path, tokenizer):
    check_fits_uint16(65536)
    with pytest.raises(ValueError, match="does not fit uint16"):
        check_fits_uint16(65537)
    big = Tokenizer({**tokenizer.vocab, 70_000: b"<big>"}, tokenizer.merges)
    path = tmp_path / "t.txt"
    path.write_text("hello")
    with pytest.raises(ValueError, match="uint32"):
        encode_file_to_bin(big, path, tmp_path / "t.bin", progress=False)


def test_missing_or_empty_file(tmp_path, tokenizer):
    with pytest.raises(FileNotFoundError):
        encode_file_to_bin(tokenizer, tmp_path / "nope.txt", tmp_path / "o.bin", progress=False)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="empty"):
        encode_file_to_bin(tokenizer, tmp_path / "empty.txt", tmp_path / "o.bin", progress=False)
    with pytest.raises(FileNotFoundError):
        load_tokens(tmp_path / "nope.bin")


@pytest.mark.parametrize("num_workers", [1, 2])
def test_parallel_file_encoding_equals_encode(tmp_path, tokenizer, shared_data, num_workers):
    text = (shared_data / "tinystories" / "train.txt").read_text(encoding="utf-8")[:300_000]
    text = text.replace("\n", f"\n{EOT}", 50)  # some special tokens, used as chunk boundaries
    path = tmp_path / "stories.txt"
    path.write_text(text, encoding="utf-8", newline="")
    n = encode_file_to_bin(
        tokenizer,
        path,
        tmp_path / "stories.bin",
        num_workers=num_workers,
        chunk_bytes=20_000,
        progress=num_workers == 2,
    )
    tokens = load_tokens(tmp_path / "stories.bin")
    expected = tokenizer.encode(text)
    assert n == len(tokens) == len(expected)
    assert tokens.dtype == np.uint16 and tokens.tolist() == expected
