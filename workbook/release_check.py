"""Run a module's release as a student would, against the student's stripped `course_lib`.

Two runs of the released notebook, each in its own copy of the release folder so that the kernel
imports the copy of `course_lib` shipped there:

- *solved*: every answer cell is replaced by the answer key's; the notebook must run to the end
  under papermill. A module whose code needs a stripped answer of its own or a later module fails.
- *untouched*: as released; every cell runs (errors allowed) and each error must come from an
  answer still to write: this module's stubs, or a cell that uses what an earlier failing cell makes.

A last cell added to both runs records which files the kernel imported `course_lib` from.
"""

from __future__ import annotations

import ast
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from workbook.modules import NOTEBOOK_DIR, notebook_path
from workbook.runner import execute, last_line, load_profile, parameters_for, set_parameters

PROBE_TAG = "workbook-import-probe"
NEEDS_ANSWERS = "needs-answers"  # tag of a cell that reads what an answer cell writes to disk
PROBE = """import json as _json
import sys as _sys

print(_json.dumps(sorted({
    getattr(_m, "__file__", None) or ""
    for _n, _m in list(_sys.modules.items())
    if _n == "course_lib" or _n.startswith("course_lib.")
})))"""


@dataclass
class CellError:
    """One cell's error in an executed notebook."""

    index: int
    grade_id: str
    ename: str
    evalue: str


@dataclass
class ReleaseRun:
    """How one run of a released notebook went."""

    module: str
    solved: bool
    folder: Path
    seconds: float
    errors: list[CellError] = field(default_factory=list)
    imported_from: list[str] = field(default_factory=list)
    failure: str = ""  # why a solved run stopped
    unexpected: list[CellError] = field(default_factory=list)  # untouched run: see module doc

    def foreign_imports(self) -> list[str]:
        """`course_lib` files the kernel imported from outside the release folder."""
        root = str(self.folder.resolve())
        return [f for f in self.imported_from if f and not f.startswith(root)]


def _grade_id(cell: nbformat.NotebookNode) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def solve_with_key(release: nbformat.NotebookNode, key: nbformat.NotebookNode) -> int:
    """Replace every answer cell of `release` by the answer key's cell of the same grade_id."""
    answers = {
        _grade_id(c): c.source for c in key.cells if c.metadata.get("nbgrader", {}).get("solution")
    }
    solved = 0
    for cell in release.cells:
        gid = _grade_id(cell)
        if cell.metadata.get("nbgrader", {}).get("solution"):
            if gid not in answers:
                raise ValueError(f"answer cell {gid!r} of the release is not in the answer key")
            cell.source = answers[gid]
            solved += 1
    return solved


def _add_probe(nb: nbformat.NotebookNode) -> None:
    nb.cells.append(nbformat.v4.new_code_cell(PROBE, metadata={"tags": [PROBE_TAG]}))


def _probe_files(nb: nbformat.NotebookNode) -> list[str]:
    cell = next(c for c in nb.cells if PROBE_TAG in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")
    return json.loads(text) if text.strip() else []


def cell_errors(nb: nbformat.NotebookNode) -> list[CellError]:
    """Every cell whose outputs hold an error, in order."""
    return [
        CellError(i, _grade_id(c), o.ename, o.evalue)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]


def _assigned_names(source: str) -> set[str]:
    """Names a cell binds at top level (imports, assignments, defs); empty if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    names.add(sub.id)
    return names


def _loaded_names(source: str) -> set[str]:
    """Names a cell reads; empty if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def unexpected_errors(nb: nbformat.NotebookNode, module: str) -> list[CellError]:
    """Errors of an untouched release that do not come from an answer still to write.

    Expected: this module's stubs (`NotImplementedError` without a message, or naming this
    module's notebook), and any error in a cell that reads a name bound by an earlier failing cell
    or is tagged `NEEDS_ANSWERS` (it uses a file an answer makes) once a cell failed: both need
    those answers too. A stripped answer of another module is never expected.
    """
    failed_names: set[str] = set()
    bad = []
    errors = {e.index: e for e in cell_errors(nb)}
    for i, cell in enumerate(nb.cells):
        err = errors.get(i)
        if err is None:
            continue
        stub = err.ename == "NotImplementedError"
        own_stub = stub and (err.evalue == "" or f"notebook of {module}" in err.evalue)
        other_module = stub and not own_stub
        needs_answers = bool(_loaded_names(cell.source) & failed_names) or (
            NEEDS_ANSWERS in cell.metadata.get("tags", []) and bool(failed_names)
        )
        if other_module or not (own_stub or needs_answers):
            bad.append(err)
        failed_names |= _assigned_names(cell.source)
    return bad


def _fresh_copy(release_folder: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(release_folder, dest)
    return dest


def run_release(
    module: str,
    release_folder: Path,
    work_dir: Path,
    solved: bool,
    profile: str = "embedded",
    key_dir: Path = NOTEBOOK_DIR,
    cell_timeout: int | None = None,
    extra_files: dict[str, Path] | None = None,
) -> ReleaseRun:
    """Run one copy of the release folder's notebook, solved with the key or as released.

    `extra_files` are copied into the folder first (e.g. a `final_model/` a student would submit).
    """
    folder = _fresh_copy(Path(release_folder), Path(work_dir) / ("solved" if solved else "blank"))
    for name, src in (extra_files or {}).items():
        if Path(src).is_dir():
            shutil.copytree(src, folder / name)
    nb_path = folder / f"{module}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    if solved:
        solve_with_key(nb, nbformat.read(notebook_path(module, key_dir), as_version=4))
    _add_probe(nb)
    nbformat.write(nb, nb_path)
    params = parameters_for(module, nb_path, load_profile(profile), {})
    run = ReleaseRun(module, solved, folder, 0.0)
    start = time.perf_counter()
    out_path = folder / f"{module}.executed.ipynb"
    if solved:
        error = execute(nb_path, out_path, params, folder, cell_timeout)
        run.failure = "" if error is None else last_line(error)
        executed = nbformat.read(out_path, as_version=4)
    else:
        executed = set_parameters(nb, params)
        client = NotebookClient(
            executed,
            timeout=cell_timeout,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(folder)}},
        )
        client.execute()
        nbformat.write(executed, out_path)
        run.unexpected = unexpected_errors(executed, module)
    run.seconds = time.perf_counter() - start
    run.errors = cell_errors(executed)
    try:
        run.imported_from = _probe_files(executed)
    except (StopIteration, json.JSONDecodeError):
        run.imported_from = []
    return run


def summary(runs: list[ReleaseRun]) -> dict[str, Any]:
    """A JSON-able account of release runs (for the command line and the tests)."""
    return {
        f"{r.module}/{'solved' if r.solved else 'blank'}": {
            "seconds": round(r.seconds, 1),
            "failure": r.failure,
            "errors": [f"{e.grade_id or e.index}: {e.ename}: {e.evalue[:200]}" for e in r.errors],
            "unexpected_errors": [f"{e.grade_id or e.index}: {e.ename}" for e in r.unexpected],
            "foreign_imports": r.foreign_imports(),
        }
        for r in runs
    }
