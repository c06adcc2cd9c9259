"""Student releases, run as a student would: solved with the answer key against the student's stripped
`course_lib`, and untouched; plus what a release folder holds and builds."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from workbook import grading
from workbook.modules import LIB_DIR, SUBMITTED_FOLDERS, available_modules
from workbook.release_check import run_release, summary

pytestmark = pytest.mark.slow
MODULES = available_modules()
# The instructor's packages, and names of tooling modules and of grading data: none reach a student.
TOOLING_PACKAGES = {"workbook", "nbgrader", "papermill", "pypandoc", "jinja2", "nbconvert"}
TOOLING_NAMES = {p.stem for p in (LIB_DIR.parent / "workbook").glob("*.py")} - {"__init__"}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every module released into one nbgrader course folder, as `workbook release all` does."""
    course = tmp_path_factory.mktemp("course")
    for module in MODULES:
        grading.release(module, course)
    return course


@pytest.mark.parametrize("module", MODULES)
def test_solved_release_runs_on_the_students_library(
    module: str, course: Path, executed_run, tmp_path: Path
) -> None:
    run_dir, _ = executed_run
    # the trained models the embedded run left (05's final model, 07's leaderboard entry), which a
    # student submits with the notebook
    extra = {
        name: run_dir / module / name
        for name in SUBMITTED_FOLDERS
        if (run_dir / module / name).is_dir()
    }
    run = run_release(
        module,
        course / "release" / module,
        tmp_path,
        True,
        profile="ci",
        extra_files=extra,
        cell_timeout=1800,
    )
    assert not run.failure, f"the solved release of {module} stopped: {summary([run])}"
    assert run.imported_from, "the import probe saw no course_lib module"
    assert not run.foreign_imports(), (
        f"the kernel imported course_lib from outside the release: {run.foreign_imports()}"
    )


@pytest.mark.parametrize("module", MODULES)
def test_untouched_release_fails_only_where_answers_are_missing(
    module: str, course: Path, tmp_path: Path
) -> None:
    run = run_release(
        module, course / "release" / module, tmp_path, False, profile="ci", cell_timeout=1800
    )
    assert run.errors, (
        f"the untouched release of {module} ran without an error: answers given away?"
    )
    assert not run.unexpected, (
        f"errors not caused by a missing answer of {module}: {summary([run])}"
    )
    assert not run.foreign_imports(), run.foreign_imports()


def test_release_holds_no_tooling_and_builds_the_students_package(
    course: Path, tmp_path: Path
) -> None:
    folder = course / "release" / MODULES[-1]
    assert {"README.md", "pyproject.toml", "environment.yml", "STRIPPED.txt"} <= {
        p.name for p in folder.iterdir()
    }
    marker = json.loads((folder / "course_lib" / "release.json").read_text())
    assert marker["module"] == MODULES[-1] and marker["removed"]
    for path in (folder / "course_lib").rglob("*.py"):
        if path.parent == folder / "course_lib":  # where the tooling used to live
            assert path.stem not in TOOLING_NAMES, f"tooling module in the release: {path}"
        tree = ast.parse(path.read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        leaked = {m for m in imported if m.split(".")[0] in TOOLING_PACKAGES}
        assert not leaked, f"{path.relative_to(folder)} imports tooling: {leaked}"
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert "held_out_stories" not in defined, f"{path}: the grader's held-out draw"
    assert not (folder / "workbook").exists() and not (folder / "notebooks").exists()
    # `pip install -e .` in the folder installs exactly its own (stripped) course_lib
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + [str(folder), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("course_lib-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "course_lib/training/losses.py" in names
    assert not [n for n in names if n.startswith("workbook")], "tooling inside the student wheel"
    # the wheel's library is the release's own, file for file, and the release stripped something
    wheel_zip = zipfile.ZipFile(wheel)
    for path in (folder / "course_lib").rglob("*.py"):
        name = path.relative_to(folder).as_posix()
        assert wheel_zip.read(name).decode() == path.read_text(), (
            f"the student's wheel must hold the release's own {name}"
        )
    stripped = [
        p
        for p in (folder / "course_lib").rglob("*.py")
        if p.read_text() != (LIB_DIR / p.relative_to(folder / "course_lib")).read_text()
    ]
    assert stripped, f"the release of {MODULES[-1]} stripped no answer from course_lib"
