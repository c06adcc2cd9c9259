"""Flag submissions that reach into the grader's `course_lib` beyond what the notebook itself uses.

Students get a `course_lib` stripped of the answers they write, but the autograder runs their
notebook with the full library installed (its hidden tests use it as the oracle). A submission that
imports a graded function from the library would therefore pass. This module lists every
`course_lib` import, and every string naming `course_lib`, that a submission has and the source
notebook lacks, so the instructor can look at those cells by hand.
"""

from __future__ import annotations

import ast
import csv
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from workbook.modules import notebook_path

LIBRARY = "course_lib"
_MENTION = re.compile(rf"\b{LIBRARY}\b")


@dataclass(frozen=True)
class Flag:
    """One use of the library that the source notebook does not make."""

    student: str
    cell: str  # the nbgrader grade_id, or "cell <n>" for a cell without one
    use: str  # e.g. "from course_lib.training.losses import cross_entropy"


def _is_library(module: str | None) -> bool:
    return module is not None and (module == LIBRARY or module.startswith(LIBRARY + "."))


def _named(alias: ast.alias) -> str:
    return alias.name if alias.asname is None else f"{alias.name} as {alias.asname}"


def library_uses(source: str) -> set[str]:
    """The `course_lib` imports and strings of one code cell, each as a line of text."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics or a half-written cell: fall back to the raw lines
        return {line.strip() for line in source.splitlines() if _MENTION.search(line)}
    uses: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _is_library(node.module):
            uses.update(f"from {node.module} import {_named(a)}" for a in node.names)
        elif isinstance(node, ast.Import):
            uses.update(f"import {_named(a)}" for a in node.names if _is_library(a.name))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _MENTION.search(node.value):
                uses.add(f"string {node.value!r}")
    return uses


def _is_test(cell: nbformat.NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def notebook_uses(nb: nbformat.NotebookNode) -> list[tuple[str, set[str]]]:
    """(cell name, library uses) for every code cell but the tests, which nbgrader restores from
    the source at grading time (and whose hidden part may import the reference answers)."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _is_test(cell):
            continue
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i}"
        out.append((name, library_uses(cell.source)))
    return out


def flag_notebook(
    submission: nbformat.NotebookNode, source: nbformat.NotebookNode, student: str = ""
) -> list[Flag]:
    """Library uses of a submission that appear nowhere in the source notebook."""
    allowed = set().union(*(uses for _, uses in notebook_uses(source)))
    return [
        Flag(student, name, use)
        for name, uses in notebook_uses(submission)
        for use in sorted(uses - allowed)
    ]


def flag_submissions(module: str, course_dir: Path, source_dir: Path) -> list[Flag]:
    """Flags for every collected submission of `module` in an nbgrader course folder."""
    source_path = notebook_path(module, Path(source_dir))
    source = nbformat.read(source_path, as_version=4)
    flags: list[Flag] = []
    for path in sorted(Path(course_dir).glob(f"submitted/*/{module}/*.ipynb")):
        student = path.parent.parent.name
        try:
            submission = nbformat.read(path, as_version=4)
        except Exception as err:  # noqa: BLE001 (an unreadable notebook is nbgrader's to report)
            flags.append(Flag(student, "notebook", f"unreadable: {err}"))
            continue
        flags.extend(flag_notebook(submission, source, student))
    return flags


def write_flags(flags: list[Flag], path: Path) -> Path:
    """Write the flags as CSV (student, cell, use) for the instructor."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "cell", "use"])
        writer.writerows((flag.student, flag.cell, flag.use) for flag in flags)
    return path
