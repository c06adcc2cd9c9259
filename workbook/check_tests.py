"""Check a module's graded tests against plausible student bugs and correct alternative solutions.

Each module may keep a `variants.yaml` next to its notebook: per solution cell (by its nbgrader
`grade_id`), `bugs` that a fair test must reject and `alternatives` (correct solutions written
differently) that it must accept, each the whole replacement source of that cell:

    exercises:
      utf8_encode:
        tests: [test_utf8_encode]       # optional: the graded cells that test it
        bugs:
          - id: two_byte_limit
            description: one line saying what the student got wrong
            source: |
              def utf8_encode(code_point: int) -> bytes:
                  ...
        alternatives:
          - id: ...

`check_module` runs the source notebook (the answer key) once in a real Jupyter kernel with the
`ci` profile's parameters, up to the last test cell it needs; then, for each variant, it executes
the variant in place of the solution cell, runs each test cell first without its hidden tests (what
a student sees) and then whole (what the grader runs), and executes the answer's cell again before
the next variant. A cell that runs past its time limit or kills the kernel costs a fresh kernel and
a replay of the notebook. A bug that passes every test, or an alternative that fails one, is a
problem: `workbook check-tests NN` prints the tables and exits 1.
"""

from __future__ import annotations

import ast
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from course_lib.checks import check_int, suggest
from workbook.grading import visible_source
from workbook.modules import NOTEBOOK_DIR, notebook_path

VARIANTS_FILE = "variants.yaml"
MIN_BUGS = 5
MIN_ALTERNATIVES = 2
_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_EXERCISE_KEYS = {"tests", "bugs", "alternatives"}
_VARIANT_KEYS = {"id", "description", "source"}


@dataclass(frozen=True)
class Variant:
    """One replacement of a solution cell: a bug the tests must catch or an answer they must take."""

    kind: str  # "bug" or "alternative"
    id: str
    description: str
    source: str


@dataclass
class Exercise:
    """A solution cell, the graded cells that test it and its variants."""

    grade_id: str
    cell_index: int
    answer: str
    names: list[str]
    tests: list[str]
    variants: list[Variant] = field(default_factory=list)


@dataclass
class TestCell:
    """A graded test cell: its whole source and the part students see (hidden tests removed)."""

    grade_id: str
    index: int
    source: str
    visible: str

    @property
    def has_hidden(self) -> bool:
        return self.visible.strip() != self.source.strip()


@dataclass
class Outcome:
    """How one cell ran: ok, or failed with the error's last line ('timeout', 'dead kernel')."""

    ok: bool
    error: str = ""


@dataclass
class VariantResult:
    """A variant's result per test cell: 'pass', 'visible' (its visible part fails), 'hidden' (only
    the whole cell fails) or 'broken' (the variant cell itself raised), with the errors seen."""

    variant: Variant
    per_test: dict[str, str]
    errors: dict[str, str]

    def verdict(self) -> str:
        """One phrase for the report."""
        if "broken" in self.per_test.values():
            return f"variant cell raised: {self.errors.get('cell', '')}"
        visible = [t for t, r in self.per_test.items() if r == "visible"]
        hidden = [t for t, r in self.per_test.items() if r == "hidden"]
        if self.variant.kind == "alternative":
            if not visible and not hidden:
                return "accepted"
            parts = [f"{t} (visible)" for t in visible] + [f"{t} (hidden)" for t in hidden]
            return "REJECTED by " + ", ".join(parts)
        if visible:
            return "caught by visible " + ", ".join(visible)
        if hidden:
            return "caught only by hidden tests of " + ", ".join(hidden)
        return "NOT CAUGHT"

    @property
    def problem(self) -> bool:
        """A bug no test catches, an alternative a test rejects, or a variant that does not run."""
        if "broken" in self.per_test.values():
            return True
        failed = any(r != "pass" for r in self.per_test.values())
        return failed if self.variant.kind == "alternative" else not failed


# ---------------------------------------------------------------- the notebook and the variants


def _nbgrader(cell: nbformat.NotebookNode) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_cells(nb: nbformat.NotebookNode) -> dict[str, int]:
    """grade_id → index of every code solution cell."""
    return {
        _nbgrader(c)["grade_id"]: i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and _nbgrader(c).get("solution")
    }


def test_cells(nb: nbformat.NotebookNode) -> dict[str, TestCell]:
    """grade_id → every graded (autograded) code cell."""
    return {
        _nbgrader(c)["grade_id"]: TestCell(
            _nbgrader(c)["grade_id"], i, c.source, visible_source(c.source)
        )
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and _nbgrader(c).get("grade") and not _nbgrader(c).get("solution")
    }


