"""Branches: continued pretraining from the seed with a new data mix and schedule, and loading.

A branch is a module 05 run folder (`checkpoint.safetensors`, `metrics.jsonl`) that starts from the
seed's weights with a fresh optimizer, so its schedule warms up again from step 0 (constant or
cosine, as its `TrainConfig` says). Its `branch.json` records the digest of the seed's weights as
its ancestor, which merging checks. Resuming an interrupted branch is the Trainer's own resume: it
loads the branch's checkpoint over the seed's weights.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from course_lib.checks import check_type, read_json, write_text_atomic
from course_lib.data.samplers import TokenSource
from course_lib.merging.seed import Seed
from course_lib.model import ModelConfig, TransformerLM
from course_lib.training.checkpoint import load_model_tensors, read_checkpoint
from course_lib.training.config import TrainConfig
from course_lib.training.trainer import (
    CHECKPOINT_NAME,
    BatchSource,
    Trainer,
    TrainResult,
    ValSource,
)

BRANCH_JSON = "branch.json"


@dataclass
class Branch:
    """A model with the digest of the seed it descends from (None: unknown, e.g. its own init)."""

    model: nn.Module
    ancestor: str | None
    name: str = ""


def seed_branch(seed: Seed, device: str | torch.device = "cpu") -> Branch:
    """The seed itself as a branch of itself (the zero-step branch)."""
    check_type("seed", seed, Seed, "a Seed (from build_seed or load_seed)")
    return Branch(seed.load_model(device), seed.digest, "seed")


def continue_pretraining(
    seed: Seed,
    train_data: TokenSource | BatchSource,
    config: TrainConfig,
    out_dir: str | Path,
    val_data: TokenSource | ValSource | None = None,
    *,
    name: str = "",
    overwrite: bool = False,
    callbacks: Sequence[Callable[[Trainer, dict[str, Any]], None]] = (),
) -> TrainResult:
    """Train a branch of `seed` on `train_data` as `config` says, logging into `out_dir`."""
    check_type("seed", seed, Seed, "a Seed (from build_seed or load_seed)")
    check_type("config", config, TrainConfig, "a TrainConfig")
    check_type("out_dir", out_dir, str | Path, "a folder path")
    check_type("name", name, str, "a string")
    if config.context_length > seed.model_config.context_length:
        raise ValueError(
            f"config.context_length ({config.context_length}) exceeds the seed model's "
            f"context_length ({seed.model_config.context_length})"
        )
    out_dir = Path(out_dir)
    info_path = out_dir / BRANCH_JSON
    if info_path.is_file() and config.resume and not overwrite:
        info = read_json(info_path, "branch description")
        if info.get("ancestor") != seed.digest:
            raise ValueError(
                f"{out_dir} holds a branch of seed {info.get('seed_key')!r}, not of "
                f"{seed.key!r}: choose another out_dir or pass overwrite=True"
            )
    trainer = Trainer(
        seed.load_model(),
        config,
        train_data,
        val_data,
        out_dir=out_dir,
        model_config=seed.model_config,
        callbacks=callbacks,
        overwrite=overwrite,
    )
    info = {
        "ancestor": seed.digest,
        "seed_key": seed.key,
        "seed_step": seed.step,
        "seed_folder": str(seed.folder),
        "name": name or out_dir.name,
        "train_config": config.to_dict(),
    }
    write_text_atomic(info_path, json.dumps(info, indent=2, sort_keys=True) + "\n")
    return trainer.fit()


def load_branch(out_dir: str | Path, device: str | torch.device = "cpu") -> Branch:
    """The trained model of a branch folder with its recorded ancestor."""
    check_type("out_dir", out_dir, str | Path, "a folder path")
    out_dir = Path(out_dir)
    info = read_json(out_dir / BRANCH_JSON, "branch description")
    path = out_dir / CHECKPOINT_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}: train the branch first")
    tensors, meta = read_checkpoint(path)
    model = TransformerLM(ModelConfig.from_dict(meta["model_config"]))
    load_model_tensors(model, tensors, meta["aliases"])
    return Branch(model.to(device), info.get("ancestor"), info.get("name") or out_dir.name)
