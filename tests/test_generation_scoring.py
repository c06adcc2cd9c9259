"""Module 09 scoring: continuation log-likelihoods equal a per-pair log-softmax, batched or not, and
the teaching versions (one pair, one item) equal the fast scorer and evaluator; acc/acc_norm as
lm-eval defines them, on a hand-computed fixture; label-free calibration."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.data.loaders import MultipleChoice
from course_lib.generation.calibration import (
    accuracy,
    baselines,
    contextual_calibration,
    few_shot_prompt,
    fill_template,
    label_logprobs,
    label_probabilities,
    median_threshold,
    predict_with_threshold,
)
from course_lib.generation.multiple_choice import (
    evaluate_multiple_choice,
    multiple_choice_metrics,
    sample_items,
)
from course_lib.generation.scoring import ContinuationScore, score_continuations, score_texts
from course_lib.generation.teaching import choose, score_continuation
from course_lib.model import ModelConfig, TransformerLM
from course_lib.tokenizer import Tokenizer

C = 24


def byte_tokenizer() -> Tokenizer:
    return Tokenizer({i: bytes([i]) for i in range(256)}, [], ["<|endoftext|>"])


def tiny_model(vocab_size: int = 257, seed: int = 0) -> TransformerLM:
    torch.manual_seed(seed)
    config = ModelConfig(vocab_size=vocab_size, context_length=C, d_model=32, n_layers=2, n_heads=4)
    return TransformerLM(config).double().eval()


@torch.no_grad()
def oracle_logprob(model: TransformerLM, context: list[int], continuation: list[int]) -> float:
    """One pair alone: log-softmax of the full sequence's logits, summed at the continuation."""
    seq = (context + continuation)[-(C + 1) :]
    logits = model(torch.tensor([seq[:-1]]))[0]
    logprobs = F.log_softmax(logits, -1)
    n = len(continuation)
    return sum(float(logprobs[len(seq) - 1 - n + j, t]) for j, t in enumerate(continuation))


PAIRS = [([1, 2, 3], [4]), ([9], [8, 7, 6, 5]), (list(range(10, 30)), [3, 3]), ([200], [100])]


@pytest.mark.parametrize("batch_size", [1, 3, 16])
def test_scores_equal_one_pair_at_a_time_log_softmax(batch_size):
    model = tiny_model()
    contexts, continuations = zip(*PAIRS, strict=True)
    got = score_continuations(model, list(contexts), list(continuations), batch_size)
    for (ctx, cont), score in zip(PAIRS, got, strict=True):
        assert score.n_tokens == len(cont)
        assert math.isclose(score.logprob, oracle_logprob(model, ctx, cont), rel_tol=1e-9), (
            f"pair {ctx} → {cont}: expected the log-softmax sum of the pair scored alone"
        )


def test_a_pair_longer_than_the_window_loses_the_start_of_its_context():
    model = tiny_model()
    ctx, cont = list(range(40)), [5, 6]
    (got,) = score_continuations(model, [ctx], [cont])
    (cut,) = score_continuations(model, [ctx[-(C + 1 - 2) :]], [cont])
    assert got.logprob == pytest.approx(cut.logprob, rel=1e-12), "keep the last C + 1 tokens"


def test_greedy_flag_marks_continuations_that_are_the_argmax():
    model = tiny_model()
    ctx = [5, 6, 7]
    best = int(model(torch.tensor([ctx]))[0, -1].argmax())
    worst = int(model(torch.tensor([ctx]))[0, -1].argmin())
    scores = score_continuations(model, [ctx, ctx], [[best], [worst]])
    assert [s.greedy for s in scores] == [True, False]
    assert scores[0].logprob > scores[1].logprob


