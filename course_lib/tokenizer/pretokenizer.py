"""Pre-tokenization: GPT-2's regex, special-token splitting, and where text can be cut safely."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import regex

from course_lib.checks import check_str_list

# GPT-2's pre-tokenizer (Radford et al. 2019), exactly as published with the model.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
# The same matches, faster: possessive quantifiers where the regex never needs to backtrack.
GPT2_REGEX = regex.compile(
    r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s+(?!\S)|\s++"""
)
# On ASCII text \p{L} is [A-Za-z], \p{N} is [0-9] and \s is [ \t\n\v\f\r]; the standard library's
# `re` runs this ASCII version of the pattern about 2.5 times faster than `regex` runs the original.
GPT2_ASCII_REGEX = re.compile(
    r"""'(?:[sdmt]|ll|ve|re)| ?[A-Za-z]++| ?[0-9]++| ?[^ \t\n\x0b\x0c\rA-Za-z0-9]++"""
    r"""|[ \t\n\x0b\x0c\r]+(?![^ \t\n\x0b\x0c\r])|[ \t\n\x0b\x0c\r]++"""
)


def findall_pretokens(text: str) -> list[str]:
    """GPT-2's pre-tokens of text, with the faster ASCII pattern when the text is ASCII."""
    return (GPT2_ASCII_REGEX if text.isascii() else GPT2_REGEX).findall(text)


# A space followed by a non-space always starts a new pre-token (GPT-2's regex has no look-behind,
# and only its whitespace alternatives can hold a space that is not the first character), so text
# cut at such spaces pre-tokenizes piece by piece exactly as in one go. So does a lone newline
# between two non-spaces (after a longer whitespace run, \s+(?!\S) would split the run differently
# at the end of a piece). `re`'s \s (str.isspace) contains `regex`'s \s, so \S here is safe.
_SAFE_SPACE = re.compile(r" (?=\S)")
_UNSAFE_SPACE = re.compile(r" (?=\s|\Z)")
_SENTINEL = "\x00"
SPECIAL_WINDOW = 1 << 16  # how far past a target offset a chunk boundary looks for a special token
_SAFE_BYTES = re.compile(rb"(?<=[!-~])\n(?=[!-~])| (?=[!-~])")


def validate_special_tokens(special_tokens: Iterable[str] | None) -> list[str]:
    """Check the special tokens (a list of non-empty strings, no duplicates) and return the list.

    One bare string is a TypeError: iterating it would make each of its characters special.
    """
    tokens = check_str_list("special_tokens", special_tokens)
    for token in tokens:
        if not token:
            raise ValueError(f"special tokens must be non-empty strings, got {token!r}")
    duplicates = sorted({t for t in tokens if tokens.count(t) > 1})
    if duplicates:
        raise ValueError(f"duplicated special tokens: {duplicates}; list each one once")
    return tokens


def special_tokens_regex(special_tokens: Sequence[str]) -> re.Pattern[str] | None:
    """A pattern that captures special tokens, longest first so the longest overlapping one wins."""
    if not special_tokens:
        return None
    alternatives = sorted(special_tokens, key=len, reverse=True)
    return re.compile("(" + "|".join(map(re.escape, alternatives)) + ")")


def split_at_spaces(text: str) -> list[str]:
    """Cut text before every space that precedes a non-space; pieces after the first lose that space.

    Each piece i >= 1 stands for " " + piece and pre-tokenizes on its own, so repeated words can be
    counted or cached before any regex runs.
    """
    if _UNSAFE_SPACE.search(text) is None:
        return text.split(" ")  # C speed: every space is followed by a non-space
    if _SENTINEL in text:
        return _SAFE_SPACE.split(text)
    # Hide the spaces that must not cut, split at C speed, then put them back.
    pieces = _UNSAFE_SPACE.sub(_SENTINEL, text).split(" ")
    return [p.replace(_SENTINEL, " ") if _SENTINEL in p else p for p in pieces]


def pretokenize_pieces(pieces: Sequence[str]) -> list[list[str]]:
    """The pre-tokens of " " + piece for each piece from `split_at_spaces`, in two regex calls."""
    # 0: letters only, so " piece" is one pre-token; 1: other ASCII; 2: the rest.
    kinds = [(0 if p.isalpha() else 1) if p.isascii() else 2 for p in pieces]
    ascii_pretokens = _pretokenize_joined([p for p, k in zip(pieces, kinds) if k == 1], True)
    other_pretokens = _pretokenize_joined([p for p, k in zip(pieces, kinds) if k == 2], False)
    rest = (None, iter(ascii_pretokens), iter(other_pretokens))
    return [[" " + p] if k == 0 else next(rest[k]) for p, k in zip(pieces, kinds)]


def _pretokenize_joined(pieces: list[str], is_ascii: bool) -> list[list[str]]:
    """Pre-tokenize " " + piece for all pieces with one regex call over their concatenation."""
    pretokens: list[list[str]] = []
    if not pieces:
        return pretokens
    pattern = GPT2_ASCII_REGEX if is_ascii else GPT2_REGEX
    for token in pattern.findall(" " + " ".join(pieces)):
        # Only the first pre-token of a piece is a space followed by a non-space.
        if token[0] == " " and len(token) > 1 and not token[1].isspace():
            pretokens.append([token])
        else:
            pretokens[-1].append(token)
    return pretokens


def pretokenize(text: str, special_tokens: Sequence[str] = ()) -> list[str]:
    """GPT-2 pre-tokens of text; special tokens are split out first and dropped."""
    splitter = special_tokens_regex(special_tokens)
    segments = splitter.split(text)[::2] if splitter else [text]
    return [token for segment in segments for token in findall_pretokens(segment)]


