"""The training loop: accumulation, mixed precision, compile, checkpoints, resume and DDP.

Every micro-batch draws its windows from a generator seeded by (seed, step, index), so a resumed
run sees exactly the batches the interrupted one would have, and each rank of a DDP run gets its
own stream: index = rank * grad_accum_steps + micro-step. Two ranks without accumulation
therefore see the same data as one process accumulating two micro-steps.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.checkpoint import checkpoint
from tqdm import tqdm

from course_lib.checks import check_type
from course_lib.data.samplers import TokenSource, get_batch, sequential_batches, token_array
from course_lib.training.adamw import AdamW, param_groups
from course_lib.training.checkpoint import load_checkpoint, save_checkpoint, unwrap_model
from course_lib.training.clipping import clip_grad_norm, global_grad_norm
from course_lib.training.config import TrainConfig
from course_lib.training.distributed import (
    DistContext,
    all_reduce_mean,
    all_reduce_sum,
    barrier,
    init_distributed,
    shutdown,
)
from course_lib.training.live_plot import LivePlot
from course_lib.training.losses import fast_cross_entropy
from course_lib.training.metrics import MetricsLog
from course_lib.training.schedules import LRSchedule

BatchSource = Callable[[torch.Generator], tuple[Tensor, Tensor]]
ValSource = Callable[[], Iterable[tuple[Tensor, Tensor]]]
LossFn = Callable[[Tensor, Tensor], Tensor]
CHECKPOINT_NAME = "checkpoint.safetensors"
METRICS_NAME = "metrics.jsonl"


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf or ran away; raised when `on_divergence="raise"`."""


@dataclass
class TrainResult:
    """How a run ended: its status, last step and losses, and the logged records."""

    status: str  # "completed", "diverged" or "stopped"
    step: int
    message: str = ""
    train_loss: float | None = None
    val_loss: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    out_dir: Path | None = None

    @property
    def val_perplexity(self) -> float | None:
        """exp of the last validation loss."""
        return None if self.val_loss is None else math.exp(self.val_loss)

    def losses(self, kind: str = "train") -> list[tuple[int, float]]:
        """(step, loss) pairs of the "train" or "val" records."""
        key = "loss" if kind == "train" else "val_loss"
        return [(r["step"], r[key]) for r in self.history if r["kind"] == kind]


def micro_batch_rng(seed: int, step: int, index: int) -> torch.Generator:
    """The generator for one micro-batch: a pure function of (seed, step, index)."""
    state = np.random.SeedSequence([seed, step, index]).generate_state(1, dtype=np.uint64)[0]
    return torch.Generator().manual_seed(int(state))


def autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The autocast dtype for `precision` on `device`; None means plain fp32."""
    if precision == "fp32" or (precision == "auto" and device.type != "cuda"):
        return None
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if precision == "amp_bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            "precision='amp_bf16' asked for, but this GPU has no bfloat16: use 'amp_fp16'"
        )
    return torch.bfloat16 if precision == "amp_bf16" else torch.float16


def build_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer `config.optimizer` names, over weight-decay parameter groups."""
    groups = param_groups(model, config.weight_decay, config.decay_embeddings)
    if config.optimizer == "adamw":
        return AdamW(groups, lr=config.lr, betas=config.betas, eps=config.eps)
    if config.optimizer == "torch_adamw":
        return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, eps=config.eps)
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


def build_schedule(config: TrainConfig) -> LRSchedule:
    """The learning-rate schedule `config` describes."""
    return LRSchedule(
        name=config.schedule,
        lr_max=config.lr,
        lr_min=config.min_lr,
        warmup_steps=config.warmup_steps,
        total_steps=config.total_decay_steps,
        decay_fraction=config.wsd_decay_fraction,
    )


