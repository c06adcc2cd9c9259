"""The final-model exercise's parts: budget arithmetic, the submitted folder, held-out scoring."""

from __future__ import annotations

import dataclasses
import math
import warnings

import pytest
import torch
import torch.nn.functional as F

from course_lib.accounting.flops import forward_flops
from course_lib.data.embedded import EOT, SPLITS, build_embedded
from course_lib.data.loaders import load_stories
from course_lib.model import ModelConfig, TransformerLM
from course_lib.tokenizer import Tokenizer, train_bpe
from course_lib.training import TrainConfig, final_model
from course_lib.training.final_model import (
    MERGES,
    WEIGHTS,
    is_saved_run,
    load_final_model,
    save_final_model,
    score_stories,
    training_flops,
)
from workbook.heldout import grader_secret, held_out_stories

SMALL = dict(n_sentiment=40, n_hellaswag=8, n_alpaca=6, n_dedup=20)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A 0.2 MB embedded corpus (seed 0) and a 300-token BPE trained on its training split."""
    out = tmp_path_factory.mktemp("corpus")
    build_embedded(out, size_mb=0.2, seed=0, **SMALL)
    vocab, merges = train_bpe(out / "stories_train.txt", 300, [EOT])
    return out, Tokenizer(vocab, merges, [EOT])


def configs(tokenizer: Tokenizer) -> tuple[ModelConfig, TrainConfig]:
    model = ModelConfig(
        vocab_size=tokenizer.vocab_size, context_length=32, d_model=32, n_layers=2, n_heads=2
    )
    run = TrainConfig(batch_size=4, context_length=32, max_steps=10, warmup_steps=2)
    return model, run


def test_held_out_stories_are_fresh_deterministic_and_of_the_same_world(corpus):
    data_dir, _ = corpus
    a = held_out_stories(20_000, exclude_dir=data_dir, secret="s1")
    assert a == held_out_stories(20_000, exclude_dir=data_dir, secret="s1")
    assert a != held_out_stories(20_000, exclude_dir=data_dir, secret="s2")
    assert a != held_out_stories(20_000, exclude_dir=data_dir, secret="s1", purpose="other")
    assert sum(len(s.encode()) for s in a) >= 20_000
    assert len(set(a)) == len(a)
    in_corpus = {s for split in SPLITS for s in load_stories(data_dir / f"stories_{split}.txt")}
    assert not in_corpus & set(a)
    # same world: the held-out stories use the training split's words
    train_words = set(" ".join(in_corpus).lower().split())
    held_words = " ".join(a).lower().split()
    assert sum(w in train_words for w in held_words) / len(held_words) > 0.97


def test_held_out_stories_reject_bad_arguments():
    with pytest.raises(ValueError, match="positive"):
        held_out_stories(0, secret="s1")


def test_grader_secret_is_made_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBOOK_HELDOUT_SECRET", raising=False)
    path = tmp_path / "course" / "heldout_secret.txt"
    first = grader_secret(path)
    assert len(first) == 32 and grader_secret(path) == first
    assert path.stat().st_mode & 0o077 == 0, "the secret file must be readable by its owner only"
    monkeypatch.setenv("WORKBOOK_HELDOUT_SECRET", "from-env")
    assert grader_secret(path) == "from-env"


def test_training_flops_is_three_forwards_per_token_times_tokens(corpus):
    _, tokenizer = corpus
    model, run = configs(tokenizer)
    run = dataclasses.replace(run, grad_accum_steps=3)
    per_sequence = 3 * forward_flops(model, run.context_length, 1)["total"]
    sequences = run.max_steps * run.batch_size * run.grad_accum_steps
    assert training_flops(model, run) == pytest.approx(per_sequence * sequences, rel=1e-12)


def test_round_trip_gives_the_same_model_and_tokenizer(corpus, tmp_path):
    _, tokenizer = corpus
    model_config, run = configs(tokenizer)
    torch.manual_seed(0)
    net = TransformerLM(model_config)
    save_final_model(tmp_path / "final", net, tokenizer, model_config, run, step=10)
    final = load_final_model(tmp_path / "final")
    ids = torch.randint(0, model_config.vocab_size, (2, 32))
    with torch.no_grad():
        torch.testing.assert_close(final.model(ids), net.eval()(ids), rtol=0, atol=0)
    assert final.tokenizer.vocab == tokenizer.vocab
    assert final.tokenizer.merges == tokenizer.merges
    text = "Once upon a time, Mia found a red kite.<|endoftext|>"
    assert final.tokenizer.encode(text) == tokenizer.encode(text)
    assert final.train_config == run
    assert final.flops == training_flops(model_config, run)
    # placement without a GPU: every weight and buffer goes to the device asked for
    on_meta = load_final_model(tmp_path / "final", device="meta").model
    placed = {t.device.type for t in [*on_meta.parameters(), *on_meta.buffers()]}
    assert placed == {"meta"}, placed


def test_reuse_ignores_runtime_settings_only(corpus, tmp_path):
    _, tokenizer = corpus
    model_config, run = configs(tokenizer)
    folder = tmp_path / "final"
    assert not is_saved_run(folder, model_config, run, tokenizer)
    save_final_model(folder, TransformerLM(model_config), tokenizer, model_config, run, step=10)
    assert is_saved_run(folder, model_config, run, tokenizer)
    elsewhere = dataclasses.replace(run, device="cuda", progress=False, eval_interval=7)
    assert is_saved_run(
        folder, dataclasses.replace(model_config, fast_attention=True), elsewhere, tokenizer
    )
    assert not is_saved_run(folder, model_config, dataclasses.replace(run, max_steps=11), tokenizer)
    assert not is_saved_run(folder, dataclasses.replace(model_config, d_model=64), run, tokenizer)
    other = Tokenizer(tokenizer.vocab, tokenizer.merges[:-1], [EOT])
    assert not is_saved_run(folder, model_config, run, other)


def test_missing_corrupt_and_mismatched_folders_are_clear_errors(corpus, tmp_path):
    _, tokenizer = corpus
    model_config, run = configs(tokenizer)
    with pytest.raises(
        FileNotFoundError, match="no final model folder .* submit the folder final_model/"
    ):
        load_final_model(tmp_path / "final_model")
    folder = save_final_model(
        tmp_path / "final_model", TransformerLM(model_config), tokenizer, model_config, run, 10
    )
    (folder / MERGES).rename(folder / "merges.bak")
    with pytest.raises(FileNotFoundError, match="no merges.txt"):
        load_final_model(folder)
    (folder / "merges.bak").rename(folder / MERGES)
    data = (folder / WEIGHTS).read_bytes()
    (folder / WEIGHTS).write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_final_model(folder)
    (folder / WEIGHTS).write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="corrupt or truncated"):
        is_saved_run(folder, model_config, run, tokenizer)
    wide = dataclasses.replace(model_config, vocab_size=model_config.vocab_size + 1)
    save_final_model(folder, TransformerLM(wide), tokenizer, wide, run, 10)
    with pytest.raises(ValueError, match="tokenizer .* has .* tokens but the model"):
        load_final_model(folder)


def test_score_matches_torch_cross_entropy_on_the_concatenated_stories(corpus):
    data_dir, tokenizer = corpus
    model_config, _ = configs(tokenizer)
    torch.manual_seed(1)
    net = TransformerLM(model_config).eval()
    stories = load_stories(data_dir / "stories_valid.txt")[:40]
    score = score_stories(net, tokenizer, stories, context_length=32, batch_size=5)

    ids = []
    for s in stories:
        ids += tokenizer.encode(s) + [tokenizer.special_ids[EOT]]
    # every token after the first is a target once: full windows of 32, then the shorter tail
    n = (len(ids) - 1) // 32
    windows = torch.tensor(ids[: n * 32 + 1])
    x = windows[:-1].view(n, 32)
    y = windows[1:].view(n, 32)
    tail = torch.tensor(ids[n * 32 :])
    with torch.no_grad():
        total = F.cross_entropy(net(x).flatten(0, 1), y.flatten(), reduction="sum").item()
        if len(tail) > 1:
            total += F.cross_entropy(net(tail[None, :-1])[0], tail[1:], reduction="sum").item()
    want = total / (len(ids) - 1)
    assert score.loss == pytest.approx(want, rel=1e-5)
    assert score.tokens == len(ids)
    assert score.bytes == sum(len(s.encode()) for s in stories)
    assert score.perplexity == pytest.approx(math.exp(want), rel=1e-5)
    assert score.nats_per_byte == pytest.approx(want * len(ids) / score.bytes, rel=1e-5)
    assert score.bits_per_byte == pytest.approx(score.nats_per_byte / math.log(2))
    # an untrained model is close to uniform over the vocabulary
    assert abs(score.loss - math.log(model_config.vocab_size)) < 0.5


def test_score_rejects_no_stories_and_a_tokenizer_without_end_of_text(corpus):
    _, tokenizer = corpus
    model_config, _ = configs(tokenizer)
    net = TransformerLM(model_config)
    with pytest.raises(ValueError, match="no stories"):
        score_stories(net, tokenizer, [], 32)
    plain = Tokenizer(tokenizer.vocab, tokenizer.merges)
    with pytest.raises(ValueError, match="no '<\\|endoftext\\|>' token"):
        score_stories(net, plain, ["Once upon a time."], 32)


def test_a_model_too_large_to_submit_is_warned_about(corpus, tmp_path, monkeypatch):
    _, tokenizer = corpus
    model_config, run = configs(tokenizer)
    net = TransformerLM(model_config)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save_final_model(tmp_path / "ok", net, tokenizer, model_config, run, 10)
    size = (tmp_path / "ok" / WEIGHTS).stat().st_size
    monkeypatch.setattr(final_model, "MAX_SUBMITTED_BYTES", size - 1)
    with pytest.warns(UserWarning, match="nbgrader leaves files over"):
        save_final_model(tmp_path / "big", net, tokenizer, model_config, run, 10)
