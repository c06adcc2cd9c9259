"""The SentencePiece wrapper: real pad/bos/eos ids, round trips, and sentencepiece as its own oracle."""

from __future__ import annotations

import io

import pytest
import sentencepiece as spm
import torch

from course_lib.tokenizer.sentencepiece_wrapper import (
    SentencePieceTokenizer,
    pad_batch,
    train_sentencepiece,
)

EOT = "<|endoftext|>"
SAMPLE = 'Once upon a time,  there was a  dog.\n\nIt said "héllo 🎉"<|endoftext|>The end. '


@pytest.fixture(scope="module")
def stories(shared_data) -> list[str]:
    text = (shared_data / "tinystories" / "train.txt").read_text(encoding="utf-8")
    return [line for line in text[:200_000].split("\n") if line]


@pytest.fixture(scope="module", params=["bpe", "unigram"])
def model(request, stories) -> SentencePieceTokenizer:
    return train_sentencepiece(stories, 800, request.param, special_tokens=[EOT])


def test_control_ids_are_real_and_distinct(model):
    assert (model.pad_id, model.unk_id, model.bos_id, model.eos_id) == (0, 1, 2, 3)
    assert model.vocab_size == 800


def test_raw_sentencepiece_default_pad_is_minus_one(stories):
    """The pitfall the wrapper avoids, shown by sentencepiece itself."""
    proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(stories), model_writer=proto, vocab_size=300, minloglevel=2
    )
    assert spm.SentencePieceProcessor(model_proto=proto.getvalue()).pad_id() == -1


def test_round_trip_and_framing(model):
    ids = model.encode(SAMPLE, add_bos=True, add_eos=True)
    assert ids[0] == model.bos_id and ids[-1] == model.eos_id
    assert model.decode(ids) == SAMPLE
    assert model.decode([model.pad_id, *ids, model.pad_id]) == SAMPLE
    eot = model.processor.piece_to_id(EOT)
    assert model.encode(EOT)[-1] == eot and model.encode(SAMPLE).count(eot) == 1  # stays whole
    assert list(model.encode_iterable(["Once upon", " a time"])) == (
        model.encode("Once upon") + model.encode(" a time")
    )


def test_padded_batch_goes_through_an_embedding(model):
    batch = [model.encode("Once upon a time", add_bos=True), model.encode("The end", add_bos=True)]
    width = max(map(len, batch))
    padded = torch.tensor([ids + [model.pad_id] * (width - len(ids)) for ids in batch])
    embedding = torch.nn.Embedding(model.vocab_size, 8, padding_idx=model.pad_id)
    assert embedding(padded).shape == (2, width, 8)


def test_save_and_load(model, tmp_path):
    model.save(tmp_path / "sp.model")
    loaded = SentencePieceTokenizer.from_file(tmp_path / "sp.model")
    assert loaded.encode(SAMPLE) == model.encode(SAMPLE)


def test_train_from_file(shared_data, tmp_path):
    sp = train_sentencepiece(
        shared_data / "tinystories" / "valid.txt", 600, "bpe", model_prefix=tmp_path / "m"
    )
    assert (tmp_path / "m.model").is_file()
    assert sp.decode(sp.encode(SAMPLE)) == SAMPLE


def test_bad_arguments(tmp_path, stories):
    with pytest.raises(ValueError, match="real id"):
        train_sentencepiece(stories, 800, pad_id=-1)
    with pytest.raises(ValueError, match="distinct"):
        train_sentencepiece(stories, 800, pad_id=1, unk_id=1)
    with pytest.raises(ValueError, match="model_type"):
        train_sentencepiece(stories, 800, "wordpiece")
    with pytest.raises(ValueError, match="too small"):
        train_sentencepiece(stories, 100)
    with pytest.raises(ValueError, match="duplicated"):
        train_sentencepiece(stories, 800, special_tokens=[EOT, EOT])
    with pytest.raises(FileNotFoundError):
        train_sentencepiece(tmp_path / "missing.txt", 800)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ValueError, match="empty"):
        train_sentencepiece(tmp_path / "empty.txt", 800)


def test_decode_rejects_out_of_range_ids(model):
    with pytest.raises(ValueError, match="out of range"):
        model.decode([5, model.vocab_size])
    with pytest.raises(ValueError, match="out of range"):
        model.decode([-1])


def test_pad_batch_frames_pads_and_masks():
    ids, mask = pad_batch([[5, 6, 7], [8], []], pad_id=0, bos_id=2, eos_id=3)
    assert ids == [[2, 5, 6, 7, 3], [2, 8, 3, 0, 0], [2, 3, 0, 0, 0]]
    assert mask == [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]]
    assert pad_batch([[5], [6, 7]], 9) == ([[5, 9], [6, 7]], [[1, 0], [1, 1]])
    assert pad_batch([], 0, 2, 3) == ([], [])
    seqs = [(4, 4), (4,)]
    padded, _ = pad_batch(seqs, 1, eos_id=3)
    padded[0].append(99)
    assert seqs == [(4, 4), (4,)], "the input is never changed"


def test_pad_batch_matches_torch_pad_sequence():
    """torch's pad_sequence is the oracle for the padding, a comparison with pad_id for the mask."""
    import random

    rng = random.Random(11)
    for _ in range(50):
        seqs = [[rng.randrange(4, 50) for _ in range(rng.randrange(0, 9))] for _ in range(5)]
        bos, eos = rng.choice([None, 2]), rng.choice([None, 3])
        framed = [
            ([bos] if bos is not None else []) + s + ([eos] if eos is not None else [])
            for s in seqs
        ]
        want = torch.nn.utils.rnn.pad_sequence(
            [torch.tensor(f, dtype=torch.long) for f in framed], batch_first=True, padding_value=0
        )
        ids, mask = pad_batch(seqs, 0, bos, eos)
        assert torch.equal(torch.tensor(ids), want)
        assert torch.equal(torch.tensor(mask), (want != 0).long())


def test_encode_batch_pads_with_the_real_pad_id(model):
    texts = ["The dog ran.", "A cat sat on the mat and looked at the bird."]
    ids, mask = model.encode_batch(texts, add_bos=True, add_eos=True)
    assert len({len(row) for row in ids}) == 1
    for text, row, m in zip(texts, ids, mask):
        real = [i for i, keep in zip(row, m) if keep]
        assert real == model.encode(text, add_bos=True, add_eos=True)
        assert all(i == model.pad_id for i, keep in zip(row, m) if not keep)
    embedding = torch.nn.Embedding(model.vocab_size, 4, padding_idx=model.pad_id)
    assert embedding(torch.tensor(ids)).shape == (2, len(ids[0]), 4)
    assert [model.decode(row) for row in ids] == [model.decode(model.encode(t)) for t in texts]
