"""One source for each solution: notebook cells equal course_lib, and releases strip what is taught."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch

from course_lib.paths import REPO_ROOT
from workbook import solutions
from workbook.modules import source_notebooks


def test_every_solution_cell_equals_its_library_source() -> None:
    assert solutions.sync(check=True) == []


def test_check_reports_a_drifted_cell(tmp_path: Path) -> None:
    nb_dir = tmp_path / "notebooks" / "01_unicode"
    nb_dir.mkdir(parents=True)
    nb = nbformat.read(REPO_ROOT / "notebooks/01_unicode/01_unicode.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "course_lib" in c.metadata)
    cell.source += "\n# an edit made only in the notebook"
    nbformat.write(nb, nb_dir / "01_unicode.ipynb")
    drifted = solutions.sync(tmp_path / "notebooks", check=True)
    assert len(drifted) == 1 and cell.metadata.nbgrader.grade_id in drifted[0]


def test_every_marked_library_region_belongs_to_a_notebook_or_is_stripped() -> None:
    refs = {r for rs in solutions.module_refs().values() for r in rs}
    for ref in refs:
        assert solutions.BEGIN in solutions.object_source(ref), f"{ref} has no solution markers"


def test_bad_reference_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="course_lib.module:name"):
        solutions.Ref.parse("unicode.utf8_encode")
    with pytest.raises(ValueError, match="not a top-level"):
        solutions.object_source(solutions.Ref.parse("course_lib.unicode:no_such_function"))


def test_strip_regions_keeps_indentation_and_unmarked_code() -> None:
    text = (
        "def f(x):\n"
        '    """Doc."""\n'
        "    ### BEGIN SOLUTION\n"
        "    return x + 1\n"
        "    ### END SOLUTION\n"
        "\n"
        "def g():\n"
        "    return 2\n"
    )
    out = solutions.strip_regions(text, {3: "later"})
    assert "return x + 1" not in out and "    raise NotImplementedError('later')" in out
    assert solutions.strip_regions(text, {}) == text, "a region without a hint is kept"
    assert "return 2" in out
    namespace: dict = {}
    exec(compile(out, "<stripped>", "exec"), namespace)
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_student_library_for_module_01_hides_module_01_answers(tmp_path: Path) -> None:
    dest = tmp_path / "course_lib"
    removed = solutions.strip_library(dest, "01_unicode")
    assert "course_lib.unicode:utf8_encode" in removed
    text = (dest / "unicode.py").read_text()
    assert "0xC0 | code_point >> 6" not in text and solutions.BEGIN not in text
    # The stripped copy imports and raises where the answer was; unmarked helpers still work.
    code = (
        "import course_lib.unicode as u, json\n"
        "try:\n    u.utf8_encode(65)\nexcept NotImplementedError:\n    ok = True\n"
        "print(json.dumps([ok, u.utf8_breakdown('a')[0]['bytes'], u.__file__]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    ok, hexbytes, origin = json.loads(out.stdout)
    assert ok and hexbytes == "61" and origin.startswith(str(tmp_path))


def test_a_stripped_answer_names_the_module_that_teaches_it(tmp_path: Path) -> None:
    solutions.strip_library(tmp_path / "course_lib", "01_unicode")
    code = (
        "from course_lib.training.losses import cross_entropy\n"
        "import torch\n"
        "try:\n    cross_entropy(torch.zeros(1, 2), torch.zeros(1, dtype=torch.long))\n"
        "except NotImplementedError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert "course_lib.training.losses.cross_entropy" in out.stdout
    assert "notebook of 05_training" in out.stdout, out.stdout


def test_earlier_modules_stay_solved_in_a_later_release(tmp_path: Path) -> None:
    nb_root = tmp_path / "notebooks"
    (nb_root / "01_unicode").mkdir(parents=True)
    (nb_root / "02_later").mkdir(parents=True)
    src = REPO_ROOT / "notebooks/01_unicode/01_unicode.ipynb"
    (nb_root / "01_unicode/01_unicode.ipynb").write_bytes(src.read_bytes())
    nbformat.write(nbformat.v4.new_notebook(), nb_root / "02_later/02_later.ipynb")
    solutions.strip_library(tmp_path / "lib", "02_later", nb_root)
    assert "0xC0 | code_point >> 6" in (tmp_path / "lib/unicode.py").read_text()
    with pytest.raises(ValueError, match="unknown module"):
        solutions.strip_library(tmp_path / "lib2", "99_nothing", nb_root)


def test_library_and_tooling_modules_import() -> None:
    for name in ("course_lib.unicode", "course_lib.widgets", "course_lib.training.flops"):
        importlib.import_module(name)
    for name in ("solutions", "reports", "grading", "runner", "cli", "heldout", "modules"):
        importlib.import_module(f"workbook.{name}")


def _copy_notebook(module: str, tmp_path: Path) -> tuple[nbformat.NotebookNode, Path]:
    """A module's source notebook under tmp_path/notebooks, read back for editing."""
    dest = tmp_path / "notebooks" / module / f"{module}.ipynb"
    dest.parent.mkdir(parents=True)
    dest.write_bytes((REPO_ROOT / "notebooks" / module / f"{module}.ipynb").read_bytes())
    return nbformat.read(dest, as_version=4), dest


