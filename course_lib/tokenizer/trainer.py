"""Fast byte-level BPE training: parallel pre-token counting, then incremental merges with a heap."""

from __future__ import annotations

import heapq
import os
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING

from course_lib.checks import check_int
from course_lib.tokenizer.pretokenizer import (
    count_pretokens,
    plan_chunks,
    read_text_range,
    validate_special_tokens,
)

if TYPE_CHECKING:
    from tqdm import tqdm

Vocab = dict[int, bytes]
Merges = list[tuple[bytes, bytes]]


def train_bpe(
    input_path: str | os.PathLike,
    vocab_size: int,
    special_tokens: Sequence[str] = (),
    *,
    num_workers: int | None = None,
    chunk_bytes: int = 1 << 20,
    progress: bool = False,
) -> tuple[Vocab, Merges]:
    """Train byte-level BPE on a UTF-8 text file; returns (vocab, merges) in merge order.

    Ids 0-255 are the bytes, then the special tokens, then one id per merge. Ties between equally
    frequent pairs go to the lexicographically greater pair of byte strings.
    """
    special_tokens = validate_special_tokens(special_tokens)
    check_vocab_size(vocab_size, special_tokens)
    counts = count_pretokens_in_file(
        input_path, special_tokens, num_workers=num_workers, chunk_bytes=chunk_bytes
    )
    vocab, merges = train_bpe_from_counts(counts, vocab_size, special_tokens, progress=progress)
    if len(vocab) < vocab_size:
        warnings.warn(
            f"asked for vocab_size={vocab_size}, but the corpus has no pair left to merge after "
            f"{len(merges)} merges: the vocabulary has {len(vocab)} tokens; train on more text "
            "or ask for fewer",
            stacklevel=2,
        )
    return vocab, merges


def check_vocab_size(vocab_size: int, special_tokens: Sequence[str]) -> None:
    """Reject a vocabulary too small for the 256 bytes plus the special tokens."""
    smallest = 256 + len(special_tokens)
    if check_int("vocab_size", vocab_size) < smallest:
        raise ValueError(
            f"vocab_size={vocab_size} is too small: it must be at least 256 bytes + "
            f"{len(special_tokens)} special tokens = {smallest}"
        )


def count_pretokens_in_file(
    input_path: str | os.PathLike,
    special_tokens: Sequence[str] = (),
    *,
    num_workers: int | None = None,
    chunk_bytes: int = 1 << 20,
) -> Counter[str]:
    """Pre-token counts of a UTF-8 file, counted in parallel over chunks cut at safe boundaries."""
    path = Path(input_path)
    workers, ranges = plan_chunks(path, special_tokens, num_workers, chunk_bytes, "training text")
    jobs = [(str(path), a, b, tuple(special_tokens)) for a, b in ranges]
    counts: Counter[str] = Counter()
    if workers == 1 or len(jobs) == 1:
        for job in jobs:
            counts.update(_count_chunk(job))
        return counts
    with get_context().Pool(min(workers, len(jobs))) as pool:
        for chunk_counts in pool.imap_unordered(_count_chunk, jobs):
            counts.update(chunk_counts)
    return counts


def _count_chunk(job: tuple[str, int, int, tuple[str, ...]]) -> Counter[str]:
    """Worker: pre-token counts of one byte range of the file."""
    path, start, end, special_tokens = job
    return count_pretokens(read_text_range(path, start, end), special_tokens)


