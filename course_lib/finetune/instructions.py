"""Instruction tuning: Alpaca records as prompt + response, trained on the response only.

Each record ({instruction, input, output}, `course_lib.data.loaders.load_alpaca`) is rendered with
Stanford Alpaca's prompt template (one with an input, one without) and followed by its output and
the end-of-text token, so the model learns to answer and then stop. The model reads the whole
sequence, but the loss counts only the response: every target that is a prompt token is set to
`IGNORE_INDEX` (-100), which cross-entropy skips (the trainer's `fast_cross_entropy` does). Rows of
a batch are padded on the right: with causal attention no real token attends to a pad after it,
and the pads' targets are ignored too, so padding changes no row's loss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from course_lib.checks import check_int, check_type

IGNORE_INDEX = -100

# Stanford Alpaca's templates (github.com/tatsu-lab/stanford_alpaca, train.py, PROMPT_DICT)
PROMPT_WITH_INPUT = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
)
PROMPT_NO_INPUT = (
    "Below is an instruction that describes a task. "
    "Write a response that appropriately completes the request.\n\n"
    "### Instruction:\n{instruction}\n\n### Response:\n"
)


def check_record(record: Any) -> dict[str, str]:
    """An Alpaca record as {instruction, input, output} strings (a missing input is '')."""
    check_type("record", record, Mapping, "a dict with 'instruction', 'input' and 'output'")
    missing = [key for key in ("instruction", "output") if key not in record]
    if missing:
        raise ValueError(f"record lacks {missing}: expected 'instruction', 'input' and 'output'")
    out = {key: record.get(key, "") for key in ("instruction", "input", "output")}
    for key, value in out.items():
        check_type(f"record[{key!r}]", value, str, "a string")
    return out


def render_prompt(record: Mapping[str, str]) -> str:
    """The prompt the model reads before the response: with the input block only when non-empty."""
    rec = check_record(record)
    template = PROMPT_WITH_INPUT if rec["input"] else PROMPT_NO_INPUT
    return template.format(instruction=rec["instruction"], input=rec["input"])


@dataclass(frozen=True)
class InstructionExample:
    """Token ids of prompt + response + end-of-text, and how many of them are the prompt."""

    ids: list[int]
    prompt_len: int

    def inputs_and_targets(self) -> tuple[list[int], list[int]]:
        """Next-token pairs: inputs ids[:-1], targets ids[1:] with prompt targets ignored."""
        ### BEGIN SOLUTION
        inputs, targets = self.ids[:-1], list(self.ids[1:])
        for i in range(min(self.prompt_len - 1, len(targets))):
            targets[i] = IGNORE_INDEX
        return inputs, targets
        ### END SOLUTION


def encode_example(
    record: Mapping[str, str], tokenizer: Any, eot_id: int, max_tokens: int | None = None
) -> InstructionExample:
    """Tokenize prompt and response apart (so the boundary is exact), append `eot_id`, and keep
    the first `max_tokens` ids (context_length + 1 for a model's window)."""
    encode = getattr(tokenizer, "encode", None)
    if not callable(encode):
        raise TypeError(f"tokenizer must have an encode(text) method, got {type(tokenizer)}")
    eot_id = check_int("eot_id", eot_id, minimum=0)
    if max_tokens is not None:
        max_tokens = check_int("max_tokens", max_tokens, minimum=2)
    rec = check_record(record)
    prompt = list(encode(render_prompt(rec)))
    ids = prompt + list(encode(rec["output"])) + [eot_id]
    return InstructionExample(ids[:max_tokens], len(prompt))


def encode_examples(
    records: Iterable[Mapping[str, str]], tokenizer: Any, eot_id: int, context_length: int
) -> tuple[list[InstructionExample], int]:
    """(examples that fit a window of `context_length` with at least one response token to train,
    how many records were dropped because their prompt alone fills it)."""
    context_length = check_int("context_length", context_length, minimum=1)
    kept, dropped = [], 0
    for record in records:
        example = encode_example(record, tokenizer, eot_id, context_length + 1)
        if example.prompt_len >= len(example.ids):
            dropped += 1
        else:
            kept.append(example)
    return kept, dropped


@dataclass(frozen=True)
class InstructionBatch:
    """Right-padded inputs and targets (batch, seq), and the mask of real (not padding) inputs."""

    inputs: Tensor
    targets: Tensor
    attention_mask: Tensor


def collate(
    examples: Sequence[InstructionExample], pad_id: int, device: torch.device | str = "cpu"
) -> InstructionBatch:
    """Pad the examples' inputs with `pad_id` and their targets with IGNORE_INDEX, on the right, to
    the longest in the batch."""
    check_type("examples", examples, Sequence, "a list of InstructionExample")
    if not examples:
        raise ValueError("collate needs at least one example")
    for example in examples:
        check_type("example", example, InstructionExample, "an InstructionExample")
    pad_id = check_int("pad_id", pad_id, minimum=0)
    ### BEGIN SOLUTION
    pairs = [example.inputs_and_targets() for example in examples]
    width = max(len(inputs) for inputs, _ in pairs)
    inputs = torch.full((len(pairs), width), pad_id, dtype=torch.long)
    targets = torch.full((len(pairs), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(pairs), width), dtype=torch.bool)
    for row, (x, y) in enumerate(pairs):
        inputs[row, : len(x)] = torch.tensor(x)
        targets[row, : len(y)] = torch.tensor(y)
        mask[row, : len(x)] = True
    return InstructionBatch(inputs.to(device), targets.to(device), mask.to(device))
    ### END SOLUTION


def batch_source(
    examples: Sequence[InstructionExample],
    batch_size: int,
    pad_id: int,
    device: torch.device | str = "cpu",
) -> Callable[[torch.Generator], tuple[Tensor, Tensor]]:
    """A training batch source for `Trainer`: `batch_size` examples drawn with the generator,
    collated, as (inputs, targets)."""
    batch_size = check_int("batch_size", batch_size, minimum=1)
    if not examples:
        raise ValueError("batch_source needs at least one example")

    def draw(generator: torch.Generator) -> tuple[Tensor, Tensor]:
        rows = torch.randint(len(examples), (batch_size,), generator=generator).tolist()
        batch = collate([examples[i] for i in rows], pad_id, device)
        return batch.inputs, batch.targets

    return draw


def sequential_batches(
    examples: Sequence[InstructionExample],
    batch_size: int,
    pad_id: int,
    device: torch.device | str = "cpu",
) -> Callable[[], Iterator[tuple[Tensor, Tensor]]]:
    """A validation source for `Trainer`: every example once, in order, in padded batches."""
    batch_size = check_int("batch_size", batch_size, minimum=1)

    def batches() -> Iterator[tuple[Tensor, Tensor]]:
        for start in range(0, len(examples), batch_size):
            batch = collate(examples[start : start + batch_size], pad_id, device)
            yield batch.inputs, batch.targets

    return batches