def forward_backward(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    n_micro: int,
    loss_fn: LossFn = fast_cross_entropy,
    autocast: Callable[[], AbstractContextManager] = nullcontext,
    scaler: torch.amp.GradScaler | None = None,
) -> Tensor:
    """Accumulate gradients of the mean loss over `n_micro` equal micro-batches; return it."""
    # each micro-loss is divided by n_micro before backward, so the summed gradients equal those
    # of one batch n_micro times larger; under DDP only the last backward all-reduces
    total = None
    ddp = isinstance(model, DistributedDataParallel)
    for i, (x, y) in enumerate(batches):
        with model.no_sync() if ddp and i < n_micro - 1 else nullcontext():
            with autocast():
                loss = loss_fn(model(x), y)
            scaled = loss / n_micro
            (scaler.scale(scaled) if scaler is not None else scaled).backward()
        total = loss.detach().float() if total is None else total + loss.detach().float()
    if total is None:
        raise ValueError("forward_backward got no micro-batches")
    return total / n_micro


def enable_activation_checkpointing(model: nn.Module) -> bool:
    """Recompute each block of `model.layers` in backward instead of storing its activations."""
    layers = getattr(unwrap_model(model), "layers", None)
    if not isinstance(layers, nn.ModuleList | nn.Sequential):
        return False
    for block in layers:
        if getattr(block, "_activation_checkpointed", False):
            continue

        def forward(*args: Any, _forward: Callable = block.forward, **kwargs: Any) -> Any:
            if torch.is_grad_enabled():
                return checkpoint(_forward, *args, use_reentrant=False, **kwargs)
            return _forward(*args, **kwargs)

        block.forward = forward
        block._activation_checkpointed = True
    return True


