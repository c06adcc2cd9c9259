"""The instructor's nbgrader flow: release → collect → autograde → feedback → grades, for any course folder.

Every step runs the real `nbgrader` command in the course folder with the workbook's configuration
(`autograde/nbgrader_config.py`); a course folder other than `autograde/` gets a one-line
`nbgrader_config.py` that loads it, so the tests can grade in a temporary folder.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat

from course_lib import RELEASE_MARKER
from course_lib.paths import EMBEDDED_DIR
from workbook.heldout import heldout_calls, predraw
from workbook.modules import COURSE_DIR, NOTEBOOK_DIR, SUBMITTED_FOLDERS, notebook_path
from workbook.sandbox import (
    RESULTS_ENV,
    Limits,
    require_bwrap,
    result_file,
    run_notebook,
    sources_digest,
)
from workbook.solutions import strip_library
from workbook.target_lr import precompute

CONFIG = COURSE_DIR / "nbgrader_config.py"
TARGET_CURVE_CALL = "graded_target_curve("  # a hidden test that scores against the target curve
# folders a notebook writes next to itself; an instructor's run must not reach the students
GENERATED = ("outputs", *SUBMITTED_FOLDERS)
# what a student needs to build an environment without the answers (copied into every release)
STUDENT_DIR = Path(__file__).with_name("student")
STUDENT_FILES = ("README.md", "pyproject.toml", "environment.yml")


@dataclass
class StepResult:
    """What one nbgrader command did: its exit code and output (kept for the instructor to read)."""

    step: str
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def prepare_course(course_dir: Path = COURSE_DIR) -> Path:
    """Make `course_dir` an nbgrader course root that uses the workbook's configuration."""
    course_dir = Path(course_dir).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    if course_dir != COURSE_DIR.resolve():
        (course_dir / "nbgrader_config.py").write_text(f"load_subconfig({str(CONFIG)!r})\n")
    return course_dir


def run_nbgrader(
    args: list[str],
    course_dir: Path = COURSE_DIR,
    cell_timeout: int | None = None,
    source_dir: Path = NOTEBOOK_DIR,
    extra_env: dict[str, str] | None = None,
) -> StepResult:
    """Run `nbgrader <args>` in the course folder with this interpreter's tools on PATH."""
    course_dir = prepare_course(course_dir)
    env = dict(os.environ) | (extra_env or {})
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["WORKBOOK_COURSE_DIR"] = str(course_dir)
    env["WORKBOOK_SOURCE_DIR"] = str(Path(source_dir).resolve())
    if cell_timeout is not None:
        env["WORKBOOK_CELL_TIMEOUT"] = str(cell_timeout)
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course_dir,
        env=env,
        capture_output=True,
        text=True,
    )
    return StepResult(" ".join(args[:2]), proc.returncode, proc.stdout + proc.stderr)


def _check(result: StepResult) -> StepResult:
    if not result.ok:
        raise RuntimeError(f"nbgrader {result.step} failed:\n{result.output[-4000:]}")
    return result


def release(module: str, course_dir: Path = COURSE_DIR, source_dir: Path = NOTEBOOK_DIR) -> Path:
    """Generate the student version of a module: notebook without solutions or hidden tests, plus
    a `course_lib` copy stripped of this and later modules' solutions, zipped for distribution."""
    course_dir = prepare_course(course_dir)
    _check(
        run_nbgrader(["generate_assignment", module, "--force"], course_dir, source_dir=source_dir)
    )
    folder = course_dir / "release" / module
    for name in GENERATED:  # what running the source notebook in place left behind
        if (folder / name).is_dir():
            shutil.rmtree(folder / name)
            print(f"left out of the release: {name}/ (written by running the notebook)")
    removed = strip_library(folder / "course_lib", module, source_dir)
    (folder / "course_lib" / RELEASE_MARKER).write_text(
        json.dumps({"module": module, "removed": removed}, indent=1) + "\n"
    )
    (folder / "STRIPPED.txt").write_text(
        "Solutions removed from this copy of course_lib (you write them in the notebooks):\n"
        + "".join(f"  {r}\n" for r in removed)
    )
    for name in STUDENT_FILES:
        shutil.copyfile(STUDENT_DIR / name, folder / name)
    archive = shutil.make_archive(
        str(course_dir / "release" / module), "zip", folder.parent, module
    )
    return Path(archive)


