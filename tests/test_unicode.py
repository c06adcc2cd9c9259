"""Module 01 reference: the hand-written UTF-8 codec against Python's own codec on random input."""

from __future__ import annotations

import random

import pytest

from course_lib import unicode as u

SURROGATES = range(0xD800, 0xE000)


def _random_code_points(rng: random.Random, n: int) -> list[int]:
    points = []
    while len(points) < n:
        cp = rng.choice([rng.randrange(0x80), rng.randrange(0x800), rng.randrange(0x110000)])
        if cp not in SURROGATES:
            points.append(cp)
    return points


def test_encode_matches_python_codec_on_random_and_boundary_code_points() -> None:
    rng = random.Random(0)
    edges = [0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF]
    for cp in edges + _random_code_points(rng, 20_000):
        assert u.utf8_encode(cp) == chr(cp).encode("utf-8"), hex(cp)


@pytest.mark.parametrize("bad", [-1, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0x110000])
def test_encode_rejects_surrogates_and_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        u.utf8_encode(bad)


def _python(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _ours(data: bytes) -> str | None:
    try:
        return u.utf8_decode(data)
    except ValueError:
        return None


def test_decode_accepts_exactly_what_python_accepts_on_random_bytes() -> None:
    rng = random.Random(1)
    accepted = 0
    for _ in range(30_000):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 7)))
        assert _ours(data) == _python(data), data
        accepted += _python(data) is not None
    assert accepted > 1000  # the random sample must exercise both branches


def test_decode_round_trips_random_text_and_samples() -> None:
    rng = random.Random(2)
    for _ in range(2000):
        text = "".join(chr(cp) for cp in _random_code_points(rng, rng.randrange(0, 12)))
        assert u.utf8_decode(text.encode("utf-8")) == text
    for text in u.SAMPLE_TEXTS.values():
        assert u.utf8_decode(text.encode("utf-8")) == text


@pytest.mark.parametrize(
    "bad",
    [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc3", b"\x80", b"\xff"],
)
def test_decode_rejects_overlong_surrogate_truncated_and_stray_bytes(bad: bytes) -> None:
    assert _python(bad) is None
    with pytest.raises(ValueError):
        u.utf8_decode(bad)


def test_encoded_lengths_counts_bytes_without_bom() -> None:
    assert u.encoded_lengths("a🌍") == {"utf-8": 5, "utf-16-le": 6, "utf-32-le": 8}


def test_counterexample_is_valid_utf8_that_breaks_the_wrong_decoder() -> None:
    data = u.wrong_decode_counterexample()
    text = data.decode("utf-8")
    try:
        wrong = u.decode_utf8_bytes_to_str_wrong(data)
    except UnicodeDecodeError:
        wrong = None
    assert wrong != text
    assert u.decode_utf8_bytes_to_str_wrong(b"plain ascii") == "plain ascii"


def test_two_bytes_never_decode_in_any_surrounding() -> None:
    pair = u.undecodable_two_bytes()
    assert len(pair) == 2
    for before in (b"", b"a", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x8c"):
        for after in (b"", b"a", b"\x80", b"\x80\x80"):
            assert _python(before + pair + after) is None


def test_breakdown_lists_code_points_and_bytes() -> None:
    rows = u.utf8_breakdown("a€")
    assert rows[1] == {
        "char": "€",
        "code point": "U+20AC",
        "bytes": "E2 82 AC",
        "bits": "11100010 10000010 10101100",
    }
    assert u.utf8_breakdown("\x00")[0]["char"] == "\\x00"
