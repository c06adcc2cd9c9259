"""Tokenizer.encode/decode/encode_iterable against the naive teaching encoder and round trips."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap

import pytest

from course_lib.tokenizer.pretokenizer import count_pretokens
from course_lib.tokenizer.streaming import encode_iterable
from course_lib.tokenizer.teaching import decode_tokens, encode_naive
from course_lib.tokenizer.tokenizer import Tokenizer
from course_lib.tokenizer.trainer import train_bpe_from_counts

EOT = "<|endoftext|>"
SPECIALS = [EOT, EOT + EOT, "<pad>"]
WORDS = "the cat sat on a mat and it was very happy because its friend came home today".split()


def random_words(rng: random.Random, n: int) -> str:
    """English-like text with punctuation, whitespace runs, digits and the odd emoji."""
    extras = [",", ".", "!", "  ", "\n", "\n\n", " 42", "'s", " 🎉", " héllo", "\t", EOT]
    return "".join(
        (" " + rng.choice(WORDS)) if rng.random() < 0.8 else rng.choice(extras) for _ in range(n)
    )


def random_unicode(rng: random.Random, n: int) -> str:
    """Any valid code points: ASCII, whitespace, Latin, CJK, emoji, up to U+10FFFF."""
    ranges = [(0, 0x7F), (0x80, 0x7FF), (0x800, 0xD7FF), (0xE000, 0xFFFF), (0x10000, 0x10FFFF)]
    out = []
    for _ in range(n):
        lo, hi = rng.choice(ranges)
        out.append(rng.choice([chr(rng.randint(lo, hi)), " ", "\n", "a"]))
    return "".join(out)


@pytest.fixture(scope="module")
def trained() -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    text = random_words(random.Random(0), 20_000)
    return train_bpe_from_counts(count_pretokens(text, SPECIALS), 500, SPECIALS)


@pytest.fixture()
def tokenizer(trained) -> Tokenizer:
    vocab, merges = trained
    return Tokenizer(vocab, merges, SPECIALS)


def test_encode_equals_the_naive_encoder(trained, tokenizer):
    vocab, merges = trained
    rng = random.Random(1)
    for _ in range(200):
        text = random_words(rng, rng.randint(0, 60))
        assert tokenizer.encode(text) == encode_naive(text, vocab, merges, SPECIALS)


def test_round_trip_random_unicode(trained, tokenizer):
    rng = random.Random(2)
    for _ in range(300):
        text = random_unicode(rng, rng.randint(0, 40))
        ids = tokenizer.encode(text)
        assert tokenizer.decode(ids) == text
        assert decode_tokens(ids, trained[0]) == text


def test_longest_special_token_wins(tokenizer):
    single, double = tokenizer.special_ids[EOT], tokenizer.special_ids[EOT + EOT]
    assert tokenizer.encode(EOT) == [single]
    assert tokenizer.encode(EOT + EOT) == [double]
    assert tokenizer.encode(EOT * 3) == [double, single]
    assert tokenizer.encode(f"a{EOT}b")[1] == single
    assert tokenizer.decode(tokenizer.encode(f" x{EOT * 5}<pad>")) == f" x{EOT * 5}<pad>"


def test_special_tokens_are_ordinary_text_unless_declared(trained):
    vocab, merges = trained
    plain = Tokenizer(vocab, merges)
    ids = plain.encode(EOT)
    assert len(ids) > 1 and plain.decode(ids) == EOT


def test_new_special_token_gets_the_next_id(trained):
    vocab, merges = trained
    tokenizer = Tokenizer(vocab, merges, ["<new>"])
    assert tokenizer.special_ids["<new>"] == len(vocab)
    assert tokenizer.encode("hi<new>")[-1] == len(vocab)
    assert tokenizer.vocab_size == len(vocab) + 1


def test_decode_replaces_invalid_bytes_and_rejects_unknown_ids(tokenizer):
    assert tokenizer.decode([0xFF]) == "\ufffd"
    euro = list("€".encode())
    assert tokenizer.decode(euro) == "€" and tokenizer.decode(euro[:2]) == "\ufffd"
    assert tokenizer.decode_bytes(euro[:2]) == bytes(euro[:2])
    for bad in ([tokenizer.vocab_size], [-1], [3, 10**9]):
        with pytest.raises(ValueError, match="not in the vocabulary"):
            tokenizer.decode(bad)


def test_bad_vocabularies_are_rejected(trained):
    vocab, merges = trained
    with pytest.raises(ValueError, match="duplicated special tokens"):
        Tokenizer(vocab, merges, [EOT, EOT])
    without_a = {i: t for i, t in vocab.items() if t != b"a"}
    with pytest.raises(ValueError, match="all 256 single bytes"):
        Tokenizer(without_a, [])
    with pytest.raises(ValueError, match="not in vocab"):
        Tokenizer(vocab, [*merges, (b"zzz", b"qqq")])


def test_tiny_cache_gives_the_same_ids(trained, tokenizer):
    vocab, merges = trained
    small = Tokenizer(vocab, merges, SPECIALS, cache_size=8)
    text = random_words(random.Random(3), 3000)
    assert small.encode(text) == tokenizer.encode(text)


def test_save_and_from_files_round_trip(tmp_path, tokenizer):
    tokenizer.save(tmp_path / "vocab.json", tmp_path / "merges.txt")
    loaded = Tokenizer.from_files(tmp_path / "vocab.json", tmp_path / "merges.txt", SPECIALS)
    assert loaded.vocab == tokenizer.vocab and loaded.merges == tokenizer.merges
    text = random_words(random.Random(4), 500)
    assert loaded.encode(text) == tokenizer.encode(text)
    with pytest.raises(FileNotFoundError):
        Tokenizer.from_files(tmp_path / "missing.json", tmp_path / "merges.txt")


def test_encode_iterable_equals_encode(tmp_path, tokenizer):
    rng = random.Random(5)
    text = "".join(
        random_words(rng, 50) + rng.choice([" \n", "\n", "  \n\n", " ", EOT]) for _ in range(300)
    )
    path = tmp_path / "text.txt"
    path.write_text(text, encoding="utf-8", newline="")
    expected = tokenizer.encode(text)
    with open(path, encoding="utf-8", newline="") as f:
        assert list(tokenizer.encode_iterable(f, buffer_chars=64)) == expected
    # Arbitrary cuts, even inside special tokens and whitespace runs.
    cuts = sorted(rng.sample(range(len(text)), 500))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    assert list(tokenizer.encode_iterable(chunks, buffer_chars=100)) == expected


def test_encode_iterable_reads_lazily(tokenizer):
    read = []

    def chunks():
        for k in range(200):
            read.append(k)
            yield f"word{k} and more "

    ids = encode_iterable(tokenizer.encode, chunks(), buffer_chars=64)
    assert read == []  # a generator: nothing read before the first id is asked for
    first = next(ids)
    assert 0 < len(read) < 10  # about 64 characters read, then one safe cut
    text = "".join(f"word{k} and more " for k in range(200))
    assert [first, *ids] == tokenizer.encode(text) and len(read) == 200


STREAM_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    from course_lib.tokenizer.pretokenizer import count_pretokens
    from course_lib.tokenizer.tokenizer import Tokenizer
    from course_lib.tokenizer.trainer import train_bpe_from_counts

    path, block = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
    tokenizer = Tokenizer(*train_bpe_from_counts(count_pretokens(block), 600))
    per_block = len(tokenizer.encode(block))
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize"))
    limit = vm + 32 * 2**20  # 32 MB more address space than now; the file is 40 MB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    n = 0
    with open(path, encoding="utf-8") as f:
        for _ in tokenizer.encode_iterable(f):
            n += 1
    print(n, per_block)
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is only enforced on Linux")
def test_encode_iterable_streams_a_large_file_in_bounded_memory(tmp_path):
    rng = random.Random(6)
    # Starts with a letter and ends with ".\\n": blocks concatenate without changing their tokens.
    block = "Once" + random_words(rng, 2000).replace(EOT, "") + ".\n"
    (tmp_path / "block.txt").write_text(block, encoding="utf-8")
    repeats = (40 << 20) // len(block.encode()) + 1
    with open(tmp_path / "big.txt", "w", encoding="utf-8") as f:
        for _ in range(repeats):
            f.write(block)
    script = tmp_path / "stream.py"
    script.write_text(STREAM_SCRIPT)
    args = [sys.executable, str(script), str(tmp_path / "big.txt"), str(tmp_path / "block.txt")]
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    n, per_block = map(int, result.stdout.split())
    assert n == repeats * per_block
