"""Linear mode connectivity on a tiny model: two short branches of one trained seed stay in one basin
(no barrier), two models trained as long from different inits do not (a barrier well above both
endpoints). The data is a seeded order-1 Markov stream over 32 tokens with 3 successors each
(optimal loss log 3 = 1.10 nats), so a 2-layer model learns it in a few dozen steps on one CPU."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from course_lib.merging.evaluate import validation_loss
from course_lib.merging.interpolation import interpolate, interpolation_curve, loss_barrier
from course_lib.model import ModelConfig, TransformerLM
from course_lib.training.config import TrainConfig
from course_lib.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("one_thread")

V = 32
CFG = ModelConfig(vocab_size=V, context_length=16, d_model=32, n_layers=2, n_heads=2)
SUCCESSORS = np.random.default_rng(0).integers(0, V, size=(V, 3))


def markov_stream(n: int, seed: int) -> np.ndarray:
    """n tokens of the chain: each next token one of the current token's 3 successors."""
    choice = np.random.default_rng(seed).integers(0, 3, size=n)
    x = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        x[i] = SUCCESSORS[x[i - 1], choice[i]]
    return x


def trained(model: TransformerLM, steps: int, data: np.ndarray, seed: int) -> TransformerLM:
    config = TrainConfig(
        seed=seed, batch_size=16, context_length=16, max_steps=steps, lr=1e-2, min_lr=1e-2,
        schedule="constant", warmup_steps=0, weight_decay=0.0, eval_interval=0, device="cpu",
        progress=False, live_plot=False,
    )  # fmt: skip
    Trainer(model, config, data).fit()
    return model


def fresh(seed: int) -> TransformerLM:
    torch.manual_seed(seed)
    return TransformerLM(CFG)


@pytest.fixture(scope="module")
def runs() -> dict[str, TransformerLM]:
    threads = torch.get_num_threads()  # module fixtures start before the one_thread fixture
    torch.set_num_threads(1)
    train, other = markov_stream(20_000, 1), markov_stream(20_000, 2)
    seed = trained(fresh(0), 40, train, 0)
    out = {
        "branch_a": trained(copy.deepcopy(seed), 20, train, 10),
        "branch_b": trained(copy.deepcopy(seed), 20, other, 11),
        "independent_a": trained(fresh(1), 60, train, 20),
        "independent_b": trained(fresh(2), 60, train, 21),
    }
    torch.set_num_threads(threads)
    return out


def val_loss(model: torch.nn.Module) -> float:
    return validation_loss(model, markov_stream(4000, 3), 16, 64)


def test_interpolation_endpoints_are_the_models() -> None:
    a, b = fresh(0), fresh(1)
    for alpha, m in ((0.0, a), (1.0, b)):
        got = interpolate(a, b, alpha)
        for name, t in m.state_dict().items():
            assert torch.equal(got.state_dict()[name], t), f"alpha={alpha}: {name} differs"


def test_independent_inits_have_a_barrier_that_branches_of_one_seed_lack(runs) -> None:
    shared = interpolation_curve(runs["branch_a"], runs["branch_b"], val_loss, 5)
    independent = interpolation_curve(runs["independent_a"], runs["independent_b"], val_loss, 5)
    ends = [independent[0][1], independent[-1][1]]
    assert max(ends) < 1.4, f"the independent models did not learn the chain: {independent}"
    # measured: shared barrier 0.000 (the midpoint is below both ends), independent 0.645 nats
    assert loss_barrier(shared) < 0.05, f"branches of one seed climb a barrier: {shared}"
    assert loss_barrier(independent) > 0.3, f"no barrier between independent inits: {independent}"
    middle = dict(independent)[0.5]
    assert middle > max(ends) + 0.3, f"the midpoint is not above both endpoints: {independent}"
    assert dict(shared)[0.5] <= max(shared[0][1], shared[-1][1]) + 0.01, shared
