"""One source for library code in notebooks: solution and given cells are generated from `course_lib`.

Two kinds of notebook cell hold library objects, named in their metadata as `course_lib.x.y:name`:
- a solution cell (nbgrader `solution: true`) lists the objects it holds in `metadata.course_lib`
  (e.g. `["course_lib.unicode:utf8_encode"]`); their marked regions are the answers students write;
- a given cell (nbgrader `locked: true`, neither solution nor graded) lists them in
  `metadata.course_lib_given`: library code students read but do not write, shown in the notebook
  and run there, so names it uses (`RMSNorm`, `param_counts`) are the student's own definitions
  from earlier cells. A given object holds no marked region: it would show an answer.
`sync` rewrites both kinds from the library source (the objects, two blank lines apart) and `check`
reports drift. `strip_library` writes the student copy of `course_lib`, where every marked region
not yet taught (the module being released and later ones) raises NotImplementedError.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from workbook.modules import LIB_DIR, NOTEBOOK_DIR, source_notebooks

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
METADATA_KEY = "course_lib"
GIVEN_KEY = "course_lib_given"


@dataclass(frozen=True)
class Ref:
    """A top-level function or class in a course_lib module, written `course_lib.x.y:name`."""

    module: str
    name: str

    @classmethod
    def parse(cls, text: str) -> Ref:
        """Parse `package.module:name`."""
        module, sep, name = text.partition(":")
        if not sep or not module.startswith("course_lib") or not name.isidentifier():
            raise ValueError(f"bad solution reference {text!r}: expected 'course_lib.module:name'")
        return cls(module, name)

    def path(self, lib_dir: Path = LIB_DIR) -> Path:
        """The source file that defines this object."""
        parts = self.module.split(".")[1:]
        base = lib_dir.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        raise FileNotFoundError(f"{self.module} has no source file under {lib_dir}")

    def __str__(self) -> str:
        return f"{self.module}:{self.name}"


def object_source(ref: Ref, lib_dir: Path = LIB_DIR) -> str:
    """The exact source text of a top-level function or class, decorators included."""
    path = ref.path(lib_dir)
    text = path.read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == ref.name:
                lines = text.splitlines()
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                end = node.end_lineno
                # ast ends a function at its last statement; a trailing END marker is a comment.
                while (
                    end < len(lines) and lines[end].startswith((" ", "\t")) and lines[end].strip()
                ):
                    end += 1
                return "\n".join(lines[start - 1 : end])
    raise ValueError(f"{ref.name} is not a top-level function or class in {path}")


def cell_source(refs: list[str], lib_dir: Path = LIB_DIR) -> str:
    """What a solution cell holding `refs` must contain."""
    return "\n\n\n".join(object_source(Ref.parse(r), lib_dir) for r in refs)


def solution_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The cells of a notebook whose source comes from course_lib."""
    return [c for c in nb.cells if METADATA_KEY in c.get("metadata", {})]