def _given(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in solutions.given_cells(nb) if c.metadata.nbgrader.grade_id == grade_id)


def test_every_given_cell_equals_its_library_source() -> None:
    given = {}
    for path in source_notebooks():
        for cell in solutions.given_cells(nbformat.read(path, as_version=4)):
            refs = cell.metadata[solutions.GIVEN_KEY]
            sources = [solutions.object_source(solutions.Ref.parse(r)) for r in refs]
            assert cell.source == "\n\n\n".join(sources), cell.metadata.nbgrader.grade_id
            meta = cell.metadata.nbgrader
            assert meta.locked and not meta.solution and not meta.grade, meta.grade_id
            given.update(dict.fromkeys(refs, path.parent.name))
    # the library code modules 04 and 06 show and run on the student's own classes and functions
    assert given["course_lib.model.rope:RotaryEmbedding"] == "04_model"
    assert given["course_lib.model.layers:build_ffn"] == "04_model"
    assert given["course_lib.accounting.params:count_params"] == "06_accounting"
    assert given["course_lib.accounting.memory:norm_bytes"] == "06_accounting"
    assert given["course_lib.accounting.memory:activation_bytes"] == "06_accounting"
    assert given["course_lib.accounting.budget:plan_budget"] == "06_accounting"


def test_check_reports_a_drifted_given_cell(tmp_path: Path) -> None:
    nb, path = _copy_notebook("04_model", tmp_path)
    cell = _given(nb, "given_rope")
    cell.source = cell.source.replace("theta ** (-", "theta ** (+")  # a fix made only here
    nbformat.write(nb, path)
    assert solutions.sync(tmp_path / "notebooks", check=True) == [
        "04_model/04_model.ipynb cell given_rope"
    ]
    assert solutions.sync(tmp_path / "notebooks") == ["04_model/04_model.ipynb cell given_rope"]
    assert solutions.sync(tmp_path / "notebooks", check=True) == []
    assert "theta ** (-" in _given(nbformat.read(path, as_version=4), "given_rope").source


def test_a_given_cell_is_locked_and_shows_no_answer(tmp_path: Path) -> None:
    nb, path = _copy_notebook("04_model", tmp_path)
    cell = _given(nb, "given_variants")
    cell.metadata[solutions.GIVEN_KEY] = ["course_lib.model.layers:SwiGLU"]  # a marked answer
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="solution region"):
        solutions.sync(tmp_path / "notebooks", check=True)
    cell.metadata[solutions.GIVEN_KEY] = ["course_lib.model.layers:GELUMLP"]
    cell.metadata.nbgrader.locked = False
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="locked: true"):
        solutions.sync(tmp_path / "notebooks", check=True)


def test_given_code_builds_on_the_notebooks_own_definitions() -> None:
    nb = nbformat.read(REPO_ROOT / "notebooks/04_model/04_model.ipynb", as_version=4)

    class StudentRMSNorm(torch.nn.Module):
        def __init__(self, d_model: int, eps: float) -> None:
            super().__init__()

    namespace = {"nn": torch.nn, "Tensor": torch.Tensor, "RMSNorm": StudentRMSNorm}
    exec(compile(_given(nb, "given_variants").source, "<given_variants>", "exec"), namespace)
    assert isinstance(namespace["build_norm"]("rms", 8), StudentRMSNorm)


def test_no_notebook_runs_library_source_by_hand() -> None:
    for path in source_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            for call in ("inspect.getsource", "exec("):
                assert call not in cell.source, f"{path.parent.name}: {call} in a cell"
