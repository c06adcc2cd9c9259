"""`workbook check-tests`: the variants files, the verdicts, and every module's tests against them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml

from workbook import check_tests
from workbook.check_tests import Variant, VariantResult, load_variants, visible_source
from workbook.modules import REPO_ROOT, available_modules, notebook_path

CHECKED = [m for m in available_modules() if check_tests.variants_path(m).is_file()]
DOUBLE = "def double(x):\n    return 2 * x\n"


def _variant(vid: str, source: str = DOUBLE, description: str = "a variant") -> dict:
    return {"id": vid, "description": description, "source": source}


def _entry(bugs: int = 5, alternatives: int = 2) -> dict:
    return {
        "bugs": [
            _variant(f"bug_{i}", f"def double(x):\n    return {i} * x\n") for i in range(bugs)
        ],
        "alternatives": [
            _variant(f"alt_{i}", "def double(x):\n    return x + x\n") for i in range(alternatives)
        ],
    }


def _module(root: Path, test_source: str, entry: dict | None) -> Path:
    """A one-exercise module `01_tiny` under root/notebooks: `double(x)` and its test cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell('output_dir = "outputs"\nseed = 0')
    params.metadata["tags"] = ["parameters"]
    solution = nbformat.v4.new_code_cell(DOUBLE)
    solution.metadata["nbgrader"] = {
        "grade_id": "double",
        "grade": False,
        "solution": True,
        "locked": False,
        "schema_version": 3,
    }
    test = nbformat.v4.new_code_cell(test_source)
    test.metadata["nbgrader"] = {
        "grade_id": "test_double",
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 1,
        "schema_version": 3,
    }
    nb.cells = [params, solution, test]
    folder = root / "notebooks" / "01_tiny"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "01_tiny.ipynb")
    if entry is not None:
        text = yaml.safe_dump({"exercises": {"double": entry}}, sort_keys=False)
        (folder / "variants.yaml").write_text(text)
    return root / "notebooks"


TEST = """\
assert double(2) == 4, f"double(2) should be 4, got {double(2)}"
### BEGIN HIDDEN TESTS
for _x in range(-5, 5):
    assert double(_x) == 2 * _x, f"double({_x}) should be {2 * _x}"
### END HIDDEN TESTS
"""


def _load(tmp_path: Path, entry: dict | str) -> dict:
    nbs = _module(tmp_path, TEST, None)
    path = nbs / "01_tiny" / "variants.yaml"
    path.write_text(entry if isinstance(entry, str) else yaml.safe_dump({"exercises": entry}))
    return load_variants(path, nbformat.read(nbs / "01_tiny/01_tiny.ipynb", as_version=4))


def test_visible_source_drops_the_hidden_block() -> None:
    visible = visible_source(TEST)
    assert "double(2) == 4" in visible and "range(-5, 5)" not in visible
    assert "HIDDEN" not in visible


