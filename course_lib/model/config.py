"""The model's hyperparameters in one dataclass, shared by the model, the trainer and the accounting."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from course_lib.checks import check_choice, check_int, check_positive

NORMS = ("rms", "layer", "none")
NORM_POSITIONS = ("pre", "post")
FFNS = ("swiglu", "gelu", "silu")
POSITIONS = ("rope", "learned", "none")
PARAMETRIZATIONS = ("sp", "mup")


@dataclass
class ModelConfig:
    """Shape and variant of a decoder-only Transformer LM (LLaMA-style by default)."""

    vocab_size: int = 10_000
    context_length: int = 256
    d_model: int = 512
    n_layers: int = 4
    n_heads: int = 16
    d_ff: int | None = None  # None: SwiGLU 8/3·d_model up to a multiple of 64; GELU, SiLU 4·d_model
    rope_theta: float = 10_000.0
    norm: str = "rms"
    norm_position: str = "pre"
    ffn: str = "swiglu"
    positions: str = "rope"
    parallel_layers: bool = False
    tie_embeddings: bool = False
    fused_qkv: bool = False
    fast_attention: bool = False
    eps: float = 1e-5
    parametrization: str = "sp"  # "mup": module 08's μP, see course_lib.model.mup
    mup_base_d_model: int | None = None  # μP's base width, where it equals "sp"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context_length", "d_model", "n_layers", "n_heads"):
            check_int(name, getattr(self, name), minimum=1)
        if self.d_ff is not None:
            check_int("d_ff", self.d_ff, minimum=1)
        check_positive("rope_theta", self.rope_theta)
        check_positive("eps", self.eps)
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})"
            )
        if self.positions == "rope" and self.head_dim % 2:
            raise ValueError(f"RoPE needs an even head dimension, got {self.head_dim}")
        for name, allowed in (
            ("norm", NORMS),
            ("norm_position", NORM_POSITIONS),
            ("ffn", FFNS),
            ("positions", POSITIONS),
        ):
            check_choice(name, getattr(self, name), allowed)
        check_choice("parametrization", self.parametrization, PARAMETRIZATIONS)
        if self.parametrization == "mup":
            self._check_mup()
        if self.d_ff is None:
            if self.ffn == "swiglu":
                self.d_ff = 64 * math.ceil(8 * self.d_model / 3 / 64)
            else:
                self.d_ff = 4 * self.d_model

    def _check_mup(self) -> None:
        """μP needs a base width that splits into the same heads, and an untied LM head."""
        if self.mup_base_d_model is None:
            raise ValueError(
                "parametrization='mup' needs mup_base_d_model, the width where μP equals 'sp' "
                "(the width the hyperparameters were tuned at)"
            )
        check_int("mup_base_d_model", self.mup_base_d_model, minimum=1)
        if self.mup_base_d_model % self.n_heads:
            raise ValueError(
                f"mup_base_d_model ({self.mup_base_d_model}) must be divisible by n_heads "
                f"({self.n_heads})"
            )
        if self.tie_embeddings:
            raise ValueError(
                "parametrization='mup' needs an untied LM head (its logits carry μP's output "
                "multiplier): set tie_embeddings=False"
            )

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.d_model // self.n_heads

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for checkpoints, YAML and run logs."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Inverse of `to_dict`; unknown keys are an error, not silently dropped."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown ModelConfig keys: {unknown}")
        return cls(**d)
