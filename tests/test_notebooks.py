"""Source notebooks: structure nbgrader and papermill rely on, and a full headless run of each."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from workbook.modules import available_modules, source_notebooks

NOTEBOOKS = source_notebooks()


def test_every_module_folder_has_its_notebook() -> None:
    assert [p.parent.name for p in NOTEBOOKS] == available_modules()
    assert "01_unicode" in available_modules()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_notebook_structure(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged `parameters`"
    declared = {
        line.split("=")[0].strip()
        for line in params[0].source.splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert {"device", "seed", "output_dir", "data_dir"} <= declared
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs stored"
    grade_ids = [c.metadata.nbgrader.grade_id for c in nb.cells if "nbgrader" in c.metadata]
    assert len(grade_ids) == len(set(grade_ids)), "duplicated grade_id"
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta and meta["grade"] and not meta["solution"]:
            assert meta["locked"] and meta["points"] > 0, meta["grade_id"]
        if meta and meta["solution"] and cell.cell_type == "code":
            assert "course_lib" in cell.metadata, (
                f"{meta['grade_id']}: solution not from course_lib"
            )


# Modules whose test cells have been given a message on every assert (issue 12).
ASSERT_MESSAGE_MODULES = ["03_data", "04_model"]


@pytest.mark.parametrize("module", ASSERT_MESSAGE_MODULES)
def test_every_assert_of_a_test_cell_says_what_was_expected(module: str) -> None:
    (path,) = [p for p in NOTEBOOKS if p.parent.name == module]
    nb = nbformat.read(path, as_version=4)
    bare = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Assert) and node.msg is None:
                bare.append(f"{meta['grade_id']}, line {node.lineno}")
    assert not bare, f"asserts without a message for the student: {bare}"


@pytest.mark.slow
def test_every_notebook_runs_headless_with_the_embedded_profile(executed_run) -> None:
    run_dir, results = executed_run
    assert [r.module for r in results] == available_modules()
    failed = {r.module: r.error for r in results if r.status != "ok"}
    assert not failed, failed
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["profile"] == "embedded"
    executed = nbformat.read(run_dir / "01_unicode/01_unicode.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and str(run_dir / "01_unicode") in injected[0].source
    assert (run_dir / "01_unicode/figures/bytes_per_char.png").stat().st_size > 10_000
    metrics = json.loads((run_dir / "01_unicode/metrics.json").read_text())
    assert metrics["total_bytes"]["utf-8"] < metrics["total_bytes"]["utf-16-le"]
