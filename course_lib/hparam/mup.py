"""μP's learning rates and the coordinate check (Yang et al. 2021, "Tensor Programs V: Tuning Large
Neural Networks via Zero-Shot Hyperparameter Transfer").

The model's side (init, attention and logit multipliers) is `ModelConfig(parametrization="mup")`,
in `course_lib.model.mup`. With Adam, μP also scales learning rates: a *hidden* matrix, whose two
dimensions both grow with width, gets lr · base_fan_in / fan_in (and weight decay times the
inverse, so AdamW's lr · wd decay stays put); embeddings, norm gains and the LM head (one
dimension fixed by the vocabulary, or none) keep lr. Which dimensions grow is read off the base
model's shapes, as `mup.set_base_shapes` does; `mup.MuAdamW` makes the same groups.
In notebook 08 the body of `mup_param_groups` (after its checks) is the graded exercise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import torch
from torch import Tensor, nn

from course_lib.checks import check_int, check_non_negative, check_type
from course_lib.hparam.fit import fit_log_log
from course_lib.model.config import ModelConfig
from course_lib.model.transformer import TransformerLM
from course_lib.training.adamw import param_groups


def base_config(config: ModelConfig) -> ModelConfig:
    """The config at μP's base width: d_model = mup_base_d_model, d_ff scaled along with it."""
    if config.parametrization != "mup":
        raise ValueError(f"the config's parametrization is {config.parametrization!r}, not 'mup'")
    base = config.mup_base_d_model
    default_ff = dataclasses.replace(config, d_ff=None).d_ff
    d_ff = None if config.d_ff == default_ff else max(1, config.d_ff * base // config.d_model)
    return dataclasses.replace(config, d_model=base, d_ff=d_ff)


def base_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every parameter's shape in the base-width model, by name (built on the meta device)."""
    with torch.device("meta"):
        base = TransformerLM(base_config(config))
    return {name: tuple(p.shape) for name, p in base.named_parameters()}


def mup_param_groups(
    model: TransformerLM, lr: float, weight_decay: float = 0.0, decay_embeddings: bool = False
) -> list[dict[str, Any]]:
    """AdamW parameter groups with μP's per-layer learning rates (`lr_scale`, read by the Trainer)
    and weight decays; the decayed/undecayed split is module 05's `param_groups`."""
    check_type("model", model, TransformerLM, "a TransformerLM built with parametrization='mup'")
    check_non_negative("lr", lr)
    check_non_negative("weight_decay", weight_decay)
    ### BEGIN SOLUTION
    shapes = base_shapes(model.config)
    names = {id(p): n for n, p in model.named_parameters()}
    groups: dict[tuple[float, float], dict[str, Any]] = {}
    for group in param_groups(model, weight_decay, decay_embeddings):
        for p in group["params"]:
            shape, base = tuple(p.shape), shapes[names[id(p)]]
            grows = [d != b for d, b in zip(shape, base)]
            scale = base[1] / shape[1] if len(shape) == 2 and all(grows) else 1.0
            key = (scale, group["weight_decay"] / scale)
            entry = groups.setdefault(
                key, {"params": [], "lr": lr * key[0], "lr_scale": key[0], "weight_decay": key[1]}
            )
            entry["params"].append(p)
    return list(groups.values())
    ### END SOLUTION


def standard_param_groups(
    model: nn.Module, lr: float, weight_decay: float = 0.0, decay_embeddings: bool = False
) -> list[dict[str, Any]]:
    """The standard parametrization's groups: one learning rate for every parameter."""
    groups = param_groups(model, weight_decay, decay_embeddings)
    return [{**g, "lr": lr, "lr_scale": 1.0} for g in groups]


def activation_sizes(model: TransformerLM, ids: Tensor) -> dict[str, float]:
    """Mean |x| of each coordinate of the embeddings, each block's output and the logits."""
    sizes: dict[str, float] = {}
    hooks = []
    named = [("embedding", model.token_embeddings)]
    named += [(f"block {i}", block) for i, block in enumerate(model.layers)]
    for name, module in named:

        def hook(_m: nn.Module, _i: Any, out: Tensor, name: str = name) -> None:
            sizes[name] = out.detach().abs().mean().item()

        hooks.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            sizes["logits"] = model(ids).abs().mean().item()
    finally:
        for h in hooks:
            h.remove()
    return sizes


def coord_check(
    configs: Sequence[ModelConfig],
    batch: tuple[Tensor, Tensor],
    lr: float,
    steps: int = 3,
    seed: int = 0,
    groups: Callable[[TransformerLM, float], list[dict[str, Any]]] | None = None,
) -> pd.DataFrame:
    """The coordinate check: for each config (one per width), train `steps` Adam steps on `batch`
    and record the activation sizes before each; columns d_model, step, layer, size.

    `groups(model, lr)` makes the optimizer's groups; default: μP's for μP configs, one
    learning rate otherwise. Under μP the sizes stay flat in width; under SP they grow.
    """
    check_int("steps", steps, minimum=0)
    ids, targets = batch
    rows = []
    for config in configs:
        torch.manual_seed(seed)
        model = TransformerLM(config)
        make = groups or (
            mup_param_groups if config.parametrization == "mup" else standard_param_groups
        )
        optimizer = torch.optim.AdamW(make(model, lr), lr=lr, weight_decay=0.0)
        for step in range(steps + 1):
            for layer, size in activation_sizes(model, ids).items():
                rows.append({"d_model": config.d_model, "step": step, "layer": layer, "size": size})
            if step == steps:
                break
            logits = model(ids)
            loss = nn.functional.cross_entropy(logits.flatten(0, -2), targets.flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return pd.DataFrame(rows)


def width_slope(sizes: pd.DataFrame, layer: str, step: int) -> float:
    """Slope of log(size) against log(d_model) for one layer at one step (0: flat in width)."""
    rows = sizes[(sizes["layer"] == layer) & (sizes["step"] == step)]
    if len(rows) < 2:
        raise ValueError(f"need at least two widths of layer {layer!r} at step {step}")
    return fit_log_log(rows["d_model"].tolist(), rows["size"].tolist())[1]
