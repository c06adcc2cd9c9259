"""The instructor's nbgrader flow: release → collect → autograde → feedback → grades, for any course folder.

Every step runs the real `nbgrader` command in the course folder with the workbook's configuration
(`autograde/nbgrader_config.py`); a course folder other than `autograde/` gets a one-line
`nbgrader_config.py` that loads it, so the tests can grade in a temporary folder.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from course_lib import RELEASE_MARKER
from workbook.modules import COURSE_DIR, NOTEBOOK_DIR, SUBMITTED_FOLDERS
from workbook.solutions import strip_library

CONFIG = COURSE_DIR / "nbgrader_config.py"
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
) -> StepResult:
    """Run `nbgrader <args>` in the course folder with this interpreter's tools on PATH."""
    course_dir = prepare_course(course_dir)
    env = dict(os.environ)
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
        dest = course_dir / "submitted" / student_dir.name / module
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f %Z")
        (dest / "timestamp.txt").write_text(stamp)
        students.append(student_dir.name)
    return students


def autograde(
    module: str, course_dir: Path = COURSE_DIR, cell_timeout: int | None = None
) -> StepResult:
    """Execute and score every collected submission; a crashing one is scored zero, the rest still graded."""
    return run_nbgrader(["autograde", module, "--force"], course_dir, cell_timeout)


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
