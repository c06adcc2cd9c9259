"""Parameter averaging: exact on copies, equal to the weighted sum by hand, and refusing models that
differ in architecture or ancestry. Oracles: the models' own tensors combined with torch by hand."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from course_lib.merging.branch import Branch
from course_lib.merging.merge import average_models, check_same_architecture, merge_branches
from course_lib.model import ModelConfig, TransformerLM

pytestmark = pytest.mark.usefixtures("one_thread")

CFG = ModelConfig(vocab_size=40, context_length=8, d_model=16, n_layers=2, n_heads=2)


def model(seed: int, cfg: ModelConfig = CFG) -> TransformerLM:
    torch.manual_seed(seed)
    return TransformerLM(cfg)


def test_average_of_identical_models_is_the_model_exactly() -> None:
    m = model(0)
    merged = average_models([m, copy.deepcopy(m), copy.deepcopy(m)])
    for name, t in m.state_dict().items():
        assert torch.equal(merged.state_dict()[name], t), f"{name} changed by averaging copies"
    ids = torch.randint(0, 40, (2, 8))
    assert torch.equal(merged(ids), m(ids)), "the soup of copies computes something else"
    assert merged is not m, "averaging must return a new model, not the first one"


def test_weighted_average_equals_the_hand_computation() -> None:
    models = [model(s) for s in (0, 1, 2)]
    weights = [1.0, 3.0, 4.0]  # normalised to 1/8, 3/8, 4/8
    merged = average_models(models, weights)
    for name, t in merged.state_dict().items():
        want = sum(w / 8 * m.state_dict()[name].double() for w, m in zip(weights, models))
        # float64 sum cast to float32: within one float32 rounding of the exact value
        torch.testing.assert_close(t, want.float(), rtol=1e-6, atol=1e-7, msg=name)
    uniform = average_models(models[:2])
    w = uniform.state_dict()["lm_head.weight"]
    hand = (models[0].lm_head.weight + models[1].lm_head.weight) / 2
    torch.testing.assert_close(w, hand.detach(), rtol=1e-6, atol=1e-7)


def test_averaging_refuses_another_config() -> None:
    other = model(
        1, ModelConfig(vocab_size=40, context_length=8, d_model=32, n_layers=2, n_heads=2)
    )
    with pytest.raises(ValueError, match=r"models\[1\] has another config.*d_model: 16 vs 32"):
        average_models([model(0), other])


def test_averaging_refuses_other_parameter_names_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"other parameters than models\[0\].*extra 2.weight"):
        check_same_architecture(
            [
                nn.Sequential(nn.Linear(3, 3)),
                nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3)),
            ]
        )
    with pytest.raises(ValueError, match=r"other shapes than models\[0\].*0.weight \(3, 3\) vs"):
        check_same_architecture([nn.Sequential(nn.Linear(3, 3)), nn.Sequential(nn.Linear(3, 4))])


def test_merging_refuses_branches_of_different_seeds_unless_asked() -> None:
    a, b = Branch(model(0), "a" * 64, "a"), Branch(model(1), "b" * 64, "b")
    with pytest.raises(ValueError, match="different seeds.*allow_different_ancestors=True"):
        merge_branches([a, b])
    with pytest.raises(ValueError, match="branch 1 records no ancestor"):
        merge_branches([a, Branch(model(1), None)])
    merged = merge_branches([a, b], allow_different_ancestors=True)
    assert merged.ancestor is None, "an average of unrelated models has no ancestor"
    same = merge_branches([a, Branch(model(1), "a" * 64, "c")], [1, 1])
    assert same.ancestor == "a" * 64 and same.name == "a+c", (same.ancestor, same.name)
