"""Where trials run: in this process, in a local process pool, or on Ray, behind one interface.

A backend takes the jobs of the trials still to run and yields each one's record as it finishes;
every backend leaves the same files in the sweep folder. The pool and Ray workers each train with
their share of the CPU threads; on GPUs, each pool worker is given one GPU and each Ray task asks
Ray for `gpus_per_trial` of one.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

from course_lib.sweeps.trial import TrialJob, TrialRecord, execute_trial, record_failure

BACKENDS = ("serial", "pool", "ray")


class Backend:
    """Runs trial jobs and yields their records as they finish (in any order)."""

    name = "backend"

    def run(self, jobs: Sequence[TrialJob]) -> Iterator[TrialRecord]:
        """Execute every job; each job's files end up in its run folder."""
        raise NotImplementedError(f"{type(self).__name__} must define run()")


class SerialBackend(Backend):
    """One trial after another in this process (the default: nothing to start, easy to debug)."""

    name = "serial"

    def run(self, jobs: Sequence[TrialJob]) -> Iterator[TrialRecord]:
        """Execute the jobs in order."""
        for job in jobs:
            yield execute_trial(job)


def _check_count(value: Any, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive integer or None, got {value!r}")


def _pool_worker_init(threads: int, gpus: Any) -> None:
    """Give a fresh pool worker its CPU threads and, on a GPU machine, one GPU of its own."""
    if gpus is not None:  # before torch touches CUDA in this process
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpus.get())
    import torch

    torch.set_num_threads(threads)


class PoolBackend(Backend):
    """A local pool of `max_concurrent` worker processes (default: one per GPU, else per core),
    each training with `threads_per_trial` torch threads (default: the cores shared out).

    Workers are spawned, so a script (not a notebook) that runs a pool sweep must do so under
    `if __name__ == "__main__":`, and a trial kind must be importable from a module.
    """

    name = "pool"

    def __init__(
        self, max_concurrent: int | None = None, threads_per_trial: int | None = None
    ) -> None:
        _check_count(max_concurrent, "max_concurrent")
        _check_count(threads_per_trial, "threads_per_trial")
        self.max_concurrent = max_concurrent
        self.threads_per_trial = threads_per_trial

    def run(self, jobs: Sequence[TrialJob]) -> Iterator[TrialRecord]:
        """Execute the jobs in fresh worker processes, yielding records as trials finish."""
        if not jobs:
            return
        import torch

        n_gpus = torch.cuda.device_count()  # asks the driver; this process keeps CUDA unused
        cores = os.cpu_count() or 1
        workers = min(self.max_concurrent or n_gpus or cores, len(jobs))
        threads = self.threads_per_trial or max(1, cores // workers)
        context = multiprocessing.get_context("spawn")  # fork and torch's threads do not mix
        gpus = None
        if n_gpus:
            gpus = context.Queue()
            for i in range(workers):
                gpus.put(i % n_gpus)
        pool = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_pool_worker_init, initargs=(threads, gpus)
        )
        try:
            pending: dict[Future, TrialJob] = {pool.submit(execute_trial, j): j for j in jobs}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    try:
                        record = future.result()
                    except Exception as err:  # the worker died (killed, out of memory)
                        record = _lost(job, err, "the pool worker running it died")
                    yield record
        finally:  # interrupted: trials not started yet stay pending for the next run
            pool.shutdown(wait=True, cancel_futures=True)


def _lost(job: TrialJob, err: BaseException, what: str) -> TrialRecord:
    """Record a trial whose worker never reported back as failed, with the error as traceback."""
    text = "".join(traceback.format_exception(err))
    record = TrialRecord(job.trial.id, "failed")
    return record_failure(job, record, text, f"{what}: {type(err).__name__}: {err}"[:500])