def default_tests(nb: nbformat.NotebookNode, grade_id: str) -> list[str]:
    """The graded cells between a solution cell and the next solution cell."""
    solutions = sorted(solution_cells(nb).values())
    start = solution_cells(nb)[grade_id]
    end = next((i for i in solutions if i > start), len(nb.cells))
    return [t.grade_id for t in test_cells(nb).values() if start < t.index < end]


def _names(cell: nbformat.NotebookNode) -> list[str]:
    """The names a solution cell defines: its course_lib objects (else its top-level defs)."""
    refs = cell.get("metadata", {}).get("course_lib") or []
    if refs:
        return [ref.partition(":")[2] for ref in refs]
    tree = ast.parse(cell.source)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]


def _defined(source: str) -> set[str]:
    tree = ast.parse(source)
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _where(path: Path, *keys: Any) -> str:
    return f"{path}: " + "".join(f"[{k!r}]" if isinstance(k, int) else f".{k}" for k in keys)


def load_variants(
    path: Path, nb: nbformat.NotebookNode, require_all: bool = True
) -> dict[str, Exercise]:
    """Read and check a variants file against its notebook; grade_id → Exercise.

    Every problem is a ValueError naming the file and the entry: an unknown exercise or test cell,
    a missing or extra key, an id that is not a lower-case slug or is used twice, a description
    that is not one line, a source that does not parse or does not define the cell's names, and
    (with `require_all`) a solution cell without an entry or with fewer than MIN_BUGS bugs or
    MIN_ALTERNATIVES alternatives.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no variants file at {path}: see CONTRIBUTING.md (check-tests)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ValueError(f"{path} is not valid YAML: {err}") from None
    if not isinstance(data, dict) or set(data) != {"exercises"}:
        got = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"{path}: expected a mapping with the one key 'exercises', got {got}")
    entries = data["exercises"]
    if not isinstance(entries, dict) or not entries:
        raise ValueError(f"{path}: 'exercises' must map solution cells' grade_ids to entries")
    cells = solution_cells(nb)
    tests = test_cells(nb)
    exercises: dict[str, Exercise] = {}
    for grade_id, entry in entries.items():
        if grade_id not in cells:
            raise ValueError(
                f"{_where(path, 'exercises', grade_id)}: no solution cell has this grade_id"
                f"{suggest(str(grade_id), cells)}; solution cells: {', '.join(cells)}"
            )
        if not isinstance(entry, dict) or not entry.keys() <= _EXERCISE_KEYS:
            extra = sorted(set(entry) - _EXERCISE_KEYS) if isinstance(entry, dict) else entry
            raise ValueError(
                f"{_where(path, 'exercises', grade_id)}: expected the keys "
                f"{sorted(_EXERCISE_KEYS)}, got {extra!r}"
            )
        cell = nb.cells[cells[grade_id]]
        names = _names(cell)
        own_tests = entry.get("tests", default_tests(nb, grade_id))
        if not isinstance(own_tests, list) or not own_tests:
            raise ValueError(
                f"{_where(path, 'exercises', grade_id, 'tests')}: expected a non-empty list of "
                "test cells' grade_ids"
            )
        for test in own_tests:
            if test not in tests:
                raise ValueError(
                    f"{_where(path, 'exercises', grade_id, 'tests')}: {test!r} is not a graded "
                    f"test cell{suggest(str(test), tests)}"
                )
            if tests[test].index < cells[grade_id]:
                raise ValueError(
                    f"{_where(path, 'exercises', grade_id, 'tests')}: {test!r} comes before the "
                    "solution cell it would test"
                )
        exercise = Exercise(grade_id, cells[grade_id], cell.source, names, list(own_tests))
        for kind, key in (("bug", "bugs"), ("alternative", "alternatives")):
            items = entry.get(key) or []
            if not isinstance(items, list):
                raise ValueError(f"{_where(path, 'exercises', grade_id, key)}: expected a list")
            for n, item in enumerate(items):
                exercise.variants.append(
                    _variant(path, ("exercises", grade_id, key, n), kind, item, names)
                )
        ids = [v.id for v in exercise.variants]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"{_where(path, 'exercises', grade_id)}: ids used twice: {twice}")
        exercises[grade_id] = exercise
    if require_all:
        missing = [g for g in cells if g not in exercises]
        if missing:
            raise ValueError(f"{path}: no variants for the solution cell(s) {', '.join(missing)}")
        for ex in exercises.values():
            n_bugs = sum(v.kind == "bug" for v in ex.variants)
            n_alts = len(ex.variants) - n_bugs
            if n_bugs < MIN_BUGS or n_alts < MIN_ALTERNATIVES:
                raise ValueError(
                    f"{_where(path, 'exercises', ex.grade_id)}: {n_bugs} bug(s) and {n_alts} "
                    f"alternative(s); every exercise needs at least {MIN_BUGS} and "
                    f"{MIN_ALTERNATIVES}"
                )
    return exercises


def _variant(path: Path, keys: tuple, kind: str, item: Any, names: list[str]) -> Variant:
    """Check one bug or alternative entry."""
    where = _where(path, *keys)
    if not isinstance(item, dict) or set(item) != _VARIANT_KEYS:
        got = sorted(item) if isinstance(item, dict) else type(item).__name__
        raise ValueError(f"{where}: expected the keys {sorted(_VARIANT_KEYS)}, got {got}")
    vid, description, source = item["id"], item["description"], item["source"]
    if not isinstance(vid, str) or not _ID.match(vid):
        raise ValueError(
            f"{where}.id: expected a lower-case slug such as 'off_by_one', got {vid!r}"
        )
    if not isinstance(description, str) or not description.strip() or "\n" in description.strip():
        raise ValueError(f"{where}.description ({vid}): expected one line of text")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"{where}.source ({vid}): expected the cell's code as a block scalar")
    try:
        defined = _defined(source)
    except SyntaxError as err:
        raise ValueError(
            f"{where}.source ({vid}) does not parse: line {err.lineno}: {err.msg}"
        ) from None
    missing = [n for n in names if n not in defined]
    if missing:
        raise ValueError(
            f"{where}.source ({vid}) does not define {', '.join(missing)}: a variant replaces "
            "the whole solution cell"
        )
    return Variant(kind, vid, description.strip(), source.rstrip() + "\n")


# ---------------------------------------------------------------- running cells in a kernel


class Kernel:
    """A Jupyter kernel (python3, via nbclient as papermill and nbgrader use) that runs sources."""

    def __init__(self, cwd: Path, timeout: int) -> None:
        self.cwd, self.timeout = cwd, timeout
        self.client: Any = None

    def start(self) -> None:
        """Start a fresh kernel in cwd."""
        from nbclient import NotebookClient

        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        self.client = NotebookClient(
            self.nb,
            timeout=self.timeout,
            kernel_name="python3",
            allow_errors=True,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(self.cwd)}},
            extra_arguments=["--InteractiveShell.xmode=Plain"],
        )
        self.client.km = self.client.create_kernel_manager()
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()

    def stop(self) -> None:
        """Shut the kernel down."""
        if self.client is not None and self.client.km is not None:
            self.client._cleanup_kernel()  # nbclient's own shutdown, as its context manager does
        self.client = None

    def run(self, source: str, timeout: int | None = None) -> Outcome:
        """Execute source as one cell; failed when it raises or writes to stderr (as nbgrader
        scores a test cell), runs past the time limit or kills the kernel."""
        from nbclient.exceptions import CellTimeoutError, DeadKernelError

        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells = [cell]
        old = self.client.timeout
        self.client.timeout = timeout or self.timeout
        try:
            self.client.execute_cell(cell, 0)
        except CellTimeoutError:
            return Outcome(False, "timeout")
        except DeadKernelError:
            return Outcome(False, "dead kernel")
        finally:
            self.client.timeout = old
        for out in cell.outputs:
            if out.output_type == "error":
                return Outcome(False, f"{out.ename}: {out.evalue}".strip().splitlines()[0][:200])
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                text = out.text.strip().splitlines()
                return Outcome(False, f"stderr: {text[-1] if text else ''}"[:200])
        return Outcome(True)


def _prepared(module: str, notebook_dir: Path, profile: str, output_dir: Path):
    """The source notebook with the profile's parameters set, as `workbook run` would pass them."""
    from workbook import runner

    src = notebook_path(module, notebook_dir)
    params = runner.parameters_for(module, src, runner.load_profile(profile), {})
    declared = runner.parameter_defaults(src)
    if "output_dir" in declared:
        params["output_dir"] = str(output_dir)
    nb = nbformat.read(src, as_version=4)
    return runner.set_parameters(nb, params) if params else nb


