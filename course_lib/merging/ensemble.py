"""Output ensembling: the average of the models' next-token probabilities, as log-probabilities.

log p(x) = log Σ_i w_i softmax(z_i)(x) = logsumexp_i(log w_i + log_softmax(z_i)(x)), computed
without leaving log space. `EnsembleLM` returns these log-probabilities from `forward`, so it stands
in for a model wherever logits are expected: log_softmax of log-probabilities that sum to 1 is the
identity, so cross-entropy, `score_continuations` and module 09's multiple-choice evaluation give
the ensemble's own numbers. Unlike weight averaging, the members only need one vocabulary.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.checks import check_type
from course_lib.merging.merge import normalized_weights


class EnsembleLM(nn.Module):
    """Models over one vocabulary whose forward is log of their (weighted) mean probabilities."""

    def __init__(self, models: Sequence[nn.Module], weights: Sequence[float] | None = None) -> None:
        super().__init__()
        check_type("models", models, list | tuple, "a list of language models")
        if not models:
            raise ValueError("models is empty: an ensemble needs at least one model")
        for i, m in enumerate(models):
            check_type(f"models[{i}]", m, nn.Module, "an nn.Module")
            if not hasattr(getattr(m, "config", None), "vocab_size"):
                raise TypeError(f"models[{i}] has no .config with vocab_size: not a TransformerLM")
        vocabs = [m.config.vocab_size for m in models]
        if len(set(vocabs)) > 1:
            raise ValueError(f"ensemble members need one vocabulary, got vocab sizes {vocabs}")
        w = normalized_weights(weights, len(models))
        self.models = nn.ModuleList(models)
        self.register_buffer("log_weights", torch.tensor(w).log(), persistent=False)
        context = min(m.config.context_length for m in models)
        self.config = dataclasses.replace(models[0].config, context_length=context)

    def forward(self, ids: Tensor) -> Tensor:
        """Log of the mean next-token probabilities (batch, seq, vocab), in float32."""
        ### BEGIN SOLUTION
        logps = torch.stack([F.log_softmax(m(ids).float(), dim=-1) for m in self.models])
        return torch.logsumexp(logps + self.log_weights.view(-1, 1, 1, 1), dim=0)
        ### END SOLUTION
