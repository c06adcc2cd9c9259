"""Training throughput: the workbook's Trainer (from-scratch AdamW, schedule, clipping, logging)
against a plain PyTorch loop (torch.optim.AdamW, clip_grad_norm_, F.cross_entropy) on the same
model, data and number of steps, interleaved in one process. Prints tokens/s and the ratio.

    .venv/bin/python benchmarks/bench_training.py [--steps 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.model import ModelConfig, TransformerLM
from course_lib.training import TrainConfig, get_batch, train


def plain_loop(model: torch.nn.Module, tokens: np.ndarray, cfg: TrainConfig) -> float:
    """The baseline: the shortest correct loop torch allows; returns tokens/s."""
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=0.1)
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(cfg.max_steps):
        x, y = get_batch(tokens, cfg.batch_size, cfg.context_length, "cpu", gen)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return cfg.max_steps * cfg.batch_size * cfg.context_length / (time.perf_counter() - start)


def workbook_trainer(model: torch.nn.Module, tokens: np.ndarray, cfg: TrainConfig) -> float:
    """The workbook's Trainer with validation and checkpoints off; returns tokens/s."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        train(model, cfg, tokens, out_dir=out)
        return cfg.max_steps * cfg.batch_size * cfg.context_length / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    mcfg = ModelConfig(vocab_size=4096, context_length=128, d_model=128, n_layers=4, n_heads=4)
    tokens = np.random.default_rng(0).integers(0, mcfg.vocab_size, 200_000).astype(np.uint16)
    tcfg = TrainConfig(
        batch_size=8,
        context_length=128,
        max_steps=args.steps,
        warmup_steps=5,
        eval_interval=0,
        eval_batches=1,
        log_interval=10,
        progress=False,
        live_plot=False,
        device="cpu",
    )
    rates: dict[str, list[float]] = {"plain torch loop": [], "workbook Trainer": []}
    for _ in range(args.repeats):
        for name, fn in (("plain torch loop", plain_loop), ("workbook Trainer", workbook_trainer)):
            torch.manual_seed(0)
            rates[name].append(fn(TransformerLM(mcfg), tokens, tcfg))
    base = float(np.median(rates["plain torch loop"]))
    print(f"{'loop':<20} {'tokens/s':>10} {'vs plain':>9}   ({torch.get_num_threads()} threads)")
    for name, r in rates.items():
        print(f"{name:<20} {np.median(r):>10.0f} {np.median(r) / base:>8.2f}x")


if __name__ == "__main__":
    main()
