"""Every module through real nbgrader: the answer key earns every autograded point, the release
submitted untouched earns none, and the grader survives both.

The key is submitted with the `ci` profile's sizes in its parameters cell (as a student may edit it)
and, for module 05, with the final model the embedded run trained (as students submit theirs). The
assignment is graded at the same sizes: module 08's target curve, which the grader trains before
grading, is that of the `ci` parameters."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_lib.paths import REPO_ROOT
from workbook import grading
from workbook.modules import SUBMITTED_FOLDERS, available_modules
from workbook.runner import load_profile, parameters_for, set_parameters

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("module", available_modules())
def test_key_full_marks_and_blank_zero(module: str, executed_run, tmp_path: Path) -> None:
    run_dir, _ = executed_run
    course = tmp_path / "course"
    grading.release(module, course)
    subs = tmp_path / "subs"
    key = REPO_ROOT / "notebooks" / module / f"{module}.ipynb"
    blank = course / "release" / module / f"{module}.ipynb"
    ci = parameters_for(module, key, load_profile("ci"), {})
    for student, src in (("key", key), ("blank", blank)):
        (subs / student / module).mkdir(parents=True)
        nb = set_parameters(nbformat.read(src, as_version=4), ci)
        nbformat.write(nb, subs / student / module / f"{module}.ipynb")
    for name in SUBMITTED_FOLDERS:  # the trained models a student submits with the notebook
        if (run_dir / module / name).is_dir():
            shutil.copytree(run_dir / module / name, subs / "key" / module / name)
    grading.collect(module, subs, course)
    result, rows = grading.autograde(module, course, parameters=ci)
    assert result.ok, result.output[-3000:]
    assert all(r.status == "graded" for r in rows), grading.summary_table(rows)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, expect_full in (("key", True), ("blank", False)):
            sub = gb.find_submission_notebook(module, module, student)
            auto = [g for g in sub.grades if g.cell_type == "code"]
            assert auto, f"{module} has no autograded cells"
            for g in auto:
                want = g.max_score if expect_full else 0
                assert g.score == want, f"{module} {student} {g.name}: {g.score}/{g.max_score}"
