"""One throw-away sandbox per submission: bubblewrap namespaces, rlimits, and the results it returns.

`run_notebook` copies nothing itself: it is given the submission's throw-away folder and the notebook
to execute (the student's cells with the grader's tests), starts `sandbox_runner.py` under `bwrap`
with new user, PID, network, IPC and UTS namespaces, a read-only view of the system, the Python
environment and the reference `course_lib` (nothing else of the repository: no `autograde/`, no
gradebook, no `notebooks/`, no other student), a fresh `/tmp`, a clean environment and rlimits, and
reads back the executed cells' outputs. The gradebook is written outside, by nbgrader, through the
`SandboxResults` preprocessor, from those outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbook.modules import LIB_DIR

RUNNER = Path(__file__).with_name("sandbox_runner.py")
GUARD = Path(__file__).with_name("grader_guard.py")
HELDOUT = Path(__file__).with_name("heldout.py")
TARGET_LR = Path(__file__).with_name("target_lr.py")
MODULES = Path(__file__).with_name("modules.py")
RESULTS_ENV = "WORKBOOK_SANDBOX_RESULTS"
HELDOUT_ENV = "WORKBOOK_HELDOUT_DIR"
TARGET_LR_ENV = "WORKBOOK_TARGET_LR_DIR"  # workbook.target_lr.CURVE_ENV
NOBODY = 65534
# as root, sandbox number k runs as the unprivileged uid UID_BASE + k: RLIMIT_NPROC counts per uid,
# so each sandbox gets its own process budget, and no root-owned file is readable by ownership
UID_BASE = 60000
INSIDE_WORK = "/home/student"
INSIDE_GRADER = "/opt/grader"
INSIDE_HELDOUT = "/opt/heldout"
INSIDE_TARGET_LR = "/opt/target_lr"
# the few files of /etc a Python kernel reads; the rest (shadow, ssh keys, ...) stays out of view
ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "localtime",
    "alternatives",
    "ssl",
    "fonts",
    "mime.types",
)
INSTALL_HINT = (
    "bubblewrap (`bwrap`) is needed to grade in a sandbox: install it with "
    "`sudo apt-get install bubblewrap` (or `bash scripts/install_system_deps.sh --grade`); "
    "on a machine without it, grade inside a throw-away VM or container with --no-sandbox"
)


@dataclass(frozen=True)
class Limits:
    """What one submission may use: seconds per cell, and rlimits on its processes."""

    cell_timeout: float = 900.0
    memory_bytes: int = 8 << 30  # address space of each process (RLIMIT_AS)
    cpu_seconds: int = 4 * 3600  # CPU time of each process (RLIMIT_CPU)
    processes: int = 512  # processes and threads (RLIMIT_NPROC, per sandbox)
    file_bytes: int = 2 << 30  # largest file written (RLIMIT_FSIZE)
    open_files: int = 1024  # RLIMIT_NOFILE
    output_bytes: int = 200_000  # output kept per cell, the rest cut off
    tmp_bytes: int = 2 << 30  # size of the sandbox's /tmp

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")

    @classmethod
    def from_env(cls, cell_timeout: float | None = None) -> Limits:
        """Defaults, the cell timeout from the argument or `$WORKBOOK_CELL_TIMEOUT`, memory from
        `$WORKBOOK_SANDBOX_MEMORY_GB`."""
        timeout = cell_timeout or float(os.environ.get("WORKBOOK_CELL_TIMEOUT", "900"))
        memory = float(os.environ.get("WORKBOOK_SANDBOX_MEMORY_GB", "8"))
        return cls(cell_timeout=timeout, memory_bytes=int(memory * (1 << 30)))


@dataclass
class RunResult:
    """What came back from one sandbox: per-cell outputs, or why there are none."""

    ok: bool
    cells: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0


def bwrap_path() -> str | None:
    """The `bwrap` executable on PATH, or None."""
    return shutil.which("bwrap")


def require_bwrap() -> str:
    """The `bwrap` executable, or a RuntimeError saying how to install it."""
    path = bwrap_path()
    if path is None:
        raise RuntimeError(INSTALL_HINT)
    return path


def grader_dir(into: Path) -> Path:
    """The read-only folder the sandbox gets at /opt/grader: the runner, `workbook.grader_guard`
    (which runs the test cells in the kernel), `workbook.heldout` (which reads the pre-drawn
    stories there) and `workbook.target_lr` (08's hidden test reads the pre-computed target curve
    with it), nothing else of the tooling."""
    pkg = into / "workbook"
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(
        '"""Only the held-out reader, inside the grading sandbox."""\n'
    )
    shutil.copyfile(HELDOUT, pkg / "heldout.py")
    shutil.copyfile(MODULES, pkg / "modules.py")
    shutil.copyfile(TARGET_LR, pkg / "target_lr.py")
    shutil.copyfile(RUNNER, into / "sandbox_runner.py")
    shutil.copyfile(GUARD, pkg / "grader_guard.py")  # runs the test cells inside the kernel
    return into


def _python_paths() -> list[Path]:
    """Folders the kernel's Python needs: the interpreter's prefix and the virtualenv."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(p for p in paths if not str(p).startswith("/usr"))