def test_a_good_file_loads_with_the_tests_after_the_solution_cell(tmp_path: Path) -> None:
    exercises = _load(tmp_path, {"double": _entry()})
    ex = exercises["double"]
    assert ex.tests == ["test_double"] and ex.names == ["double"]
    assert [v.kind for v in ex.variants] == ["bug"] * 5 + ["alternative"] * 2


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ("exercises: [unclosed", "not valid YAML"),
        ({"doubel": _entry()}, "no solution cell has this grade_id.*double"),
        ({"double": {**_entry(), "notes": "x"}}, "expected the keys"),
        ({"double": {**_entry(), "tests": ["test_dubble"]}}, "not a graded test cell"),
        ({"double": _entry(bugs=4)}, "4 bug.*at least 5"),
        ({"double": _entry(alternatives=1)}, "1 alternative.*at least"),
        ({"double": {**_entry(), "bugs": [_variant("Bad Id")] * 5}}, "lower-case slug"),
        ({"double": {**_entry(), "bugs": [_variant("same")] * 5}}, "ids used twice"),
        (
            {"double": {**_entry(), "bugs": [_variant("b", description="two\nlines")] * 5}},
            "one line",
        ),
        ({"double": {**_entry(), "bugs": [_variant("b", "def double(x):\n  return (")]}}, "parse"),
        ({"double": {**_entry(), "bugs": [_variant("b", "def triple(x): ...")]}}, "define double"),
        ({"double": {**_entry(), "bugs": [{"id": "b", "source": DOUBLE}]}}, "expected the keys"),
    ],
)
def test_a_bad_file_is_a_clear_error(tmp_path: Path, entry: dict | str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        _load(tmp_path, entry)


def test_a_missing_file_names_where_it_belongs(tmp_path: Path) -> None:
    nbs = _module(tmp_path, TEST, None)
    with pytest.raises(FileNotFoundError, match="variants.yaml"):
        check_tests.check_module("01_tiny", notebook_dir=nbs)
    proc = subprocess.run(
        [sys.executable, "-m", "workbook", "check-tests", "02"], capture_output=True, text=True
    )
    if not check_tests.variants_path("02_tokenizers").is_file():
        assert proc.returncode == 2 and "no variants file" in proc.stderr, proc.stderr


def test_verdicts_and_problems() -> None:
    bug, alt = Variant("bug", "b", "d", DOUBLE), Variant("alternative", "a", "d", DOUBLE)
    assert VariantResult(bug, {"t1": "pass", "t2": "visible"}, {}).verdict() == (
        "caught by visible t2"
    )
    hidden = VariantResult(bug, {"t1": "hidden"}, {})
    assert hidden.verdict().startswith("caught only by hidden") and not hidden.problem
    assert VariantResult(bug, {"t1": "pass"}, {}).problem
    assert not VariantResult(alt, {"t1": "pass"}, {}).problem
    rejected = VariantResult(alt, {"t1": "hidden"}, {})
    assert rejected.problem and "t1 (hidden)" in rejected.verdict()
    assert VariantResult(bug, {"t1": "broken"}, {"cell": "NameError"}).problem


def test_every_checked_module_covers_every_solution_cell() -> None:
    assert "01_unicode" in CHECKED, CHECKED
    for module in CHECKED:
        nb = nbformat.read(notebook_path(module), as_version=4)
        exercises = load_variants(check_tests.variants_path(module), nb)
        assert set(exercises) == set(check_tests.solution_cells(nb)), module


@pytest.mark.slow
def test_the_runner_tells_visible_hidden_uncaught_timeouts_and_dead_kernels(tmp_path: Path) -> None:
    entry = {
        "bugs": [
            _variant("visible", "def double(x):\n    return 3 * x\n"),
            _variant("hidden", "def double(x):\n    return 4 if x == 2 else 3 * x\n"),
            _variant("uncaught", "def double(x):\n    return x * 2.0\n"),
            _variant("loops", "def double(x):\n    while True:\n        pass\n"),
            _variant("dies", "def double(x):\n    import os\n\n    os._exit(1)\n"),
            _variant("breaks", "def double(x):\n    return 2 * x\n\n\nraise RuntimeError('x')\n"),
        ],
        "alternatives": [
            _variant("sum", "def double(x):\n    return x + x\n"),
            _variant("wrong", "def double(x):\n    return 4 if x == 2 else 0\n"),
        ],
    }
    nbs = _module(tmp_path, TEST, entry)
    report = check_tests.check_module("01_tiny", timeout=5, notebook_dir=nbs)
    got = {r.variant.id: r.per_test["test_double"] for r in report.results["double"]}
    assert got == {
        "visible": "visible",
        "hidden": "hidden",
        "uncaught": "pass",
        "loops": "visible",
        "dies": "visible",
        "breaks": "broken",
        "sum": "pass",
        "wrong": "hidden",
    }, got
    errors = {r.variant.id: r.errors for r in report.results["double"]}
    assert errors["loops"]["test_double"] == "timeout", errors
    assert errors["dies"]["test_double"] == "dead kernel", errors
    problems = "\n".join(report.problems())
    assert "double/uncaught" in problems and "double/wrong" in problems
    assert "double/breaks" in problems and "double/visible" not in problems
    assert "NOT CAUGHT" in report.table() and "1 not caught" in report.table()


@pytest.mark.slow
@pytest.mark.parametrize("module", CHECKED)
def test_every_bug_is_caught_and_every_alternative_accepted(module: str) -> None:
    report = check_tests.check_module(module)
    assert not report.problems(), report.table() + "\n" + "\n".join(report.problems())
    print(textwrap.indent(report.table(), "  "))


def test_the_readme_and_contributing_name_the_command() -> None:
    assert "workbook check-tests" in (REPO_ROOT / "README.md").read_text()
    assert "variants.yaml" in (REPO_ROOT / "CONTRIBUTING.md").read_text()