class Trainer:
    """Trains `model` (ids (batch, seq) -> logits (batch, seq, vocab)) as `config` says."""

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        train_data: TokenSource | BatchSource,
        val_data: TokenSource | ValSource | None = None,
        *,
        out_dir: str | Path | None = None,
        model_config: Any | None = None,
        loss_fn: LossFn | None = None,
        optimizer: torch.optim.Optimizer | None = None,
        schedule: Callable[[int], float] | None = None,
        clip_fn: Callable[[Iterable[nn.Parameter], float], Tensor] | None = None,
        callbacks: Sequence[Callable[[Trainer, dict[str, Any]], None]] = (),
        overwrite: bool = False,
    ) -> None:
        check_type("config", config, TrainConfig, "a TrainConfig")
        check_type("model", model, nn.Module, "a torch nn.Module")
        self.config = config
        self.ctx: DistContext = init_distributed(config.device)
        self.device = self.ctx.device
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self._refuse_to_replace(overwrite)
        self.model = model.to(self.device)
        self.model_config = model_config
        self.loss_fn = loss_fn or fast_cross_entropy
        self.clip_fn = clip_fn or clip_grad_norm
        self.callbacks = list(callbacks)
        self.train_source = self._train_source(train_data)
        self.val_source = self._val_source(val_data)
        self.optimizer = optimizer or build_optimizer(self.model, config)
        self.schedule = schedule or build_schedule(config)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        dtype = autocast_dtype(self.device, config.precision)
        self.autocast_dtype = dtype
        self.scaler = torch.amp.GradScaler(self.device.type) if dtype == torch.float16 else None
        torch.manual_seed(config.seed + self.ctx.rank)  # dropout and the like; weights exist
        if config.activation_checkpointing and not enable_activation_checkpointing(self.model):
            warnings.warn(
                "activation_checkpointing needs the model to expose .layers; ignored", stacklevel=2
            )
        self.forward_model = self._compile() if config.compile else self.model
        self.ddp_model: nn.Module = self.forward_model
        if self.ctx.distributed:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp_model = DistributedDataParallel(self.forward_model, device_ids=ids)
        self.metrics = MetricsLog(self.out_dir / METRICS_NAME if self.out_dir else None)
        self.should_stop = False  # a callback may set this to end the run after the step
        self.step = 0
        self._ema: float | None = None
        self._min_ema = math.inf
        self._wall_offset = 0.0

    def _refuse_to_replace(self, overwrite: bool) -> None:
        """Raise rather than start afresh over another run's checkpoint or metrics in out_dir."""
        if self.out_dir is None or self.config.resume or overwrite:
            return
        found = [
            p.name
            for p in (self.out_dir / CHECKPOINT_NAME, self.out_dir / METRICS_NAME)
            if p.is_file() and p.stat().st_size > 0
        ]
        if found:
            raise FileExistsError(
                f"{self.out_dir} already holds a run ({', '.join(found)}) and resume=False would "
                "start afresh over it: pass overwrite=True to replace it, resume=True to continue "
                "it, or another out_dir"
            )

    # data
    def _train_source(self, data: TokenSource | BatchSource) -> BatchSource:
        if callable(data):
            return data
        cfg = self.config
        n_tokens = len(token_array(data))  # a token file is opened again for every batch
        if n_tokens < cfg.batch_size * cfg.context_length + 1:
            raise ValueError(
                f"a batch of {cfg.batch_size}×{cfg.context_length} tokens is larger than the "
                f"training data ({n_tokens} tokens): lower batch_size or context_length"
            )
        return lambda g: get_batch(data, cfg.batch_size, cfg.context_length, self.device, g)

    def _val_source(self, data: TokenSource | ValSource | None) -> ValSource | None:
        if data is None or callable(data):
            return data
        cfg = self.config
        n_tokens = len(token_array(data))
        if n_tokens <= cfg.context_length:
            raise ValueError(
                f"validation data holds {n_tokens} tokens, fewer than one window of "
                f"context_length + 1 = {cfg.context_length + 1}"
            )
        return lambda: itertools.islice(
            sequential_batches(data, cfg.batch_size, cfg.context_length, self.device),
            cfg.eval_batches,
        )

    def micro_batches(self, step: int) -> Iterator[tuple[Tensor, Tensor]]:
        """This rank's micro-batches for `step`, moved to the device."""
        n = self.config.grad_accum_steps
        for micro in range(n):
            rng = micro_batch_rng(self.config.seed, step, self.ctx.rank * n + micro)
            x, y = self.train_source(rng)
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)

    # setup
    def _autocast(self) -> AbstractContextManager:
        if self.autocast_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _compile(self) -> nn.Module:
        """torch.compile the model, trying one step now; fall back to eager with a warning."""
        try:
            compiled = torch.compile(self.model)
            x, y = next(self.micro_batches(1))
            with self._autocast():
                self.loss_fn(compiled(x), y).backward()
            return compiled
        except Exception as err:  # no compiler, unsupported platform or op: train eagerly
            warnings.warn(
                f"torch.compile failed, training without it ({type(err).__name__}: {err})",
                stacklevel=2,
            )
            return self.model
        finally:
            self.optimizer.zero_grad(set_to_none=True)

    # one step
    def set_lr(self, step: int) -> float:
        """Set every group's learning rate from the schedule (scaled by a group's `lr_scale`)."""
        lr = self.schedule(step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)
        return lr

    def train_step(self, step: int) -> tuple[float, float]:
        """Forward, backward and update (skipped if not finite) for `step`: (loss, grad norm).

        The step of `course_lib.training.loop.train_loop`: zeroed gradients, micro-batch losses
        divided by their number, one clip of the sum, one update; tests check both agree."""
        self.ddp_model.train()
        self.optimizer.zero_grad(set_to_none=True)  # gradients left in .grad must not count
        loss = forward_backward(
            self.ddp_model,
            self.micro_batches(step),
            self.config.grad_accum_steps,
            self.loss_fn,
            self._autocast,
            self.scaler,
        )
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.config.grad_clip:
            norm = self.clip_fn(self.params, self.config.grad_clip)
        else:
            norm = global_grad_norm(self.params)
        loss_value = all_reduce_mean(loss, self.ctx).item()
        norm_value = float(norm)
        finite = math.isfinite(loss_value) and math.isfinite(norm_value)
        if self.scaler is not None:  # fp16: the scaler skips steps with inf/NaN gradients itself
            if math.isfinite(loss_value):
                self.scaler.step(self.optimizer)
            self.scaler.update()
        elif finite:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return loss_value, norm_value

    @torch.no_grad()
    def evaluate(self) -> float | None:
        """Mean validation loss per token over the sequential validation batches (all ranks)."""
        if self.val_source is None:
            return None
        self.forward_model.eval()
        total = torch.zeros(2, dtype=torch.float64, device=self.device)
        for i, (x, y) in enumerate(self.val_source()):
            if i % self.ctx.world_size != self.ctx.rank:
                continue
            x, y = x.to(self.device), y.to(self.device)
            with self._autocast():
                loss = self.loss_fn(self.forward_model(x), y)
            total[0] += loss.double() * y.numel()
            total[1] += y.numel()
        self.forward_model.train()
        total = all_reduce_sum(total, self.ctx)
        return (total[0] / total[1]).item() if total[1] > 0 else None

    # divergence
    def _divergence(self, step: int, loss: float, norm: float, lr: float) -> str | None:
        if not math.isfinite(loss):
            return (
                f"loss is {loss} at step {step} (lr {lr:.3g}, grad norm {norm:.3g}): training "
                "diverged; lower the learning rate, add warmup or clipping, or use amp_bf16 or fp32"
            )
        if not math.isfinite(norm) and self.scaler is None:
            return (
                f"gradient norm is {norm} at step {step} (loss {loss:.4g}, lr {lr:.3g}): "
                "training diverged; lower the learning rate or clip gradients"
            )
        self._ema = loss if self._ema is None else 0.9 * self._ema + 0.1 * loss
        self._min_ema = min(self._min_ema, self._ema)
        ratio = self.config.divergence_ratio
        if ratio and self._ema > ratio * self._min_ema:
            return (
                f"smoothed loss {self._ema:.4g} at step {step} is over {ratio}× its minimum "
                f"{self._min_ema:.4g}: training diverged; lower the learning rate"
            )
        return None

    # checkpoints
    @property
    def checkpoint_path(self) -> Path | None:
        """Where the latest checkpoint lives (None without an out_dir)."""
        return self.out_dir / CHECKPOINT_NAME if self.out_dir else None

    def save(self, step: int, wall_time: float) -> None:
        """Write the checkpoint for `step` (rank 0 only)."""
        if self.checkpoint_path is not None and self.ctx.is_main:
            extra = {"ema": self._ema, "min_ema": self._min_ema, "wall_time": wall_time}
            save_checkpoint(
                self.checkpoint_path,
                self.model,
                self.optimizer,
                self.schedule if hasattr(self.schedule, "state_dict") else None,
                step,
                self.model_config,
                self.config,
                extra,
            )
        barrier(self.ctx)

    def resume(self) -> int:
        """Load the checkpoint in out_dir, if any, and return the step it was taken at."""
        path = self.checkpoint_path
        if not (self.config.resume and path is not None and path.is_file()):
            return 0
        info = load_checkpoint(
            path,
            self.model,
            self.optimizer,
            self.schedule if hasattr(self.schedule, "load_state_dict") else None,
            self.model_config,
        )
        saved = info["train_config"] or {}
        for key in ("seed", "batch_size", "context_length", "grad_accum_steps"):
            if key in saved and saved[key] != getattr(self.config, key):
                warnings.warn(
                    f"resuming with {key}={getattr(self.config, key)} but the checkpoint used "
                    f"{saved[key]}: the run will not repeat the interrupted one exactly",
                    stacklevel=2,
                )
        extra = info["extra"]
        self._ema, self._min_ema = extra.get("ema"), extra.get("min_ema", math.inf)
        self._wall_offset = extra.get("wall_time", 0.0)
        return info["step"]

    def _validate(self, record: dict[str, Any], plot: LivePlot) -> float | None:
        val_loss = self.evaluate()
        if self.ctx.is_main and val_loss is not None:
            perplexity = math.exp(min(val_loss, 700.0))
            keep = {k: record[k] for k in ("step", "tokens", "wall_time")}
            self.metrics.write(
                {"kind": "val", **keep, "val_loss": val_loss, "val_perplexity": perplexity}
            )
            plot.update(record["step"], val_loss=val_loss, force=True)
        return val_loss

    # the loop
    def fit(self) -> TrainResult:
        """Train until max_steps (resuming from out_dir), validating, logging and checkpointing."""
        try:
            return self._fit()
        finally:
            shutdown(self.ctx)

    def _fit(self) -> TrainResult:
        cfg, main = self.config, self.ctx.is_main
        start = self.resume()
        self.step = start
        if main:
            self.metrics.rewind(start)  # drop records a killed run wrote after its checkpoint
        tokens_per_step = cfg.tokens_per_step(self.ctx.world_size)
        plot = LivePlot(enabled=None if cfg.live_plot and main else False)
        for r in self.metrics.records:
            plot.update(r["step"], r.get("loss"), r.get("val_loss"))
        bar = tqdm(total=cfg.max_steps, initial=start, disable=not (cfg.progress and main))
        t_start = time.perf_counter()
        interval_time, interval_steps = 0.0, 0
        status, message, loss, val_loss = "completed", "", None, None
        try:
            for step in range(start + 1, cfg.max_steps + 1):
                t0 = time.perf_counter()
                lr = self.set_lr(step)
                loss, norm = self.train_step(step)
                interval_time += time.perf_counter() - t0
                interval_steps += 1
                self.step = step
                wall = self._wall_offset + time.perf_counter() - t_start
                record = {
                    "kind": "train",
                    "step": step,
                    "tokens": step * tokens_per_step,
                    "loss": loss,
                    "lr": lr,
                    "grad_norm": norm,
                    "tokens_per_s": interval_steps * tokens_per_step / max(interval_time, 1e-9),
                    "wall_time": wall,
                }
                problem = self._divergence(step, loss, norm, lr)
                if problem or step % cfg.log_interval == 0 or step in (1, cfg.max_steps):
                    interval_time, interval_steps = 0.0, 0
                    if main:
                        self.metrics.write(record)
                        plot.update(step, train_loss=loss)
                        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}", refresh=False)
                bar.update(1)
                if problem:
                    status, message = "diverged", problem
                    if main:
                        tqdm.write(problem)
                    break
                last = step == cfg.max_steps
                if self.val_source and (
                    last or (cfg.eval_interval and step % cfg.eval_interval == 0)
                ):
                    val_loss = self._validate(record, plot)
                for callback in self.callbacks:
                    callback(self, record)
                if self.should_stop:
                    status, message = "stopped", f"stopped by a callback at step {step}"
                interval = cfg.checkpoint_interval
                if last or self.should_stop or (interval and step % interval == 0):
                    self.save(step, self._wall_offset + time.perf_counter() - t_start)
                if self.should_stop:
                    break
        finally:
            bar.close()
            plot.close()
        if status == "diverged" and cfg.on_divergence == "raise":
            raise TrainingDiverged(message)
        history = list(self.metrics.records)
        if loss is None and history:  # nothing left to do: report the finished run's numbers
            loss = next((r["loss"] for r in reversed(history) if r["kind"] == "train"), None)
        if val_loss is None and history:
            val_loss = next((r["val_loss"] for r in reversed(history) if r["kind"] == "val"), None)
        return TrainResult(status, self.step, message, loss, val_loss, history, self.out_dir)


def train(
    model: nn.Module,
    config: TrainConfig,
    train_data: TokenSource | BatchSource,
    val_data: TokenSource | ValSource | None = None,
    **kwargs: Any,
) -> TrainResult:
    """Build a `Trainer` and run it: the one-call entry point for notebooks and scripts.

    A run with `resume=False` refuses an out_dir that holds another run's checkpoint or metrics
    unless `overwrite=True` is passed (among the keyword arguments of `Trainer`).
    """
    return Trainer(model, config, train_data, val_data, **kwargs).fit()
