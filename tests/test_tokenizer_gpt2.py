"""GPT-2 parity: our Tokenizer on GPT-2's files against tiktoken built from the same files."""

from __future__ import annotations

import json
import random

import pytest

from course_lib.tokenizer.gpt2 import (
    bytes_to_unicode,
    load_gpt2_tokenizer,
    load_vocab_and_merges,
    str_to_token,
    tiktoken_encoding,
    token_to_str,
)
from course_lib.tokenizer.teaching import encode_naive

EOT = "<|endoftext|>"
VARIED = [
    "",
    "Hello, world! How's it going? I'm fine; we'll see, they've said.",
    "   leading spaces and trailing spaces   ",
    "tabs\tand\t\ttabs, newlines\n\n\nand\r\nwindows line ends\n",
    "a\n \n  \n   b    \n",
    "Unicode: naïve café, Straße, Ελληνικά, русский, 中文字符, 日本語のテキスト, 한국어",
    "Emoji: 🎉🎉 👨‍👩‍👧‍👦 🏳️‍🌈 ❤️ 👍🏽",
    "Numbers 1234567890 3.14159 1,000,000 ٣٤٥ ½ ²",
    "Code:\n    def f(x):\n        return x ** 2  # square\n",
    f"First document.{EOT}Second document.{EOT}{EOT}",
    f"{EOT} starts and ends {EOT}",
    "'s 's's 'll've're 'S 'LL don't DON'T",
    "\u00a0non-breaking\u2003em-space\u3000ideographic\u2028line-sep",
    "x" * 300 + " " + "ab" * 100,
]


@pytest.fixture(scope="module")
def gpt2(shared_data):
    return load_gpt2_tokenizer(shared_data / "gpt2")


@pytest.fixture(scope="module")
def tiktoken_gpt2(gpt2):
    return tiktoken_encoding(gpt2, "gpt2-offline")


def test_files_load_without_dropping_the_first_merge(shared_data, tmp_path):
    vocab, merges = load_vocab_and_merges(
        shared_data / "gpt2" / "vocab.json", shared_data / "gpt2" / "merges.txt"
    )
    assert len(vocab) == 50257 and vocab[50256] == EOT.encode()
    assert len(merges) == 50000
    assert merges[0] == (b" ", b"t")  # merges.txt line 1 is 'Ġ t', not a header
    # With GPT-2's original '#version' header the same merges come back.
    lines = (shared_data / "gpt2" / "merges.txt").read_text(encoding="utf-8")
    (tmp_path / "merges.txt").write_text("#version: 0.2\n" + lines, encoding="utf-8")
    assert (
        load_vocab_and_merges(shared_data / "gpt2" / "vocab.json", tmp_path / "merges.txt")[1]
        == merges
    )


def test_bytes_to_unicode_is_gpt2s_map():
    table = bytes_to_unicode()
    assert len(set(table.values())) == 256
    assert table[ord(" ")] == "Ġ" and table[ord("\n")] == "Ċ" and table[ord("a")] == "a"
    assert all(c.isprintable() and not c.isspace() for c in table.values())
    for token in (b" hello", b"\xff\x00\n", bytes(range(256))):
        assert str_to_token(token_to_str(token)) == token


@pytest.mark.parametrize("text", VARIED)
def test_varied_texts_match_tiktoken(gpt2, tiktoken_gpt2, text):
    ids = gpt2.encode(text)
    assert ids == tiktoken_gpt2.encode(text, allowed_special="all")
    assert gpt2.decode(ids) == text


def test_known_ids(gpt2):
    # GPT-2's published ids: 'Hello' 15496, ' world' 995, '<|endoftext|>' 50256.
    assert gpt2.encode(f"Hello world{EOT}") == [15496, 995, 50256]


def test_real_text_matches_tiktoken(gpt2, tiktoken_gpt2, shared_data):
    stories = (shared_data / "tinystories" / "valid.txt").read_text(encoding="utf-8")[:200_000]
    web = [json.loads(line)["text"] for line in (shared_data / "web" / "c4_demo.jsonl").open()]
    wiki = (shared_data / "web" / "wiki_demo.txt").read_text(encoding="utf-8")[:200_000]
    for text in (stories, "\n".join(web[:100]), wiki):
        assert gpt2.encode(text) == tiktoken_gpt2.encode(text, allowed_special="all")


def test_random_unicode_matches_tiktoken(gpt2, tiktoken_gpt2):
    rng = random.Random(0)
    ranges = [(0x20, 0x7E), (0x80, 0x2FFF), (0x3000, 0x9FFF), (0x1F300, 0x1FAFF)]
    for _ in range(500):
        chars = [
            chr(rng.randint(*rng.choice(ranges))) if rng.random() < 0.7 else rng.choice(" \n\t'")
            for _ in range(rng.randint(0, 60))
        ]
        text = "".join(chars)
        assert gpt2.encode(text) == tiktoken_gpt2.encode(text, allowed_special="all"), text


def test_naive_teaching_encoder_agrees_on_gpt2(gpt2):
    text = VARIED[1] + VARIED[6] + VARIED[9]
    assert encode_naive(text, gpt2.vocab, gpt2.merges, [EOT]) == gpt2.encode(text)
