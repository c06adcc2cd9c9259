"""The library-use scan: a submission that imports a graded answer from course_lib is flagged."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_lib.paths import REPO_ROOT
from workbook.integrity import flag_notebook, flag_submissions, library_uses, write_flags
from workbook.modules import source_notebooks

MODULE = "05_training"
SOURCE = REPO_ROOT / "notebooks" / MODULE / f"{MODULE}.ipynb"


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_uses_are_imports_and_strings_of_the_library_only() -> None:
    source = (
        "import os, course_lib.training.losses as L\n"
        "from course_lib.training import losses, AdamW\n"
        "from collections import Counter\n"
        "import importlib\n"
        "mod = importlib.import_module('course_lib.training.adamw')\n"
        "note = 'course_library is another word'\n"
    )
    assert library_uses(source) == {
        "import course_lib.training.losses as L",
        "from course_lib.training import losses",
        "from course_lib.training import AdamW",
        "string 'course_lib.training.adamw'",
    }
    # a cell that does not parse is scanned line by line
    assert library_uses("%time from course_lib import x\nprint(1)") == {
        "%time from course_lib import x"
    }


@pytest.mark.parametrize("path", source_notebooks(), ids=lambda p: p.parent.name)
def test_every_answer_key_is_clean_against_itself(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert flag_notebook(nb, nb) == []


def test_borrowed_answers_are_flagged_wherever_they_hide(tmp_path: Path) -> None:
    source = nbformat.read(SOURCE, as_version=4)
    borrower = nbformat.read(SOURCE, as_version=4)
    cell(
        borrower, "cross_entropy"
    ).source = "from course_lib.training.losses import cross_entropy  # the grader's answer"
    imports = next(c for c in borrower.cells if "from course_lib.training.adamw" in c.source)
    imports.source = imports.source.replace(
        "from course_lib.training.adamw import param_groups",
        "from course_lib.training.adamw import AdamW, param_groups",
    )
    borrower.cells.append(
        nbformat.v4.new_code_cell("clip_grad_norm = __import__('course_lib.training.clipping')")
    )
    honest = nbformat.read(SOURCE, as_version=4)
    cell(honest, "cross_entropy").source = "def cross_entropy(logits, targets):\n    return 0"
    subs = tmp_path / "course" / "submitted"
    for student, nb in (("borrower", borrower), ("honest", honest)):
        (subs / student / MODULE).mkdir(parents=True)
        nbformat.write(nb, subs / student / MODULE / f"{MODULE}.ipynb")

    flags = flag_submissions(MODULE, tmp_path / "course", REPO_ROOT / "notebooks")
    assert {(f.student, f.cell, f.use) for f in flags} == {
        ("borrower", "cross_entropy", "from course_lib.training.losses import cross_entropy"),
        ("borrower", "cell 2", "from course_lib.training.adamw import AdamW"),
        ("borrower", f"cell {len(borrower.cells) - 1}", "string 'course_lib.training.clipping'"),
    }
    assert flag_notebook(honest, source) == []
    csv_text = write_flags(flags, tmp_path / "flags.csv").read_text()
    assert csv_text.splitlines()[0] == "student,cell,use" and csv_text.count("borrower") == 3
