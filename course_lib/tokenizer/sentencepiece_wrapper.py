"""SentencePiece BPE and Unigram models behind the same encode/decode interface as `Tokenizer`.

SentencePiece's default pad id is -1 ("no padding token"), which crashes an embedding lookup the
moment a padded batch reaches it; here pad, unk, bos and eos are always real, distinct ids.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import sentencepiece as spm

from course_lib.checks import check_int, write_bytes_atomic
from course_lib.tokenizer.pretokenizer import validate_special_tokens

MODEL_TYPES = ("bpe", "unigram")


class SentencePieceTokenizer:
    """A trained SentencePiece model with encode/decode/encode_iterable like `Tokenizer`."""

    def __init__(self, model_proto: bytes) -> None:
        self.model_proto = bytes(model_proto)
        self.processor = spm.SentencePieceProcessor(model_proto=self.model_proto)

    @classmethod
    def from_file(cls, model_path: str | os.PathLike) -> SentencePieceTokenizer:
        """Load a `.model` file."""
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"SentencePiece model not found: {path}")
        return cls(path.read_bytes())

    def save(self, model_path: str | os.PathLike) -> None:
        """Write the `.model` file."""
        write_bytes_atomic(model_path, self.model_proto)

    @property
    def vocab_size(self) -> int:
        """Number of pieces, control and byte pieces included."""
        return self.processor.get_piece_size()

    @property
    def pad_id(self) -> int:
        return self.processor.pad_id()

    @property
    def unk_id(self) -> int:
        return self.processor.unk_id()

    @property
    def bos_id(self) -> int:
        return self.processor.bos_id()

    @property
    def eos_id(self) -> int:
        return self.processor.eos_id()

    def encode(self, text: str, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Token ids of text, optionally framed by bos/eos."""
        return self.processor.encode(text, add_bos=add_bos, add_eos=add_eos)

    def encode_batch(
        self, texts: Sequence[str], add_bos: bool = False, add_eos: bool = False
    ) -> tuple[list[list[int]], list[list[int]]]:
        """Ids of several texts, framed by bos/eos if asked, padded with pad_id; and their mask."""
        if isinstance(texts, str) or not isinstance(texts, Sequence):
            raise TypeError(f"texts must be a list of str, got {type(texts).__name__}")
        return pad_batch(
            [self.encode(text) for text in texts],
            self.pad_id,
            bos_id=self.bos_id if add_bos else None,
            eos_id=self.eos_id if add_eos else None,
        )

    def encode_iterable(self, texts: Iterable[str]) -> Iterator[int]:
        """Lazily encode each string of a stream (SentencePiece treats each as its own sentence)."""
        for text in texts:
            yield from self.processor.encode(text)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of the ids; pad/bos/eos decode to nothing."""
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < self.vocab_size]
        if bad:
            raise ValueError(f"token id {bad[0]} is out of range 0..{self.vocab_size - 1}")
        return self.processor.decode(ids)

    def id_to_piece(self, token_id: int) -> str:
        """The piece of an id ('▁' marks a space)."""
        return self.processor.id_to_piece(token_id)

    def __repr__(self) -> str:
        return (
            f"SentencePieceTokenizer(vocab_size={self.vocab_size}, pad={self.pad_id}, "
            f"unk={self.unk_id}, bos={self.bos_id}, eos={self.eos_id})"
        )


def pad_batch(
    sequences: Sequence[Sequence[int]],
    pad_id: int,
    bos_id: int | None = None,
    eos_id: int | None = None,
) -> tuple[list[list[int]], list[list[int]]]:
    """Frame each id sequence with bos/eos (when given) and right-pad all to one length with pad_id.

    Returns (ids, mask): new lists of equal length, the longest framed sequence's; the mask is 1 at
    every real token (bos and eos included) and 0 at every pad position.
    """
    if isinstance(sequences, str | bytes) or not isinstance(sequences, Sequence):
        raise TypeError(f"sequences must be a list of id sequences, got {type(sequences).__name__}")
    for k, seq in enumerate(sequences):
        if isinstance(seq, str | bytes) or not isinstance(seq, Sequence):
            raise TypeError(
                f"sequences[{k}] must be a sequence of int ids, got {type(seq).__name__}"
            )
    check_int("pad_id", pad_id)
    if pad_id < 0:
        raise ValueError(
            f"pad_id={pad_id}: padding needs a real id >= 0 (SentencePiece's default pad_id=-1 "
            "means 'no padding token' and crashes embedding lookups); train with pad_id set"
        )
    for name, value in (("bos_id", bos_id), ("eos_id", eos_id)):
        if value is not None and check_int(name, value) < 0:
            raise ValueError(f"{name}={value}: expected an id >= 0, or None for no {name[:3]}")
        if value is not None and value == pad_id:
            raise ValueError(f"{name}={value} equals pad_id: the mask could not tell them apart")
    ### BEGIN SOLUTION
    framed = [
        ([] if bos_id is None else [bos_id]) + list(seq) + ([] if eos_id is None else [eos_id])
        for seq in sequences
    ]
    width = max((len(ids) for ids in framed), default=0)
    padded = [ids + [pad_id] * (width - len(ids)) for ids in framed]
    mask = [[1] * len(ids) + [0] * (width - len(ids)) for ids in framed]
    return padded, mask
    ### END SOLUTION


def train_sentencepiece(
    input: str | os.PathLike | Iterable[str],
    vocab_size: int,
    model_type: str = "bpe",
    *,
    special_tokens: Sequence[str] = (),
    pad_id: int = 0,
    unk_id: int = 1,
    bos_id: int = 2,
    eos_id: int = 3,
    byte_fallback: bool = True,
    character_coverage: float = 0.9995,
    normalization: str = "identity",
    model_prefix: str | os.PathLike | None = None,
    num_threads: int | None = None,
    **options,
) -> SentencePieceTokenizer:
    """Train a SentencePiece BPE or Unigram model on a text file (a path) or an iterable of lines.

    Defaults make it comparable with byte-level BPE: no normalization (the text round-trips),
    byte fallback instead of unknown characters, and pad/unk/bos/eos as ids 0-3. Extra keyword
    options go to `SentencePieceTrainer.train`; model_prefix also writes `<prefix>.model`.
    """
    if model_type not in MODEL_TYPES:
        raise ValueError(f"model_type must be one of {MODEL_TYPES}, got {model_type!r}")
    special_tokens = validate_special_tokens(special_tokens)
    reserved = {"pad_id": pad_id, "unk_id": unk_id, "bos_id": bos_id, "eos_id": eos_id}
    for name, value in reserved.items():
        if int(value) < 0:
            raise ValueError(
                f"{name}={value}: every control token needs a real id (SentencePiece's default "
                "pad_id=-1 crashes embedding lookups)"
            )
    if len(set(reserved.values())) != len(reserved):
        raise ValueError(f"pad/unk/bos/eos ids must be distinct, got {reserved}")
    smallest = len(reserved) + len(special_tokens) + (256 if byte_fallback else 0) + 1
    if vocab_size < smallest:
        raise ValueError(f"vocab_size={vocab_size} is too small: at least {smallest} is needed")

    source: dict = {}
    if isinstance(input, (str, os.PathLike)):
        path = Path(input)
        if not path.is_file():
            raise FileNotFoundError(f"training text not found: {path}")
        if path.stat().st_size == 0:
            raise ValueError(f"training text is empty: {path}")
        source["input"] = str(path)
    else:
        source["sentence_iterator"] = iter(input)
    options.setdefault("max_sentence_length", 1 << 16)  # longer lines are skipped silently
    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        **source,
        model_writer=proto,
        vocab_size=vocab_size,
        model_type=model_type,
        user_defined_symbols=list(special_tokens),
        byte_fallback=byte_fallback,
        character_coverage=character_coverage,
        normalization_rule_name=normalization,
        remove_extra_whitespaces=normalization != "identity",
        num_threads=num_threads or os.cpu_count() or 1,
        minloglevel=2,
        **reserved,
        **options,
    )
    tokenizer = SentencePieceTokenizer(proto.getvalue())
    if model_prefix is not None:
        tokenizer.save(f"{model_prefix}.model")
    return tokenizer
