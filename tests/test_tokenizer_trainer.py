"""The fast BPE trainer against the naive teaching trainer (the oracle), merge for merge."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from course_lib.tokenizer.pretokenizer import (
    count_pretokens,
    find_chunk_boundaries,
    pretokenize,
)
from course_lib.tokenizer.teaching import train_bpe_naive
from course_lib.tokenizer.trainer import (
    count_pretokens_in_file,
    train_bpe,
    train_bpe_from_counts,
)

EOT = "<|endoftext|>"
# A small alphabet makes many pairs equally frequent, so the tie-break is exercised constantly.
PIECES = ["a", "b", "c", "ab", "ba", " ", " ", "  ", "\n", "\n\n", ".", ",", "'s", "é", "🎉", "1"]


def random_corpus(rng: random.Random, n_pieces: int, special_tokens: list[str]) -> str:
    """Random text from PIECES with special tokens sprinkled in."""
    pieces = [rng.choice(PIECES) for _ in range(n_pieces)]
    for token in special_tokens:
        for _ in range(rng.randint(1, 5)):
            pieces.insert(rng.randrange(len(pieces) + 1), token)
    return "".join(pieces)


@pytest.mark.parametrize("seed", range(12))
def test_fast_trainer_equals_naive_on_random_corpora(tmp_path, seed):
    rng = random.Random(seed)
    special_tokens = [EOT, "<pad>", "<|endoftext|><|endoftext|>"][: seed % 4]
    text = random_corpus(rng, 1500, special_tokens)
    vocab_size = 256 + len(special_tokens) + rng.randint(1, 80)
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8", newline="")
    # Tiny chunks force many chunk boundaries and the parallel path.
    fast = train_bpe(
        path, vocab_size, special_tokens, num_workers=2, chunk_bytes=rng.choice([97, 500, 1 << 20])
    )
    assert fast == train_bpe_naive(text, vocab_size, special_tokens)


def test_train_from_counts_equals_naive_with_many_ties():
    rng = random.Random(123)
    text = random_corpus(rng, 3000, [EOT])
    counts = count_pretokens(text, [EOT])
    assert train_bpe_from_counts(counts, 400, [EOT]) == train_bpe_naive(text, 400, [EOT])


def test_trainer_stops_when_no_pair_is_left(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("ab ab", encoding="utf-8")
    with pytest.warns(UserWarning, match="vocabulary has 258 tokens"):
        vocab, merges = train_bpe(path, 10_000, num_workers=1)
    assert (vocab, merges) == train_bpe_naive("ab ab", 10_000)
    assert merges == [(b"a", b"b"), (b" ", b"ab")]


def test_special_tokens_are_never_merged_or_crossed(tmp_path):
    text = ("hello<|endoftext|>hello<|endoftext|><|endoftext|> world" * 50) + EOT
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    vocab, merges = train_bpe(path, 300, [EOT], num_workers=1)
    assert [t for t in vocab.values() if b"<|endoftext|>" in t] == [EOT.encode()]
    assert not any(b"o<" in t or b">h" in t or b"> " in t for t in vocab.values())


def test_pretoken_counts_do_not_depend_on_chunking(tmp_path):
    rng = random.Random(7)
    text = random_corpus(rng, 20_000, [EOT])
    path = tmp_path / "corpus.txt"
    path.write_text(text, encoding="utf-8", newline="")
    expected = Counter(pretokenize(text, [EOT]))
    for chunk_bytes in (50, 1000, 1 << 20):
        counts = count_pretokens_in_file(path, [EOT], num_workers=2, chunk_bytes=chunk_bytes)
        assert counts == expected


def test_chunk_boundaries_fall_on_special_tokens_when_there_are_some(tmp_path):
    text = "".join(f"story {i} is short.\n{EOT}" for i in range(2000))
    path = tmp_path / "stories.txt"
    path.write_bytes(text.encode())
    data = path.read_bytes()
    bounds = find_chunk_boundaries(path, 8, [EOT])
    assert bounds[0] == 0 and bounds[-1] == len(data) and bounds == sorted(set(bounds))
    assert len(bounds) == 9
    assert all(data.startswith(EOT.encode(), b) for b in bounds[1:-1])


def test_chunk_boundaries_never_split_an_overlapping_special_token(tmp_path):
    double = EOT + EOT
    text = "x" + EOT * 5000  # every EOT start is inside some occurrence of the double token
    path = tmp_path / "specials.txt"
    path.write_bytes(text.encode())
    bounds = find_chunk_boundaries(path, 4, [EOT, double])
    # Cut points may only be where the longest-first split of the whole text has a boundary.
    allowed = {1 + i * len(double) for i in range(2500)}
    assert all(b in allowed for b in bounds[1:-1])


def test_bad_inputs_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        train_bpe(tmp_path / "missing.txt", 300)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        train_bpe(empty, 300)
    text = tmp_path / "text.txt"
    text.write_text("some text")
    with pytest.raises(ValueError, match="too small"):
        train_bpe(text, 256, [EOT])
    with pytest.raises(ValueError, match="too small"):
        train_bpe(text, 100)
    with pytest.raises(ValueError, match="duplicated special tokens"):
        train_bpe(text, 300, [EOT, "<pad>", EOT])
    with pytest.raises(ValueError, match="non-empty"):
        train_bpe(text, 300, [""])


def test_tinystories_slice_equals_naive(shared_data):
    text = (shared_data / "tinystories" / "train.txt").read_text(encoding="utf-8")[:60_000]
    counts = count_pretokens(text, [EOT])
    assert train_bpe_from_counts(counts, 400, [EOT]) == train_bpe_naive(text, 400, [EOT])


def test_tinystories_full_file_vocab_1000(shared_data):
    path = shared_data / "tinystories" / "train.txt"
    vocab, merges = train_bpe(path, 1000, [EOT], num_workers=2, chunk_bytes=200_000)
    assert len(vocab) == 1000 and len(merges) == 1000 - 257
    assert (vocab, merges) == train_bpe(path, 1000, [EOT], num_workers=1)
    # Stories are simple English: the first merges build " t", "he", " the"-like pieces.
    common = {b" t", b"he", b" a", b" the", b"in", b"nd", b" s", b"ed"}
    assert len(common & {a + b for a, b in merges[:20]}) >= 5
    assert all(vocab[257 + i] == a + b for i, (a, b) in enumerate(merges))
