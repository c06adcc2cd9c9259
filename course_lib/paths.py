"""Where things live: the repository, the shared real data sets, run folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA_ENV = "WORKBOOK_SHARED_DATA"
EMBEDDED_DIR = REPO_ROOT / "data" / "embedded"


def shared_data_dir() -> Path | None:
    """The folder of small real data sets (`$WORKBOOK_SHARED_DATA`, else `../shared/data`), or None."""
    env = os.environ.get(SHARED_DATA_ENV)
    candidates = [Path(env)] if env else [REPO_ROOT.parent / "shared" / "data"]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    return None


def ensure_embedded(out: Path = EMBEDDED_DIR, size_mb: float = 10.0, seed: int = 0) -> Path:
    """Build the embedded default data into `out` unless it is already there with this size and seed."""
    import json
    import shutil
    import tempfile

    from course_lib.data.embedded import GENERATOR_VERSION, build_embedded

    out = Path(out)
    manifest = out / "manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        if (m.get("seed"), m.get("size_mb"), m.get("version")) == (
            seed,
            size_mb,
            GENERATOR_VERSION,
        ):
            return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".embedded-", dir=out.parent))
    try:
        build_embedded(tmp, size_mb=size_mb, seed=seed)
        tmp.chmod(0o755)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)  # a half-built folder is never taken for the data
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def resolve_data_dir(data_dir: str | Path = "") -> Path:
    """The folder a notebook reads: `data_dir` if given, else the embedded default (built on first use)."""
    if data_dir:
        path = Path(data_dir).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"data_dir {path} does not exist")
        return path
    return ensure_embedded()
