"""Forward+backward time of the teaching model, its fast-attention path, and a plain PyTorch model.

All three have the same LLaMA-style architecture and weights; the baseline is built from nn.Linear,
nn.Embedding, nn.RMSNorm and F.scaled_dot_product_attention. Times are reported as ratios to the
baseline measured in the same run.

    python benchmarks/bench_model.py [--device auto] [--batch 4] [--seq 256] [--d-model 256]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_lib.device import describe, pick_device
from course_lib.model import ModelConfig, TransformerLM


class BaselineBlock(nn.Module):
    """A pre-norm LLaMA block from torch's own modules."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.ln1, self.ln2 = nn.RMSNorm(d, eps=cfg.eps), nn.RMSNorm(d, eps=cfg.eps)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.out = nn.Linear(d, d, bias=False)
        self.w1 = nn.Linear(d, cfg.d_ff, bias=False)
        self.w3 = nn.Linear(d, cfg.d_ff, bias=False)
        self.w2 = nn.Linear(cfg.d_ff, d, bias=False)

    def forward(self, x: Tensor, rotation: Tensor) -> Tensor:
        q, k, v = (
            t.unflatten(-1, (self.n_heads, -1)).transpose(1, 2)
            for t in self.qkv(self.ln1(x)).chunk(3, -1)
        )
        q, k = rotate(q, rotation), rotate(k, rotation)
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.out(attn.transpose(1, 2).flatten(-2))
        h = self.ln2(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


def rotate(x: Tensor, rotation: Tensor) -> Tensor:
    """RoPE as complex multiplication of feature pairs."""
    z = torch.view_as_complex(x.float().unflatten(-1, (-1, 2)).contiguous())
    return torch.view_as_real(z * rotation).flatten(-2).to(x.dtype)


class BaselineLM(nn.Module):
    """The same model as TransformerLM's defaults, from torch's modules."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(BaselineBlock(cfg) for _ in range(cfg.n_layers))
        self.norm = nn.RMSNorm(cfg.d_model, eps=cfg.eps)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        d = cfg.head_dim
        freqs = cfg.rope_theta ** (-torch.arange(0, d, 2).float() / d)
        angles = torch.outer(torch.arange(cfg.context_length).float(), freqs)
        self.register_buffer(
            "rotation", torch.polar(torch.ones_like(angles), angles), persistent=False
        )

    def forward(self, ids: Tensor) -> Tensor:
        x = self.embed(ids)
        rotation = self.rotation[: ids.shape[-1]]
        for block in self.blocks:
            x = block(x, rotation)
        return self.head(self.norm(x))

    @torch.no_grad()
    def copy_from(self, model: TransformerLM) -> None:
        """Take the weights of a default-variant TransformerLM."""
        self.embed.weight.copy_(model.token_embeddings.weight)
        for mine, theirs in zip(self.blocks, model.layers):
            a = theirs.attn
            mine.qkv.weight.copy_(torch.cat([a.q_proj.weight, a.k_proj.weight, a.v_proj.weight]))
            mine.out.weight.copy_(a.output_proj.weight)
            for name in ("w1", "w2", "w3"):
                getattr(mine, name).weight.copy_(getattr(theirs.ffn, name).weight)
            mine.ln1.weight.copy_(theirs.ln1.weight)
            mine.ln2.weight.copy_(theirs.ln2.weight)
        self.norm.weight.copy_(model.ln_final.weight)
        self.head.weight.copy_(model.lm_head.weight)


def step_seconds(model: nn.Module, ids: Tensor, targets: Tensor) -> float:
    """Seconds of one forward + backward pass."""
    if ids.device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    logits = model(ids)
    F.cross_entropy(logits.flatten(0, 1), targets.flatten()).backward()
    if ids.device.type == "cuda":
        torch.cuda.synchronize()
    model.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def median_times(models: dict[str, nn.Module], ids: Tensor, targets: Tensor, reps: int) -> dict:
    """Median step time of each model, taking turns so a busy machine slows all of them alike."""
    for model in models.values():
        step_seconds(model, ids, targets)  # warm-up
    times = {name: [] for name in models}
    for _ in range(reps):
        for name, model in models.items():
            times[name].append(step_seconds(model, ids, targets))
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()

    device = pick_device(args.device)
    torch.manual_seed(0)
    cfg = ModelConfig(
        vocab_size=args.vocab,
        context_length=args.seq,
        d_model=args.d_model,
        n_layers=args.layers,
        n_heads=args.heads,
    )
    teaching = TransformerLM(cfg).to(device)
    fast = TransformerLM(ModelConfig(**{**cfg.to_dict(), "fast_attention": True})).to(device)
    fast.load_state_dict(teaching.state_dict())
    baseline = BaselineLM(cfg).to(device)
    baseline.copy_from(teaching)

    ids = torch.randint(0, cfg.vocab_size, (args.batch, args.seq), device=device)
    targets = torch.randint(0, cfg.vocab_size, (args.batch, args.seq), device=device)
    with torch.no_grad():
        reference = teaching(ids)
        for name, model in (("fast", fast), ("baseline", baseline)):
            gap = (model(ids) - reference).abs().max().item()
            print(f"max |logits - teaching logits| for {name}: {gap:.2e}")

    print(f"\n{describe(device)}; torch {torch.__version__}")
    print(
        f"batch {args.batch} x seq {args.seq}, d_model {cfg.d_model}, {cfg.n_layers} layers,",
        end=" ",
    )
    print(
        f"{cfg.n_heads} heads, vocab {cfg.vocab_size}, float32; median of {args.reps} steps each, interleaved\n"
    )
    models = {"teaching": teaching, "fast attention": fast, "torch baseline": baseline}
    results = median_times(models, ids, targets, args.reps)
    base = results["torch baseline"]
    print(f"{'model':<16} {'fwd+bwd ms':>11} {'vs baseline':>12}")
    for name, seconds in results.items():
        print(f"{name:<16} {seconds * 1e3:>11.1f} {seconds / base:>11.2f}x")


if __name__ == "__main__":
    main()
