"""Training throughput of the workbook's reference trainer against a plain PyTorch loop, with MFU.

Contestants, all at one configuration (nanoGPT-sized by default: 4 layers, d_model 256, 4 heads,
context 256, vocab 10k, batch 16), float32, taking turns in one process so a busy machine slows all
of them alike:

- `plain torch`: the LLaMA-style model built from torch's own modules (`bench_model.BaselineLM`:
  nn.RMSNorm, one fused qkv Linear, F.scaled_dot_product_attention) trained by the shortest correct
  loop: torch.optim.AdamW, clip_grad_norm_, F.cross_entropy;
- `plain torch, GPT-2 block`: the same loop on a GPT-2-style model (LayerNorm, GELU MLP, learned
  positions, tied embeddings), the architecture of nanoGPT;
- `workbook Trainer`: course_lib's TransformerLM (fast attention) trained by course_lib's Trainer
  with its from-scratch AdamW, cosine schedule, clipping and JSONL metrics (validation and
  checkpoints off, as in the baselines).

Tokens/s is the median over repeats; MFU divides the model's training FLOPs per second (3× the
forward matmul FLOPs, course_lib.accounting) by the best fp32 matmul rate measured in the same run.

    .venv/bin/python benchmarks/bench_training.py [--steps 8] [--repeats 3] [--device auto]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_model import BaselineLM  # noqa: E402

from course_lib.accounting.flops import training_step_flops  # noqa: E402
from course_lib.accounting.hardware import measure_matmul_flops  # noqa: E402
from course_lib.device import describe, pick_device  # noqa: E402
from course_lib.model import ModelConfig, TransformerLM  # noqa: E402
from course_lib.training import TrainConfig, get_batch, train  # noqa: E402


class GPT2Block(nn.Module):
    """Pre-LayerNorm attention and a 4·d GELU MLP, as in GPT-2 (no dropout, no biases)."""

    def __init__(self, d: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.ln1, self.ln2 = nn.LayerNorm(d, bias=False), nn.LayerNorm(d, bias=False)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.out = nn.Linear(d, d, bias=False)
        self.up = nn.Linear(d, 4 * d, bias=False)
        self.down = nn.Linear(4 * d, d, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        q, k, v = (
            t.unflatten(-1, (self.n_heads, -1)).transpose(1, 2)
            for t in self.qkv(self.ln1(x)).chunk(3, -1)
        )
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.out(attn.transpose(1, 2).flatten(-2))
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class GPT2LM(nn.Module):
    """nanoGPT's architecture at the benchmark's size: learned positions, tied input/output."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.context_length, cfg.d_model)
        self.blocks = nn.ModuleList(
            GPT2Block(cfg.d_model, cfg.n_heads) for _ in range(cfg.n_layers)
        )
        self.norm = nn.LayerNorm(cfg.d_model, bias=False)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, ids: Tensor) -> Tensor:
        x = self.embed(ids) + self.pos(torch.arange(ids.shape[-1], device=ids.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def plain_loop(
    model: nn.Module, tokens: np.ndarray, cfg: TrainConfig, device: torch.device
) -> float:
    """The baseline: the shortest correct loop torch allows; returns seconds for cfg.max_steps."""
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=0.1)
    gen = torch.Generator().manual_seed(cfg.seed)
    sync(device)
    start = time.perf_counter()
    for _ in range(cfg.max_steps):
        x, y = get_batch(tokens, cfg.batch_size, cfg.context_length, device, gen)
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.item()  # the loop logs its loss, as every real loop does: one host sync per step
    sync(device)
    return time.perf_counter() - start


def workbook_trainer(
    model: nn.Module, tokens: np.ndarray, cfg: TrainConfig, device: torch.device
) -> float:
    """course_lib's Trainer with validation and checkpoints off; returns seconds for max_steps."""
    with tempfile.TemporaryDirectory() as out:
        sync(device)
        start = time.perf_counter()
        train(model, cfg, tokens, out_dir=out)
        sync(device)
        return time.perf_counter() - start


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=10_000)
    args = parser.parse_args()

    device = pick_device(args.device)
    mcfg = ModelConfig(
        vocab_size=args.vocab,
        context_length=args.seq,
        d_model=args.d_model,
        n_layers=args.layers,
        n_heads=args.heads,
        fast_attention=True,
    )
    tokens = np.random.default_rng(0).integers(0, mcfg.vocab_size, 1_000_000).astype(np.uint16)
    tcfg = TrainConfig(
        batch_size=args.batch,
        context_length=args.seq,
        max_steps=args.steps,
        warmup_steps=1,
        eval_interval=0,
        log_interval=10,
        progress=False,
        live_plot=False,
        device=str(device),
        precision="fp32",
    )
    contestants: dict[str, tuple[Callable[[], nn.Module], Callable[..., float]]] = {
        "plain torch": (lambda: BaselineLM(mcfg), plain_loop),
        "plain torch, GPT-2 block": (lambda: GPT2LM(mcfg), plain_loop),
        "workbook Trainer": (lambda: TransformerLM(mcfg), workbook_trainer),
    }
    # one untimed step each: allocator, kernel choice, lazy imports
    warm = TrainConfig(**{**tcfg.to_dict(), "max_steps": 1})
    for build, run in contestants.values():
        run(build().to(device), tokens, warm, device)
    seconds: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(args.repeats):
        for name, (build, run) in contestants.items():
            torch.manual_seed(0)
            seconds[name].append(run(build().to(device), tokens, tcfg, device))
    peak = max(measure_matmul_flops(device, size=n) for n in (512, 1024, 2048))

    step_flops = training_step_flops(mcfg, args.batch, args.seq)
    tokens_per_step = args.batch * args.seq
    print(f"{describe(device)}; torch {torch.__version__}; {torch.get_num_threads()} threads")
    print(
        f"{args.layers} layers, d_model {args.d_model}, {args.heads} heads, context {args.seq}, "
        f"vocab {args.vocab}, batch {args.batch}, fp32; {args.steps} steps x {args.repeats} "
        "repeats, interleaved"
    )
    print(
        f"training FLOPs per step {step_flops / 1e9:.1f} G (3x forward matmuls); "
        f"measured fp32 matmul peak {peak / 1e9:.0f} GFLOP/s\n"
    )
    base = tokens_per_step * args.steps / statistics.median(seconds["plain torch"])
    print(f"{'loop':<26} {'tokens/s':>9} {'vs plain':>9} {'GFLOP/s':>8} {'MFU':>6}")
    for name, times in seconds.items():
        rate = tokens_per_step * args.steps / statistics.median(times)
        flops = rate / tokens_per_step * step_flops
        print(
            f"{name:<26} {rate:>9.0f} {rate / base:>8.2f}x {flops / 1e9:>8.1f} {flops / peak:>6.1%}"
        )


if __name__ == "__main__":
    main()
