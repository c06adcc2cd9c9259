"""Shared fixtures: the real data sets folder, and a guard that CI never skips what it must run."""

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
    """Every module notebook executed once with the `embedded` profile, as `workbook run` does."""
    from workbook import runner
    from workbook.modules import available_modules

    run_dir = tmp_path_factory.mktemp("run")
    results = runner.run_modules(available_modules(), run_dir, "embedded", progress=False)
    return run_dir, results
