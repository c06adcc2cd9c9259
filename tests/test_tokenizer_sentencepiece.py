"""The SentencePiece wrapper: real pad/bos/eos ids, round trips, and sentencepiece as its own oracle."""

from __future__ import annotations

import io

import pytest
import sentencepiece as spm
import torch

from course_lib.tokenizer.sentencepiece_wrapper import SentencePieceTokenizer, train_sentencepiece

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
