"""Execute one notebook cell by cell inside the grading sandbox and print the outputs as JSON.

This file runs *inside* the sandbox as a plain script (`python sandbox_runner.py`): it imports
nothing of the workbook, only jupyter_client and the standard library. It reads the notebook to run
(the student's cells with the grader's tests) from stdin, so the file never lies where student code
can read it, and writes one JSON document to its original stdout. Each cell gets its own timeout; a
cell that times out and ignores the interrupt, or that kills its kernel, costs only itself: the
kernel is restarted, every other process in the sandbox killed, the earlier non-test cells replayed,
and the later cells run as usual.
"""

from __future__ import annotations

import argparse
import ast
import ctypes
import hashlib
import hmac
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

from jupyter_client.manager import KernelManager

# run before any student code: exit() and quit() raise instead of shutting the kernel down at a
# moment that depends on timing, so a cell that calls them is graded the same every time
SETUP = """
class _GraderExit:
    def __repr__(self):
        return "exit() stops nothing while grading"
    def __call__(self, *args, **kwargs):
        raise SystemExit("exit() called")
get_ipython().user_ns["exit"] = get_ipython().user_ns["quit"] = _GraderExit()
del _GraderExit
"""
INTERRUPT_GRACE = 3.0
# installs workbook/grader_guard.py in the fresh kernel, before any student code, with the test
# sources, the reference to snapshot and the graded functions to guard (see that file)
GUARD_SETUP = """
import json as _json, workbook.grader_guard as _guard
_guard.install(**_json.loads({args!r}))
del _json, _guard
"""
# what the kernel is sent in place of a test cell's source
GUARD_RUN = '__import__("workbook.grader_guard", fromlist=["run"]).run({index}, {nonce!r})'
VERDICT_MIME = "application/vnd.workbook.verdict+json"


def _no_dumping() -> None:
    """Make this process non-dumpable: the kernel (same uid) cannot read its fds or ptrace it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


# set by main(): whether this runner owns its PID namespace (started by bwrap). Only then may it
# kill every other process it sees; unconfined (--no-sandbox) it kills only its own descendants.
OWN_PID_NAMESPACE = False


def _parent(pid: int) -> int:
    """The parent pid of `pid` (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether `ancestor` is on the parent chain of `pid`."""
    for _ in range(1000):
        pid = _parent(pid)
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
    return False


def kill_others(spare: int | None = None) -> int:
    """SIGKILL the processes the kernels left, but this one, its ancestors and `spare` (the
    kernel); the number killed. In its own PID namespace that is every other process there (a
    fork bomb, a detached daemon); otherwise only this runner's descendants."""
    keep = {os.getpid(), 1} | ({spare} if spare else set())
    pid = os.getppid()
    while pid > 1:
        keep.add(pid)
        pid = _parent(pid)
    me = os.getpid()
    killed = 0
    for _ in range(50):  # a fork bomb forks while we kill: repeat until nothing is left
        found = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep]
        if not OWN_PID_NAMESPACE:
            found = [p for p in found if _descends_from(p, me)]
        if not found:
            break
        for p in found:
            try:
                os.kill(p, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    return killed


class Outputs:
    """A cell's outputs as nbformat dicts, cut off once they pass a byte budget."""

    def __init__(self, budget: int) -> None:
        self.items: list[dict[str, Any]] = []
        self.verdicts: list[Any] = []  # what the grader's runner in the kernel signed
        self.budget = budget
        self.used = 0
        self.truncated = False

    def _fits(self, size: int) -> bool:
        if self.truncated:
            return False
        if self.used + size > self.budget:
            self.truncated = True
            self.items.append(
                {
                    "output_type": "stream",
                    "name": "stderr",
                    "text": f"\n[output truncated: more than {self.budget:,} bytes]\n",
                }
            )
            return False
        self.used += size
        return True

    def add(self, msg: dict[str, Any]) -> None:
        kind = msg["header"]["msg_type"]
        content = msg["content"]
        if kind == "stream":
            text = content.get("text", "")
            if not self._fits(len(text.encode("utf-8", "replace"))):
                return
            last = self.items[-1] if self.items else None
            if last and last["output_type"] == "stream" and last["name"] == content["name"]:
                last["text"] += text
            else:
                self.items.append({"output_type": "stream", "name": content["name"], "text": text})
        elif kind == "display_data" and VERDICT_MIME in content.get("data", {}):
            self.verdicts.append(content["data"][VERDICT_MIME])
        elif kind in ("execute_result", "display_data"):
            size = len(json.dumps(content.get("data", {})))
            if not self._fits(size):
                return
            out = {"output_type": kind, "data": content.get("data", {}), "metadata": {}}
            if kind == "execute_result":
                out["execution_count"] = content.get("execution_count")
            self.items.append(out)
        elif kind == "error":
            tb = [line[:2000] for line in content.get("traceback", [])[:50]]
            self.used += sum(len(line) for line in tb)  # an error is always kept: it scores
            self.items.append(
                {
                    "output_type": "error",
                    "ename": str(content.get("ename", ""))[:200],
                    "evalue": str(content.get("evalue", ""))[:2000],
                    "traceback": tb,
                }
            )
        elif kind == "clear_output":
            self.items = [o for o in self.items if o["output_type"] == "error"]


def grader_error(ename: str, evalue: str) -> dict[str, Any]:
    """An error output written by the grader (nbgrader scores a test cell with one as zero)."""
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [evalue]}