def kernel_env(work: str, heldout: bool, target_lr: bool = False) -> dict[str, str]:
    """The sandbox's whole environment: no WORKBOOK_* variables, no grader HOME."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp/home",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": INSIDE_GRADER,
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/home/mpl",
        "IPYTHONDIR": "/tmp/home/ipython",
        "JUPYTER_CONFIG_DIR": "/tmp/home/jupyter",
        "JUPYTER_DATA_DIR": "/tmp/home/jupyter-data",
        "JUPYTER_RUNTIME_DIR": "/tmp/home/runtime",
        "PWD": work,
    }
    if heldout:
        env[HELDOUT_ENV] = INSIDE_HELDOUT
    if target_lr:
        env[TARGET_LR_ENV] = INSIDE_TARGET_LR
    return env


def sandbox_uid(slot: int) -> int:
    """The uid sandbox number `slot` runs as (as root; otherwise the grader's own, mapped)."""
    return UID_BASE + slot if os.getuid() == 0 else os.getuid()


def bwrap_command(
    work_copy: Path,
    module: str,
    grader: Path,
    limits: Limits,
    heldout_dir: Path | None = None,
    read_only: tuple[Path, ...] = (),
    slot: int = 0,
    target_lr_dir: Path | None = None,
) -> list[str]:
    """The full `bwrap ... prlimit ... python sandbox_runner.py` command line for one submission.

    As root, bwrap needs no user namespace: it unshares PID, network, IPC, UTS (and cgroup)
    namespaces, mounts, and `setpriv` drops to uid `UID_BASE + slot` with no capabilities and no
    new privileges. As another user it adds a user namespace (`--unshare-all`) with uid 65534
    inside, mapped to the grader's uid outside.
    """
    inside = f"{INSIDE_WORK}/{module}"
    cmd = [require_bwrap(), "--die-with-parent", "--new-session", "--hostname", "grader"]
    if os.getuid() == 0:
        cmd += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
        cmd += ["--unshare-cgroup-try"]
        uid = str(sandbox_uid(slot))
        drop = ["setpriv", "--reuid", uid, "--regid", uid, "--clear-groups"]
        drop += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    else:
        cmd += ["--unshare-all", "--uid", str(NOBODY), "--gid", str(NOBODY)]
        drop = []
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    for name in ETC:
        cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    cmd += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm"]
    cmd += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    made: set[Path] = set()

    def bind(kind: str, src: Path | str, dest: Path | str) -> list[str]:
        out = []
        for parent in reversed(Path(dest).parents):  # bwrap would make them 0700 (root only)
            if parent != Path("/") and parent not in made and not str(parent).startswith("/usr"):
                out += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        return [*out, kind, str(src), str(dest)]

    for path in (*_python_paths(), LIB_DIR.resolve(), *read_only):
        cmd += bind("--ro-bind", path, path)
    cmd += bind("--ro-bind", grader, INSIDE_GRADER)
    if heldout_dir is not None:
        cmd += bind("--ro-bind", heldout_dir, INSIDE_HELDOUT)
    if target_lr_dir is not None:  # the grader's pre-computed target curve of module 08
        cmd += bind("--ro-bind", target_lr_dir, INSIDE_TARGET_LR)
    cmd += bind("--bind", work_copy, inside)
    cmd += ["--remount-ro", "/", "--chdir", inside]
    cmd += ["--clearenv"]
    env = kernel_env(inside, heldout_dir is not None, target_lr_dir is not None)
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    cmd += ["--", *drop, *prlimit_command(limits)]
    cmd += [sys.executable, f"{INSIDE_GRADER}/sandbox_runner.py", "--own-pid-namespace"]
    cmd += ["--timeout", str(limits.cell_timeout), "--output-bytes", str(limits.output_bytes)]
    return cmd


def prlimit_command(limits: Limits) -> list[str]:
    """`prlimit` with the rlimits of `limits` (bwrap sets none itself)."""
    return [
        "prlimit",
        f"--as={limits.memory_bytes}",
        f"--cpu={int(limits.cpu_seconds)}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


def sources_digest(nb: dict[str, Any]) -> str:
    """A digest of the notebook's cell types and sources: what was executed must be what is graded."""
    h = hashlib.sha256()
    for cell in nb["cells"]:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        h.update(cell["cell_type"].encode() + b"\0" + source.encode("utf-8") + b"\0")
    return h.hexdigest()


def code_cells(nb: dict[str, Any]) -> int:
    """The number of code cells of a notebook."""
    return sum(1 for c in nb["cells"] if c["cell_type"] == "code")


def run_notebook(
    nb: dict[str, Any],
    work_copy: Path,
    module: str,
    limits: Limits,
    heldout_dir: Path | None = None,
    sandbox: bool = True,
    read_only: tuple[Path, ...] = (),
    slot: int = 0,
    target_lr_dir: Path | None = None,
) -> RunResult:
    """Execute `nb` in `work_copy` (a throw-away copy of the submission folder) and return the
    outputs; with `sandbox=False` the runner runs unconfined (only rlimits and a clean environment)."""
    import time

    work_copy = Path(work_copy).resolve()
    if not work_copy.is_dir():
        raise FileNotFoundError(f"no submission copy at {work_copy}")
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="workbook-grader-") as tmp:
        grader = grader_dir(Path(tmp) / "grader")
        os.chmod(tmp, 0o755)
        if sandbox:
            cmd = bwrap_command(
                work_copy, module, grader, limits, heldout_dir, read_only, slot, target_lr_dir
            )
            if os.getuid() == 0:  # the copy belongs to the sandbox's uid, nothing else does
                uid = sandbox_uid(slot)
                for path in [work_copy, *work_copy.rglob("*")]:
                    os.lchown(path, uid, uid)
            env = None
        else:
            cmd = [*prlimit_command(limits), sys.executable, str(grader / "sandbox_runner.py")]
            cmd += [
                "--timeout",
                str(limits.cell_timeout),
                "--output-bytes",
                str(limits.output_bytes),
            ]
            home = Path(tmp) / "home"
            home.mkdir()
            env = kernel_env(str(work_copy), heldout_dir is not None, target_lr_dir is not None)
            env.update(
                {k: v.replace("/tmp/home", str(home)) for k, v in env.items() if "/tmp/home" in v}
            )
            env["PYTHONPATH"] = str(grader)
            env["TMPDIR"] = str(Path(tmp))
            if heldout_dir is not None:
                env[HELDOUT_ENV] = str(heldout_dir)
            if target_lr_dir is not None:
                env[TARGET_LR_ENV] = str(target_lr_dir)
        wall = code_cells(nb) * (limits.cell_timeout + 30) * 2 + 300
        with tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.run(
                    cmd,
                    input=json.dumps(nb).encode(),
                    stdout=subprocess.PIPE,
                    stderr=err,
                    cwd=work_copy,
                    env=env,
                    timeout=wall,
                )
            except subprocess.TimeoutExpired:
                return RunResult(False, reason=f"the sandbox ran past {wall:g} s and was stopped")
            err.seek(0, 2)
            err.seek(max(0, err.tell() - 3000))
            tail = err.read().decode("utf-8", "replace")
    seconds = time.monotonic() - start
    try:
        result = json.loads(proc.stdout)
        cells, problems = result["cells"], [str(p) for p in result["problems"]]
    except (ValueError, KeyError, TypeError):
        why = tail.strip().splitlines()[-1] if tail.strip() else f"exit status {proc.returncode}"
        return RunResult(False, reason=f"the sandbox returned no result ({why})", seconds=seconds)
    return RunResult(True, cells, problems, seconds=seconds)


def redact(text: str, secret_lines: set[str]) -> str:
    """`text` with every line that repeats a hidden test's line replaced (feedback never shows them)."""
    if not secret_lines or not text:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        if line.strip() in secret_lines:
            out.append("[hidden test line removed]\n" if line.endswith("\n") else "[removed]")
        else:
            out.append(line)
    return "".join(out)


def hidden_lines(nb: dict[str, Any]) -> set[str]:
    """The lines (stripped, at least 12 characters) between BEGIN and END HIDDEN TESTS markers."""
    lines: set[str] = set()
    for cell in nb["cells"]:
        inside = False
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for line in source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) >= 12:
                lines.add(line.strip())
    return lines