def train_bpe_from_counts(
    pretoken_counts: Mapping[str, int],
    vocab_size: int,
    special_tokens: Sequence[str] = (),
    *,
    progress: bool = False,
) -> tuple[dict[int, bytes], list[tuple[bytes, bytes]]]:
    """Learn the merges of `train_bpe_naive` from pre-token counts, updating only what a merge changes.

    Returns (vocab, merges) exactly as the naive trainer does on the text the counts come from,
    stopping early when no pair is left. The pair counts are computed once; after each merge only
    the words that hold the pair (found through a pair -> words index) are rewritten and the counts
    of the pairs around each merged occurrence adjusted. A heap finds the best pair.
    """
    special_tokens = validate_special_tokens(special_tokens)
    check_vocab_size(vocab_size, special_tokens)
    check_pretoken_counts(pretoken_counts)
    bar = merge_progress(vocab_size - 256 - len(special_tokens), progress)
    ### BEGIN SOLUTION
    vocab = {i: bytes([i]) for i in range(256)}
    for token in special_tokens:
        vocab[len(vocab)] = token.encode("utf-8")

    # A word is a str whose characters are token ids: chr(id). Merging a pair is then str.replace,
    # which, like BPE, replaces non-overlapping occurrences from left to right.
    words: list[str] = []
    freqs: list[int] = []
    for token, count in pretoken_counts.items():
        word = token.encode("utf-8").decode("latin-1")  # chr(byte) for every byte
        if len(word) > 1 and count > 0:
            words.append(word)
            freqs.append(count)

    pair_counts: dict[str, int] = defaultdict(int)
    where: dict[str, set[int]] = defaultdict(set)  # pair -> words that contain (or contained) it
    for i, (word, freq) in enumerate(zip(words, freqs)):
        for j in range(len(word) - 1):
            pair = word[j : j + 2]
            pair_counts[pair] += freq
            where[pair].add(i)

    # Min-heap on (-count, key of left, key of right): the most frequent pair, ties to the greater
    # bytes. Entries go stale when a count changes; a popped entry is used only if still current.
    rank_key = [descending_key(vocab[i]) for i in range(len(vocab))]
    heap = [(-c, rank_key[ord(p[0])], rank_key[ord(p[1])], p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    merges: list[tuple[bytes, bytes]] = []
    while len(vocab) < vocab_size and heap:
        neg_count, _, _, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg_count:
            continue
        new_id = len(vocab)
        left, right = vocab[ord(pair[0])], vocab[ord(pair[1])]
        vocab[new_id] = left + right
        merges.append((left, right))
        rank_key.append(descending_key(left + right))
        changed = merge_in_words(pair, chr(new_id), words, freqs, pair_counts, where)
        for p in changed:
            heapq.heappush(heap, (-pair_counts[p], rank_key[ord(p[0])], rank_key[ord(p[1])], p))
        bar.update(1)
    ### END SOLUTION
    bar.close()
    return vocab, merges


def merge_in_words(
    pair: str,
    merged: str,
    words: list[str],
    freqs: list[int],
    pair_counts: dict[str, int],
    where: dict[str, set[int]],
) -> list[str]:
    """Merge pair in every word holding it, update counts and index; return the pairs whose count rose."""
    ### BEGIN SOLUTION
    delta: dict[str, int] = defaultdict(int)
    del pair_counts[pair]  # every occurrence goes, and a merge never re-creates its own pair
    for i in where.pop(pair):
        word = words[i]
        at = word.find(pair)
        if at < 0:  # the index is lazy: the word lost this pair in an earlier merge
            continue
        freq = freqs[i]
        if word.find(pair, at + 2) < 0:  # one occurrence (the usual case): update its neighbours
            if at > 0:
                delta[word[at - 1 : at + 1]] -= freq
                new_pair = word[at - 1] + merged
                delta[new_pair] += freq
                where[new_pair].add(i)
            if at + 2 < len(word):
                delta[word[at + 1 : at + 3]] -= freq
                new_pair = merged + word[at + 2]
                delta[new_pair] += freq
                where[new_pair].add(i)
            words[i] = word[:at] + merged + word[at + 2 :]
            continue
        new_word = word.replace(pair, merged)
        for j in range(len(word) - 1):
            delta[word[j : j + 2]] -= freq
        for j in range(len(new_word) - 1):
            new_pair = new_word[j : j + 2]
            delta[new_pair] += freq
            if merged in new_pair:
                where[new_pair].add(i)
        words[i] = new_word
    delta.pop(pair, None)
    changed = []
    for p, d in delta.items():
        if d == 0:
            continue
        count = pair_counts.get(p, 0) + d
        if count > 0:
            pair_counts[p] = count
            changed.append(p)
        else:
            pair_counts.pop(p, None)
    return changed
    ### END SOLUTION


def check_pretoken_counts(pretoken_counts: Mapping[str, int]) -> None:
    """Reject pre-token counts that are not a mapping of str to int."""
    if not isinstance(pretoken_counts, Mapping):
        raise TypeError(
            "pretoken_counts must be a mapping of pre-token str -> count (a dict or Counter), "
            f"got {type(pretoken_counts).__name__}"
        )
    for token, count in pretoken_counts.items():
        if not isinstance(token, str) or isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(
                "pretoken_counts must map str pre-tokens to int counts, got "
                f"{token!r}: {count!r} ({type(token).__name__}: {type(count).__name__})"
            )


def descending_key(token: bytes) -> str:
    """A str key that sorts byte strings in reverse lexicographic order (b"ab" before b"a")."""
    return "".join(chr(255 - b) for b in token) + chr(256)


def merge_progress(total: int, enabled: bool = True) -> tqdm:
    """A tqdm bar over `total` merges; a silent one when not enabled (update and close do nothing)."""
    from tqdm.auto import tqdm

    return tqdm(total=max(total, 0), desc="BPE merges", unit="merge", disable=not enabled)