class Runner:
    """One kernel, restarted when it dies or stops answering, running cells with a timeout each."""

    def __init__(
        self,
        timeout: float,
        output_bytes: int,
        kernel_env: dict[str, str],
        guard: dict[str, Any] | None = None,
    ) -> None:
        self.timeout = timeout
        self.output_bytes = output_bytes
        self.kernel_env = kernel_env
        self.guard = guard  # the arguments of grader_guard.install, key included
        self.km: KernelManager | None = None
        self.kc = None
        self.restarts = 0

    def start(self) -> None:
        """Start a fresh kernel (killing whatever the previous one left behind) and set it up."""
        self.stop()
        kill_others()
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(
            extra_arguments=["--InteractiveShell.xmode=Plain", "--HistoryManager.enabled=False"],
            env=self.kernel_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.execute(SETUP, store_history=False)
        if self.guard is not None:
            status, outputs, _ = self.execute(
                GUARD_SETUP.format(args=json.dumps(self.guard)), store_history=False
            )
            if status != "ok":
                errors = [o.get("evalue", "") for o in outputs.items if o["output_type"] == "error"]
                raise RuntimeError(f"the grader's test runner did not install: {errors}")

    def stop(self) -> None:
        """Shut the kernel down hard, if there is one."""
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 (a dead kernel may fail to shut down: kill_others follows)
                pass
        self.km = self.kc = None

    def alive(self) -> bool:
        """Whether the kernel process is still running."""
        return self.km is not None and self.km.is_alive()

    def pid(self) -> int | None:
        """The kernel's process id."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return None if proc is None else proc.pid

    def exit_code(self) -> int | None:
        """The kernel process's exit status once it is dead (negative: killed by that signal)."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return None if proc is None else proc.poll()

    def execute(self, code: str, store_history: bool = True) -> tuple[str, Outputs, int | None]:
        """Run one cell: ("ok" | "error" | "timeout" | "hung" | "died", its outputs, its execution count)."""
        outputs = Outputs(self.output_bytes)
        msg_id = self.kc.execute(code, store_history=store_history, allow_stdin=False)
        deadline = time.monotonic() + self.timeout
        interrupted = False
        count = None
        status = "ok"
        while True:
            now = time.monotonic()
            if now > deadline:
                if interrupted:
                    return "hung", outputs, count
                interrupted = True
                self.km.interrupt_kernel()
                deadline = now + INTERRUPT_GRACE
                status = "timeout"
            try:
                msg = self.kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                if not self.alive():
                    return "died", outputs, count
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "status" and msg["content"].get("execution_state") == "idle":
                return status, outputs, count
            if kind == "execute_input":
                count = msg["content"].get("execution_count")
            if kind == "error" and status == "ok":
                status = "error"
            outputs.add(msg)


def is_test(cell: dict[str, Any]) -> bool:
    """An autograder test cell (nbgrader `grade: true` on a code cell that is no solution)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell["cell_type"] == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _source(cell: dict[str, Any]) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def cell_name(cell: dict[str, Any], index: int) -> str:
    """The cell's nbgrader grade_id, else its position."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"#{index}"


def reference_imports(sources: list[str]) -> list[str]:
    """The `course_lib` modules the test cells import (snapshot before student code runs)."""
    found = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            found.update(n for n in names if n == "course_lib" or n.startswith("course_lib."))
    return sorted(found)


def guard_arguments(nb: dict[str, Any]) -> dict[str, Any]:
    """What grader_guard.install gets: a fresh key, every test cell's source by index, the
    reference modules and the graded functions the grader named in the notebook's metadata."""
    tests = {i: _source(c) for i, c in enumerate(nb["cells"]) if is_test(c)}
    graded = nb.get("metadata", {}).get("workbook_grader", {}).get("graded", [])
    return {
        "key": secrets.token_hex(32),
        "tests": tests,
        "modules": reference_imports(list(tests.values())),
        "graded": [str(g) for g in graded],
        "trusted_roots": sorted({sys.prefix, sys.base_prefix}),
    }


def verdict_ok(verdicts: list[Any], key: str, index: int, nonce: str) -> bool:
    """Whether the kernel's runner signed test cell `index` as passed for this nonce."""
    want = hmac.new(key.encode(), f"{index}:{nonce}:ok".encode(), hashlib.sha256).hexdigest()
    return any(
        isinstance(v, dict)
        and v.get("cell") == index
        and hmac.compare_digest(str(v.get("mac", "")), want)
        for v in verdicts
    )


def run_notebook(
    nb: dict[str, Any], timeout: float, output_bytes: int, kernel_env: dict[str, str]
) -> dict[str, Any]:
    """Execute every code cell, the tests through the grader's runner in the kernel; return
    per-cell outputs and statuses plus the run's problems."""
    guard = guard_arguments(nb)
    runner = Runner(timeout, output_bytes, kernel_env, guard)
    runner.start()
    results: list[dict[str, Any]] = []
    problems: list[str] = []
    replayable: list[int] = []  # earlier non-test cells that ran to the end, to replay on restart
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        name = cell_name(cell, index)
        source = _source(cell)
        if not runner.alive():
            runner.start()
            runner.restarts += 1
            for earlier in replayable:
                runner.execute(_source(nb["cells"][earlier]), store_history=True)
        nonce = secrets.token_hex(16)
        code = GUARD_RUN.format(index=index, nonce=nonce) if is_test(cell) else source
        status, outputs, count = runner.execute(code, store_history=not is_test(cell))
        items = outputs.items
        reason = ""
        if (
            is_test(cell)
            and status == "ok"
            and not verdict_ok(outputs.verdicts, guard["key"], index, nonce)
        ):
            reason = f"test {name} did not run as written (changed or skipped inside the kernel)"
            items.append(grader_error("NotRun", f"grader: {reason}"))
        if status in ("timeout", "hung"):
            reason = f"timeout in cell {name} (over {timeout:g} s)"
            if status == "hung":
                reason += ", interrupt ignored: kernel restarted"
                runner.stop()  # a fresh kernel for the next cell
            else:
                kill_others(spare=runner.pid())  # what the cell started goes, the kernel stays
            items.append(grader_error("Timeout", f"grader: {reason}"))
        elif status == "died":
            code = runner.exit_code()
            how = (
                f"killed by signal {-code}" + (" (memory limit?)" if code == -9 else "")
                if code is not None and code < 0
                else f"exit status {code}"
            )
            reason = f"kernel died in cell {name} ({how})"
            items.append(grader_error("DeadKernel", f"grader: {reason}"))
            runner.stop()
        elif not is_test(cell):
            replayable.append(index)
        if outputs.truncated:
            reason = (reason + "; " if reason else "") + f"output truncated in cell {name}"
        if reason:
            problems.append(reason)
        results.append(
            {"index": index, "status": status, "outputs": items, "execution_count": count}
        )
    runner.stop()
    kill_others()
    return {"cells": results, "problems": problems, "restarts": runner.restarts}


def main() -> int:
    """Read the notebook from stdin, run it, write the result JSON to the original stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, required=True, help="seconds per cell")
    parser.add_argument("--output-bytes", type=int, required=True, help="output kept per cell")
    parser.add_argument(
        "--own-pid-namespace",
        action="store_true",
        help="started by bwrap in a new PID namespace: every other process there may be killed",
    )
    args = parser.parse_args()
    global OWN_PID_NAMESPACE
    # bwrap's init is pid 1 and this runner one of the first few: never true on a host
    OWN_PID_NAMESPACE = args.own_pid_namespace and os.getpid() < 10
    _no_dumping()
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything else printed goes to stderr
    nb = json.load(sys.stdin)
    env = {k: v for k, v in os.environ.items()}
    result = run_notebook(nb, args.timeout, args.output_bytes, env)
    json.dump(result, out)
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
