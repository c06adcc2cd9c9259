"""Argument checks shared by the accounting functions, so every bad input fails the same clear way."""

from __future__ import annotations

from course_lib.model.config import ModelConfig


def check_config(config: ModelConfig) -> ModelConfig:
    """Re-validate a config (it may have been edited after construction) and return it."""
    if not isinstance(config, ModelConfig):
        raise ValueError(f"expected a ModelConfig, got {type(config).__name__}")
    ModelConfig.from_dict(config.to_dict())  # reruns __post_init__'s checks on the current fields
    if config.d_ff is None or int(config.d_ff) <= 0:
        raise ValueError(f"d_ff must be positive, got {config.d_ff}")
    return config


def check_positive(name: str, value: float) -> None:
    """Raise unless value > 0."""
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")


def resolve_context(config: ModelConfig, context_length: int | None) -> int:
    """The sequence length to account for: `context_length` or the config's; must fit the model."""
    seq = config.context_length if context_length is None else int(context_length)
    check_positive("context_length", seq)
    if config.positions == "learned" and seq > config.context_length:
        raise ValueError(
            f"context_length {seq} is longer than the learned position table "
            f"({config.context_length} rows): raise config.context_length instead"
        )
    return seq