def count_pretokens(text: str, special_tokens: Sequence[str] = ()) -> Counter[str]:
    """How often each GPT-2 pre-token occurs in text, never counting across special tokens."""
    splitter = special_tokens_regex(special_tokens)
    segments = splitter.split(text)[::2] if splitter else [text]
    counts: Counter[str] = Counter()
    piece_counts: Counter[str] = Counter()
    for segment in segments:
        pieces = split_at_spaces(segment)
        counts.update(findall_pretokens(pieces[0]))
        piece_counts.update(pieces[1:])
    # Count distinct pieces first (C speed), then pre-tokenize each distinct piece once.
    for pretokens, count in zip(pretokenize_pieces(list(piece_counts)), piece_counts.values()):
        for token in pretokens:
            counts[token] += count
    return counts


def spans_special_token(data: str | bytes, position: int, special_tokens: Sequence) -> bool:
    """Whether some occurrence of a special token starts before position and ends after it."""
    for token in special_tokens:
        start = max(0, position - len(token) + 1)
        found = data.find(token, start, position + len(token) - 1)
        while found != -1 and found < position:
            if found + len(token) > position:
                return True
            found = data.find(token, found + 1, position + len(token) - 1)
    return False


def last_safe_boundary(text: str, special_tokens: Sequence[str] = ()) -> int:
    """The largest 0 < p < len(text) where text[:p] and text[p:] can be encoded apart; 0 if none."""
    end = len(text)
    while True:
        space = text.rfind(" ", 1, end - 1)  # p = space: a space followed by a non-space
        newline = text.rfind("\n", 0, end - 1)  # p = newline + 1: after a lone newline
        p = max(space, newline + 1 if newline >= 0 else -1)
        if p <= 0:
            return 0
        if text[p] == " ":  # the next character must not start a special token (a segment end)
            ok = p + 1 < len(text) and not text[p + 1].isspace()
            ok = ok and not _starts_special(text, p + 1, special_tokens)
        else:  # just after a newline
            ok = not text[p].isspace() and (p == 1 or not text[p - 2].isspace())
        if ok and not spans_special_token(text, p, special_tokens):
            return p
        end = p


def find_chunk_boundaries(
    path: str | os.PathLike, n_chunks: int, special_tokens: Sequence[str] = ()
) -> list[int]:
    """Byte offsets that cut a UTF-8 file into about n_chunks pieces that pre-tokenize independently.

    A boundary is the start of a special token when one follows the target offset within 64 KB,
    else a line start or a space before printable ASCII; never inside a special token.
    """
    size = Path(path).stat().st_size
    specials = [t.encode("utf-8") for t in special_tokens]
    special_re = re.compile(b"|".join(map(re.escape, specials))) if specials else None
    boundaries = [0]
    with open(path, "rb") as f:
        for i in range(1, max(1, n_chunks)):
            target = max(size * i // n_chunks, boundaries[-1] + 1)
            boundary = _next_boundary(f, target, size, special_re, specials)
            if boundary >= size:
                break
            if boundary > boundaries[-1]:
                boundaries.append(boundary)
    boundaries.append(size)
    return boundaries


def plan_chunks(
    path: str | os.PathLike,
    special_tokens: Sequence[str] = (),
    num_workers: int | None = None,
    chunk_bytes: int = 1 << 20,
    what: str = "text file",
) -> tuple[int, list[tuple[int, int]]]:
    """The worker count and the byte ranges of a non-empty UTF-8 file to process in parallel: about
    `chunk_bytes` each, a multiple of the workers in number, cut by `find_chunk_boundaries`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: {path}")
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{what} is empty: {path}")
    workers = num_workers or os.cpu_count() or 1
    n_chunks = workers * -(-size // (chunk_bytes * workers))  # a multiple of workers: balanced
    bounds = find_chunk_boundaries(path, n_chunks, special_tokens)
    return workers, list(zip(bounds, bounds[1:]))


def read_text_range(path: str | os.PathLike, start: int, end: int) -> str:
    """Bytes start..end of a file decoded as UTF-8; bytes that are not UTF-8 are a ValueError naming
    the file and offset, never silently replaced (a Latin-1 file would lose every accented letter)."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{path} is not UTF-8 text: byte {start + err.start} is {data[err.start]:#04x}; "
            "convert the file to UTF-8 first (e.g. iconv -f latin1 -t utf-8)"
        ) from None


def _next_boundary(f, target: int, size: int, special_re, specials: list[bytes]) -> int:
    """First safe boundary at or after target (size if none)."""
    window, margin = 1 << 20, max(map(len, specials), default=0) + 2
    if special_re is not None:
        f.seek(target)
        for match in special_re.finditer(f.read(SPECIAL_WINDOW + margin)):
            if match.start() >= SPECIAL_WINDOW:
                break
            if not _spanned(f, target + match.start(), specials):
                return target + match.start()
    for offset in range(target, size, window):
        f.seek(offset)
        data = f.read(window + margin)
        for match in _SAFE_BYTES.finditer(data):
            if match.start() >= window:
                break
            if data[match.start()] == ord("\n"):
                position = match.end()
            elif _starts_special(data, match.start() + 1, specials):
                continue
            else:
                position = match.start()
            if position > 0 and not _spanned(f, offset + position, specials):
                return offset + position
    return size


def _starts_special(data: str | bytes, position: int, special_tokens: Sequence) -> bool:
    """Whether a special token starts at position."""
    return any(data.startswith(token, position) for token in special_tokens)


def _spanned(f, position: int, specials: list[bytes]) -> bool:
    """Whether a special token in the file covers byte position."""
    if not specials:
        return False
    longest = max(map(len, specials))
    start = max(0, position - longest)
    f.seek(start)
    data = f.read(2 * longest)
    return spans_special_token(data, position - start, specials)
