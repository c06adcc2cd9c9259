"""nbgrader configuration of the workbook's course.

The course root is this folder unless `WORKBOOK_COURSE_DIR` names another (the tests grade in a
temporary copy); the source assignments are the module folders under `notebooks/`.
"""

import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("WORKBOOK_COURSE_DIR", HERE)).resolve()
SOURCE = Path(os.environ.get("WORKBOOK_SOURCE_DIR", HERE.parent / "notebooks")).resolve()

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "lm-from-scratch"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = str(SOURCE)
# nbgrader silently makes a new empty gradebook in the working folder unless the path is absolute.
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"
# course_lib is shipped to students stripped of solutions; the grader must use its own full copy.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "course_lib"]
c.Exchange.root = str(ROOT / "exchange")

# Training cells run for minutes, not nbgrader's default 30 s; a looping cell is interrupted.
c.Execute.timeout = int(os.environ.get("WORKBOOK_CELL_TIMEOUT", "900"))
c.Execute.interrupt_on_timeout = True
# Plain tracebacks: IPython's context lines would otherwise show hidden test code in feedback.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Plain"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]

# `workbook autograde` runs each submission in its own sandbox first; nbgrader then scores the
# outputs the sandbox returned instead of executing student code itself (workbook/sandbox.py).
if os.environ.get("WORKBOOK_SANDBOX_RESULTS"):
    from workbook.sandbox import SandboxResults

    c.Autograde.autograde_preprocessors = [
        SandboxResults,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