@pytest.mark.parametrize("seed", range(4))
def test_the_teaching_scorer_equals_the_batched_one(seed):
    """One pair alone (module 09's exercise) gives the batched scorer's numbers, window cut included."""
    model = tiny_model(seed=seed)
    gen = torch.Generator().manual_seed(seed)
    pairs = [
        (
            torch.randint(0, 257, (int(torch.randint(1, 40, (), generator=gen)),), generator=gen),
            torch.randint(0, 257, (int(torch.randint(1, 6, (), generator=gen)),), generator=gen),
        )
        for _ in range(7)
    ]
    batched = score_continuations(model, [c for c, _ in pairs], [x for _, x in pairs], 3)
    for (ctx, cont), fast in zip(pairs, batched, strict=True):
        alone = score_continuation(model, ctx.tolist(), cont.tolist())
        assert alone.n_tokens == fast.n_tokens and alone.greedy == fast.greedy, (alone, fast)
        assert math.isclose(alone.logprob, fast.logprob, rel_tol=1e-9, abs_tol=1e-12), (alone, fast)
    with pytest.raises(ValueError, match="more than context_length"):
        score_continuation(model, [1], list(range(C + 1)))


def test_the_teaching_choice_is_what_the_evaluator_counts():
    """`choose` item by item gives `multiple_choice_metrics`' acc and acc_norm (ties included)."""
    rng = torch.Generator().manual_seed(3)
    items, scores = [], []
    for i in range(300):
        n = 2 + i % 4
        endings = ["e" * int(torch.randint(1, 12, (), generator=rng)) for _ in range(n)]
        values = torch.randint(-6, 0, (n,), generator=rng).double().tolist()  # many ties
        items.append(MultipleChoice("c", endings, i % n))
        scores.append([ContinuationScore(v, 1, False) for v in values])
    got = multiple_choice_metrics(items, scores)
    lls = [[s.logprob for s in row] for row in scores]
    acc = sum(choose(v) == it.label for v, it in zip(lls, items, strict=True)) / len(items)
    acc_norm = sum(
        choose(v, [len(e) for e in it.endings]) == it.label
        for v, it in zip(lls, items, strict=True)
    ) / len(items)
    assert (got["acc"], got["acc_norm"], got["n"]) == (acc, acc_norm, 300), got


def test_sample_items_keeps_items_whose_endings_fit_the_window():
    tok = byte_tokenizer()
    items = [MultipleChoice("c", ["ab", "x" * k], 0) for k in range(1, 40)]
    sample, too_long = sample_items(items, tok, C, 100, seed=1)
    # an ending fits when " " + ending is shorter than the window: k + 1 < C
    assert too_long == sum(k + 1 >= C for k in range(1, 40))
    assert sorted(len(it.endings[1]) for it in sample) == list(range(1, C - 1))
    assert sample_items(items, tok, C, 5, seed=1) == sample_items(items, tok, C, 5, seed=1)
    assert len(sample_items(items, tok, C, 5, seed=1)[0]) == 5


def test_score_texts_encodes_context_and_continuation_separately():
    tok, model = byte_tokenizer(), tiny_model()
    (got,) = score_texts(model, tok, ["The cat"], [" sat"])
    (want,) = score_continuations(model, [tok.encode("The cat")], [tok.encode(" sat")])
    assert got == want


@pytest.mark.parametrize(
    ("contexts", "continuations", "error", "message"),
    [
        ([[1]], [[]], ValueError, r"continuation\[0\] is empty"),
        ([[]], [[1]], ValueError, r"context\[0\] is empty"),
        ([[1]], [[1], [2]], ValueError, "1 contexts but 2 continuations"),
        ([[1]], [[999]], ValueError, "outside the vocabulary"),
        ([[1]], [list(range(C + 1))], ValueError, "more than context_length"),
    ],
)
def test_bad_scoring_input_is_a_clear_error(contexts, continuations, error, message):
    with pytest.raises(error, match=message):
        score_continuations(tiny_model(), contexts, continuations)


# --- multiple choice: a fixture computed by hand with lm-eval's definitions --------------------
# lm-eval (lm_eval/api/task.py, multiple_choice): acc = argmax(lls) == gold;
# acc_norm = argmax(lls / len(choice in characters)) == gold; np.argmax takes the first on ties.
ITEMS = [
    MultipleChoice("ctx", ["a", "bbbbbbbb"], 1),  # lls -2, -8: acc picks 0; per char -2, -1 → 1
    MultipleChoice("ctx", ["xx", "yy", "zz"], 2),  # lls -3, -5, -3: tie → 0 for both
    MultipleChoice("ctx", ["one", "three"], 0),  # lls -1, -4: 0; per char -0.33, -0.8 → 0
]
LLS = [[-2.0, -8.0], [-3.0, -5.0, -3.0], [-1.0, -4.0]]


