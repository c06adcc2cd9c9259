"""The shared seed checkpoint: one module 05 run on the embedded corpus, built once per recipe.

A recipe (tokenizer and data sizes, model and training configs) and the story files it reads name a
folder `seed-<key>` under a cache root; building it again finds the folder and loads it. The build
is deterministic on one machine: every generator is seeded, the batches are a function of (seed,
step), BPE trains in one process and torch runs on `num_threads` threads, so two builds on the same
machine and device write the same bytes (`tests/test_merging_seed.py` checks it on CPU). The folder
holds

- `seed.safetensors`: module 05's checkpoint (weights, AdamW state, schedule, step, RNG states,
  configs) with the weights' digest in its `extra`; branches record that digest as their ancestor;
- `vocab.json`, `merges.txt`: the tokenizer every branch encodes its data with;
- `run/metrics.jsonl`: the seed run's log, as module 05 writes it;
- `seed.json`: the recipe, the data's sha256, the key, the digest and the step.

The folder is built under a temporary name and renamed, so a half-built seed is never loaded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.checks import check_int, check_type, read_json, write_text_atomic
from course_lib.data.download import sha256_file
from course_lib.data.loaders import EOT, iter_stories
from course_lib.merging.mixture import encode_stories
from course_lib.model import ModelConfig, TransformerLM
from course_lib.paths import resolve_data_dir
from course_lib.tokenizer import Tokenizer, train_bpe
from course_lib.training.checkpoint import (
    digest,
    load_checkpoint,
    model_tensors,
    read_metadata,
    save_checkpoint,
)
from course_lib.training.config import TrainConfig
from course_lib.training.final_model import RUNTIME_FIELDS
from course_lib.training.trainer import CHECKPOINT_NAME, Trainer

SEED_CHECKPOINT = "seed.safetensors"
SEED_JSON = "seed.json"
RUN_DIR = "run"
VOCAB = "vocab.json"
MERGES = "merges.txt"
GENERATOR = "course_lib.merging.seed"


def weights_digest(model: nn.Module) -> str:
    """SHA-256 of a model's weights (names, dtypes, shapes, bytes): the identity of an ancestor."""
    check_type("model", model, nn.Module, "a torch nn.Module")
    return digest(model_tensors(model)[0])


@dataclass(frozen=True)
class SeedRecipe:
    """What the seed run is: its tokenizer and data sizes, model and training configs."""

    model_config: ModelConfig
    train_config: TrainConfig
    tokenizer_train_bytes: int = 1_000_000  # characters of training text the BPE is trained on
    train_bytes: int = 4_000_000  # characters of training stories tokenized (0: all)
    valid_bytes: int = 0  # characters of validation stories tokenized (0: all)

    def __post_init__(self) -> None:
        check_type("model_config", self.model_config, ModelConfig, "a ModelConfig")
        check_type("train_config", self.train_config, TrainConfig, "a TrainConfig")
        check_int("tokenizer_train_bytes", self.tokenizer_train_bytes, minimum=1)
        check_int("train_bytes", self.train_bytes, minimum=0)
        check_int("valid_bytes", self.valid_bytes, minimum=0)
        if self.model_config.context_length < self.train_config.context_length:
            raise ValueError(
                f"train_config.context_length ({self.train_config.context_length}) exceeds the "
                f"model's context_length ({self.model_config.context_length})"
            )

    def to_dict(self) -> dict[str, Any]:
        """The settings that decide the weights (runtime settings such as the device left out)."""
        return {
            "model_config": _recipe(self.model_config.to_dict()),
            "train_config": _recipe(self.train_config.to_dict()),
            "tokenizer_train_bytes": self.tokenizer_train_bytes,
            "train_bytes": self.train_bytes,
            "valid_bytes": self.valid_bytes,
        }


def _recipe(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in RUNTIME_FIELDS}


def story_files(data_dir: Path) -> dict[str, Path]:
    """The training and validation story files of a data folder (both must exist)."""
    files = {split: data_dir / f"stories_{split}.txt" for split in ("train", "valid")}
    for path in files.values():
        if not path.is_file():
            raise FileNotFoundError(f"no story file {path}: the seed needs the embedded corpus")
    return files