def collect(module: str, submissions: Path, course_dir: Path = COURSE_DIR) -> list[str]:
    """Copy each student's notebooks from `submissions/<student>/[<module>/]*.ipynb` into nbgrader's
    `submitted/` folder, stamped with the time of collection; return the student ids."""
    course_dir = prepare_course(course_dir)
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise FileNotFoundError(f"no submissions folder at {submissions}")
    students = []
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        src = student_dir / module if (student_dir / module).is_dir() else student_dir
        notebooks = sorted(src.glob("*.ipynb"))
        if not notebooks:
            print(
                f"warning: {student_dir.name} submitted no notebook for {module}", file=sys.stderr
            )
            continue
        unexpected = [p.name for p in notebooks if p.name != f"{module}.ipynb"]
        if unexpected:
            missing = "" if (src / f"{module}.ipynb").is_file() else f", and no {module}.ipynb"
            print(
                f"warning: {student_dir.name} submitted unexpected notebook(s) "
                f"{', '.join(unexpected)}{missing} (only {module}.ipynb is graded)",
                file=sys.stderr,
            )
        dest = course_dir / "submitted" / student_dir.name / module
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
        (dest / "timestamp.txt").write_text(stamp)
        students.append(student_dir.name)
    return students


@dataclass
class Graded:
    """One student's line of the autograde table."""

    student: str
    score: float | None
    max_score: float
    status: str  # graded | problems | not graded | skipped
    reason: str = ""


def _submission_digest(folder: Path) -> str:
    """A digest of every file a student submitted (a new collection regrades the student)."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def read_submission(folder: Path, module: str) -> tuple[nbformat.NotebookNode | None, str]:
    """The student's notebook `<module>.ipynb` in `folder`, or None and why it cannot be graded."""
    path = Path(folder) / f"{module}.ipynb"
    if not path.is_file():
        found = sorted(p.name for p in Path(folder).glob("*.ipynb"))
        names = ", ".join(found) if found else "no notebook at all"
        return None, f"notebook missing or renamed: expected {path.name}, found {names}"
    raw = path.read_bytes()
    if not raw.strip():
        return None, f"{path.name} is an empty file"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        return None, f"{path.name} is not UTF-8 text (byte {raw[err.start]:#04x} at {err.start})"
    try:
        json.loads(text)
    except ValueError as err:
        return None, f"{path.name} is unreadable JSON ({err})"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 (nbformat raises many kinds for a damaged notebook)
        return None, f"{path.name} is not a valid notebook ({str(err).splitlines()[0][:200]})"
    return nb, ""


def _nbgrader_meta(cell: nbformat.NotebookNode) -> dict[str, Any]:
    keys = ("grade", "solution", "locked", "points", "task", "grade_id")
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return {k: meta.get(k) for k in keys if k in meta}


def visible_source(source: str) -> str:
    """A test cell as released: the lines between the hidden-test markers removed, as nbgrader does."""
    lines, hidden = [], False
    for line in source.splitlines():
        if "BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def _visible(source: str) -> str:
    """A cell's visible source without blank lines or trailing spaces, to recognise a test cell by."""
    return "\n".join(line.rstrip() for line in visible_source(source).splitlines() if line.strip())


