"""LoRA (Hu et al. 2021): train a low-rank update B·A beside each frozen weight matrix.

A wrapped layer computes y = base(x) + (α/r) · B A dropout(x), with A (r × in) drawn as
nn.Linear's default (Kaiming-uniform, a = √5) and B (out × r) zero, so the wrapped model starts as
the base model. Only A and B train: r·(in + out) numbers per matrix instead of in·out, and the
optimizer state shrinks with them. For inference the update is merged, W ← W + (α/r)·B A, and the
layer costs what it did before; unmerging subtracts it again. The names, initialization and scaling
follow Hugging Face `peft` (LoraConfig with use_rslora=False), which the tests use as the oracle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from course_lib.checks import (
    check_int,
    check_non_negative,
    check_positive,
    check_str_list,
    check_type,
    suggest,
)
from course_lib.model.config import ModelConfig
from course_lib.model.layers import Linear

LINEAR_TYPES = (nn.Linear, Linear)


class LoRALinear(nn.Module):
    """A Linear layer (torch's or the course's) with a trainable rank-r update beside it."""

    def __init__(
        self, base: nn.Module, r: int = 8, alpha: float = 16.0, dropout: float = 0.0
    ) -> None:
        super().__init__()
        check_type("base", base, LINEAR_TYPES, "an nn.Linear or course_lib.model.layers.Linear")
        self.r = check_int("r", r, minimum=1)
        check_positive("alpha", alpha)
        check_non_negative("dropout", dropout)
        if not dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        ### BEGIN SOLUTION
        self.base = base
        self.alpha = float(alpha)
        self.scaling = self.alpha / self.r  # peft's default; rsLoRA would use alpha / sqrt(r)
        out_features, in_features = base.weight.shape
        like = {"device": base.weight.device, "dtype": base.weight.dtype}
        self.lora_A = nn.Parameter(torch.empty(self.r, in_features, **like))
        self.lora_B = nn.Parameter(torch.zeros(out_features, self.r, **like))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # as nn.Linear and peft
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.merged = False
        ### END SOLUTION

    @property
    def in_features(self) -> int:
        return self.base.weight.shape[1]

    @property
    def out_features(self) -> int:
        return self.base.weight.shape[0]

    def delta_weight(self) -> Tensor:
        """The update (α/r)·B A, shaped like the base weight (out, in)."""
        ### BEGIN SOLUTION
        return (self.lora_B @ self.lora_A) * self.scaling
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """base(x) + (α/r)·B A dropout(x); just base(x) once merged."""
        ### BEGIN SOLUTION
        out = self.base(x)
        if self.merged:
            return out
        return out + (self.dropout(x) @ self.lora_A.T @ self.lora_B.T) * self.scaling
        ### END SOLUTION

    @torch.no_grad()
    def merge(self) -> None:
        """Add the update into the base weight (no-op if merged): inference at the base's cost."""
        ### BEGIN SOLUTION
        if not self.merged:
            self.base.weight += self.delta_weight().to(self.base.weight.dtype)
            self.merged = True
        ### END SOLUTION

    @torch.no_grad()
    def unmerge(self) -> None:
        """Subtract the update from the base weight again (no-op if not merged)."""
        ### BEGIN SOLUTION
        if self.merged:
            self.base.weight -= self.delta_weight().to(self.base.weight.dtype)
            self.merged = False
        ### END SOLUTION

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha:g}, merged={self.merged}"


def matches(name: str, targets: Iterable[str]) -> bool:
    """Whether module `name` is a target: equal to one, or ending in '.' + one (as peft matches)."""
    return any(name == t or name.endswith("." + t) for t in targets)