def test_acc_and_acc_norm_match_the_hand_computed_fixture():
    scores = [[ContinuationScore(v, 1, False) for v in lls] for lls in LLS]
    got = multiple_choice_metrics(ITEMS, scores)
    assert got == {"acc": 1 / 3, "acc_norm": 2 / 3, "n": 3}, got
    assert choose([-3.0, -5.0, -3.0]) == 0, "ties go to the first ending"


def test_evaluate_multiple_choice_scores_space_separated_endings():
    tok, model = byte_tokenizer(), tiny_model()
    items = [MultipleChoice("Tom has a", ["hat", "cat", "mat."], 1)]
    got = evaluate_multiple_choice(model, tok, items)
    lls = [s.logprob for s in score_texts(model, tok, ["Tom has a"] * 3, [" hat", " cat", " mat."])]
    want_acc = float(max(range(3), key=lambda i: (lls[i], -i)) == 1)
    assert got["acc"] == want_acc and got["chance"] == pytest.approx(1 / 3)


# --- calibration --------------------------------------------------------------------------------


def test_contextual_calibration_divides_by_the_content_free_probabilities():
    probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3]], dtype=torch.float64)
    p_cf = torch.tensor([0.75, 0.25], dtype=torch.float64)
    got = contextual_calibration(probs, p_cf)
    # by hand: 0.9/0.75 = 1.2, 0.1/0.25 = 0.4 → 0.75, 0.25; 0.8, 1.6 → 1/3, 2/3; 0.9333, 1.2
    want = torch.tensor([[0.75, 0.25], [1 / 3, 2 / 3], [0.9333333 / 2.1333333, 1.2 / 2.1333333]])
    torch.testing.assert_close(got, want.double(), atol=1e-6, rtol=0)
    averaged = contextual_calibration(probs, torch.tensor([[0.8, 0.2], [0.7, 0.3]]))
    torch.testing.assert_close(averaged, got)


def test_median_threshold_calls_half_positive_and_fixes_a_biased_classifier():
    # a classifier biased to positive: every p(positive) > 0.5, but the order is right
    p = torch.tensor([0.55, 0.6, 0.62, 0.7, 0.8, 0.9], dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    assert accuracy(predict_with_threshold(p), labels) == 0.5
    threshold = median_threshold(p)
    assert threshold == pytest.approx((0.62 + 0.7) / 2)
    assert accuracy(predict_with_threshold(p, threshold), labels) == 1.0


def test_label_logprobs_score_each_label_word_after_each_prompt():
    tok, model = byte_tokenizer(), tiny_model()
    prompts = [fill_template("Review: {text}\nIt was", t) for t in ["great food", "cold soup"]]
    got = label_logprobs(model, tok, prompts, [" good", " bad"])
    want = [
        [s.logprob for s in score_texts(model, tok, [p, p], [" good", " bad"])] for p in prompts
    ]
    torch.testing.assert_close(got, torch.tensor(want, dtype=torch.float64))
    probs = label_probabilities(got)
    torch.testing.assert_close(probs.sum(-1), torch.ones(2, dtype=torch.float64))


def test_few_shot_prompt_puts_solved_examples_first():
    prompt = few_shot_prompt("Q: {text}\nA:", [("hi", " yes"), ("no", " no")], "ok")
    assert prompt == "Q: hi\nA: yes\n\nQ: no\nA: no\n\nQ: ok\nA:"
    with pytest.raises(ValueError, match=r"must contain \{text\}"):
        fill_template("no field", "x")


def test_baselines_are_chance_and_the_commonest_label():
    assert baselines([1, 1, 0, 1]) == {"random": 0.5, "majority": 0.75}
