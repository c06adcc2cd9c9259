"""A byte-level BPE tokenizer: encode, decode, stream, save and load (GPT-2's file format)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain

from course_lib.checks import check_type
from course_lib.tokenizer.pretokenizer import (
    findall_pretokens,
    pretokenize_pieces,
    special_tokens_regex,
    split_at_spaces,
    validate_special_tokens,
)
from course_lib.tokenizer.streaming import encode_iterable
from course_lib.tokenizer.teaching import decode_tokens

Vocab = dict[int, bytes]
Merges = list[tuple[bytes, bytes]]


class Tokenizer:
    """Byte-level BPE with GPT-2 pre-tokenization; special tokens are never split or merged."""

    def __init__(
        self,
        vocab: dict[int, bytes],
        merges: Sequence[tuple[bytes, bytes]],
        special_tokens: Sequence[str] | None = None,
        *,
        cache_size: int = 1 << 18,
    ) -> None:
        check_type("vocab", vocab, Mapping, "a dict {id: bytes}")
        if isinstance(merges, str | bytes | Mapping):
            raise TypeError(
                f"merges must be a list of (bytes, bytes) pairs, got {type(merges).__name__}"
            )
        self.vocab: Vocab = dict(vocab)
        self.merges: Merges = []
        for rank, merge in enumerate(merges):
            if not (isinstance(merge, tuple | list) and len(merge) == 2):
                raise TypeError(f"merge {rank} must be a (bytes, bytes) pair, got {merge!r}")
            self.merges.append((bytes(merge[0]), bytes(merge[1])))
        self.special_tokens: list[str] = validate_special_tokens(special_tokens)
        self.cache_size = cache_size

        self.special_ids: dict[str, int] = {}
        for token in self.special_tokens:
            encoded = token.encode("utf-8")
            same = sorted(i for i, t in self.vocab.items() if t == encoded)
            if not same:  # a special token the vocabulary lacks gets the next free id
                self.special_ids[token] = max(self.vocab, default=-1) + 1
                self.vocab[self.special_ids[token]] = encoded
            else:  # when a byte or a merged token has the same bytes, keep that one ordinary
                self.special_ids[token] = next((i for i in same if i >= 256), same[0])
        special = set(self.special_ids.values())
        ordinary = {token: i for i, token in self.vocab.items() if i not in special}
        missing = [b for b in range(256) if bytes([b]) not in ordinary]
        if missing:
            raise ValueError(
                f"a byte-level vocab needs all 256 single bytes; missing {missing[:8]}"
            )
        # Words are merged as strs of chr(token id): byte b starts as chr(id of b).
        self._byte_chars = {b: chr(ordinary[bytes([b])]) for b in range(256)}
        self._merge_ranks: dict[str, int] = {}  # chr(left) + chr(right) -> rank
        self._rank_merges: list[tuple[str, str]] = []  # rank -> (pair, chr(merged id))
        for rank, (left, right) in enumerate(self.merges):
            try:
                pair = chr(ordinary[left]) + chr(ordinary[right])
                merged = chr(ordinary[left + right])
            except KeyError as error:
                raise ValueError(
                    f"merge {rank} {(left, right)} uses a token not in vocab"
                ) from error
            self._merge_ranks.setdefault(pair, rank)
            self._rank_merges.append((pair, merged))
        self._special_re = special_tokens_regex(self.special_tokens)
        self._pretoken_cache: dict[str, list[int]] = {}
        self._piece_cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        """One more than the largest id (the size of an embedding table for this vocabulary)."""
        return max(self.vocab) + 1

    def encode(self, text: str) -> list[int]:
        """Token ids of text; special tokens (longest match first) map to their own ids."""
        check_type("text", text, str, "a str (decode bytes to str first)")
        if self._special_re is None:
            return self._encode_ordinary(text)
        ids: list[int] = []
        for i, part in enumerate(self._special_re.split(text)):
            if i % 2:
                ids.append(self.special_ids[part])
            elif part:
                ids.extend(self._encode_ordinary(part))
        return ids

    def encode_iterable(self, texts: Iterable[str], buffer_chars: int = 1 << 16) -> Iterator[int]:
        """Lazily encode a stream of strings (e.g. an open file) in memory bounded by buffer_chars.

        The ids equal those of `encode` on the whole concatenated text. The streaming is
        `encode_iterable`, module 02's exercise, so the students' copy of the library does not
        hand out its answer.
        """
        return encode_iterable(self.encode, texts, self.special_tokens, buffer_chars)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of the ids; byte sequences that are not valid UTF-8 become U+FFFD.

        The rule is `decode_tokens`, module 02's exercise, so the students' copy of the library
        does not hand out its answer. It gets the bytes already joined as one token, which keeps
        the join at C speed.
        """
        return decode_tokens((0,), {0: self.decode_bytes(ids)})

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The raw bytes of the ids (a list, tuple, 1-D tensor or array of ints)."""
        if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
            raise TypeError(f"ids must be a sequence of token ids (ints), got {type(ids).__name__}")
        if hasattr(ids, "tolist"):  # a tensor or array: its elements as Python ints
            ids = ids.tolist()
            if not isinstance(ids, list):
                ids = [ids]
        ids = ids if isinstance(ids, list | tuple) else list(ids)
        try:
            return b"".join(map(self.vocab.__getitem__, ids))
        except (KeyError, TypeError):
            for i in ids:
                if isinstance(i, bool) or not isinstance(i, int):
                    raise TypeError(
                        f"token ids must be ints, got {type(i).__name__} {i!r}"
                    ) from None
                if i not in self.vocab:
                    raise ValueError(
                        f"token id {i!r} is not in the vocabulary (ids are 0..{self.vocab_size - 1})"
                    ) from None
            raise

    def _encode_ordinary(self, text: str) -> list[int]:
        """Ids of text without special tokens, looking up whole space-led pieces in a cache."""
        pieces = split_at_spaces(text)
        ids = self._encode_pretokens(findall_pretokens(pieces[0])) if pieces[0] else []
        if len(pieces) == 1:
            return ids
        rest = pieces[1:]
        cache = self._piece_cache
        new = set(rest).difference(cache)
        if new:
            if len(cache) + len(new) > self.cache_size:
                cache.clear()
                new = set(rest)
            self._add_pieces(list(new))
        ids.extend(chain.from_iterable(map(cache.__getitem__, rest)))
        return ids

    def _add_pieces(self, pieces: list[str]) -> None:
        """Encode new pieces (each standing for " " + piece) into the piece cache."""
        pretokens = pretokenize_pieces(pieces)
        get = self._cached_words(list(chain.from_iterable(pretokens))).__getitem__
        ids = [list(chain.from_iterable(map(get, p))) for p in pretokens]
        self._piece_cache.update(zip(pieces, ids))

    def _encode_pretokens(self, pretokens: list[str]) -> list[int]:
        """Ids of a list of pre-tokens."""
        get = self._cached_words(pretokens).__getitem__
        return list(chain.from_iterable(map(get, pretokens)))

    def _cached_words(self, pretokens: list[str]) -> dict[str, list[int]]:
        """The pre-token cache, after merging the pre-tokens it lacks."""
        cache = self._pretoken_cache
        new = set(pretokens).difference(cache)
        if len(cache) + len(new) > self.cache_size:
            cache.clear()
            new = set(pretokens)
        for pretoken in new:
            cache[pretoken] = self._merge_word(pretoken)
        return cache

    def _merge_word(self, pretoken: str) -> list[int]:
        """Apply the merges to one pre-token: always the earliest-learned pair present, until none.

        Merging the leftmost occurrence of the best pair, one at a time, equals merging all of
        them left to right (a new token only takes part in later merges). Tokens are chr(id), so
        a pair's key is a 2-character str; only the two neighbours' ranks change after a merge.
        """
        word = list(pretoken.encode("utf-8").decode("latin-1").translate(self._byte_chars))
        get, never, by_rank = self._merge_ranks.get, len(self._rank_merges), self._rank_merges
        ranks = [get(a + b, never) for a, b in zip(word, word[1:])]
        while ranks:
            best = min(ranks)
            if best == never:
                break
            i = ranks.index(best)
            word[i] = by_rank[best][1]
            del word[i + 1], ranks[i]
            if i > 0:
                ranks[i - 1] = get(word[i - 1] + word[i], never)
            if i < len(ranks):
                ranks[i] = get(word[i] + word[i + 1], never)
        return list(map(ord, word))

    @classmethod
    def from_files(
        cls,
        vocab_path: str | os.PathLike,
        merges_path: str | os.PathLike,
        special_tokens: Sequence[str] | None = None,
    ) -> Tokenizer:
        """Load a vocab.json / merges.txt pair in GPT-2's format (as written by `save`)."""
        from course_lib.tokenizer.gpt2 import load_vocab_and_merges

        vocab, merges = load_vocab_and_merges(vocab_path, merges_path)
        return cls(vocab, merges, special_tokens)

    def save(self, vocab_path: str | os.PathLike, merges_path: str | os.PathLike) -> None:
        """Write vocab.json and merges.txt in GPT-2's format (bytes shown as printable characters)."""
        from course_lib.tokenizer.gpt2 import save_vocab_and_merges

        save_vocab_and_merges(self.vocab, self.merges, vocab_path, merges_path)

    def __getstate__(self) -> dict:
        """Pickle without the caches (workers rebuild their own)."""
        state = self.__dict__.copy()
        state["_pretoken_cache"], state["_piece_cache"] = {}, {}
        return state

    def __repr__(self) -> str:
        return (
            f"Tokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
            f"special_tokens={self.special_tokens})"
        )
