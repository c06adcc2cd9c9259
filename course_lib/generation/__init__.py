"""Module 09: using a trained model: decoding, scoring text, and downstream tasks.

sampling         temperature, top-k and top-p (nucleus) filtering of next-token logits
decode           batched generation from prompts of different lengths, with a KV cache
scoring          log-likelihood of continuations after contexts, batched (the fast scorer)
teaching         the exercises: one pair scored alone, the ending one item picks
calibration      label-token classifiers and label-free calibration (median threshold,
                 contextual calibration)
multiple_choice  acc and acc_norm of multiple-choice items, HellaSwag-style (the evaluator)
"""
