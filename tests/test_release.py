"""Student releases, run as a student would: solved with the answer key against the student's stripped
`course_lib`, and untouched; plus what a release folder holds and builds."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from workbook import grading
from workbook.modules import available_modules
from workbook.release_check import run_release, summary

pytestmark = pytest.mark.slow
MODULES = available_modules()
# Names of the instructor's tooling and grading data: none may reach a student.
TOOLING_WORDS = (
    "nbgrader",
    "papermill",
    "pypandoc",
    "gradebook",
    "held_out",
    "heldout",
    "workbook",
)


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
    final_model = run_dir / module / "final_model"  # module 05's, submitted with the notebook
    extra = {"final_model": final_model} if final_model.is_dir() else {}
    run = run_release(
        module, course / "release" / module, tmp_path, True, profile="ci", extra_files=extra
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
    run = run_release(module, course / "release" / module, tmp_path, solved=False, profile="ci")
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
    for path in (folder / "course_lib").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".yaml", ".json", ".txt"):
            text = path.read_text(errors="replace").lower()
            found = [w for w in TOOLING_WORDS if w in text]
            assert not found, f"{path.relative_to(folder)} mentions tooling: {found}"
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
    losses = zipfile.ZipFile(wheel).read("course_lib/training/losses.py").decode()
    assert "### BEGIN SOLUTION" not in losses and "NotImplementedError" in losses
