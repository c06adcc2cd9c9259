"""The trainer's settings in one dataclass, loadable from YAML and saved with every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from course_lib.checks import check_choice, check_int, check_number, write_text_atomic
from course_lib.training.schedules import SCHEDULES

OPTIMIZERS = ("adamw", "torch_adamw", "sgd")
# The same names mean the same thing in `course_lib.accounting.memory.PRECISIONS`: "fp32" trains in
# float32 throughout, "amp_bf16"/"amp_fp16" keep float32 weights, gradients and optimizer state and
# run the forward pass under torch.autocast in bfloat16/float16 (float16 with a gradient scaler).
PRECISIONS = ("auto", "fp32", "amp_bf16", "amp_fp16")
ON_DIVERGENCE = ("stop", "raise")


@dataclass
class TrainConfig:
    """How to train: batches, optimizer, schedule, precision, logging and checkpointing."""

    seed: int = 0
    batch_size: int = 16  # sequences per micro-step on each rank
    context_length: int = 256
    grad_accum_steps: int = 1
    max_steps: int = 1000
    optimizer: str = "adamw"
    lr: float = 3e-4  # peak learning rate
    min_lr: float = 3e-5
    schedule: str = "cosine"
    warmup_steps: int = 100
    decay_steps: int | None = None  # end of the cosine/linear decay; None: max_steps
    wsd_decay_fraction: float = 0.2
    weight_decay: float = 0.1
    decay_embeddings: bool = False
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8
    momentum: float = 0.9  # sgd only
    grad_clip: float | None = 1.0  # None or 0: no clipping (the norm is still logged)
    device: str = "auto"
    precision: str = "auto"  # auto: amp_bf16 (amp_fp16 without bfloat16) on CUDA, fp32 elsewhere
    compile: bool = False
    activation_checkpointing: bool = False
    eval_interval: int = 100  # 0: validate only at the end
    eval_batches: int | None = 20  # None: the whole validation set
    log_interval: int = 10
    checkpoint_interval: int = 0  # 0: only at the end
    resume: bool = True  # continue from out_dir/checkpoint.safetensors when it exists
    divergence_ratio: float | None = 4.0  # stop when the smoothed loss exceeds this × its minimum
    on_divergence: str = "stop"  # stop: return a result saying why; raise: TrainingDiverged
    progress: bool = True
    live_plot: bool = True  # only ever drawn in a notebook frontend

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)
        positive = ("batch_size", "context_length", "max_steps", "log_interval")
        for name in positive:
            check_int(name, getattr(self, name), minimum=1)
        for name in ("seed", "grad_accum_steps", "warmup_steps", "eval_interval"):
            check_int(name, getattr(self, name))
        for name in ("lr", "min_lr", "eps", "weight_decay"):
            check_number(name, getattr(self, name))
        if self.grad_accum_steps < 1:
            raise ValueError(
                f"grad_accum_steps must be at least 1 (1 = no accumulation), "
                f"got {self.grad_accum_steps}"
            )
        for name in ("warmup_steps", "eval_interval", "checkpoint_interval"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name, allowed in (
            ("optimizer", OPTIMIZERS),
            ("schedule", SCHEDULES),
            ("precision", PRECISIONS),
            ("on_divergence", ON_DIVERGENCE),
        ):
            check_choice(name, getattr(self, name), allowed)
        if self.warmup_steps > self.total_decay_steps:
            raise ValueError(
                f"warmup_steps ({self.warmup_steps}) must not exceed the decay end "
                f"({self.total_decay_steps})"
            )
        if not 0 <= self.min_lr <= self.lr:
            raise ValueError(f"need 0 <= min_lr <= lr, got min_lr={self.min_lr}, lr={self.lr}")
        if self.eval_batches is not None and self.eval_batches <= 0:
            raise ValueError(f"eval_batches must be positive or None, got {self.eval_batches}")

    @property
    def total_decay_steps(self) -> int:
        """The step at which the learning rate reaches min_lr."""
        return self.max_steps if self.decay_steps is None else self.decay_steps

    def tokens_per_step(self, world_size: int = 1) -> int:
        """Tokens consumed by one optimizer step across all ranks."""
        return self.batch_size * self.context_length * self.grad_accum_steps * world_size

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for checkpoints, YAML and run logs."""
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Inverse of `to_dict`; unknown keys are an error, not silently dropped."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown TrainConfig keys: {unknown}; known: {sorted(known)}")
        return cls(**d)

    @classmethod
    def from_yaml(cls, path: str | Path, section: str | None = None) -> TrainConfig:
        """Read a YAML file, or one `section` of it (e.g. `train:` in a combined run file)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no training config at {path}")
        data = yaml.safe_load(path.read_text()) or {}
        if section is not None:
            if section not in data:
                raise ValueError(f"{path} has no {section!r} section (found {sorted(data)})")
            data = data[section] or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path} must hold a mapping of settings, got {type(data).__name__}")
        return cls.from_dict(data)

    def to_yaml(self, path: str | Path) -> Path:
        """Write the settings as YAML."""
        return write_text_atomic(path, yaml.safe_dump(self.to_dict(), sort_keys=False))
