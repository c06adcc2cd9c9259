"""The nbgrader course end to end, with real nbgrader: release, collect, autograde, feedback, grades.

Five submissions of module 01 play the cases an instructor meets: the answer key (full marks on
every autograded cell), the release submitted untouched (zero, grader unharmed), a solution that
loops forever (only that cell times out), one that kills its kernel (the cells that ran before
score, the kernel is restarted for the rest) and one that deletes a test (the original test is put
back). Each runs in its own sandbox; `tests/test_grading_hostile.py` plays the hostile cases.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_lib.paths import REPO_ROOT
from workbook import grading

pytestmark = pytest.mark.slow
MODULE = "01_unicode"
SOURCE = REPO_ROOT / "notebooks" / MODULE / f"{MODULE}.ipynb"


def _edit(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = source
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("course")
    archive = grading.release(MODULE, root)
    released = nbformat.read(root / "release" / MODULE / f"{MODULE}.ipynb", as_version=4)
    subs = tmp_path_factory.mktemp("submissions")
    cases = {
        "key": nbformat.read(SOURCE, as_version=4),
        "untouched": released,
        "looper": _edit(
            nbformat.read(SOURCE, as_version=4),
            "utf8_encode",
            "def utf8_encode(code_point):\n    while True:\n        pass",
        ),
        "crasher": _edit(
            nbformat.read(SOURCE, as_version=4), "encoded_lengths", "import os\nos._exit(1)"
        ),
        "cheater": _edit(
            nbformat.read(SOURCE, as_version=4), "test_utf8_decode", "pass  # no test"
        ),
    }
    for student, nb in cases.items():
        folder = subs / student / MODULE
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{MODULE}.ipynb")
    assert grading.collect(MODULE, subs, root) == sorted(cases)
    result, rows = grading.autograde(MODULE, root, cell_timeout=8, jobs=2)
    (root / "autograde.log").write_text(result.output + "\n" + grading.summary_table(rows))
    assert archive.exists()
    return root


def _autograded_scores(root: Path, student: str) -> dict[str, tuple[float, float]]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(MODULE, MODULE, student)
        return {
            g.name: (g.score, g.max_score)
            for g in sub.grades
            if g.auto_score is not None or g.cell_type == "code"
        }


def test_release_strips_solutions_hidden_tests_and_library_answers(course: Path) -> None:
    folder = course / "release" / MODULE
    text = (folder / f"{MODULE}.ipynb").read_text()
    assert "BEGIN HIDDEN TESTS" not in text and "_rng" not in text
    assert "0xC0 | code_point >> 6" not in text and "YOUR CODE HERE" in text
    assert "0xC0 | code_point >> 6" not in (folder / "course_lib" / "unicode.py").read_text()
    with zipfile.ZipFile(course / "release" / f"{MODULE}.zip") as z:
        assert f"{MODULE}/course_lib/unicode.py" in z.namelist()


def test_answer_key_gets_full_marks_on_every_autograded_cell(course: Path) -> None:
    scores = _autograded_scores(course, "key")
    assert scores and all(score == full for score, full in scores.values()), scores


def test_untouched_release_scores_zero(course: Path) -> None:
    scores = _autograded_scores(course, "untouched")
    assert scores and all(score == 0 for score, _ in scores.values()), scores


def test_infinite_loop_times_out_on_that_cell_only(course: Path) -> None:
    scores = _autograded_scores(course, "looper")
    assert scores["test_utf8_encode"][0] == 0
    assert scores["test_utf8_decode"] == (4, 4) and scores["test_encoded_lengths"] == (1, 1)
    assert "timeout in cell test_utf8_encode" in (course / "autograde.log").read_text()


def test_deleted_test_cell_is_restored_and_run(course: Path) -> None:
    graded = (course / "autograded" / "cheater" / MODULE / f"{MODULE}.ipynb").read_text()
    assert "pass  # no test" not in graded and "_python_accepts" in graded
    assert _autograded_scores(course, "cheater")["test_utf8_decode"] == (4, 4)


def test_feedback_hides_hidden_tests_and_grades_export(course: Path) -> None:
    grading.feedback(MODULE, course)
    html = (course / "feedback" / "key" / MODULE / f"{MODULE}.html").read_text()
    assert "utf8_decode" in html and "_python_accepts" not in html and "_rng" not in html
    grades = grading.read_grades(grading.export_grades(course))
    # the kernel killed in encoded_lengths costs only its 1-point test: restarted for the rest
    assert grades[("crasher", MODULE)] == 9
    assert "kernel died in cell encoded_lengths" in (course / "autograde.log").read_text()
    assert grades[("untouched", MODULE)] == 0
    # Written answers await manual grading; the autograded part of the key is worth 10 points.
    assert grades[("key", MODULE)] == 10
    assert grades[("looper", MODULE)] == 7


def test_collect_reports_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no submissions folder"):
        grading.collect(MODULE, tmp_path / "absent", tmp_path / "course")


def test_config_has_real_cell_timeout_and_feedback_safety() -> None:
    text = (REPO_ROOT / "autograde" / "nbgrader_config.py").read_text()
    assert "ClearHiddenTests" in text and "xmode=Plain" in text
    assert json.dumps(900) in text