def given_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The locked cells of a notebook that show (and run) library code students do not write."""
    return [c for c in nb.cells if GIVEN_KEY in c.get("metadata", {})]


def given_cell_source(cell: nbformat.NotebookNode, where: str, lib_dir: Path = LIB_DIR) -> str:
    """What a given cell must contain; a ValueError if the cell is not a locked, ungraded code
    cell or if its objects hold a solution region."""
    meta = cell.metadata.get("nbgrader", {})
    if METADATA_KEY in cell.metadata:
        raise ValueError(f"{where}: a cell is either a solution ({METADATA_KEY}) or given")
    if (
        cell.cell_type != "code"
        or not meta.get("locked")
        or meta.get("solution")
        or meta.get("grade")
    ):
        raise ValueError(
            f"{where}: a given cell must be a code cell with nbgrader metadata locked: true, "
            "solution: false, grade: false"
        )
    want = cell_source(cell.metadata[GIVEN_KEY], lib_dir)
    if BEGIN in want or END in want:
        raise ValueError(f"{where}: given code holds a solution region; list it in {METADATA_KEY}")
    return want


def sync(notebook_dir: Path = NOTEBOOK_DIR, check: bool = False) -> list[str]:
    """Regenerate solution and given cells from the library (or, with `check`, only list the
    drifted ones)."""
    drifted = []
    for path in source_notebooks(notebook_dir):
        nb = nbformat.read(path, as_version=4)
        changed = False
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            where = f"{path.relative_to(notebook_dir)} cell {gid}"
            if GIVEN_KEY in cell.metadata:
                want = given_cell_source(cell, where)
            elif METADATA_KEY in cell.metadata:
                want = cell_source(cell.metadata[METADATA_KEY])
            else:
                continue
            if cell.source != want:
                drifted.append(where)
                cell.source = want
                changed = True
        if changed and not check:
            nbformat.write(nb, path)
    return drifted


def module_refs(notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, set[Ref]]:
    """For each module folder (e.g. `01_unicode`), the library objects its notebook teaches."""
    out: dict[str, set[Ref]] = {}
    for path in source_notebooks(notebook_dir):
        nb = nbformat.read(path, as_version=4)
        refs = {Ref.parse(r) for c in solution_cells(nb) for r in c.metadata[METADATA_KEY]}
        out[path.parent.name] = refs
    return out


_MARKED = re.compile(
    rf"^(?P<indent>[ \t]*){re.escape(BEGIN)}[^\n]*\n.*?^[ \t]*{re.escape(END)}[^\n]*$",
    re.MULTILINE | re.DOTALL,
)


def strip_regions(text: str, hints: dict[int, str]) -> str:
    """Replace each marked region starting at a line of `hints` by NotImplementedError(hint)."""

    def repl(m: re.Match) -> str:
        line = text.count("\n", 0, m.start()) + 1
        if line not in hints:
            return m.group(0)
        return f"{m.group('indent')}raise NotImplementedError({hints[line]!r})"

    return _MARKED.sub(repl, text)


def marked_region_lines(text: str) -> dict[int, tuple[int, int]]:
    """Start line of each marked region mapped to the (first, last) line of its enclosing object."""
    owners = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            owners.append((node.lineno, node.end_lineno))
    out = {}
    for m in _MARKED.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        inner = [o for o in owners if o[0] <= line <= o[1]]
        if not inner:
            raise ValueError(f"solution region at line {line} is outside any function or class")
        out[line] = max(inner)
    return out


def strip_library(dest: Path, module: str, notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """Copy course_lib to `dest`, removing every solution not taught before `module`; list them.

    Each removed body raises NotImplementedError naming the module whose notebook teaches it.
    """
    refs = module_refs(notebook_dir)
    if module not in refs:
        raise ValueError(f"unknown module {module!r}; known: {sorted(refs)}")
    teacher = {str(r): m for m, rs in refs.items() for r in rs}
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(LIB_DIR, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    removed = []
    for path in sorted(dest.rglob("*.py")):
        text = path.read_text()
        if BEGIN not in text:
            continue
        rel = path.relative_to(dest).with_suffix("")
        mod = ".".join(("course_lib", *rel.parts)).removesuffix(".__init__")
        tree = ast.parse(text)
        top = {
            (n.lineno, n.end_lineno): n.name
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        hints: dict[int, str] = {}
        for line in marked_region_lines(text):
            owner = next((name for (a, b), name in top.items() if a <= line <= b), None)
            taught_in = teacher.get(f"{mod}:{owner}")
            if taught_in is not None and taught_in < module:
                continue
            removed.append(f"{mod}:{owner}")
            hints[line] = (
                f"{mod}.{owner} is written in the notebook of {taught_in}"
                if taught_in
                else f"{mod}.{owner} is not part of this course's releases"
            )
        path.write_text(strip_regions(text, hints))
    return sorted(set(removed))
