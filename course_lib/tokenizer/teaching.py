"""The readable BPE that students write: pair counts, one merge, naive training, encode, decode.

Slow on purpose (every merge recounts every pair); `train_bpe` and `Tokenizer` are the fast
versions and are tested to give exactly the same results.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import regex

from course_lib.tokenizer.pretokenizer import GPT2_PATTERN, validate_special_tokens
from course_lib.tokenizer.trainer import check_vocab_size


def get_pair_counts(
    ids: Sequence[int], counts: dict[tuple[int, int], int] | None = None, weight: int = 1
) -> dict[tuple[int, int], int]:
    """Count adjacent pairs in ids (overlapping: [7, 7, 7] holds (7, 7) twice), adding to counts."""
    ### BEGIN SOLUTION
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts
    ### END SOLUTION


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace each occurrence of pair in ids by new_id, scanning left to right without overlaps."""
    ### BEGIN SOLUTION
    merged = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged
    ### END SOLUTION


def split_on_special_tokens(text: str, special_tokens: Sequence[str]) -> list[str]:
    """Split text into ordinary pieces and special tokens (kept as items); the longest match wins."""
    ### BEGIN SOLUTION
    longest_first = sorted(special_tokens, key=len, reverse=True)
    pieces = []
    start = i = 0
    while i < len(text):
        match = next((t for t in longest_first if text.startswith(t, i)), None)
        if match is None:
            i += 1
            continue
        if start < i:
            pieces.append(text[start:i])
        pieces.append(match)
        i += len(match)
        start = i
    if start < len(text):
        pieces.append(text[start:])
    return pieces
    ### END SOLUTION


def train_bpe_naive(
    text: str, vocab_size: int, special_tokens: Sequence[str] = ()
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Byte-level BPE that recounts every pair before each merge; ties go to the greater bytes."""
    special_tokens = validate_special_tokens(special_tokens)
    check_vocab_size(vocab_size, special_tokens)
    ### BEGIN SOLUTION
    vocab = {i: bytes([i]) for i in range(256)}
    for token in special_tokens:
        vocab[len(vocab)] = token.encode("utf-8")

    word_counts: dict[tuple[int, ...], int] = {}
    for piece in split_on_special_tokens(text, special_tokens):
        if piece in special_tokens:
            continue  # never merged, and no merge may cross one
        for word in regex.findall(GPT2_PATTERN, piece):
            key = tuple(word.encode("utf-8"))
            word_counts[key] = word_counts.get(key, 0) + 1

    merges = []
    while len(vocab) < vocab_size:
        pair_counts: dict[tuple[int, int], int] = {}
        for word, count in word_counts.items():
            get_pair_counts(word, pair_counts, weight=count)
        if not pair_counts:
            break
        best = max(pair_counts, key=lambda p: (pair_counts[p], vocab[p[0]], vocab[p[1]]))
        new_id = len(vocab)
        vocab[new_id] = vocab[best[0]] + vocab[best[1]]
        merges.append((vocab[best[0]], vocab[best[1]]))
        word_counts = {tuple(merge_pair(w, best, new_id)): c for w, c in word_counts.items()}
    return vocab, merges
    ### END SOLUTION


def apply_merges(ids: Sequence[int], merges: dict[tuple[int, int], int]) -> list[int]:
    """Encode one pre-token: apply the earliest learned merge present (smallest new id) until none."""
    ### BEGIN SOLUTION
    ids = list(ids)
    while len(ids) >= 2:
        pairs = get_pair_counts(ids)
        pair = min(pairs, key=lambda p: merges.get(p, float("inf")))
        if pair not in merges:
            break
        ids = merge_pair(ids, pair, merges[pair])
    return ids
    ### END SOLUTION


def encode_naive(
    text: str,
    vocab: dict[int, bytes],
    merges: list[tuple[bytes, bytes]],
    special_tokens: Sequence[str] = (),
) -> list[int]:
    """Token ids of text: split off special tokens, pre-tokenize, apply merges to each pre-token."""
    ### BEGIN SOLUTION
    token_ids = {token: i for i, token in vocab.items()}
    merge_ids = {(token_ids[a], token_ids[b]): token_ids[a + b] for a, b in merges}
    ids = []
    for piece in split_on_special_tokens(text, special_tokens):
        if piece in special_tokens:
            ids.append(token_ids[piece.encode("utf-8")])
            continue
        for word in regex.findall(GPT2_PATTERN, piece):
            byte_ids = [token_ids[bytes([b])] for b in word.encode("utf-8")]
            ids.extend(apply_merges(byte_ids, merge_ids))
    return ids
    ### END SOLUTION


def decode_tokens(ids: Iterable[int], vocab: dict[int, bytes]) -> str:
    """Join the tokens' bytes and decode them as UTF-8; invalid bytes become U+FFFD."""
    ### BEGIN SOLUTION
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")
    ### END SOLUTION
