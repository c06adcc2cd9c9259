"""Argument checks of the accounting functions: the shared ones (`course_lib.checks`) plus the
model-config and context checks only accounting needs."""

from __future__ import annotations

from course_lib.checks import check_positive
from course_lib.model.config import ModelConfig

__all__ = ["check_config", "check_positive", "resolve_context"]


def check_config(config: ModelConfig) -> ModelConfig:
    """Re-validate a config (it may have been edited after construction) and return it."""
    if not isinstance(config, ModelConfig):
        raise TypeError(f"expected a ModelConfig, got {type(config).__name__}")
    ModelConfig.from_dict(config.to_dict())  # reruns __post_init__'s checks on the current fields
    return config


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
