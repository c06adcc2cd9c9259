"""Module 02: byte-level BPE tokenizers, from the readable version to a fast one, and SentencePiece.

The exercises (the slow, readable versions) live in `course_lib.tokenizer.teaching`.
"""

from course_lib.tokenizer.gpt2 import (
    bytes_to_unicode,
    load_gpt2_tokenizer,
    load_vocab_and_merges,
    save_vocab_and_merges,
    tiktoken_encoding,
)
from course_lib.tokenizer.hf_export import save_hf_tokenizer, to_hf_json, to_hf_tokenizer
from course_lib.tokenizer.pretokenizer import GPT2_PATTERN, count_pretokens, pretokenize
from course_lib.tokenizer.sentencepiece_wrapper import SentencePieceTokenizer, train_sentencepiece
from course_lib.tokenizer.tokenizer import Tokenizer
from course_lib.tokenizer.trainer import train_bpe, train_bpe_from_counts

__all__ = [
    "GPT2_PATTERN",
    "SentencePieceTokenizer",
    "Tokenizer",
    "bytes_to_unicode",
    "count_pretokens",
    "load_gpt2_tokenizer",
    "load_vocab_and_merges",
    "pretokenize",
    "save_hf_tokenizer",
    "save_vocab_and_merges",
    "tiktoken_encoding",
    "to_hf_json",
    "to_hf_tokenizer",
    "train_bpe",
    "train_bpe_from_counts",
    "train_sentencepiece",
]