def apply_lora(
    model: nn.Module,
    target_modules: list[str],
    r: int = 8,
    alpha: float = 16.0,
    dropout: float = 0.0,
    freeze_base: bool = True,
) -> list[str]:
    """Wrap every Linear of `model` whose name matches `target_modules` ('q_proj', 'ffn.w1' or a
    full name) in a LoRALinear, in place; freeze all other parameters; return the wrapped names."""
    check_type("model", model, nn.Module, "a torch nn.Module")
    targets = check_str_list("target_modules", target_modules)
    if not targets:
        raise ValueError("target_modules must name at least one Linear layer, got none")
    check_int("r", r, minimum=1)  # checked before any layer is replaced
    check_positive("alpha", alpha)
    check_non_negative("dropout", dropout)
    if not dropout < 1:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    linears = [
        name
        for name, module in model.named_modules()
        if isinstance(module, LINEAR_TYPES) and not name.endswith(".base")
    ]
    chosen = [name for name in linears if matches(name, targets)]
    if not chosen:
        short = sorted({name.rsplit(".", 1)[-1] for name in linears})
        hint = suggest(targets[0], short)
        raise ValueError(
            f"target_modules {targets} match no Linear layer of the model{hint}; its Linear "
            f"layers are named {short}"
        )
    if freeze_base:
        for p in model.parameters():
            p.requires_grad_(False)
    for name in chosen:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        setattr(parent, child, LoRALinear(getattr(parent, child), r, alpha, dropout))
    return chosen


def lora_layers(model: nn.Module) -> dict[str, LoRALinear]:
    """The LoRALinear layers of `model`, by name."""
    return {name: m for name, m in model.named_modules() if isinstance(m, LoRALinear)}


def merge_lora(model: nn.Module) -> None:
    """Merge every LoRA update of `model` into its base weight."""
    for layer in lora_layers(model).values():
        layer.merge()


def unmerge_lora(model: nn.Module) -> None:
    """Take every merged LoRA update of `model` out of its base weight again."""
    for layer in lora_layers(model).values():
        layer.unmerge()


def merge_and_unload(model: nn.Module) -> nn.Module:
    """Merge every update and put the base Linear layers back in place of the wrappers (in place):
    the plain model, with the fine-tuned weights."""
    for name, layer in lora_layers(model).items():
        layer.merge()
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name), child, layer.base)
    return model


def trainable_parameters(model: nn.Module) -> dict[str, float]:
    """Trainable and total parameter counts, and the trainable share in percent."""
    check_type("model", model, nn.Module, "a torch nn.Module")
    ### BEGIN SOLUTION
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {
        "trainable": trainable,
        "total": total,
        "percent": 100.0 * trainable / total if total else 0.0,
    }
    ### END SOLUTION


def linear_shapes(config: ModelConfig) -> dict[str, tuple[int, int]]:
    """(in_features, out_features) of each Linear of one block of `TransformerLM(config)`, and of
    the LM head (absent when tied), by short name."""
    check_type("config", config, ModelConfig, "a ModelConfig")
    d, f = config.d_model, config.d_ff
    shapes = {"output_proj": (d, d), "w1": (d, f), "w2": (f, d)}
    if config.fused_qkv:
        shapes["qkv_proj"] = (d, 3 * d)
    else:
        shapes.update(q_proj=(d, d), k_proj=(d, d), v_proj=(d, d))
    if config.ffn == "swiglu":
        shapes["w3"] = (d, f)
    if not config.tie_embeddings:
        shapes["lm_head"] = (d, config.vocab_size)
    return shapes


def predicted_lora_params(config: ModelConfig, target_modules: list[str], r: int) -> int:
    """Trainable parameters of LoRA with rank r on the named Linear layers (short names):
    r·(in + out) per matrix, in every block (the LM head once)."""
    targets = check_str_list("target_modules", target_modules)
    r = check_int("r", r, minimum=1)
    shapes = linear_shapes(config)
    unknown = [t for t in targets if t not in shapes]
    if unknown:
        raise ValueError(
            f"target_modules {unknown} are not Linear layers of this config; known: "
            f"{sorted(shapes)}{suggest(unknown[0], shapes)}"
        )
    total = 0
    for name in targets:
        fan_in, fan_out = shapes[name]
        total += r * (fan_in + fan_out) * (1 if name == "lm_head" else config.n_layers)
    return total
