"""Where things live: the repository, the shared real data sets, run folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA_ENV = "WORKBOOK_SHARED_DATA"


def shared_data_dir() -> Path | None:
    """The folder of small real data sets (`$WORKBOOK_SHARED_DATA`, else `../shared/data`), or None."""
    env = os.environ.get(SHARED_DATA_ENV)
    candidates = [Path(env)] if env else [REPO_ROOT.parent / "shared" / "data"]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    return None