def repair(
    nb: nbformat.NotebookNode, released: nbformat.NotebookNode
) -> tuple[nbformat.NotebookNode, list[str]]:
    """Put back what a student may not change: the nbgrader metadata and cell type of every cell
    the release marks (a test whose grade_id was renamed is found by its source), the locked cells
    deleted, and their order; return the notebook and a note per change."""
    ref = {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in released.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    }
    locked_by_source = {
        _visible(c.source): gid for gid, c in ref.items() if c.metadata["nbgrader"].get("locked")
    }
    present = {_nbgrader_meta(c).get("grade_id") for c in nb.cells}
    notes: list[str] = []
    cells = []
    for cell in nb.cells:
        gid = _nbgrader_meta(cell).get("grade_id")
        if gid not in ref:
            match = locked_by_source.get(_visible(cell.source))
            if match and match not in present:
                notes.append(f"test cell metadata changed: grade_id {match} was {gid!r}")
                gid = match
                present.add(match)
        if gid in ref:
            want = ref[gid]
            changed = [
                k
                for k in ("grade", "solution", "locked", "points")
                if _nbgrader_meta(cell).get(k) != want.metadata["nbgrader"].get(k)
            ]
            if cell.cell_type != want.cell_type:
                changed.append("cell type")
                new = (
                    nbformat.v4.new_code_cell(cell.source)
                    if want.cell_type == "code"
                    else nbformat.v4.new_markdown_cell(cell.source)
                )
                new.metadata = cell.metadata
                cell = new
            if changed and gid not in [n.split()[-1] for n in notes]:
                notes.append(f"cell metadata changed ({', '.join(changed)}): restored {gid}")
            cell.metadata["nbgrader"] = copy.deepcopy(want.metadata["nbgrader"])
        cells.append(cell)
    order = list(ref)
    locked = {g for g, c in ref.items() if c.metadata["nbgrader"].get("locked")}
    seen = [_nbgrader_meta(c).get("grade_id") for c in cells]
    missing = [g for g in order if g in locked and g not in seen]
    known = [g for g in seen if g in ref]
    if missing or known != sorted(known, key=order.index):
        pulled = {g: copy.deepcopy(ref[g]) for g in missing}
        rest = []
        for cell in cells:
            gid = _nbgrader_meta(cell).get("grade_id")
            if gid in locked and gid not in pulled:
                pulled[gid] = cell
            else:
                rest.append(cell)
        for gid in order:
            if gid not in pulled:
                continue
            before = order[: order.index(gid)]
            ids = [_nbgrader_meta(c).get("grade_id") for c in rest]
            spots = [i for i, g in enumerate(ids) if g in before]
            at = spots[-1] + 1 if spots else 0
            while at < len(rest) and ids[at] not in ref:
                at += 1  # the student's own cells after the predecessor stay before it
            rest.insert(at, pulled[gid])
        cells = rest
        if missing:
            notes.append(f"deleted cells put back: {', '.join(missing)}")
        if known != sorted(known, key=order.index):
            notes.append("cells reordered: the locked cells were put back in their places")
    nb.cells = cells
    return nb, notes


def sanitize(
    nb: nbformat.NotebookNode, module: str, student: str, course_dir: Path
) -> nbformat.NotebookNode:
    """nbgrader's own sanitizing steps (tests and hidden tests put back from the gradebook), run
    here so that the sandbox executes exactly what nbgrader will grade."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    resources = {
        "nbgrader": {
            "db_url": f"sqlite:///{Path(course_dir) / 'gradebook.db'}",
            "assignment": module,
            "notebook": module,
            "student": student,
        }
    }
    nb = copy.deepcopy(nb)
    for pp in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
        nb, resources = pp().preprocess(nb, resources)
    return nb


def _stage(
    module: str, student: str, course_dir: Path, released: nbformat.NotebookNode
) -> tuple[Path, list[str], str]:
    """Copy a submission into `staged/` with its notebook checked and repaired; the staged folder,
    the notes, and the reason it cannot be graded ("" when it can)."""
    src = course_dir / "submitted" / student / module
    dest = course_dir / "staged" / student / module
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("course_lib", ".ipynb_checkpoints"))
    nb, reason = read_submission(dest, module)
    notes: list[str] = []
    if nb is None:  # graded as the untouched release, every cell scored 0 with the reason
        nb = copy.deepcopy(released)
    else:
        nb, notes = repair(nb, released)
    nbformat.write(nb, dest / f"{module}.ipynb")
    return dest, notes, reason


def graded_references(module: str, source_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """The `course_lib` functions and classes a module's students write (`module:name`, from the
    source notebook's solution cells): the kernel's test runner refuses them in a student's place."""
    path = notebook_path(module, source_dir)
    if not path.is_file():
        return []
    nb = nbformat.read(path, as_version=4)
    return sorted(
        {
            str(ref)
            for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
            for ref in c.metadata.get("course_lib", [])
        }
    )