def _clean_output(out: dict[str, Any], secret: set[str]) -> dict[str, Any]:
    """One output dict from the sandbox, checked and with hidden test lines removed."""
    import nbformat

    kind = out.get("output_type")
    if kind == "stream":
        return nbformat.v4.new_output(
            "stream", name=str(out.get("name", "stdout")), text=redact(str(out["text"]), secret)
        )
    if kind == "error":
        return nbformat.v4.new_output(
            "error",
            ename=str(out.get("ename", "")),
            evalue=redact(str(out.get("evalue", "")), secret),
            traceback=[redact(str(t), secret) for t in out.get("traceback", [])],
        )
    data = {
        k: redact(v, secret) if isinstance(v, str) else v
        for k, v in dict(out.get("data", {})).items()
    }
    if kind == "execute_result":
        return nbformat.v4.new_output(
            "execute_result", data=data, execution_count=out.get("execution_count")
        )
    return nbformat.v4.new_output("display_data", data=data)


def apply_results(nb: Any, result: dict[str, Any]) -> Any:
    """Put the sandbox's outputs into nbgrader's sanitized notebook `nb` (in place), or a grader
    error in every code cell when the submission could not be run, or ran something else."""
    import nbformat

    secret = hidden_lines(nb)
    reason = result.get("reason", "")
    if not reason and result.get("digest") != sources_digest(nb):
        reason = "the executed notebook does not match the graded one"
    if reason:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [
                    nbformat.v4.new_output(
                        "error",
                        ename="NotGraded",
                        evalue=f"not graded: {reason}",
                        traceback=[f"not graded: {reason}"],
                    )
                ]
        return nb
    by_index = {int(c["index"]): c for c in result.get("cells", [])}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ran = by_index.get(index)
        if ran is None:
            cell.outputs = [
                nbformat.v4.new_output(
                    "error", ename="NotRun", evalue="grader: not run", traceback=["not run"]
                )
            ]
            continue
        cell.outputs = [_clean_output(o, secret) for o in ran.get("outputs", [])]
        cell.execution_count = ran.get("execution_count")
    return nb


def _load_result(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {"reason": "the sandbox left no result for this notebook"}
    except ValueError:
        return {"reason": "the sandbox's result is unreadable"}


try:
    from nbgrader.preprocessors import NbGraderPreprocessor
except ImportError:  # pragma: no cover (nbgrader is a dependency of the tooling)
    NbGraderPreprocessor = object  # type: ignore[misc,assignment]


class SandboxResults(NbGraderPreprocessor):  # type: ignore[misc]
    """nbgrader preprocessor in place of `Execute`: load the outputs the sandbox produced."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """Fill `nb` from `$WORKBOOK_SANDBOX_RESULTS/<student>/<notebook>.json`."""
        folder = os.environ.get(RESULTS_ENV)
        if not folder:
            raise RuntimeError(f"{RESULTS_ENV} is not set: run `workbook autograde`, not nbgrader")
        info = resources["nbgrader"]
        path = Path(folder) / info["student"] / f"{info['notebook']}.json"
        return apply_results(nb, _load_result(path)), resources


def result_file(results_dir: Path, student: str, notebook: str) -> Path:
    """Where the sandbox's result for one student's notebook is kept."""
    return Path(results_dir) / student / f"{notebook}.json"
