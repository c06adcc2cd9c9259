"""Sequence-length policies and the padding collate, on hand-made documents with hand-worked answers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_lib.data.policies import (
    IGNORE_INDEX,
    collate,
    doc_pairs,
    impute_snake,
    length_tolerance,
    pad_discard,
    pad_impute,
    truncate_discard,
)

BOS, EOS = 1, 2
# Three documents of 5, 1 and 9 tokens; with bos/eos they have 6, 2 and 10 positions.
DOCS = [[10, 11, 12, 13, 14], [20], [30, 31, 32, 33, 34, 35, 36, 37, 38]]


def test_doc_pairs_shift_by_one():
    inp, tgt = doc_pairs([5, 6, 7], BOS, EOS)
    assert inp == [BOS, 5, 6, 7] and tgt == [5, 6, 7, EOS]
    assert inp[1:] == tgt[:-1]


def test_truncate_discard():
    out = truncate_discard(DOCS, 4, BOS, EOS)
    assert out == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
    ]


def test_impute_snake():
    out = impute_snake(DOCS, 4, BOS, EOS)
    # positions run together: doc0 (6), doc1 (2), doc2 (10) = 18 -> four full pieces, 2 dropped
    assert out == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([13, 14, BOS, 20], [14, EOS, 20, EOS]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
        ([33, 34, 35, 36], [34, 35, 36, 37]),
    ]
    assert all(len(i) == 4 for i, _ in out)


def test_pad_discard_and_pad_impute():
    assert pad_discard(DOCS, 4, BOS, EOS) == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([BOS, 20], [20, EOS]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
    ]
    assert pad_impute(DOCS, 4, BOS, EOS) == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([13, 14], [14, EOS]),
        ([BOS, 20], [20, EOS]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
        ([33, 34, 35, 36], [34, 35, 36, 37]),
        ([37, 38], [38, EOS]),
    ]


def test_length_tolerance():
    # overflow pieces of 2 positions: kept at tolerance 2, dropped at tolerance 3; short docs stay
    keep = length_tolerance(DOCS, 4, BOS, EOS, tolerance=2)
    assert keep == pad_impute(DOCS, 4, BOS, EOS)
    drop = length_tolerance(DOCS, 4, BOS, EOS, tolerance=3)
    assert drop == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([BOS, 20], [20, EOS]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
        ([33, 34, 35, 36], [34, 35, 36, 37]),
    ]
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        length_tolerance(DOCS, 4, BOS, EOS, tolerance=-1)


def test_no_piece_crosses_a_document_except_snake():
    owner = {t: d for d, doc in enumerate(DOCS) for t in doc}
    for policy in (truncate_discard, pad_discard, pad_impute):
        for inp, tgt in policy(DOCS, 3, BOS, EOS):
            docs = {owner[t] for t in inp + tgt if t not in (BOS, EOS)}
            assert len(docs) == 1, policy.__name__


@pytest.mark.parametrize(
    "policy", [truncate_discard, impute_snake, pad_discard, pad_impute, length_tolerance]
)
def test_bad_length(policy):
    with pytest.raises(ValueError, match="max_len must be >= 1"):
        policy(DOCS, 0, BOS, EOS, *([0] if policy is length_tolerance else []))


def test_collate_pads_and_loss_ignores_padding():
    batch = [([BOS, 10, 11], [10, 11, EOS]), ([BOS, 20], [20, EOS])]
    out = collate(batch, pad_id=0, max_len=4)
    assert out["input_ids"].tolist() == [[BOS, 10, 11, 0], [BOS, 20, 0, 0]]
    assert out["target_ids"].tolist() == [
        [10, 11, EOS, IGNORE_INDEX],
        [20, EOS, IGNORE_INDEX, IGNORE_INDEX],
    ]
    assert out["attention_mask"].tolist() == [[True, True, True, False], [True, True, False, False]]
    assert out["input_ids"].dtype == torch.long
    # Oracle: the loss over the padded batch equals the loss over the real positions only.
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 50)
    padded = F.cross_entropy(
        logits.reshape(-1, 50), out["target_ids"].reshape(-1), ignore_index=IGNORE_INDEX
    )
    real = torch.cat([logits[0, :3], logits[1, :2]])
    want = F.cross_entropy(real, torch.tensor([10, 11, EOS, 20, EOS]))
    torch.testing.assert_close(padded, want)
    # Without max_len the batch pads to its longest sequence.
    assert collate(batch)["input_ids"].shape == (2, 3)
    with pytest.raises(ValueError, match="does not fit"):
        collate(batch, max_len=2)
    with pytest.raises(ValueError, match="empty batch"):
        collate([])