class Runner:
    """One kernel holding the answer key's state up to a cell, replayed when it must restart."""

    def __init__(self, nb: nbformat.NotebookNode, upto: int, cwd: Path, timeout: int) -> None:
        self.nb, self.upto = nb, upto
        self.kernel = Kernel(cwd, timeout)

    def replay(self) -> None:
        """A fresh kernel with every code cell up to and including `upto` executed once, but the
        graded test cells."""
        self.kernel.stop()
        self.kernel.start()
        for i, cell in enumerate(self.nb.cells[: self.upto + 1]):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            if _nbgrader(cell).get("grade") and not _nbgrader(cell).get("solution"):
                continue  # test cells run where they are needed, with the answer key checked first
            outcome = self.kernel.run(cell.source, timeout=max(self.kernel.timeout, 600))
            if not outcome.ok and not outcome.error.startswith("stderr"):
                grade_id = _nbgrader(cell).get("grade_id", "")
                raise RuntimeError(
                    f"the answer key fails in cell {i} {grade_id}: {outcome.error}".rstrip()
                )

    def run(self, source: str) -> Outcome:
        """Run a cell; after a timeout or a dead kernel, restart and replay before returning."""
        outcome = self.kernel.run(source)
        if outcome.error in ("timeout", "dead kernel"):
            self.replay()
        return outcome