def _pack(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path, as bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _unpack(files: dict[str, bytes], folder: Path) -> None:
    """Write files `_pack` read into `folder`, replacing what is there."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = folder / name
        if folder.resolve() not in path.resolve().parents:
            raise ValueError(f"a trial sent back a file outside its run folder: {name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def ray_trial(job: TrialJob, threads: int) -> tuple[TrialRecord, dict[str, bytes]]:
    """Run a job on a Ray worker in a scratch folder of its node; return the record and files.

    The files travel back through Ray's object store, so the sweep folder fills up on the
    driver's machine whether or not the workers share its file system.
    """
    import torch

    torch.set_num_threads(threads)
    scratch = Path(tempfile.mkdtemp(prefix="sweep-trial-"))
    try:
        record = execute_trial(TrialJob(job.trial, scratch / job.trial.id, job.kind))
        return record, _pack(scratch / job.trial.id)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class RayBackend(Backend):
    """Ray tasks: a local Ray instance by default, or the cluster at `address`.

    Each trial is one task asking for `cpus_per_trial` CPUs and `gpus_per_trial` GPUs (Ray
    places it where they are free); at most `max_concurrent` run at once (default: as many as
    the resources allow). This process's `course_lib` is shipped to the workers with Ray's
    runtime environment (`py_modules`), plus any packages named in `py_modules`. Token files
    named in the configs must exist at the same path on every node. A Ray instance that is
    already initialised is used as it is and left running, as is one started here (so a notebook
    pays Ray's start-up once); `ray.shutdown()` ends it.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        max_concurrent: int | None = None,
        cpus_per_trial: float = 1,
        gpus_per_trial: float = 0,
        py_modules: Sequence[Any] = (),
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        _check_count(max_concurrent, "max_concurrent")
        if isinstance(cpus_per_trial, bool) or not cpus_per_trial > 0:
            raise ValueError(f"cpus_per_trial must be a positive number, got {cpus_per_trial!r}")
        if isinstance(gpus_per_trial, bool) or not gpus_per_trial >= 0:
            raise ValueError(f"gpus_per_trial must be a number >= 0, got {gpus_per_trial!r}")
        self.address = address
        self.max_concurrent = max_concurrent
        self.cpus_per_trial = cpus_per_trial
        self.gpus_per_trial = gpus_per_trial
        self.py_modules = list(py_modules)
        self.init_kwargs = dict(init_kwargs or {})

    def init(self) -> None:
        """Start or join Ray unless this process is already connected."""
        import ray

        import course_lib

        if ray.is_initialized():
            return
        kwargs: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False}
        kwargs.update(self.init_kwargs)
        env = dict(kwargs.pop("runtime_env", None) or {})
        env["py_modules"] = [course_lib.__path__[0], *self.py_modules, *env.get("py_modules", [])]
        ray.init(address=self.address, runtime_env=env, **kwargs)

    def run(self, jobs: Sequence[TrialJob]) -> Iterator[TrialRecord]:
        """Submit the jobs as Ray tasks, at most max_concurrent at once; write back their files."""
        if not jobs:
            return
        import ray

        self.init()
        task = ray.remote(ray_trial).options(
            num_cpus=self.cpus_per_trial, num_gpus=self.gpus_per_trial, max_retries=0
        )
        threads = max(1, int(self.cpus_per_trial))
        limit = self.max_concurrent or len(jobs)
        queue, pending = list(jobs), {}
        try:
            while queue or pending:
                while queue and len(pending) < limit:
                    job = queue.pop(0)
                    pending[task.remote(job, threads)] = job
                done, _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(done[0])
                try:
                    record, files = ray.get(done[0])
                except ray.exceptions.RayError as err:  # worker or node lost, out of memory
                    record = _lost(job, err, "the Ray task running it failed")
                else:
                    _unpack(files, job.run_dir)
                yield record
        finally:  # interrupted: stop the tasks still out; their trials run again next time
            for ref in pending:
                ray.cancel(ref)


def make_backend(
    name: str | Backend = "serial",
    *,
    max_concurrent: int | None = None,
    address: str | None = None,
    gpus_per_trial: float = 0,
    cpus_per_trial: float = 1,
) -> Backend:
    """A backend by name: "serial", "pool" or "ray" (a Backend instance is returned as it is)."""
    if isinstance(name, Backend):
        return name
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}: expected one of {BACKENDS}")
    if name != "ray" and (address is not None or gpus_per_trial):
        raise ValueError(f"address and gpus_per_trial are Ray settings; backend is {name!r}")
    if name == "serial":
        if max_concurrent not in (None, 1):
            raise ValueError(f"the serial backend runs one trial at a time, not {max_concurrent}")
        return SerialBackend()
    if name == "pool":
        return PoolBackend(max_concurrent)
    return RayBackend(address, max_concurrent, cpus_per_trial, gpus_per_trial)
