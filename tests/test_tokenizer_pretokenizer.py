"""Pre-tokenization shortcuts against GPT-2's regex applied to the whole text (the oracle)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import regex

from course_lib.tokenizer.pretokenizer import (
    GPT2_ASCII_REGEX,
    GPT2_PATTERN,
    GPT2_REGEX,
    count_pretokens,
    find_chunk_boundaries,
    last_safe_boundary,
    pretokenize,
    pretokenize_pieces,
    special_tokens_regex,
    split_at_spaces,
    validate_special_tokens,
)
from course_lib.tokenizer.teaching import split_on_special_tokens

# Whitespace of every kind (\x1c is str.isspace() but not regex's \s), letters, digits, marks.
ALPHABET = (
    list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000") + [" ", " ", "\n"] + list("ab'sé1٣.!\x00")
)
ALPHABET += ["🎉", "<|eot|>", "ll", "ve"]


def random_text(rng: random.Random, max_len: int = 40) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, max_len)))


def test_possessive_regex_equals_gpt2_pattern():
    rng = random.Random(0)
    for _ in range(3000):
        text = random_text(rng)
        assert GPT2_REGEX.findall(text) == regex.findall(GPT2_PATTERN, text)


def test_ascii_regex_equals_gpt2_pattern_on_ascii():
    rng = random.Random(5)
    ascii_chars = [chr(c) for c in range(128)] + [" ", " ", "a", "'s", "'ll", "\n"] * 8
    for _ in range(5000):
        text = "".join(rng.choice(ascii_chars) for _ in range(rng.randint(0, 40)))
        assert GPT2_ASCII_REGEX.findall(text) == regex.findall(GPT2_PATTERN, text), repr(text)


def test_split_at_spaces_pieces_pretokenize_independently():
    rng = random.Random(1)
    for _ in range(3000):
        text = random_text(rng)
        pieces = split_at_spaces(text)
        assert " ".join(pieces) == text
        got = GPT2_REGEX.findall(pieces[0]) + [
            t for ts in pretokenize_pieces(pieces[1:]) for t in ts
        ]
        assert got == pretokenize(text), repr(text)


def test_count_pretokens_equals_counting_the_regex_matches():
    rng = random.Random(2)
    for _ in range(1000):
        text = random_text(rng, 80)
        assert count_pretokens(text, ["<|eot|>"]) == Counter(pretokenize(text, ["<|eot|>"]))


def pieces_and_specials(text: str, specials: list[str]) -> list[str]:
    """Special tokens kept in place, everything else pre-tokenized: what an encoder sees."""
    out = []
    for i, part in enumerate(regex.split("(" + "|".join(map(regex.escape, specials)) + ")", text)):
        out.extend([part] if i % 2 else GPT2_REGEX.findall(part))
    return out


def test_last_safe_boundary_is_a_cut_that_changes_nothing():
    rng = random.Random(3)
    specials = ["<|eot|>", "a b"]  # one special token holds a space: it must never be cut
    n_cut = 0
    for _ in range(3000):
        text = random_text(rng, 30) + rng.choice(["", " a b", "a b", " x", "\n"])
        p = last_safe_boundary(text, specials)
        if p == 0:
            continue
        n_cut += 1
        assert 0 < p < len(text)
        cut = pieces_and_specials(text[:p], specials) + pieces_and_specials(text[p:], specials)
        assert cut == pieces_and_specials(text, specials), (text, p)
    assert n_cut > 1000


def test_special_token_regex_split_equals_the_teaching_split():
    rng = random.Random(6)
    specials = ["<|eot|>", "<|eot|><|eot|>", "a b", "ab"]
    pattern = special_tokens_regex(specials)
    for _ in range(2000):
        text = "".join(rng.choice(["<|eot|>", "a", "b", " ", "x", "<|", "|>"]) for _ in range(30))
        fast = [piece for piece in pattern.split(text) if piece]
        assert fast == split_on_special_tokens(text, specials), text


def test_validate_special_tokens():
    assert validate_special_tokens(None) == []
    assert validate_special_tokens(("<a>", "<b>")) == ["<a>", "<b>"]
    with pytest.raises(ValueError, match="duplicated"):
        validate_special_tokens(["<a>", "<a>"])
    with pytest.raises(ValueError, match="non-empty"):
        validate_special_tokens(["<a>", ""])


def test_chunk_boundaries_keep_pretokens_and_special_tokens_whole(tmp_path):
    rng = random.Random(4)
    specials = ["<|eot|>", "a b"]
    text = "".join(random_text(rng, 60) for _ in range(1000))
    path = tmp_path / "random.txt"
    path.write_bytes(text.encode("utf-8"))
    data = path.read_bytes()
    bounds = find_chunk_boundaries(path, 200, specials)
    assert len(bounds) > 100
    chunks = [data[a:b].decode("utf-8") for a, b in zip(bounds, bounds[1:])]
    split = [t for chunk in chunks for t in pieces_and_specials(chunk, specials)]
    assert split == pieces_and_specials(text, specials)


def test_plan_chunks_covers_the_file_and_names_bad_input(tmp_path) -> None:
    from course_lib.tokenizer.pretokenizer import plan_chunks

    path = tmp_path / "t.txt"
    path.write_text("once upon a time " * 5000)
    workers, ranges = plan_chunks(path, (), num_workers=2, chunk_bytes=10_000)
    assert workers == 2 and ranges[0][0] == 0 and ranges[-1][1] == path.stat().st_size
    assert all(a < b for a, b in ranges), ranges
    assert all(b == c for (_, b), (c, _) in zip(ranges, ranges[1:])), "ranges leave gaps"
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="corpus is empty"):
        plan_chunks(tmp_path / "empty.txt", what="corpus")
    with pytest.raises(FileNotFoundError, match="corpus not found"):
        plan_chunks(tmp_path / "missing.txt", what="corpus")
