"""Train the course model from a YAML file; the same command runs alone or under torchrun.

    python -m course_lib.training.run run.yaml --train train.bin --val val.bin --out runs/x
    torchrun --nproc_per_node 2 -m course_lib.training.run run.yaml --train ... --out ...

run.yaml holds a `model:` section (ModelConfig) and a `train:` section (TrainConfig); token files
are flat uint16 arrays (`.bin`), read through a memory map.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import yaml

from course_lib.training.config import TrainConfig
from course_lib.training.trainer import TrainResult, train


def load_tokens(path: str | Path, dtype: str = "uint16") -> np.ndarray:
    """A read-only memory map of a flat token file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no token file at {path}")
    return np.memmap(path, dtype=np.dtype(dtype), mode="r")


def main(argv: list[str] | None = None) -> TrainResult:
    """Parse the command line, build the model and train it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path, help="YAML with model: and train: sections")
    parser.add_argument("--train", required=True, help="training token file (.bin)")
    parser.add_argument("--val", help="validation token file (.bin)")
    parser.add_argument("--out", required=True, type=Path, help="run folder: metrics, checkpoint")
    parser.add_argument("--dtype", default="uint16", help="token dtype of the .bin files")
    args = parser.parse_args(argv)

    from course_lib.model import ModelConfig, TransformerLM

    raw = yaml.safe_load(args.config.read_text()) or {}
    model_config = ModelConfig.from_dict(raw.get("model") or {})
    train_config = TrainConfig.from_yaml(args.config, section="train")
    torch.manual_seed(train_config.seed)
    model = TransformerLM(model_config)
    val = load_tokens(args.val, args.dtype) if args.val else None
    return train(
        model,
        train_config,
        load_tokens(args.train, args.dtype),
        val,
        out_dir=args.out,
        model_config=model_config,
    )


if __name__ == "__main__":
    result = main()
    print(f"{result.status} at step {result.step}: {result.message or 'ok'}")
