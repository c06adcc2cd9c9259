"""Sequence-length policies for a data set of documents, and the collate that batches them.

Every document becomes one stream of (input, target) positions: inputs are `[bos] + tokens`,
targets are `tokens + [eos]`, so the target at each position is the next token. A policy decides
what happens when a document has more positions than `max_len` (overflow) or fewer (underflow):

| policy             | overflow                                   | underflow                    |
| ------------------ | ------------------------------------------ | ---------------------------- |
| `truncate_discard` | discarded                                  | document dropped             |
| `impute_snake`     | continues into the next sequence,          | none: documents run together |
|                    | which the next document then fills up      | (last partial piece dropped) |
| `pad_discard`      | discarded                                  | padded                       |
| `pad_impute`       | becomes sequences of its own               | padded                       |
| `length_tolerance` | its own sequence if at least `tolerance`   | padded                       |
|                    | positions long, else discarded             |                              |

Padding positions carry `ignore_index` (-100) as target, so the loss never sees them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

IGNORE_INDEX = -100

Example = tuple[list[int], list[int]]


def doc_pairs(tokens: Sequence[int], bos_id: int, eos_id: int) -> Example:
    """Inputs `[bos] + tokens` and targets `tokens + [eos]`: target i is the token after input i."""
    return [bos_id, *tokens], [*tokens, eos_id]


def check_max_len(max_len: int) -> None:
    """Raise a ValueError unless `max_len`, the positions per sequence, is at least 1."""
    if max_len < 1:
        raise ValueError(f"max_len must be >= 1, got {max_len}")


def truncate_discard(
    docs: Sequence[Sequence[int]], max_len: int, bos_id: int, eos_id: int
) -> list[Example]:
    """Keep the first `max_len` positions of each document; drop documents shorter than that."""
    check_max_len(max_len)
    ### BEGIN SOLUTION
    out: list[Example] = []
    for doc in docs:
        inp, tgt = doc_pairs(doc, bos_id, eos_id)
        if len(inp) >= max_len:
            out.append((inp[:max_len], tgt[:max_len]))
    return out
    ### END SOLUTION


def impute_snake(
    docs: Sequence[Sequence[int]], max_len: int, bos_id: int, eos_id: int
) -> list[Example]:
    """Run the documents' positions together and cut them into `max_len` pieces ("snaking").

    A document's overflow starts the next sequence, which the following document fills up; every
    sequence is exactly `max_len` long and the last, shorter piece is dropped.
    """
    check_max_len(max_len)
    ### BEGIN SOLUTION
    out: list[Example] = []
    buf_in: list[int] = []
    buf_tgt: list[int] = []
    for doc in docs:
        inp, tgt = doc_pairs(doc, bos_id, eos_id)
        buf_in.extend(inp)
        buf_tgt.extend(tgt)
        while len(buf_in) >= max_len:
            out.append((buf_in[:max_len], buf_tgt[:max_len]))
            del buf_in[:max_len], buf_tgt[:max_len]
    return out
    ### END SOLUTION


def pad_discard(
    docs: Sequence[Sequence[int]], max_len: int, bos_id: int, eos_id: int
) -> list[Example]:
    """One sequence per document: cut to `max_len` (overflow discarded), shorter ones left to pad."""
    check_max_len(max_len)
    ### BEGIN SOLUTION
    out: list[Example] = []
    for doc in docs:
        inp, tgt = doc_pairs(doc, bos_id, eos_id)
        out.append((inp[:max_len], tgt[:max_len]))
    return out
    ### END SOLUTION


def pad_impute(
    docs: Sequence[Sequence[int]], max_len: int, bos_id: int, eos_id: int
) -> list[Example]:
    """Each document's positions cut into `max_len` pieces; every piece, short or not, is kept."""
    check_max_len(max_len)
    ### BEGIN SOLUTION
    out: list[Example] = []
    for doc in docs:
        inp, tgt = doc_pairs(doc, bos_id, eos_id)
        for start in range(0, len(inp), max_len):
            out.append((inp[start : start + max_len], tgt[start : start + max_len]))
    return out
    ### END SOLUTION


def length_tolerance(
    docs: Sequence[Sequence[int]], max_len: int, bos_id: int, eos_id: int, tolerance: int
) -> list[Example]:
    """Like `pad_impute`, but an overflow piece shorter than `tolerance` positions is discarded."""
    check_max_len(max_len)
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    ### BEGIN SOLUTION
    out: list[Example] = []
    for doc in docs:
        inp, tgt = doc_pairs(doc, bos_id, eos_id)
        for start in range(0, len(inp), max_len):
            piece = (inp[start : start + max_len], tgt[start : start + max_len])
            if start > 0 and len(piece[0]) < tolerance:
                continue
            out.append(piece)
    return out
    ### END SOLUTION


def collate(
    batch: Sequence[Example | dict],
    pad_id: int = 0,
    max_len: int | None = None,
    ignore_index: int = IGNORE_INDEX,
) -> dict[str, torch.Tensor]:
    """Pad a batch of (inputs, targets) to a common length for the loss to skip the padding.

    Inputs are padded with `pad_id`, targets with `ignore_index`; the length is `max_len` if given,
    else the longest sequence. Returns `input_ids`, `target_ids` (int64) and `attention_mask` (bool,
    True on real positions).
    """
    ### BEGIN SOLUTION
    if not batch:
        raise ValueError("cannot collate an empty batch")
    pairs = [(b["input_ids"], b["target_ids"]) if isinstance(b, dict) else b for b in batch]
    longest = max(len(inp) for inp, _ in pairs)
    length = longest if max_len is None else max_len
    if longest > length:
        raise ValueError(f"a sequence of length {longest} does not fit max_len={length}")
    inputs = torch.full((len(pairs), length), pad_id, dtype=torch.long)
    targets = torch.full((len(pairs), length), ignore_index, dtype=torch.long)
    mask = torch.zeros((len(pairs), length), dtype=torch.bool)
    for row, (inp, tgt) in enumerate(pairs):
        if len(inp) != len(tgt):
            raise ValueError(f"example {row}: inputs ({len(inp)}) and targets ({len(tgt)}) differ")
        n = len(inp)
        inputs[row, :n] = torch.as_tensor(inp, dtype=torch.long)
        targets[row, :n] = torch.as_tensor(tgt, dtype=torch.long)
        mask[row, :n] = True
    return {"input_ids": inputs, "target_ids": targets, "attention_mask": mask}
    ### END SOLUTION
