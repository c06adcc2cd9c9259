"""Output ensembles and evaluation: the ensemble is log of the mean of probabilities (torch by hand),
it goes through module 09's multiple-choice scoring as a model, and per-domain losses equal
torch's cross-entropy over the same windows."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.data.loaders import MultipleChoice
from course_lib.merging.ensemble import EnsembleLM
from course_lib.merging.evaluate import domain_losses, multiple_choice_accuracy
from course_lib.model import ModelConfig, TransformerLM

pytestmark = pytest.mark.usefixtures("one_thread")

CFG = ModelConfig(vocab_size=50, context_length=16, d_model=16, n_layers=1, n_heads=2)


def model(seed: int) -> TransformerLM:
    torch.manual_seed(seed)
    return TransformerLM(CFG).eval()


class ByteTokenizer:
    """Each byte is a token (mod 50): enough to score text with a 50-token model."""

    def encode(self, text: str) -> list[int]:
        return [b % 50 for b in text.encode("utf-8")]


def test_ensemble_is_log_of_the_mean_of_probabilities() -> None:
    models = [model(s) for s in (0, 1, 2)]
    ids = torch.randint(0, 50, (2, 7))
    with torch.no_grad():
        probs = torch.stack([F.softmax(m(ids), dim=-1) for m in models])
        got = EnsembleLM(models)(ids)
        weighted = EnsembleLM(models, [2, 1, 1])(ids)
    torch.testing.assert_close(got, probs.mean(0).log(), rtol=1e-5, atol=1e-6)
    want = (0.5 * probs[0] + 0.25 * probs[1] + 0.25 * probs[2]).log()
    torch.testing.assert_close(weighted, want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(got.exp().sum(-1), torch.ones(2, 7), rtol=0, atol=1e-5)


def test_ensemble_refuses_members_of_another_vocabulary() -> None:
    torch.manual_seed(0)
    other = TransformerLM(
        ModelConfig(vocab_size=60, context_length=16, d_model=16, n_layers=1, n_heads=2)
    )
    with pytest.raises(ValueError, match=r"one vocabulary, got vocab sizes \[50, 60\]"):
        EnsembleLM([model(0), other])


def test_multiple_choice_of_an_ensemble_of_copies_equals_the_model() -> None:
    m = model(3)
    items = [
        MultipleChoice("the cat sat on", [" the mat", " a dog ran", " it"], 0),
        MultipleChoice("once upon a", [" time", " tree was"], 1),
        MultipleChoice("abc", [" d", " e", " fg"], 2),
    ]
    tok = ByteTokenizer()
    alone = multiple_choice_accuracy(m, tok, items)
    both = multiple_choice_accuracy(EnsembleLM([m, copy.deepcopy(m)]), tok, items)
    assert alone == both, f"an ensemble of copies scores like the model: {alone} vs {both}"
    assert set(alone) >= {"acc", "acc_norm", "chance"}, alone


def test_domain_losses_equal_cross_entropy_by_hand() -> None:
    m = model(4)
    rng = np.random.default_rng(0)
    domains = {"a": rng.integers(0, 50, 70), "b": rng.integers(0, 50, 33)}
    got = domain_losses(m, domains, context_length=16, batch_size=2)
    for name, tokens in domains.items():
        t = torch.from_numpy(tokens)
        total, count = 0.0, 0
        for s in range(0, len(t) - 1, 16):  # consecutive windows; the last one shorter
            x, y = t[s : s + 16], t[s + 1 : s + 17]
            x = x[: len(y)]
            with torch.no_grad():
                total += float(F.cross_entropy(m(x[None])[0], y, reduction="sum"))
            count += len(y)
        assert got[name] == pytest.approx(total / count, rel=1e-5), name
    ens = domain_losses(EnsembleLM([m]), domains, context_length=16)
    assert ens == pytest.approx(got, rel=1e-5), "a one-model ensemble has the model's loss"
