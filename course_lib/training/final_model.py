"""The final-model exercise: a training budget in FLOPs, the submitted model folder, held-out scoring.

A final model is a folder (`final_model/` next to the notebook, submitted with it) holding
`model.safetensors` (weights, model and training configs; no optimizer state) and the tokenizer as
`vocab.json` + `merges.txt`. The grader loads it with `load_final_model` and scores it with
`score_stories` on stories the student never saw, drawn by the grader's tooling.
Scores are given in nats per byte of story text as well as per token, so a threshold does not
depend on the tokenizer.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.data.samplers import sequential_batches
from course_lib.model import ModelConfig, TransformerLM
from course_lib.tokenizer import Tokenizer
from course_lib.training.checkpoint import (
    load_model_tensors,
    read_checkpoint,
    read_metadata,
    save_checkpoint,
)
from course_lib.training.config import TrainConfig
from course_lib.training.flops import training_flops_per_token
from course_lib.training.losses import fast_cross_entropy

FINAL_BUDGET_FLOPS = 1.2e13  # training FLOPs allowed for module 05's final model
FINAL_THRESHOLD = 0.25  # nats per byte of held-out story text for full marks
# nbgrader's CourseDirectory.max_file_size default (100,000 kB of 1,000 bytes): larger files are
# left out when nbgrader copies a submission
MAX_SUBMITTED_BYTES = 100_000 * 1000
WEIGHTS = "model.safetensors"
VOCAB = "vocab.json"
MERGES = "merges.txt"
# settings that change how a run is executed or reported, not the weights it produces
RUNTIME_FIELDS = frozenset(
    {
        "device",
        "precision",
        "compile",
        "activation_checkpointing",
        "eval_interval",
        "eval_batches",
        "log_interval",
        "checkpoint_interval",
        "resume",
        "divergence_ratio",
        "on_divergence",
        "progress",
        "live_plot",
        "fast_attention",
    }
)


def training_flops(model_config: ModelConfig, train_config: TrainConfig) -> float:
    """Training FLOPs of a run: (6·N + attention) per token × every token the run consumes."""
    per_token = training_flops_per_token(model_config, train_config.context_length)
    return per_token * train_config.max_steps * train_config.tokens_per_step()


def final_configs(vocab_size: int) -> tuple[ModelConfig, TrainConfig]:
    """The model and the training run of your final model, within FINAL_BUDGET_FLOPS."""
    ### BEGIN SOLUTION
    # Question 5.1's answer: the section-5 model is under-trained, so spend the budget on steps.
    # The same model for twice the steps (800) uses 1.1e13 FLOPs, 91% of the budget.
    final_model_config = ModelConfig(
        vocab_size=vocab_size, context_length=128, d_model=128, n_layers=4, n_heads=4
    )
    final_train_config = TrainConfig(
        seed=0,
        batch_size=16,
        context_length=128,
        max_steps=800,
        lr=1e-2,
        min_lr=1e-3,
        warmup_steps=80,
        weight_decay=0.1,
        grad_clip=1.0,
        eval_interval=100,
        eval_batches=20,
    )
    ### END SOLUTION
    return final_model_config, final_train_config


@dataclass
class FinalModel:
    """A loaded final model with everything needed to score it."""

    model: TransformerLM
    tokenizer: Tokenizer
    model_config: ModelConfig
    train_config: TrainConfig
    extra: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def flops(self) -> float:
        """The training FLOPs its saved configuration declares."""
        return training_flops(self.model_config, self.train_config)


def save_final_model(
    directory: str | Path,
    model: nn.Module,
    tokenizer: Tokenizer,
    model_config: ModelConfig,
    train_config: TrainConfig,
    step: int,
    extra: dict[str, Any] | None = None,
    writer: Callable[..., Path] = save_checkpoint,
) -> Path:
    """Write weights, configs and tokenizer into `directory` (weights atomically, no optimizer).

    `writer` writes the weights file; the notebook passes the `save_checkpoint` you wrote.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save(directory / VOCAB, directory / MERGES)
    extra = {**(extra or {}), "special_tokens": list(tokenizer.special_tokens)}
    path = writer(
        directory / WEIGHTS,
        model,
        step=step,
        model_config=model_config,
        train_config=train_config,
        extra=extra,
    )
    size = path.stat().st_size
    if size > MAX_SUBMITTED_BYTES:
        warnings.warn(
            f"{path} is {size / 1e6:.0f} MB: nbgrader leaves files over "
            f"{MAX_SUBMITTED_BYTES / 1e6:.0f} MB out of a submission, so the grader would not "
            "see this model; choose a smaller one",
            stacklevel=2,
        )
    return directory


