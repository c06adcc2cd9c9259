"""The core of a training loop: schedule, accumulate, clip, step and validate, one update a step.

`Trainer` (trainer.py) runs the same step with checkpoints, logging, mixed precision and DDP
around it; `tests/test_training_loop.py` checks that both give the same losses step by step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn

from course_lib.checks import check_int, check_positive, check_type


def train_loop(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    get_batch: Callable[[int, int], tuple[Tensor, Tensor]],
    *,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    steps: int,
    accumulation: int = 1,
    max_grad_norm: float | None = None,
    clip_fn: Callable[[Iterable[nn.Parameter], float], Tensor] | None = None,
    lr_schedule: Callable[[int], float] | None = None,
    eval_every: int = 0,
    eval_fn: Callable[[], float] | None = None,
) -> list[dict[str, float]]:
    """Run `steps` updates of `model`; return one record per step (lr, loss, grad norm, val loss)."""
    check_type("model", model, nn.Module, "a torch nn.Module")
    check_type("optimizer", optimizer, torch.optim.Optimizer, "a torch optimizer")
    check_type("get_batch", get_batch, Callable, "a function (step, micro) -> (inputs, targets)")
    check_type("loss_fn", loss_fn, Callable, "a function (logits, targets) -> scalar loss")
    check_int("steps", steps, minimum=1)
    check_int("accumulation", accumulation, minimum=1)
    check_int("eval_every", eval_every, minimum=0)
    if max_grad_norm is not None:
        check_positive("max_grad_norm", max_grad_norm)
    optional = (Callable, type(None))
    check_type("clip_fn", clip_fn, optional, "None or a function (parameters, max_norm) -> norm")
    check_type("lr_schedule", lr_schedule, optional, "None or a function step -> learning rate")
    check_type("eval_fn", eval_fn, optional, "None or a function () -> validation loss")
    if eval_every and eval_fn is None:
        raise ValueError(f"eval_every={eval_every} needs an eval_fn to validate with")
    if clip_fn is None:
        clip_fn = torch.nn.utils.clip_grad_norm_
    params = [p for p in model.parameters() if p.requires_grad]
    ### BEGIN SOLUTION
    history: list[dict[str, float]] = []
    for step in range(1, steps + 1):
        if lr_schedule is not None:  # the rate of update `step`, set before it is taken
            lr = float(lr_schedule(step))
            for group in optimizer.param_groups:
                group["lr"] = lr
        record = {"step": step, "lr": float(optimizer.param_groups[0]["lr"])}
        model.train()
        optimizer.zero_grad(set_to_none=True)  # gradients left from before must not leak in
        micro_losses = []
        for micro in range(accumulation):
            x, y = get_batch(step, micro)
            loss = loss_fn(model(x), y)
            # divide before backward: the summed gradients are those of the mean over all
            # micro-batches, as if one batch `accumulation` times larger had been used
            (loss / accumulation).backward()
            micro_losses.append(loss.detach())
        record["loss"] = float(torch.stack(micro_losses).double().mean())  # one host sync
        if max_grad_norm is not None:  # after the last micro-batch: clip the summed gradient
            record["grad_norm"] = float(clip_fn(params, max_grad_norm))
        optimizer.step()
        if eval_fn is not None and ((eval_every and step % eval_every == 0) or step == steps):
            record["val_loss"] = float(eval_fn())
        history.append(record)
    optimizer.zero_grad(set_to_none=True)
    return history
    ### END SOLUTION
