"""DistributedDataParallel plumbing for runs under `torchrun` (gloo on CPU, NCCL on GPUs)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from course_lib.device import pick_device


@dataclass
class DistContext:
    """Where this process sits in the run: its rank, the world size and its device."""

    device: torch.device
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    owns_group: bool = False  # whether we created the process group (and so tear it down)

    @property
    def is_main(self) -> bool:
        """Rank 0 logs, draws and writes checkpoints."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """More than one process takes part."""
        return self.world_size > 1


def init_distributed(device: str = "auto") -> DistContext:
    """Join the process group torchrun describes in the environment, or run alone without one."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    base = pick_device(device)
    if world_size <= 1:
        return DistContext(device=base)
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if base.type == "cuda":
        base = torch.device("cuda", local_rank)
        torch.cuda.set_device(base)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group(backend="nccl" if base.type == "cuda" else "gloo")
    return DistContext(base, rank, local_rank, world_size, owns)


def all_reduce_mean(t: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """The mean of `t` over ranks (a no-op when running alone)."""
    if ctx.distributed:
        t = t.clone()
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        t /= ctx.world_size
    return t


def all_reduce_sum(t: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """The sum of `t` over ranks (a no-op when running alone)."""
    if ctx.distributed:
        t = t.clone()
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def barrier(ctx: DistContext) -> None:
    """Wait for every rank (a no-op when running alone)."""
    if ctx.distributed:
        dist.barrier()


def shutdown(ctx: DistContext) -> None:
    """Leave the process group if this run created it."""
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()
        ctx.owns_group = False