def _check_answer(runner: Runner, exercise: Exercise, tests: dict[str, TestCell]) -> None:
    """Raise unless the answer key, run again now, passes every test cell of the exercise."""
    runner.run(exercise.answer)
    for name in exercise.tests:
        outcome = runner.run(tests[name].source)
        if not outcome.ok:
            raise RuntimeError(
                f"{exercise.grade_id}: the answer key fails {name} when re-run after the "
                f"notebook ({outcome.error}); a test that depends on later cells or a variant "
                "that changes shared state cannot be checked this way"
            )


def run_variant(
    runner: Runner, exercise: Exercise, variant: Variant, tests: dict[str, TestCell]
) -> VariantResult:
    """Swap in a variant, run the exercise's tests (visible part, then whole), restore the answer."""
    per_test: dict[str, str] = {}
    errors: dict[str, str] = {}

    def run(source: str) -> Outcome:
        """Run a test; after a restart (the answer key's state again), load the variant anew."""
        outcome = runner.run(source)
        if outcome.error in ("timeout", "dead kernel"):
            runner.run(variant.source)
        return outcome

    loaded = runner.run(variant.source)
    if not loaded.ok:
        per_test = {name: "broken" for name in exercise.tests}
        errors["cell"] = loaded.error
    else:
        for name in exercise.tests:
            test = tests[name]
            first = test.visible if variant.kind == "bug" else test.source
            outcome = run(first)
            if variant.kind == "bug":
                if not outcome.ok:
                    per_test[name], errors[name] = "visible", outcome.error
                elif test.has_hidden and not (outcome := run(test.source)).ok:
                    per_test[name], errors[name] = "hidden", outcome.error
                else:
                    per_test[name] = "pass"
            elif outcome.ok:
                per_test[name] = "pass"
            else:
                errors[name] = outcome.error
                seen = run(test.visible) if test.has_hidden else outcome
                per_test[name] = "hidden" if seen.ok else "visible"
    restored = runner.run(exercise.answer)
    if not restored.ok:
        runner.replay()
    return VariantResult(variant, per_test, errors)


def _run_group(
    module: str,
    notebook_dir: Path,
    profile: str,
    exercises: list[Exercise],
    timeout: int,
    progress: bool,
) -> list[tuple[str, list[VariantResult]]]:
    """Run the variants of some exercises in one kernel (one worker of `--jobs`)."""
    with tempfile.TemporaryDirectory(prefix="workbook-check-tests-") as tmp:
        cwd = Path(tmp)
        nb = _prepared(module, notebook_dir, profile, cwd / "outputs")
        tests = test_cells(nb)
        upto = max(tests[t].index for ex in exercises for t in ex.tests)
        runner = Runner(nb, upto, cwd, timeout)
        try:
            runner.replay()
            done = []
            for ex in exercises:
                _check_answer(runner, ex, tests)
                results = []
                for variant in ex.variants:
                    result = run_variant(runner, ex, variant, tests)
                    if progress:
                        print(f"  {ex.grade_id}/{variant.id}: {result.verdict()}", flush=True)
                    results.append(result)
                _check_answer(runner, ex, tests)
                done.append((ex.grade_id, results))
            return done
        finally:
            runner.kernel.stop()


# ---------------------------------------------------------------- the module's report