def _missing(directory: Path, what: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"no {what} at {directory}: run the cell that trains and saves it, then submit the folder "
        f"{directory.name}/ together with the notebook"
    )


def load_final_model(directory: str | Path, device: str | torch.device = "cpu") -> FinalModel:
    """Read a final-model folder; a missing, corrupt or incomplete one raises a clear error."""
    directory = Path(directory)
    if not directory.is_dir():
        raise _missing(directory, "final model folder")
    for name in (WEIGHTS, VOCAB, MERGES):
        if not (directory / name).is_file():
            raise _missing(directory, name)
    tensors, meta = read_checkpoint(directory / WEIGHTS)
    if not meta.get("model_config") or not meta.get("train_config"):
        raise ValueError(
            f"{directory / WEIGHTS} lacks its model or training config; save it with "
            "save_final_model"
        )
    model_config = ModelConfig.from_dict(meta["model_config"])
    train_config = TrainConfig.from_dict(meta["train_config"])
    extra = meta.get("extra") or {}
    try:
        tokenizer = Tokenizer.from_files(
            directory / VOCAB, directory / MERGES, extra.get("special_tokens") or None
        )
    except (ValueError, KeyError, OSError) as err:
        raise ValueError(f"the tokenizer files in {directory} are unreadable: {err}") from err
    if tokenizer.vocab_size != model_config.vocab_size:
        raise ValueError(
            f"the tokenizer in {directory} has {tokenizer.vocab_size} tokens but the model was "
            f"built for {model_config.vocab_size}"
        )
    model = TransformerLM(model_config)
    load_model_tensors(model, tensors, meta["aliases"])
    model.to(device).eval()
    return FinalModel(model, tokenizer, model_config, train_config, extra, directory)


def is_saved_run(
    directory: str | Path,
    model_config: ModelConfig,
    train_config: TrainConfig,
    tokenizer: Tokenizer,
) -> bool:
    """True when `directory` holds a final model of these configs (runtime settings such as the
    device aside) and exactly this tokenizer: the training cell then reuses it. A damaged weights
    file raises, so that a submitted model is never silently replaced by a new run."""
    directory = Path(directory)
    if not all((directory / name).is_file() for name in (WEIGHTS, VOCAB, MERGES)):
        return False
    try:
        meta = read_metadata(directory / WEIGHTS)
    except ValueError as err:  # a damaged model is reported, never silently replaced
        raise ValueError(f"{err}; delete {directory}/ or retrain to replace it") from err
    saved = Tokenizer.from_files(directory / VOCAB, directory / MERGES)
    return (
        _recipe(meta.get("model_config")) == _recipe(model_config.to_dict())
        and _recipe(meta.get("train_config")) == _recipe(train_config.to_dict())
        and saved.vocab == tokenizer.vocab
        and saved.merges == tokenizer.merges
    )


def _recipe(config: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (config or {}).items() if k not in RUNTIME_FIELDS}


@dataclass
class HeldOutScore:
    """Cross-entropy of a model on a set of stories, per token and per byte of text."""

    loss: float  # nats per scored token
    tokens: int  # tokens of the stories, end-of-text tokens included
    bytes: int  # UTF-8 bytes of the story texts

    @property
    def perplexity(self) -> float:
        """exp of the loss per token."""
        return math.exp(self.loss)

    @property
    def nats_per_byte(self) -> float:
        """Loss per byte of text: comparable across tokenizers."""
        return self.loss * self.tokens / self.bytes

    @property
    def bits_per_byte(self) -> float:
        """The same in bits."""
        return self.nats_per_byte / math.log(2)


@torch.no_grad()
def score_stories(
    model: nn.Module,
    tokenizer: Tokenizer,
    stories: Sequence[str],
    context_length: int,
    device: str | torch.device = "cpu",
    end_of_text: str = "<|endoftext|>",
    batch_size: int = 16,
) -> HeldOutScore:
    """Mean cross-entropy of the stories, each ended by end_of_text, over `sequential_batches`."""
    if not stories:
        raise ValueError("no stories to score")
    if end_of_text not in tokenizer.special_ids:
        raise ValueError(f"the tokenizer has no {end_of_text!r} token")
    eot = tokenizer.special_ids[end_of_text]
    ids: list[int] = []
    for story in stories:
        ids.extend(tokenizer.encode(story))
        ids.append(eot)
    tokens = np.asarray(ids, dtype=np.int64)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for x, y in sequential_batches(tokens, batch_size, context_length, device):
        total += float(fast_cross_entropy(model(x), y, reduction="sum"))
        count += y.numel()
    model.train(was_training)
    n_bytes = sum(len(s.encode("utf-8")) for s in stories)
    return HeldOutScore(total / count, len(tokens), n_bytes)
