"""Shared fixtures: the real data sets folder, a guard that CI never skips what it must run, and one
thread for tests of tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from course_lib.paths import SHARED_DATA_ENV, shared_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data (or $WORKBOOK_SHARED_DATA); skipped locally when absent, an error in CI."""
    path = shared_data_dir()
    if path is None:
        msg = f"real data sets not found: set {SHARED_DATA_ENV} or place them at ../shared/data"
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI must run these tests)")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def executed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """Every module notebook executed once with the `embedded` profile, as `workbook run` does.

    `$WORKBOOK_EXECUTED_RUN` names the folder of an earlier `workbook run` (its `summary.json`) to
    reuse instead, e.g. to run one module's slow tests: `workbook run 09 --run-dir DIR`, then
    `WORKBOOK_EXECUTED_RUN=DIR pytest -m slow -k 09`."""
    import json

    from workbook import runner
    from workbook.modules import available_modules

    reuse = os.environ.get("WORKBOOK_EXECUTED_RUN")
    if reuse:
        run_dir = Path(reuse)
        summary = json.loads((run_dir / "summary.json").read_text())
        return run_dir, [runner.ModuleResult(**r) for r in summary["modules"]]
    run_dir = tmp_path_factory.mktemp("run")
    # a cell that hangs fails the run after 30 minutes instead of stopping CI
    results = runner.run_modules(
        available_modules(), run_dir, "embedded", progress=False, cell_timeout=1800
    )
    return run_dir, results


@pytest.fixture
def one_thread():
    """Tiny shapes run fastest, and reproducibly, on one thread (`pytestmark = usefixtures`)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
