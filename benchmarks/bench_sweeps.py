"""Sweep backends: N tiny training trials run serially, on a local process pool and on Ray.

All backends run the same sweep (a grid over N seeds of one tiny model, each trial a Trainer run
of `--steps` steps) into fresh folders, one after another in this run, so a busy machine slows
all of them alike. The serial baseline runs in this process once per `--serial-threads` value
(default 1: tiny models are fastest on one thread; on a busy 2-core machine two threads were 14x
slower), and the fastest is the reference. The pool starts `--workers` processes (spawned, one torch thread each on 2
cores) inside its measured time. Ray's start-up is measured on its own: `ray.init()` of a local
instance, then the round trip of a first no-op task (a worker process started, course_lib
shipped); the sweep on the warm instance follows, and the cold total adds the two. Before all
that, the cores free at the moment are measured (a fixed one-thread loop run by one process, then
by `--workers` at once), since a busy machine caps what any backend can gain.

    .venv/bin/python benchmarks/bench_sweeps.py [--trials 12] [--steps 150] [--workers 2] [--serial-threads 1 2]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from course_lib.data.tokens import write_token_ids  # noqa: E402
from course_lib.sweeps import RayBackend, run_sweep  # noqa: E402


def spec(folder: Path, trials: int, steps: int) -> dict:
    """N seeds of a 5,168-parameter model (d_model 16, one layer) on a cyclic token stream."""
    stream = np.tile(np.arange(32), 400)
    write_token_ids(stream, folder / "train.bin")
    write_token_ids(stream[:1000], folder / "val.bin")
    return {
        "name": "bench",
        "base": {
            "model": {"vocab_size": 32, "context_length": 16, "d_model": 16, "n_layers": 1,
                      "n_heads": 2},
            "train": {"batch_size": 8, "max_steps": steps, "lr": 1e-2, "min_lr": 1e-3,
                      "warmup_steps": 10, "eval_interval": 0, "eval_batches": 4,
                      "log_interval": 25, "device": "cpu"},
            "data": {"train": str(folder / "train.bin"), "val": str(folder / "val.bin")},
        },
        "grid": {"train.seed": list(range(trials))},
    }  # fmt: skip


def busy_loop(n: int) -> float:
    """Seconds for n small one-thread matmuls: the work of a tiny model, without the trainer."""
    torch.set_num_threads(1)
    a = torch.randn(64, 64)
    start = time.perf_counter()
    for _ in range(n):
        a = torch.tanh(a @ a)
    return time.perf_counter() - start


def headroom(workers: int, n: int = 20_000) -> float:
    """How many cores are free now: workers x one process's loop time / the slowest of `workers`
    processes running it at once (2.0 on an idle 2-core machine with 2 workers)."""
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(busy_loop, [1] * workers, chunksize=1)  # every worker started and warm
        alone = pool.map(busy_loop, [n], chunksize=1)[0]
        together = max(pool.map(busy_loop, [n] * workers, chunksize=1))
    return workers * alone / together


def noop() -> None:
    """A task that does nothing: its round trip is the cost of starting a Ray worker."""


def timed(label: str, fn) -> float:
    """Run fn(), print and return its wall time."""
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    statuses = sorted(set(out["status"])) if out is not None else []
    print(f"  {label:<34} {seconds:7.2f} s  {statuses}", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--serial-threads", type=int, nargs="+", default=[1], help="torch threads, one run each"
    )
    args = parser.parse_args()
    import ray

    cores = os.cpu_count()
    print(f"{args.trials} trials of {args.steps} steps; {cores} cores, {args.workers} workers")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    free = headroom(args.workers)
    print(f"parallel headroom now: {free:.2f} of {args.workers} workers' worth of cores")
    with tempfile.TemporaryDirectory(prefix="bench-sweeps-") as tmp:
        root = Path(tmp)
        sweep = spec(root, args.trials, args.steps)
        times = {}
        for threads in args.serial_threads:
            torch.set_num_threads(threads)
            label = f"serial, {threads} thread(s)"
            times[label] = timed(
                label, lambda out=root / f"s{threads}": run_sweep(sweep, out, progress=False)
            )
        times["pool"] = timed(
            f"pool of {args.workers} (start-up included)",
            lambda: run_sweep(
                sweep, root / "pool", "pool", max_concurrent=args.workers, progress=False
            ),
        )
        backend = RayBackend(max_concurrent=args.workers, init_kwargs={"num_cpus": cores})
        init = timed("ray.init() (local instance)", lambda: backend.init())
        first = timed("first no-op task (worker start)", lambda: ray.get(ray.remote(noop).remote()))
        times["ray (warm)"] = timed(
            "ray sweep on the warm instance",
            lambda: run_sweep(sweep, root / "ray", backend, progress=False),
        )
        ray.shutdown()
        times["ray (cold: init + first task + sweep)"] = init + first + times["ray (warm)"]
    serial = min(v for k, v in times.items() if k.startswith("serial"))
    print(f"\nray start-up: {init:.2f} s init + {first:.2f} s first task = {init + first:.2f} s")
    print(f"{'backend':<40} {'seconds':>8} {'x serial':>9}")
    for name, seconds in times.items():
        print(f"{name:<40} {seconds:8.2f} {seconds / serial:9.2f}")
    print(f"best possible with this headroom: {1 / free:.2f} x serial, start-up aside")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
