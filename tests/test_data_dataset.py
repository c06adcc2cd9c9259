"""The per-document next-token dataset: hand-worked tensors, the pad + discard policy, batching."""

from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from course_lib.data.dataset import DocumentDataset, document_example, stack_examples
from course_lib.data.policies import IGNORE_INDEX, collate, pad_discard

BOS, EOS, PAD = 1, 2, 0


def _lists(example: dict[str, torch.Tensor]) -> tuple[list, list, list]:
    return tuple(example[k].tolist() for k in ("input_ids", "target_ids", "attention_mask"))


def test_hand_worked_examples():
    # a short document: [bos] + ids, ids + [eos], then padding
    assert _lists(document_example([5, 6], BOS, EOS, PAD, 5)) == (
        [1, 5, 6, 0, 0],
        [5, 6, 2, -100, -100],
        [True, True, True, False, False],
    )
    # empty document: one position, bos -> eos
    assert _lists(document_example([], BOS, EOS, PAD, 3)) == (
        [1, 0, 0],
        [2, -100, -100],
        [True, False, False],
    )
    # max_len - 1 tokens: fits exactly, eos kept, no padding
    assert _lists(document_example([5, 6, 7], BOS, EOS, PAD, 4)) == (
        [1, 5, 6, 7],
        [5, 6, 7, 2],
        [True] * 4,
    )
    # max_len tokens: the end is cut, eos dropped
    assert _lists(document_example([5, 6, 7, 8], BOS, EOS, PAD, 4)) == (
        [1, 5, 6, 7],
        [5, 6, 7, 8],
        [True] * 4,
    )
    # max_len 1: only bos -> the first token (or eos for an empty document)
    assert _lists(document_example([5, 6], BOS, EOS, PAD, 1)) == ([1], [5], [True])
    assert _lists(document_example([], BOS, EOS, PAD, 1)) == ([1], [2], [True])
    # non-default pad and ignore ids
    assert _lists(document_example([5], 7, 8, 9, 4, ignore_index=-1)) == (
        [7, 5, 9, 9],
        [5, 8, -1, -1],
        [True, True, False, False],
    )


def test_dtypes_and_accepted_id_containers():
    out = document_example(np.array([5, 6], dtype=np.uint16), BOS, EOS, PAD, 4)
    assert out["input_ids"].dtype == torch.long and out["target_ids"].dtype == torch.long
    assert out["attention_mask"].dtype == torch.bool
    same = document_example(torch.tensor([5, 6]), BOS, EOS, PAD, 4)
    assert all(torch.equal(out[k], same[k]) for k in out)


def test_equals_pad_discard_padded_by_collate():
    """The oracle: the library's pad + discard policy, padded to max_len by `collate`."""
    rng = random.Random(0)
    for _ in range(200):
        docs = [[rng.randrange(3, 99) for _ in range(rng.randrange(0, 12))] for _ in range(4)]
        max_len, pad, ignore = rng.randrange(1, 10), rng.randrange(5), rng.choice([-100, -1])
        want = collate(pad_discard(docs, max_len, BOS, EOS), pad, max_len, ignore)
        got = stack_examples(
            [document_example(d, BOS, EOS, pad, max_len, ignore_index=ignore) for d in docs]
        )
        for key in want:
            assert torch.equal(got[key], want[key]), (key, docs, max_len)


def test_dataset_through_a_dataloader():
    docs = [[5, 6, 7], [8], [], [9, 10, 11, 12, 13]]
    ds = DocumentDataset(docs, BOS, EOS, PAD, 4)
    assert len(ds) == 4 and _lists(ds[1]) == (
        [1, 8, 0, 0],
        [8, 2, -100, -100],
        [True, True, False, False],
    )
    batches = list(DataLoader(ds, batch_size=3, collate_fn=stack_examples))
    assert [tuple(b["input_ids"].shape) for b in batches] == [(3, 4), (1, 4)]
    assert batches[1]["target_ids"].tolist() == [[9, 10, 11, 12]]  # truncated: no eos
    # the padding is invisible to the loss
    batch = batches[0]
    logits = torch.randn(3, 4, 20, generator=torch.Generator().manual_seed(0))
    padded = F.cross_entropy(logits.flatten(0, 1), batch["target_ids"].flatten())
    mask = batch["attention_mask"]
    assert IGNORE_INDEX == -100
    assert torch.allclose(padded, F.cross_entropy(logits[mask], batch["target_ids"][mask]))
