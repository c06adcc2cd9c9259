"""Sequence-length policies and the padding collate, on hand-made documents with hand-worked answers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_lib.data.policies import (
    IGNORE_INDEX,
    PolicyDataset,
    apply_policy,
    collate,
    doc_pairs,
    make_loader,
    policy_stats,
)

BOS, EOS = 1, 2
# Three documents of 5, 1 and 9 tokens; with bos/eos they have 6, 2 and 10 positions.
DOCS = [[10, 11, 12, 13, 14], [20], [30, 31, 32, 33, 34, 35, 36, 37, 38]]


def test_doc_pairs_shift_by_one():
    inp, tgt = doc_pairs([5, 6, 7], BOS, EOS)
    assert inp == [BOS, 5, 6, 7] and tgt == [5, 6, 7, EOS]
    assert inp[1:] == tgt[:-1]


def test_truncate_discard():
    out = apply_policy(DOCS, "truncate", 4, BOS, EOS)
    assert out == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
    ]


def test_impute_snake():
    out = apply_policy(DOCS, "impute", 4, BOS, EOS)
    # positions run together: doc0 (6), doc1 (2), doc2 (10) = 18 -> four full pieces, 2 dropped
    assert out == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([13, 14, BOS, 20], [14, EOS, 20, EOS]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
        ([33, 34, 35, 36], [34, 35, 36, 37]),
    ]
    assert all(len(i) == 4 for i, _ in out)


def test_pad_discard_and_pad_impute():
    assert apply_policy(DOCS, "pad_discard", 4, BOS, EOS) == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([BOS, 20], [20, EOS]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
    ]
    assert apply_policy(DOCS, "pad_impute", 4, BOS, EOS) == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([13, 14], [14, EOS]),
        ([BOS, 20], [20, EOS]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
        ([33, 34, 35, 36], [34, 35, 36, 37]),
        ([37, 38], [38, EOS]),
    ]


def test_length_tolerance():
    # overflow pieces of 2 positions: kept at tolerance 2, dropped at tolerance 3; short docs stay
    keep = apply_policy(DOCS, "tolerance", 4, BOS, EOS, tolerance=2)
    assert keep == apply_policy(DOCS, "pad_impute", 4, BOS, EOS)
    drop = apply_policy(DOCS, "tolerance", 4, BOS, EOS, tolerance=3)
    assert drop == [
        ([BOS, 10, 11, 12], [10, 11, 12, 13]),
        ([BOS, 20], [20, EOS]),
        ([BOS, 30, 31, 32], [30, 31, 32, 33]),
        ([33, 34, 35, 36], [34, 35, 36, 37]),
    ]
    with pytest.raises(ValueError, match="needs a tolerance"):
        apply_policy(DOCS, "tolerance", 4, BOS, EOS)


def test_no_piece_crosses_a_document_except_snake():
    owner = {t: d for d, doc in enumerate(DOCS) for t in doc}
    for policy in ("truncate", "pad_discard", "pad_impute"):
        for inp, tgt in apply_policy(DOCS, policy, 3, BOS, EOS):
            docs = {owner[t] for t in inp + tgt if t not in (BOS, EOS)}
            assert len(docs) == 1, policy


def test_bad_policy_and_length():
    with pytest.raises(ValueError, match="unknown policy"):
        apply_policy(DOCS, "shuffle", 4, BOS, EOS)
    with pytest.raises(ValueError, match="max_len"):
        apply_policy(DOCS, "impute", 0, BOS, EOS)


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


def test_dataset_and_loaders():
    ds = PolicyDataset(DOCS, "pad_impute", 4, BOS, EOS)
    assert len(ds) == 6
    item = ds[1]
    assert item["input_ids"].tolist() == [13, 14] and item["target_ids"].tolist() == [14, EOS]
    val = list(make_loader(ds, batch_size=4, shuffle=False))
    assert [b["input_ids"].shape for b in val] == [(4, 4), (2, 4)]
    assert val[0]["input_ids"][0].tolist() == [BOS, 10, 11, 12]
    g = torch.Generator().manual_seed(0)
    train = list(make_loader(ds, batch_size=6, shuffle=True, generator=g))
    rows = sorted(tuple(r) for r in train[0]["input_ids"].tolist())
    assert rows == sorted(tuple(r) for r in collate(ds.examples, max_len=4)["input_ids"].tolist())
    snake = list(make_loader(PolicyDataset(DOCS, "impute", 4, BOS, EOS), 8, shuffle=False))
    assert (snake[0]["target_ids"] != IGNORE_INDEX).all()


def test_policy_stats():
    s = policy_stats(DOCS, "pad_discard", 4, BOS, EOS, batch_size=2)
    assert s["sequences"] == 3 and s["batches"] == 2
    assert s["tokens_total"] == 18 and s["tokens_kept"] == 10
    assert s["pad_tokens"] == 2 and s["pad_fraction"] == pytest.approx(2 / 12)
    s = policy_stats(DOCS, "impute", 4, BOS, EOS)
    assert s["tokens_kept"] == 16 and s["pad_tokens"] == 0
    kept = [
        policy_stats(DOCS, "tolerance", 4, BOS, EOS, tolerance=t)["tokens_kept"]
        for t in (0, 2, 3, 5)
    ]
    assert kept == sorted(kept, reverse=True)
