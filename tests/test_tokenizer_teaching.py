"""The readable BPE pieces of Module 02 against values worked out by hand."""

from __future__ import annotations

import pytest

from course_lib.tokenizer.teaching import (
    apply_merges,
    decode_tokens,
    encode_naive,
    get_pair_counts,
    merge_pair,
    split_on_special_tokens,
    train_bpe_naive,
)

BYTES = {i: bytes([i]) for i in range(256)}


def test_get_pair_counts_counts_overlapping_pairs_and_accumulates():
    assert get_pair_counts([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert get_pair_counts([7, 7, 7]) == {(7, 7): 2}
    assert get_pair_counts([5]) == {}
    counts = get_pair_counts([1, 2], weight=3)
    assert get_pair_counts([1, 2, 1], counts, weight=2) == {(1, 2): 5, (2, 1): 2}


def test_merge_pair_left_to_right_without_overlap():
    assert merge_pair([5, 6, 6, 7, 9, 1], (6, 7), 99) == [5, 6, 99, 9, 1]
    assert merge_pair([1, 1, 1], (1, 1), 9) == [9, 1]
    assert merge_pair([1, 1, 1, 1], (1, 1), 9) == [9, 9]
    assert merge_pair([1, 2], (2, 1), 9) == [1, 2]
    assert merge_pair([], (1, 2), 9) == []


def test_split_on_special_tokens_keeps_them_and_prefers_the_longest():
    eot = "<|endoftext|>"
    assert split_on_special_tokens(f"a{eot}b", [eot]) == ["a", eot, "b"]
    assert split_on_special_tokens(f"{eot}{eot}", [eot]) == [eot, eot]
    assert split_on_special_tokens("no specials", [eot]) == ["no specials"]
    assert split_on_special_tokens("", [eot]) == []
    assert split_on_special_tokens("text", []) == ["text"]
    double = eot + eot
    text = f"x{eot}{eot}{eot}y"
    assert split_on_special_tokens(text, [eot, double]) == ["x", double, eot, "y"]


def test_decode_tokens_replaces_invalid_bytes():
    euro = "€".encode()  # 3 bytes: e2 82 ac
    vocab = {**BYTES, 256: euro[:2], 257: euro[2:]}
    assert decode_tokens([104, 105], vocab) == "hi"
    assert decode_tokens([256, 257], vocab) == "€"  # a character split across two tokens
    assert decode_tokens([256], vocab) == "\ufffd"  # truncated sequence
    assert decode_tokens([0xFF, 104], vocab) == "\ufffdh"  # 0xff is never valid UTF-8


def test_apply_merges_uses_the_earliest_merge_first():
    # merges learned in this order: (a, b) -> 256, (b, c) -> 257, (256, c) -> 258
    a, b, c = b"abc"
    merges = {(a, b): 256, (b, c): 257, (256, c): 258}
    assert apply_merges([a, b, c], merges) == [258]
    assert apply_merges([b, c, a, b], merges) == [257, 256]
    assert apply_merges([c, c], merges) == [c, c]
    assert apply_merges([a], merges) == [a]


# Sennrich et al.'s toy corpus with GPT-2 pre-tokens (words keep their leading space). By hand:
# (s,t) and (e,s) tie at 9 and the greater bytes (s,t) win; then (e,st) 9; (o,w) beats (l,o) at 8;
# (l,ow) 8; five pairs tie at 6 and (w,est) has the greatest first token; (n,e); (ne,west);
# ( ,newest) beats ( ,low) on the second token; ( ,low).
TOY = (
    "low low low low low lower lower widest widest widest newest newest newest newest "
    "newest newest<|endoftext|>low"
)
TOY_MERGES = [
    (b"s", b"t"),
    (b"e", b"st"),
    (b"o", b"w"),
    (b"l", b"ow"),
    (b"w", b"est"),
    (b"n", b"e"),
    (b"ne", b"west"),
    (b" ", b"newest"),
    (b" ", b"low"),
]


def test_train_bpe_naive_on_a_toy_corpus():
    vocab, merges = train_bpe_naive(TOY, 256 + 1 + 9, ["<|endoftext|>"])
    assert merges == TOY_MERGES
    assert vocab[256] == b"<|endoftext|>"
    assert vocab[257] == b"st" and vocab[265] == b" low"
    assert len(vocab) == 266


def test_train_bpe_naive_stops_when_nothing_is_left_to_merge():
    vocab, merges = train_bpe_naive("aaaa", 1000)
    assert merges == [(b"a", b"a"), (b"aa", b"aa")]
    assert len(vocab) == 258


def test_encode_naive_round_trips_the_toy_corpus():
    vocab, merges = train_bpe_naive(TOY, 256 + 1 + 9, ["<|endoftext|>"])
    ids = encode_naive(TOY, vocab, merges, ["<|endoftext|>"])
    assert decode_tokens(ids, vocab) == TOY
    assert ids[-2:] == [256, 260]  # the special token, then "low" = l + ow
    assert encode_naive(" newest", vocab, merges) == [264]


def test_train_bpe_naive_rejects_bad_input():
    with pytest.raises(ValueError, match="too small"):
        train_bpe_naive("abc", 255)
    with pytest.raises(ValueError, match="too small"):
        train_bpe_naive("abc", 256, ["<|endoftext|>"])
    with pytest.raises(ValueError, match="duplicated"):
        train_bpe_naive("abc", 300, ["<|a|>", "<|a|>"])
