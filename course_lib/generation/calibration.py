"""A language model as a classifier: score label words after a prompt, then fix its bias without
labels.

`label_logprobs` gives, for every text, the log-likelihood of each label word (" good", " bad")
after the text is put in a prompt template; the prediction is the likelier label. A small model is
usually biased towards one label, so the default boundary p(positive) = 0.5 misclassifies many
texts. Two remedies need no labelled data:

- the median threshold (for a test set known to be about balanced): put the boundary at the
  median of p(positive) over the test texts, so half of them are called positive;
- contextual calibration (Zhao et al. 2021): measure the label probabilities the prompt gives a
  content-free input such as "N/A", and divide every text's label probabilities by them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from course_lib.checks import check_int, check_type
from course_lib.generation.scoring import score_texts

CONTENT_FREE_INPUTS = ("N/A", "", "[MASK]")


def fill_template(template: str, text: str) -> str:
    """The prompt for one text: `template` with `{text}` replaced."""
    check_type("template", template, str, "a str with a {text} field")
    if "{text}" not in template:
        raise ValueError(f"template must contain {{text}}, got {template!r}")
    return template.replace("{text}", text)


def few_shot_prompt(
    template: str, examples: Sequence[tuple[str, str]], text: str, separator: str = "\n\n"
) -> str:
    """k solved examples (text, label word) in the template, then the text to classify.

    Each example is the template filled with its text and followed by its label word; the query's
    template is left open where its label word would go.
    """
    shots = [fill_template(template, t) + label for t, label in examples]
    return separator.join([*shots, fill_template(template, text)])


def label_logprobs(
    model: torch.nn.Module,
    tokenizer,
    prompts: Sequence[str],
    label_words: Sequence[str],
    batch_size: int = 16,
) -> Tensor:
    """(n_prompts, n_labels) log-likelihoods of each label word after each prompt."""
    if isinstance(label_words, str) or len(label_words) < 2:
        raise ValueError(f"label_words must list at least two words, got {label_words!r}")
    ### BEGIN SOLUTION
    contexts = [p for p in prompts for _ in label_words]
    continuations = [w for _ in prompts for w in label_words]
    scores = score_texts(model, tokenizer, contexts, continuations, batch_size)
    values = torch.tensor([s.logprob for s in scores], dtype=torch.float64)
    return values.reshape(len(prompts), len(label_words))
    ### END SOLUTION


def label_probabilities(logprobs: Tensor) -> Tensor:
    """Each row's label log-likelihoods as probabilities over the labels only (rows sum to 1)."""
    check_type("logprobs", logprobs, Tensor, "an (n, n_labels) tensor")
    if logprobs.dim() != 2 or logprobs.shape[1] < 2:
        raise ValueError(f"expected an (n, n_labels >= 2) tensor, got {tuple(logprobs.shape)}")
    return torch.softmax(logprobs.double(), dim=-1)


def median_threshold(p_positive: Tensor) -> float:
    """The decision boundary that calls half of a balanced test set positive: the median of
    p(positive) (the mean of the two middle values for an even count)."""
    check_type("p_positive", p_positive, Tensor, "a 1-d tensor of probabilities")
    if p_positive.dim() != 1 or p_positive.numel() == 0:
        raise ValueError(f"expected a non-empty 1-d tensor, got shape {tuple(p_positive.shape)}")
    ### BEGIN SOLUTION
    return float(torch.quantile(p_positive.double(), 0.5))
    ### END SOLUTION


def predict_with_threshold(p_positive: Tensor, threshold: float = 0.5) -> Tensor:
    """1 where p(positive) is above the threshold, else 0."""
    return (p_positive > threshold).long()


def contextual_calibration(probs: Tensor, content_free: Tensor) -> Tensor:
    """Label probabilities (n, n_labels) divided by the content-free ones and renormalised.

    `content_free` is (n_labels,) or (m, n_labels) probabilities for content-free inputs (their
    mean is used). Zhao et al. predict argmax(W p) with W = diag(p_cf)⁻¹; this returns W p
    renormalised, a distribution with that argmax.
    """
    check_type("probs", probs, Tensor, "an (n, n_labels) tensor")
    check_type("content_free", content_free, Tensor, "an (n_labels,) or (m, n_labels) tensor")
    p_cf = content_free.double()
    if p_cf.dim() == 2:
        p_cf = p_cf.mean(dim=0)
    if probs.dim() != 2 or p_cf.shape != probs.shape[1:]:
        raise ValueError(
            f"probs {tuple(probs.shape)} and content_free {tuple(content_free.shape)} must agree "
            "on the number of labels"
        )
    if (p_cf <= 0).any():
        raise ValueError("content-free probabilities must be positive to divide by them")
    ### BEGIN SOLUTION
    p_cf = p_cf / p_cf.sum()
    q = probs.double() / p_cf
    return q / q.sum(dim=-1, keepdim=True)
    ### END SOLUTION


def accuracy(predictions: Tensor, labels: Sequence[int] | Tensor) -> float:
    """The fraction of predictions equal to the labels."""
    labels = torch.as_tensor(labels)
    if predictions.shape != labels.shape or predictions.numel() == 0:
        raise ValueError(
            f"predictions {tuple(predictions.shape)} and labels {tuple(labels.shape)} must have "
            "the same non-empty shape"
        )
    return float((predictions == labels).double().mean())


def baselines(labels: Sequence[int] | Tensor, n_labels: int = 2) -> dict[str, float]:
    """Accuracy of guessing uniformly at random, and of always answering the commonest label."""
    labels = torch.as_tensor(labels)
    n_labels = check_int("n_labels", n_labels, minimum=2)
    counts = torch.bincount(labels, minlength=n_labels)
    return {"random": 1 / n_labels, "majority": float(counts.max() / counts.sum())}
