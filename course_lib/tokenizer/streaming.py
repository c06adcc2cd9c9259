"""Streaming encoding: a text too large for memory, given as chunks, encoded lazily.

The chunks (an open file's lines, a generator's pieces) may cut anywhere: inside a word, between a
letter and its combining accent, inside a special token. So text is held back until a point where
cutting cannot change the result (`last_safe_boundary`), and the ids equal those of encoding the
whole concatenated text at once, while memory stays bounded by about `buffer_chars` characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from course_lib.checks import check_int
from course_lib.tokenizer.pretokenizer import last_safe_boundary, validate_special_tokens


def str_chunks(texts: Iterable[str]) -> Iterator[str]:
    """The chunks of `texts`, each checked to be a str (a TypeError names the first that is not)."""
    if isinstance(texts, str | bytes) or not isinstance(texts, Iterable):
        raise TypeError(
            "texts must be an iterable of str chunks (an open text file, a list, a generator), "
            f"got {type(texts).__name__}"
        )
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"texts must yield str chunks, got {type(text).__name__} at chunk {i} "
                "(open files in text mode, with an encoding)"
            )
        yield text


def encode_iterable(
    encode: Callable[[str], list[int]],
    texts: Iterable[str],
    special_tokens: Sequence[str] = (),
    buffer_chars: int = 1 << 16,
) -> Iterator[int]:
    """Lazily yield `encode`'s ids of the concatenated chunks, holding about `buffer_chars` of text.

    Text is encoded up to its last safe boundary once `buffer_chars` characters are buffered; with
    no safe boundary yet (one huge word), it waits for twice as much text. The ids equal those of
    `encode("".join(texts))`.
    """
    if not callable(encode):
        raise TypeError(
            f"encode must be a function str -> list of ids, got {type(encode).__name__}"
        )
    chunks = str_chunks(texts)
    special_tokens = validate_special_tokens(special_tokens)
    buffer_chars = check_int("buffer_chars", buffer_chars, minimum=1)
    ### BEGIN SOLUTION
    parts: list[str] = []
    size, threshold = 0, buffer_chars
    for text in chunks:
        parts.append(text)
        size += len(text)
        if size < threshold:
            continue
        buffer = "".join(parts)
        cut = last_safe_boundary(buffer, special_tokens)
        if cut == 0:  # no safe point yet (e.g. one huge word): wait for twice as much text
            parts, threshold = [buffer], 2 * size
            continue
        yield from encode(buffer[:cut])
        parts, size, threshold = [buffer[cut:]], len(buffer) - cut, buffer_chars
    if parts:
        yield from encode("".join(parts))
    ### END SOLUTION
