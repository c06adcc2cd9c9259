"""Parameter averaging of branches: uniform and weighted model soups, as in Branch-Train-Merge.

θ = Σ_i w_i θ_i with the weights normalised to sum to 1, accumulated in float64 and cast back, so
averaging copies of one model gives that model exactly. Averaging is only meaningful for models of
one architecture (same config, parameter names and shapes) that share an ancestor: two
independently initialised networks are not aligned unit for unit, and their average is worse than
either (the interpolation curve shows it). `merge_branches` checks both and refuses otherwise,
unless `allow_different_ancestors=True` asks for that comparison on purpose.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from course_lib.checks import check_number, check_type
from course_lib.merging.branch import Branch
from course_lib.training.checkpoint import config_to_dict, unwrap_model


def _models(models: Sequence[nn.Module]) -> list[nn.Module]:
    check_type("models", models, list | tuple, "a list of nn.Module")
    if not models:
        raise ValueError("models is empty: average at least one model")
    for i, m in enumerate(models):
        check_type(f"models[{i}]", m, nn.Module, "an nn.Module")
    return [unwrap_model(m) for m in models]


def check_same_architecture(models: Sequence[nn.Module]) -> None:
    """Raise a ValueError unless every model has the first one's config, parameter names and shapes."""
    models = _models(models)
    first = config_to_dict(getattr(models[0], "config", None))
    ref = models[0].state_dict()
    for i, m in enumerate(models[1:], start=1):
        config = config_to_dict(getattr(m, "config", None))
        if first is not None and config is not None and config != first:
            diffs = [
                f"{k}: {first.get(k)!r} vs {config.get(k)!r}"
                for k in sorted(set(first) | set(config))
                if first.get(k) != config.get(k)
            ]
            raise ValueError(f"models[{i}] has another config than models[0]: {'; '.join(diffs)}")
        own = m.state_dict()
        names = [f"missing {k}" for k in ref if k not in own]
        names += [f"extra {k}" for k in own if k not in ref]
        if names:
            raise ValueError(f"models[{i}] has other parameters than models[0]: {names[:5]}")
        shapes = [
            f"{k} {tuple(t.shape)} vs {tuple(own[k].shape)}"
            for k, t in ref.items()
            if own[k].shape != t.shape
        ]
        if shapes:
            raise ValueError(f"models[{i}] has other shapes than models[0]: {shapes[:5]}")


def check_common_ancestor(
    ancestors: Sequence[str | None], allow_different_ancestors: bool = False
) -> str | None:
    """The shared ancestor digest; a ValueError when one is unknown or they differ (unless allowed)."""
    check_type("ancestors", ancestors, list | tuple, "a list of seed digests")
    known = set(ancestors)
    if len(known) == 1 and None not in known:
        return ancestors[0]
    if allow_different_ancestors:
        return None
    if None in known:
        i = list(ancestors).index(None)
        raise ValueError(
            f"branch {i} records no ancestor: averaging needs branches of one seed; pass "
            "allow_different_ancestors=True to average unrelated models on purpose"
        )
    shown = ", ".join(f"{i}: {a[:12]}" for i, a in enumerate(ancestors))
    raise ValueError(
        f"branches descend from different seeds ({shown}): their weights are not aligned, so "
        "their average is meaningless; pass allow_different_ancestors=True for the "
        "independent-init comparison"
    )


def normalized_weights(weights: Sequence[float] | None, n: int) -> list[float]:
    """`n` mixing weights summing to 1 (None: uniform); each must be >= 0, their sum > 0."""
    if weights is None:
        return [1.0 / n] * n
    if isinstance(weights, Tensor):
        weights = weights.tolist()
    check_type("weights", weights, list | tuple, "a list of numbers")
    if len(weights) != n:
        raise ValueError(f"weights has {len(weights)} entries for {n} models: give one per model")
    values = [check_number(f"weights[{i}]", w) for i, w in enumerate(weights)]
    if any(not v >= 0 for v in values):
        raise ValueError(f"weights must be >= 0, got {list(weights)}")
    total = sum(values)
    if total <= 0:
        raise ValueError(f"weights must have a positive sum, got {list(weights)}")
    return [v / total for v in values]


def average_state_dicts(
    state_dicts: Sequence[dict[str, Tensor]], weights: Sequence[float]
) -> dict[str, Tensor]:
    """Σ_i w_i θ_i of every floating tensor (in float64, cast back); others must agree exactly."""
    ### BEGIN SOLUTION
    out: dict[str, Tensor] = {}
    for name, ref in state_dicts[0].items():
        if not ref.is_floating_point():
            if any(not torch.equal(sd[name], ref) for sd in state_dicts[1:]):
                raise ValueError(f"non-float tensor {name} differs between the models")
            out[name] = ref.clone()
            continue
        total = torch.zeros(ref.shape, dtype=torch.float64, device=ref.device)
        for sd, w in zip(state_dicts, weights, strict=True):
            total += w * sd[name].to(ref.device, torch.float64)
        out[name] = total.to(ref.dtype)
    return out
    ### END SOLUTION


def average_models(
    models: Sequence[nn.Module], weights: Sequence[float] | None = None
) -> nn.Module:
    """A new model whose weights are the (weighted) average of the models' (same architecture)."""
    models = _models(models)
    check_same_architecture(models)
    w = normalized_weights(weights, len(models))
    ### BEGIN SOLUTION
    merged = copy.deepcopy(models[0])
    merged.load_state_dict(average_state_dicts([m.state_dict() for m in models], w))
    return merged
    ### END SOLUTION


def merge_branches(
    branches: Sequence[Branch],
    weights: Sequence[float] | None = None,
    *,
    allow_different_ancestors: bool = False,
) -> Branch:
    """The (weighted) parameter average of branches of one seed, as a branch of that seed."""
    check_type("branches", branches, list | tuple, "a list of Branch")
    if not branches:
        raise ValueError("branches is empty: merge at least one branch")
    for i, b in enumerate(branches):
        check_type(f"branches[{i}]", b, Branch, "a Branch")
    ancestor = check_common_ancestor([b.ancestor for b in branches], allow_different_ancestors)
    model = average_models([b.model for b in branches], weights)
    return Branch(model, ancestor, "+".join(b.name or str(i) for i, b in enumerate(branches)))
