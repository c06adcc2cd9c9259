"""One fixed-shape next-token example per document, as a torch `Dataset`, and its batching collate.

A document's token ids become inputs `[bos] + ids` and targets `ids + [eos]` (`doc_pairs`), so the
target at each position is the token after its input. They are cut at the *end* to `max_len`
positions, keeping the document's start: a document of `max_len` tokens or more loses its tail and,
with it, the eos target. Shorter ones are padded to `max_len`, inputs with `pad_id` and targets with
`ignore_index`, which the loss skips. This is the *pad + discard* policy of `policies.py` as tensors
of one shape, ready for a `DataLoader`; `stack_examples` batches them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from course_lib.checks import check_int, check_type
from course_lib.data.policies import IGNORE_INDEX, doc_pairs

KEYS = ("input_ids", "target_ids", "attention_mask")


def check_example_args(
    bos_id: int, eos_id: int, pad_id: int, max_len: int, ignore_index: int
) -> None:
    """Raise unless the ids are integers (bos, eos and pad >= 0) and `max_len` is at least 1."""
    for name, value in (("bos_id", bos_id), ("eos_id", eos_id), ("pad_id", pad_id)):
        check_int(name, value, minimum=0)
    check_int("max_len", max_len, minimum=1)
    check_int("ignore_index", ignore_index)


def token_ids(ids: Sequence[int] | np.ndarray | torch.Tensor) -> list[int]:
    """A document's token ids (a list, tuple, 1-D integer array or tensor) as a list of ints."""
    if isinstance(ids, np.ndarray | torch.Tensor):
        if ids.ndim != 1 or ids.dtype in (torch.bool, np.bool_):
            raise TypeError(
                f"ids must be a 1-D integer tensor or array, got {ids.dtype} {ids.ndim}-D"
            )
        ids = ids.tolist()
        if any(isinstance(i, float) for i in ids):
            raise TypeError("ids must be integer token ids, got a float tensor or array")
    check_type("ids", ids, list | tuple, "a list of token ids (ints)")
    for i in ids:
        check_int("each token id", i, minimum=0)
    return [int(i) for i in ids]


def document_example(
    ids: Sequence[int],
    bos_id: int,
    eos_id: int,
    pad_id: int,
    max_len: int,
    ignore_index: int = IGNORE_INDEX,
) -> dict[str, torch.Tensor]:
    """One document as `max_len` next-token positions: inputs, targets and the mask of real ones.

    Inputs are `[bos] + ids`, targets `ids + [eos]`, both cut at the end to `max_len` (so a document
    of `max_len` tokens or more loses its eos) and padded to `max_len` with `pad_id` (inputs) and
    `ignore_index` (targets). Returns `input_ids`, `target_ids` (int64) and `attention_mask` (bool,
    True on real positions: also where the loss counts), each of shape `(max_len,)`.
    """
    ids = token_ids(ids)
    check_example_args(bos_id, eos_id, pad_id, max_len, ignore_index)
    ### BEGIN SOLUTION
    inputs, targets = doc_pairs(ids, bos_id, eos_id)
    n = min(len(inputs), max_len)  # keep the start; the end, eos included, is cut
    input_ids = torch.full((max_len,), pad_id, dtype=torch.long)
    target_ids = torch.full((max_len,), ignore_index, dtype=torch.long)
    input_ids[:n] = torch.tensor(inputs[:n], dtype=torch.long)
    target_ids[:n] = torch.tensor(targets[:n], dtype=torch.long)
    attention_mask = torch.arange(max_len) < n
    return {"input_ids": input_ids, "target_ids": target_ids, "attention_mask": attention_mask}
    ### END SOLUTION


class DocumentDataset(Dataset):
    """A list of documents (token-id lists) as a Dataset of `document_example`s, one per document."""

    def __init__(
        self,
        docs: Sequence[Sequence[int]],
        bos_id: int,
        eos_id: int,
        pad_id: int,
        max_len: int,
        ignore_index: int = IGNORE_INDEX,
    ) -> None:
        check_type("docs", docs, list | tuple, "a list of documents (lists of token ids)")
        check_example_args(bos_id, eos_id, pad_id, max_len, ignore_index)
        self.docs = docs
        self.bos_id, self.eos_id, self.pad_id = bos_id, eos_id, pad_id
        self.max_len, self.ignore_index = max_len, ignore_index

    def __len__(self) -> int:
        ### BEGIN SOLUTION
        return len(self.docs)
        ### END SOLUTION

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        ### BEGIN SOLUTION
        return document_example(
            self.docs[index], self.bos_id, self.eos_id, self.pad_id, self.max_len, self.ignore_index
        )
        ### END SOLUTION


def stack_examples(batch: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Batch same-shape examples (a DataLoader's `collate_fn`): each key's tensors stacked on dim 0."""
    check_type("batch", batch, list | tuple, "a list of examples (dicts of tensors)")
    if not batch:
        raise ValueError("stack_examples needs at least one example, got an empty batch")
    for row, example in enumerate(batch):
        check_type(f"example {row}", example, dict, f"a dict with keys {list(KEYS)}")
        if set(example) != set(KEYS):
            raise ValueError(f"example {row} has keys {sorted(example)}, expected {list(KEYS)}")
        for key in KEYS:
            if example[key].shape != batch[0][key].shape:
                raise ValueError(
                    f"example {row} has {key} of shape {tuple(example[key].shape)}, example 0 "
                    f"{tuple(batch[0][key].shape)}: pad every example to the same max_len"
                )
    return {key: torch.stack([example[key] for example in batch]) for key in KEYS}
