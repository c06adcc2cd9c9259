"""The `train` trial kind: one run of module 05's Trainer on module 04's TransformerLM.

A config has four sections:

    model:  ModelConfig settings (d_model, n_layers, norm, ...)
    train:  TrainConfig settings (lr, batch_size, max_steps, seed, ...); context_length defaults
            to the model's, and progress bars and live plots are off unless asked for
    data:   train: a token file (module 03's format), val: another one or null; relative paths
            start at the spec's folder
    run:    max_loss: a logged training loss above it ends the trial as diverged (null: only
            the Trainer's own checks, NaN/inf and `divergence_ratio`); keep_checkpoint: keep
            the final checkpoint in the run folder (default false)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from course_lib.model.config import ModelConfig
from course_lib.model.transformer import TransformerLM
from course_lib.sweeps.spec import TrialKind
from course_lib.training.config import TrainConfig
from course_lib.training.flops import training_flops_per_token
from course_lib.training.trainer import CHECKPOINT_NAME, Trainer, TrainingDiverged

SECTIONS = ("model", "train", "data", "run")
DATA_KEYS = ("train", "val")
RUN_DEFAULTS: dict[str, Any] = {"max_loss": None, "keep_checkpoint": False}
QUIET = {"progress": False, "live_plot": False}  # many trials at once: no per-trial bars


def _section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name) or {}
    if not isinstance(value, dict):
        raise ValueError(f"section {name!r} must be a mapping, got {type(value).__name__}")
    return value


def _token_file(value: Any, key: str, root: Path) -> str:
    if not isinstance(value, str | Path) or not str(value):
        raise ValueError(f"data.{key} must be the path of a token file, got {value!r}")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise FileNotFoundError(f"data.{key}: no token file at {path}")
    return str(path.resolve())


def check_training(config: dict[str, Any], root: Path) -> dict[str, Any]:
    """The config with every model and training setting filled in and data paths made absolute."""
    unknown = sorted(set(config) - set(SECTIONS))
    if unknown:
        raise ValueError(f"unknown config sections {unknown}; expected some of {SECTIONS}")
    model = ModelConfig.from_dict(_section(config, "model"))
    train = {**QUIET, "context_length": model.context_length, **_section(config, "train")}
    train_config = TrainConfig.from_dict(train)
    if train_config.context_length > model.context_length:
        raise ValueError(
            f"train.context_length {train_config.context_length} is longer than the model's "
            f"context_length {model.context_length}"
        )
    data = _section(config, "data")
    unknown = sorted(set(data) - set(DATA_KEYS))
    if unknown or "train" not in data:
        raise ValueError(
            f"data needs 'train' (and may have 'val'), token file paths; got keys {sorted(data)}"
        )
    files = {"train": _token_file(data["train"], "train", root)}
    files["val"] = _token_file(data["val"], "val", root) if data.get("val") else None
    run = {**RUN_DEFAULTS, **_section(config, "run")}
    unknown = sorted(set(run) - set(RUN_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown run settings {unknown}; expected some of {list(RUN_DEFAULTS)}")
    ceiling = run["max_loss"]
    if ceiling is not None and (
        isinstance(ceiling, bool) or not isinstance(ceiling, int | float) or ceiling <= 0
    ):
        raise ValueError(f"run.max_loss must be a positive number or null, got {ceiling!r}")
    if not isinstance(run["keep_checkpoint"], bool):
        raise ValueError(
            f"run.keep_checkpoint must be true or false, got {run['keep_checkpoint']!r}"
        )
    return {"model": model.to_dict(), "train": train_config.to_dict(), "data": files, "run": run}


class LossCeiling:
    """A Trainer callback that stops the run once the training loss passes `max_loss`."""

    def __init__(self, max_loss: float) -> None:
        self.max_loss = max_loss
        self.message = ""

    def __call__(self, trainer: Trainer, record: dict[str, Any]) -> None:
        """Stop after this step if its loss is above the ceiling, logging the step if it was not."""
        if record["loss"] <= self.max_loss:
            return
        self.message = (
            f"training loss {record['loss']:.4g} at step {record['step']} is above "
            f"max_loss {self.max_loss}: counted as diverged"
        )
        if not any(r is record for r in trainer.metrics.records[-2:]):
            trainer.metrics.write(record)  # the curve ends where the run left the rails
        trainer.should_stop = True


def run_training(config: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Train the config's model on its data into `run_dir`; diverging is a result, not an error."""
    model_config = ModelConfig.from_dict(config["model"])
    train_config = TrainConfig.from_dict(config["train"])
    torch.manual_seed(train_config.seed)  # the same initial weights on every backend
    model = TransformerLM(model_config)
    params = sum(p.numel() for p in model.parameters())
    run = config["run"]
    ceiling = LossCeiling(run["max_loss"]) if run["max_loss"] is not None else None
    trainer = Trainer(
        model,
        train_config,
        config["data"]["train"],
        config["data"]["val"],
        out_dir=run_dir,
        model_config=model_config,
        callbacks=[ceiling] if ceiling else [],
    )
    try:
        result = trainer.fit()
        status, message = result.status, result.message
    except TrainingDiverged as err:  # train.on_divergence: raise
        status, message = "diverged", str(err)
    if ceiling is not None and ceiling.message:
        status, message = "diverged", ceiling.message
    if not run["keep_checkpoint"]:
        (run_dir / CHECKPOINT_NAME).unlink(missing_ok=True)
    flops = training_flops_per_token(model_config, train_config.context_length)
    return {
        "status": status,
        "message": message,
        "params": params,
        "flops_per_token": flops,
        "device": str(trainer.device),
    }


TRAIN = TrialKind("train", check_training, run_training)