def seed_key(recipe: SeedRecipe, data_dir: str | Path = "") -> str:
    """The cache key of a recipe on a data folder: a hash of the recipe and the story files."""
    check_type("recipe", recipe, SeedRecipe, "a SeedRecipe")
    files = story_files(resolve_data_dir(data_dir))
    data = {split: sha256_file(path) for split, path in files.items()}
    text = json.dumps({"recipe": recipe.to_dict(), "data": data}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def first_stories(path: Path, max_chars: int) -> Iterator[str]:
    """The stories of a file until about `max_chars` characters have been read (0: all)."""
    total = 0
    for story in iter_stories(path):
        if max_chars and total >= max_chars:
            return
        total += len(story)
        yield story


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class Seed:
    """A built seed folder: where it is, what it was, its weights' digest and its tokenizer."""

    folder: Path
    key: str
    digest: str
    step: int
    model_config: ModelConfig
    train_config: TrainConfig
    tokenizer: Tokenizer

    @property
    def checkpoint(self) -> Path:
        """The seed's module 05 checkpoint file."""
        return self.folder / SEED_CHECKPOINT

    @property
    def eot_id(self) -> int:
        """The id of `<|endoftext|>`, which ends every story."""
        return self.tokenizer.special_ids[EOT]

    def load_model(self, device: str | torch.device = "cpu") -> TransformerLM:
        """A fresh model holding the seed's weights (checked against the recorded digest)."""
        model = TransformerLM(self.model_config)
        load_checkpoint(self.checkpoint, model, restore_rng_state=False)
        if weights_digest(model) != self.digest:
            raise ValueError(f"{self.checkpoint} does not hold the weights {SEED_JSON} records")
        return model.to(device)


def load_seed(folder: str | Path) -> Seed:
    """Read a seed folder that `build_seed` wrote."""
    folder = Path(folder)
    info = read_json(folder / SEED_JSON, "seed description")
    if not isinstance(info, dict) or info.get("generator") != GENERATOR:
        raise ValueError(f"{folder / SEED_JSON} was not written by {GENERATOR}")
    for name in (SEED_CHECKPOINT, VOCAB, MERGES):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"seed folder {folder} lacks {name}: build it again")
    meta = read_metadata(folder / SEED_CHECKPOINT)
    return Seed(
        folder=folder,
        key=info["key"],
        digest=info["digest"],
        step=meta["step"],
        model_config=ModelConfig.from_dict(meta["model_config"]),
        train_config=TrainConfig.from_dict(meta["train_config"]),
        tokenizer=Tokenizer.from_files(folder / VOCAB, folder / MERGES, [EOT]),
    )


def build_seed(
    recipe: SeedRecipe,
    root: str | Path,
    data_dir: str | Path = "",
    *,
    num_threads: int | None = 1,
    progress: bool = False,
) -> Seed:
    """The seed of `recipe` under `root`: loaded when built before, else trained and saved.

    `num_threads` torch threads run the build (None: as set); byte-identical rebuilds need the same.
    """
    check_type("recipe", recipe, SeedRecipe, "a SeedRecipe")
    check_type("root", root, str | Path, "a folder path")
    if num_threads is not None:
        check_int("num_threads", num_threads, minimum=1)
    data = resolve_data_dir(data_dir)
    key = seed_key(recipe, data)
    folder = Path(root) / f"seed-{key}"
    if folder.exists():
        seed = load_seed(folder)
        if seed.key != key:
            raise FileExistsError(f"{folder} holds the seed {seed.key}, not {key}: remove it")
        return seed
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".seed-{key}-", dir=folder.parent))
    threads = torch.get_num_threads()
    try:
        if num_threads is not None:
            torch.set_num_threads(num_threads)
        _build(recipe, data, tmp, key, progress)
        tmp.chmod(0o755)
        tmp.rename(folder)  # the folder appears whole, or not at all
    finally:
        torch.set_num_threads(threads)
        shutil.rmtree(tmp, ignore_errors=True)
    return load_seed(folder)


def _build(recipe: SeedRecipe, data_dir: Path, out: Path, key: str, progress: bool) -> None:
    """Train the tokenizer and the model of `recipe` and write the seed files into `out`."""
    seed = recipe.train_config.seed
    seed_everything(seed)
    files = story_files(data_dir)
    with open(files["train"], encoding="utf-8") as f:
        bpe_text = f.read(recipe.tokenizer_train_bytes)
    bpe_path = out / "bpe_train_slice.txt"
    bpe_path.write_text(bpe_text, encoding="utf-8")
    vocab, merges = train_bpe(bpe_path, recipe.model_config.vocab_size, [EOT], num_workers=1)
    bpe_path.unlink()
    tokenizer = Tokenizer(vocab, merges, [EOT])
    eot = tokenizer.special_ids[EOT]
    train_ids = encode_stories(
        tokenizer, list(first_stories(files["train"], recipe.train_bytes)), eot
    )
    valid_ids = encode_stories(
        tokenizer, list(first_stories(files["valid"], recipe.valid_bytes)), eot
    )

    torch.manual_seed(seed)
    model = TransformerLM(recipe.model_config)
    config = dataclasses.replace(
        recipe.train_config, resume=False, live_plot=False, progress=progress
    )
    trainer = Trainer(
        model, config, train_ids, valid_ids, out_dir=out / RUN_DIR, model_config=recipe.model_config
    )
    result = trainer.fit()
    if result.status != "completed":
        raise RuntimeError(f"the seed run did not complete ({result.status}): {result.message}")
    (out / RUN_DIR / CHECKPOINT_NAME).unlink()  # it records wall time; seed.safetensors does not
    tokenizer.save(out / VOCAB, out / MERGES)
    weights = weights_digest(model)
    seed_everything(seed)  # the file's RNG states are fixed, not whatever the process drew
    save_checkpoint(
        out / SEED_CHECKPOINT,
        model,
        trainer.optimizer,
        trainer.schedule,
        result.step,
        recipe.model_config,
        recipe.train_config,
        extra={"seed_key": key, "weights_digest": weights, "val_loss": result.val_loss},
    )
    info = {
        "generator": GENERATOR,
        "key": key,
        "digest": weights,
        "step": result.step,
        "val_loss": result.val_loss,
        "recipe": recipe.to_dict(),
        "data": {split: sha256_file(path) for split, path in files.items()},
        "data_dir": str(data_dir),
    }
    write_text_atomic(out / SEED_JSON, json.dumps(info, indent=2, sort_keys=True) + "\n")
