"""Module 01: Unicode code points and their UTF-8 bytes, the raw material of byte-level tokenizers."""

from __future__ import annotations

from course_lib.checks import check_int, check_type

ENCODINGS = ("utf-8", "utf-16-le", "utf-32-le")

# One short sentence per writing system, written for this workbook, to compare encoded sizes.
SAMPLE_TEXTS: dict[str, str] = {
    "English": "The small dog ran to the park and found a red ball.",
    "French": "Où est la bibliothèque ? Je préfère le café au lait.",
    "German": "Die Größe der Straße überrascht mich jeden Tag.",
    "Russian": "Маленький кот спит на тёплом окне.",
    "Greek": "Ο ήλιος λάμπει πάνω από τη θάλασσα.",
    "Arabic": "ذهبت إلى السوق لشراء الخبز.",
    "Hindi": "मैं हर सुबह चाय पीता हूँ।",
    "Chinese": "今天天气很好，我们去公园散步吧。",
    "Japanese": "猫が窓のそばで静かに眠っている。",
    "Korean": "오늘은 도서관에서 책을 읽었어요.",
    "Emoji": "🎉🚀🙂🌍👍🏽👩‍💻",
    "Python code": "def square(x):\n    return x ** 2  # easy",
}


def encoded_lengths(text: str) -> dict[str, int]:
    """Number of bytes `text` takes in UTF-8, UTF-16 and UTF-32 (no byte-order mark)."""
    check_type("text", text, str, "a str")
    ### BEGIN SOLUTION
    return {encoding: len(text.encode(encoding)) for encoding in ENCODINGS}
    ### END SOLUTION


def utf8_encode(code_point: int) -> bytes:
    """Encode one Unicode code point as UTF-8 by hand (1 to 4 bytes)."""
    check_int("code_point", code_point)  # ord("a"), not "a"
    ### BEGIN SOLUTION
    if not 0 <= code_point <= 0x10FFFF:
        raise ValueError(f"{code_point:#x} is outside the Unicode range 0..0x10FFFF")
    if 0xD800 <= code_point <= 0xDFFF:
        raise ValueError(f"{code_point:#x} is a surrogate, which UTF-8 may not encode")
    if code_point < 0x80:
        return bytes([code_point])
    if code_point < 0x800:
        return bytes([0xC0 | code_point >> 6, 0x80 | code_point & 0x3F])
    if code_point < 0x10000:
        return bytes(
            [0xE0 | code_point >> 12, 0x80 | code_point >> 6 & 0x3F, 0x80 | code_point & 0x3F]
        )
    return bytes(
        [
            0xF0 | code_point >> 18,
            0x80 | code_point >> 12 & 0x3F,
            0x80 | code_point >> 6 & 0x3F,
            0x80 | code_point & 0x3F,
        ]
    )
    ### END SOLUTION


def utf8_decode(data: bytes) -> str:
    """Decode UTF-8 by hand, raising ValueError on any malformed sequence as Python's codec does."""
    check_type("data", data, bytes | bytearray | memoryview, "bytes")
    ### BEGIN SOLUTION
    chars = []
    i = 0
    while i < len(data):
        lead = data[i]
        if lead < 0x80:
            n, code_point, smallest = 1, lead, 0
        elif 0xC0 <= lead < 0xE0:
            n, code_point, smallest = 2, lead & 0x1F, 0x80
        elif 0xE0 <= lead < 0xF0:
            n, code_point, smallest = 3, lead & 0x0F, 0x800
        elif 0xF0 <= lead < 0xF8:
            n, code_point, smallest = 4, lead & 0x07, 0x10000
        else:
            raise ValueError(f"byte {lead:#04x} at position {i} cannot start a character")
        if i + n > len(data):
            raise ValueError(f"sequence starting at position {i} is cut short")
        for b in data[i + 1 : i + n]:
            if b & 0xC0 != 0x80:
                raise ValueError(f"byte {b:#04x} after position {i} is not a continuation byte")
            code_point = code_point << 6 | b & 0x3F
        if code_point < smallest:
            raise ValueError(f"overlong encoding at position {i}")
        if 0xD800 <= code_point <= 0xDFFF or code_point > 0x10FFFF:
            raise ValueError(f"code point {code_point:#x} at position {i} is not a character")
        chars.append(chr(code_point))
        i += n
    return "".join(chars)
    ### END SOLUTION


def decode_utf8_bytes_to_str_wrong(bytestring: bytes) -> str:
    """The flawed decoder of the exercise: it decodes each byte on its own."""
    return "".join(bytes([b]).decode("utf-8") for b in bytestring)


def wrong_decode_counterexample() -> bytes:
    """Valid UTF-8 that `decode_utf8_bytes_to_str_wrong` cannot decode."""
    ### BEGIN SOLUTION
    return "héllo".encode()
    ### END SOLUTION


def undecodable_two_bytes() -> bytes:
    """Two bytes that are not valid UTF-8 in any context of their own."""
    ### BEGIN SOLUTION
    return bytes([0xC3, 0x28])
    ### END SOLUTION


def utf8_breakdown(text: str) -> list[dict[str, str]]:
    """One row per character: the character, its code point and its UTF-8 bytes in hex and bits."""
    rows = []
    for ch in text:
        encoded = ch.encode("utf-8")
        rows.append(
            {
                "char": ch if ch.isprintable() else repr(ch)[1:-1],
                "code point": f"U+{ord(ch):04X}",
                "bytes": " ".join(f"{b:02X}" for b in encoded),
                "bits": " ".join(f"{b:08b}" for b in encoded),
            }
        )
    return rows
