"""Instruction tuning data (module 10): templates, response-only targets, padding.

Oracles: Stanford Alpaca's prompt strings, copied below from github.com/tatsu-lab/stanford_alpaca
(train.py, PROMPT_DICT); a byte-level tokenizer (one id per UTF-8 byte, end-of-text 256), so prompt
and response lengths are their byte counts; and the loss summed by hand with log_softmax over the
response positions only. Tolerances: losses and logits atol 1e-6 (float32, same ops).
"""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from course_lib.data.loaders import load_alpaca
from course_lib.finetune.instructions import (
    IGNORE_INDEX,
    batch_source,
    collate,
    encode_example,
    encode_examples,
    render_prompt,
    sequential_batches,
)
from course_lib.model.config import ModelConfig
from course_lib.model.transformer import TransformerLM
from course_lib.tokenizer.tokenizer import Tokenizer
from course_lib.training.losses import fast_cross_entropy

pytestmark = pytest.mark.usefixtures("one_thread")

ALPACA_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\nSay it again.\n\n### Input:\nhello\n\n### Response:\n"
)
ALPACA_NO_INPUT = (
    "Below is an instruction that describes a task. Write a response that appropriately completes "
    "the request.\n\n### Instruction:\nName a color.\n\n### Response:\n"
)
EOT = 256
RECORDS = [
    {"instruction": "Say it again.", "input": "hello", "output": "hello"},
    {"instruction": "Name a color.", "input": "", "output": "Blue, like the sea."},
    {"instruction": "Is this review positive?", "input": "Great cake.", "output": "Positive."},
]


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return Tokenizer({i: bytes([i]) for i in range(256)}, [], ["<|endoftext|>"])


def small_model(**fields) -> TransformerLM:
    torch.manual_seed(0)
    return TransformerLM(ModelConfig(vocab_size=257, context_length=256, d_model=32, n_layers=2,
                                     n_heads=4, **fields))  # fmt: skip


def test_prompts_are_alpacas_templates():
    assert render_prompt(RECORDS[0]) == ALPACA_WITH_INPUT, "template with an input"
    assert render_prompt(RECORDS[1]) == ALPACA_NO_INPUT, "template without an input"
    no_key = {"instruction": "Name a color.", "output": "Red."}
    assert render_prompt(no_key) == ALPACA_NO_INPUT, "a missing input is an empty one"


def test_only_the_response_and_end_of_text_are_targets(tok):
    example = encode_example(RECORDS[1], tok, EOT)
    prompt_len = len(ALPACA_NO_INPUT.encode())
    response = list(b"Blue, like the sea.") + [EOT]
    assert example.prompt_len == prompt_len, f"prompt of {example.prompt_len} tokens"
    assert example.ids == list(ALPACA_NO_INPUT.encode()) + response, "prompt + response + EOT"
    inputs, targets = example.inputs_and_targets()
    assert inputs == example.ids[:-1], "inputs are every id but the last"
    assert targets[: prompt_len - 1] == [IGNORE_INDEX] * (prompt_len - 1), "prompt targets kept"
    assert targets[prompt_len - 1 :] == response, "every response token and EOT must be a target"


def hand_loss(model, example) -> torch.Tensor:
    """Mean of -log p(token) over the response and EOT, one position at a time."""
    ids = torch.tensor(example.ids)
    log_probs = F.log_softmax(model(ids[None, :-1])[0], dim=-1)
    terms = [-log_probs[pos - 1, ids[pos]] for pos in range(example.prompt_len, len(ids))]
    return torch.stack(terms).mean()


def test_masked_loss_equals_the_loss_on_response_tokens_by_hand(tok):
    model = small_model()
    examples = [encode_example(r, tok, EOT) for r in RECORDS]
    batch = collate(examples, pad_id=EOT)
    loss = fast_cross_entropy(model(batch.inputs), batch.targets)
    per_row = [hand_loss(model, e) for e in examples]
    n = [len(e.ids) - e.prompt_len for e in examples]
    by_hand = sum(loss * k for loss, k in zip(per_row, n)) / sum(n)  # mean over all response tokens
    torch.testing.assert_close(loss, by_hand, atol=1e-6, rtol=1e-6, msg="masked mean loss")


@pytest.mark.parametrize("fields", [{}, {"fast_attention": True, "positions": "learned"}])
def test_padding_does_not_change_a_rows_logits_or_loss(tok, fields):
    model = small_model(**fields)
    short, long = (encode_example(RECORDS[i], tok, EOT) for i in (1, 0))  # 173 and 229 ids
    alone = collate([short], pad_id=EOT)
    padded = collate([short, long], pad_id=EOT)
    width = alone.inputs.shape[1]
    assert padded.inputs.shape[1] > width, "the batch must pad the short row"
    assert padded.attention_mask[0].sum() == width, "mask marks the short row's real tokens"
    assert (padded.targets[0, width:] == IGNORE_INDEX).all(), "pads must be ignored targets"
    logits_alone, logits_padded = model(alone.inputs), model(padded.inputs)
    torch.testing.assert_close(logits_padded[0, :width], logits_alone[0], atol=1e-6, rtol=1e-5)
    loss_alone = fast_cross_entropy(logits_alone, alone.targets)
    loss_in_batch = fast_cross_entropy(logits_padded[:1], padded.targets[:1])
    torch.testing.assert_close(loss_in_batch, loss_alone, atol=1e-6, rtol=1e-6, msg="row loss")


def test_windows_truncate_and_prompt_only_examples_are_dropped(tok):
    prompt_len = len(ALPACA_NO_INPUT.encode())
    examples, dropped = encode_examples(RECORDS[1:2], tok, EOT, context_length=prompt_len + 2)
    assert dropped == 0 and len(examples[0].ids) == prompt_len + 3, "window of context + 1 ids"
    _, targets = examples[0].inputs_and_targets()
    assert [t for t in targets if t != IGNORE_INDEX] == list(b"Blu"), "first response tokens"
    examples, dropped = encode_examples(RECORDS[1:2], tok, EOT, context_length=prompt_len - 1)
    assert (examples, dropped) == ([], 1), "a prompt filling the window leaves nothing to train"


def test_batch_sources_feed_the_trainer_shapes(tok, tmp_path):
    path = tmp_path / "alpaca.json"
    path.write_text(json.dumps([{k: v for k, v in r.items() if v} for r in RECORDS]))
    examples, _ = encode_examples(load_alpaca(path), tok, EOT, context_length=256)
    x, y = batch_source(examples, 4, EOT)(torch.Generator().manual_seed(0))
    assert x.shape == y.shape and x.shape[0] == 4, f"shapes {x.shape}, {y.shape}"
    again = batch_source(examples, 4, EOT)(torch.Generator().manual_seed(0))
    assert torch.equal(x, again[0]), "the same generator seed must draw the same batch"
    batches = list(sequential_batches(examples, 2, EOT)())
    assert [b[0].shape[0] for b in batches] == [2, 1], "every example once, in order"
