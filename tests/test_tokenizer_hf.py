"""The exported tokenizer.json, loaded by Hugging Face `tokenizers` (the oracle), encodes the same."""

from __future__ import annotations

import random

import pytest
from tokenizers import Tokenizer as HFTokenizer

from course_lib.tokenizer.gpt2 import load_gpt2_tokenizer
from course_lib.tokenizer.hf_export import save_hf_tokenizer, to_hf_tokenizer
from course_lib.tokenizer.pretokenizer import count_pretokens
from course_lib.tokenizer.tokenizer import Tokenizer
from course_lib.tokenizer.trainer import train_bpe_from_counts

EOT = "<|endoftext|>"
TEXTS = [
    "",
    "Hello, world! How's it going?  Double  spaces and trailing   ",
    "line one\nline two\n\n\ttabbed\r\nwindows\n",
    "naïve café 中文 🎉👨‍👩‍👧 ½ ٣٤",
    f"one{EOT}two{EOT}{EOT}three",
]


def random_text(rng: random.Random) -> str:
    alphabet = list("abcdefgh ,.'\n\t") + ["  ", "é", "🎉", "中", "12", EOT]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))


@pytest.fixture(scope="module")
def small() -> Tokenizer:
    text = "".join(random_text(random.Random(0)) for _ in range(500))
    vocab, merges = train_bpe_from_counts(count_pretokens(text, [EOT]), 400, [EOT])
    return Tokenizer(vocab, merges, [EOT])


def test_trained_tokenizer_exports_identically(small, tmp_path):
    path = save_hf_tokenizer(small, tmp_path)
    assert path.name == "tokenizer.json"
    hf = HFTokenizer.from_file(str(path))
    assert hf.get_vocab_size() == small.vocab_size
    rng = random.Random(1)
    for text in TEXTS + [random_text(rng) for _ in range(300)]:
        ids = small.encode(text)
        assert hf.encode(text).ids == ids, text
        assert hf.decode(ids, skip_special_tokens=False) == text


def test_gpt2_exports_identically(shared_data):
    gpt2 = load_gpt2_tokenizer(shared_data / "gpt2")
    hf = to_hf_tokenizer(gpt2)
    stories = (shared_data / "tinystories" / "train.txt").read_text(encoding="utf-8")[:100_000]
    for text in TEXTS + [stories]:
        assert hf.encode(text).ids == gpt2.encode(text)
