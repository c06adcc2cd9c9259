"""Export a Tokenizer as a Hugging Face `tokenizer.json` (byte-level BPE, GPT-2 pre-tokenizer)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from course_lib.checks import write_text_atomic
from course_lib.tokenizer.gpt2 import token_to_str
from course_lib.tokenizer.tokenizer import Tokenizer


def to_hf_json(tokenizer: Tokenizer) -> dict[str, Any]:
    """The `tokenizer.json` structure that `tokenizers.Tokenizer.from_str` loads."""
    special = set(tokenizer.special_ids.values())
    vocab: dict[str, int] = {}
    for i, token in sorted(tokenizer.vocab.items()):
        key = token_to_str(token)
        if key in vocab and i not in special:
            raise ValueError(f"ids {vocab[key]} and {i} are the same token {token!r}")
        vocab.setdefault(key, i)
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {
                "id": i,
                "content": token,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for token, i in tokenizer.special_ids.items()
        ],
        "normalizer": None,
        "pre_tokenizer": {**byte_level, "use_regex": True},
        "post_processor": None,
        "decoder": {**byte_level, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,  # True would look whole pre-tokens up in vocab, skipping BPE
            "vocab": vocab,
            "merges": [[token_to_str(a), token_to_str(b)] for a, b in tokenizer.merges],
        },
    }


def save_hf_tokenizer(tokenizer: Tokenizer, path: str | os.PathLike) -> Path:
    """Write `tokenizer.json` (a file path, or a folder to write it into) and return its path."""
    path = Path(path)
    if path.is_dir():
        path = path / "tokenizer.json"
    return write_text_atomic(path, json.dumps(to_hf_json(tokenizer), ensure_ascii=False))


def to_hf_tokenizer(tokenizer: Tokenizer):
    """The same tokenizer as a `tokenizers.Tokenizer` object."""
    from tokenizers import Tokenizer as HFTokenizer

    return HFTokenizer.from_str(json.dumps(to_hf_json(tokenizer)))