@dataclass
class ModuleReport:
    """Every exercise's variant results for one module."""

    module: str
    exercises: dict[str, Exercise]
    results: dict[str, list[VariantResult]]

    def problems(self) -> list[str]:
        """One line per bug not caught, alternative rejected or variant that did not run."""
        return [
            f"{self.module} {grade_id}/{r.variant.id} ({r.variant.kind}): {r.verdict()}"
            for grade_id, rows in self.results.items()
            for r in rows
            if r.problem
        ]

    def hidden_only(self) -> list[str]:
        """Bugs that only hidden tests catch: a student gets no warning before submitting."""
        return [
            f"{self.module} {grade_id}/{r.variant.id}: {r.variant.description}"
            for grade_id, rows in self.results.items()
            for r in rows
            if r.variant.kind == "bug" and r.verdict().startswith("caught only")
        ]

    def table(self) -> str:
        """A plain-text table per exercise: each variant's result in each test cell, and verdict."""
        mark = {"pass": "pass", "visible": "VISIBLE", "hidden": "hidden", "broken": "broken"}
        out = []
        for grade_id, rows in self.results.items():
            tests = self.exercises[grade_id].tests
            width = max([len(r.variant.id) for r in rows] + [7])
            out.append(f"{self.module} · {grade_id}")
            head = f"  {'kind':<5} {width and 'variant':<{width}} "
            head += " ".join(f"{t:<{max(len(t), 7)}}" for t in tests) + "  verdict"
            out.append(head)
            for r in rows:
                cells = " ".join(f"{mark[r.per_test[t]]:<{max(len(t), 7)}}" for t in tests)
                kind = "bug" if r.variant.kind == "bug" else "alt"
                out.append(f"  {kind:<5} {r.variant.id:<{width}} {cells}  {r.verdict()}")
            out.append("")
        bugs = [r for rows in self.results.values() for r in rows if r.variant.kind == "bug"]
        alts = [r for rows in self.results.values() for r in rows if r.variant.kind != "bug"]
        verdicts = [r.verdict() for r in bugs]
        out.append(
            f"{self.module}: {len(bugs)} bugs: "
            f"{sum(v.startswith('caught by visible') for v in verdicts)} caught by visible tests, "
            f"{sum(v.startswith('caught only') for v in verdicts)} only by hidden tests, "
            f"{sum(v == 'NOT CAUGHT' for v in verdicts)} not caught; {len(alts)} alternatives: "
            f"{sum(r.verdict() == 'accepted' for r in alts)} accepted"
        )
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        """The results as plain data (for `--json`)."""
        return {
            "module": self.module,
            "exercises": {
                grade_id: [
                    {
                        "id": r.variant.id,
                        "kind": r.variant.kind,
                        "description": r.variant.description,
                        "tests": r.per_test,
                        "errors": r.errors,
                        "verdict": r.verdict(),
                        "problem": r.problem,
                    }
                    for r in rows
                ]
                for grade_id, rows in self.results.items()
            },
        }


def variants_path(module: str, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """Where a module's variants file lives: next to its notebook."""
    return notebook_path(module, notebook_dir).parent / VARIANTS_FILE


def check_module(
    module: str,
    only: Iterable[str] | None = None,
    jobs: int = 1,
    timeout: int = 120,
    profile: str = "ci",
    notebook_dir: Path = NOTEBOOK_DIR,
    progress: bool = False,
) -> ModuleReport:
    """Run every variant (or those of the exercises in `only`) of a module against its tests."""
    from concurrent.futures import ProcessPoolExecutor

    check_int("jobs", jobs, minimum=1)
    check_int("timeout", timeout, minimum=1)
    nb = nbformat.read(notebook_path(module, notebook_dir), as_version=4)
    exercises = load_variants(variants_path(module, notebook_dir), nb)
    chosen = list(exercises)
    if only:
        only = list(only)
        for grade_id in only:
            if grade_id not in exercises:
                raise ValueError(
                    f"--exercise {grade_id}: not a solution cell of {module}"
                    f"{suggest(grade_id, exercises)}; known: {', '.join(exercises)}"
                )
        chosen = [g for g in chosen if g in only]
    groups = [chosen[i::jobs] for i in range(min(jobs, len(chosen)))]
    args = [
        (module, notebook_dir, profile, [exercises[g] for g in group], timeout, progress)
        for group in groups
    ]
    if len(groups) == 1:
        done = _run_group(*args[0])
    else:
        with ProcessPoolExecutor(len(groups)) as pool:
            done = [pair for part in pool.map(_run_group, *zip(*args)) for pair in part]
    results = dict(done)
    return ModuleReport(module, exercises, {g: results[g] for g in chosen})