def _grade_one(
    module: str,
    student: str,
    course_dir: Path,
    staged: Path,
    limits: Limits,
    heldout_dir: Path | None,
    sandbox: bool,
    slot: int = 0,
    target_lr_dir: Path | None = None,
) -> dict[str, Any]:
    """Execute one staged submission in its own throw-away copy; the result to store."""
    nb = sanitize(
        nbformat.read(staged / f"{module}.ipynb", as_version=4), module, student, course_dir
    )
    plain = json.loads(nbformat.writes(nb))
    plain["metadata"]["workbook_grader"] = {"graded": graded_references(module)}
    extra = tuple(p for p in (EMBEDDED_DIR,) if p.is_dir())
    with tempfile.TemporaryDirectory(prefix="workbook-submission-") as tmp:
        os.chmod(tmp, 0o755)
        work = Path(tmp) / module
        shutil.copytree(staged, work, ignore=shutil.ignore_patterns("timestamp.txt"))
        run = run_notebook(
            plain, work, module, limits, heldout_dir, sandbox, extra, slot, target_lr_dir
        )
    return {
        "digest": sources_digest(plain),
        "cells": run.cells,
        "problems": run.problems,
        "reason": run.reason,
        "seconds": round(run.seconds, 2),
    }


def _scores(course_dir: Path, module: str) -> dict[str, tuple[float, float]]:
    """Autograded (score, max score) per student of `module`, from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    out = {}
    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission_notebook(module, module, student.id)
            except MissingEntry:
                continue
            auto = [g for g in sub.grades if g.cell_type == "code"]
            out[student.id] = (sum(g.score for g in auto), sum(g.max_score for g in auto))
    return out


def autograde(
    module: str,
    course_dir: Path = COURSE_DIR,
    cell_timeout: int | None = None,
    jobs: int | None = None,
    force: bool = False,
    sandbox: bool = True,
    progress: bool = False,
    parameters: dict[str, Any] | None = None,
) -> tuple[StepResult, list[Graded]]:
    """Execute every collected submission in its own sandbox (`jobs` at a time), then score them
    all with one nbgrader process; the nbgrader step and a line per student. Students graded before
    are skipped unless their submission changed or `force`. `parameters` are the assignment's
    values for the source notebook's parameters cell where the grader computes a reference before
    grading (module 08's target curve); default: the notebook's own."""
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1):
        raise ValueError(f"jobs must be a positive number of workers, got {jobs!r}")
    if sandbox:
        require_bwrap()
    course_dir = Path(course_dir).resolve()
    released_path = course_dir / "release" / module / f"{module}.ipynb"
    if not released_path.is_file():
        raise FileNotFoundError(
            f"no release of {module} at {released_path}: run `workbook release` first"
        )
    released = nbformat.read(released_path, as_version=4)
    submitted = course_dir / "submitted"
    students = sorted(p.parent.name for p in submitted.glob(f"*/{module}") if p.is_dir())
    if not students:
        raise FileNotFoundError(
            f"no submissions of {module} in {submitted}: run `workbook collect` first"
        )
    course_dir = prepare_course(course_dir)
    limits = Limits.from_env(cell_timeout)
    results_dir = course_dir / "sandboxed" / module
    heldout_dir = None
    source_path = notebook_path(module)
    source = nbformat.read(source_path, as_version=4) if source_path.is_file() else released
    if "resolve_data_dir" in "".join(c.source for c in source.cells):
        from course_lib.paths import ensure_embedded

        ensure_embedded()  # read-only in the sandbox: built here, before any submission runs
    if heldout_calls([c.source for c in source.cells if c.cell_type == "code"]):
        from course_lib.paths import resolve_data_dir

        heldout_dir = course_dir / "heldout_drawn" / module
        predraw([c.source for c in source.cells], heldout_dir, resolve_data_dir(""))
    target_lr_dir = None
    if TARGET_CURVE_CALL in "".join(c.source for c in source.cells if c.cell_type == "code"):
        # trained once per assignment by the reference code, mounted read-only in every sandbox
        target_lr_dir = course_dir / "grader_data" / module
        precompute(
            source_path if source_path.is_file() else released_path,
            target_lr_dir,
            course_dir / "target_lr_cache",
            parameters,
        )
    todo, notes, reasons = [], {}, {}
    for student in students:
        path = result_file(results_dir, student, module)
        autograded = course_dir / "autograded" / student / module / f"{module}.ipynb"
        digest = _submission_digest(submitted / student / module)
        if not force and path.is_file() and autograded.is_file():
            try:
                if json.loads(path.read_text()).get("submission") == digest:
                    continue
            except ValueError:
                pass
        staged, notes[student], reasons[student] = _stage(module, student, course_dir, released)
        todo.append((student, staged, digest))

    workers = jobs or os.cpu_count() or 1
    slots: queue.SimpleQueue[int] = queue.SimpleQueue()
    for slot in range(workers):
        slots.put(slot)

    def work(item: tuple[str, Path, str]) -> str:
        student, staged, digest = item
        if reasons[student]:
            result = {"reason": reasons[student], "cells": [], "problems": []}
        else:
            slot = slots.get()  # one uid per sandbox running at a time
            try:
                result = _grade_one(
                    module,
                    student,
                    course_dir,
                    staged,
                    limits,
                    heldout_dir,
                    sandbox,
                    slot,
                    target_lr_dir,
                )
            except Exception as err:  # noqa: BLE001 (one submission must not stop the class)
                result = {"reason": f"could not be run: {err}", "cells": [], "problems": []}
            finally:
                slots.put(slot)
        result["submission"] = digest
        result["notes"] = notes[student]
        path = result_file(results_dir, student, module)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(path)
        shutil.rmtree(course_dir / "autograded" / student / module, ignore_errors=True)
        return student

    with ThreadPoolExecutor(max_workers=workers) as pool:  # threads: the work is in sandboxes
        done = pool.map(work, todo)
        if progress:
            from tqdm import tqdm

            done = tqdm(done, total=len(todo), desc=f"grading {module}", unit="submission")
        list(done)
    step = StepResult("autograde", 0, "nothing to grade: every submission was graded before")
    if todo:
        step = run_nbgrader(
            ["autograde", module, "--CourseDirectory.submitted_directory=staged"],
            course_dir,
            cell_timeout,
            extra_env={RESULTS_ENV: str(results_dir)},
        )
    graded_now = {s for s, _, _ in todo}
    scores = _scores(course_dir, module)
    table = []
    for student in students:
        result = json.loads(result_file(results_dir, student, module).read_text())
        score, full = scores.get(student, (None, 0.0))
        autograded = course_dir / "autograded" / student / module / f"{module}.ipynb"
        why = [*result.get("notes", []), *result.get("problems", [])]
        if result.get("reason"):
            status, why = "not graded", [result["reason"], *why]
        elif not autograded.is_file():
            status, why = "not graded", ["nbgrader could not score it (see its log)", *why]
        elif student not in graded_now:
            status = "skipped"
        else:
            status = "problems" if result.get("problems") else "graded"
        table.append(Graded(student, score, full, status, "; ".join(why)))
    return step, table


def summary_table(rows: list[Graded]) -> str:
    """The per-student table `workbook autograde` prints."""
    head = ("student", "score", "status", "reason")
    lines = [
        (
            r.student,
            "-" if r.score is None else f"{r.score:g}/{r.max_score:g}",
            r.status,
            r.reason,
        )
        for r in rows
    ]
    width = [max(len(str(x[i])) for x in [head, *lines]) for i in range(3)]
    fmt = "  ".join(f"{{:{w}}}" for w in width) + "  {}"
    return "\n".join(fmt.format(*line).rstrip() for line in [head, *lines])


def feedback(module: str, course_dir: Path = COURSE_DIR) -> StepResult:
    """Write HTML feedback for each graded submission (hidden tests removed)."""
    return _check(run_nbgrader(["generate_feedback", module, "--force"], course_dir))


def export_grades(course_dir: Path = COURSE_DIR, out: Path | None = None) -> Path:
    """Export the gradebook to CSV (one row per student and assignment)."""
    course_dir = prepare_course(course_dir)
    out = Path(out or course_dir / "grades.csv").resolve()
    _check(run_nbgrader(["export", f"--CsvExportPlugin.to={out}"], course_dir))
    return out


def read_grades(path: Path) -> dict[tuple[str, str], float]:
    """Scores from an exported CSV, keyed by (student_id, assignment)."""
    with open(path, newline="") as f:
        return {(r["student_id"], r["assignment"]): float(r["score"]) for r in csv.DictReader(f)}
