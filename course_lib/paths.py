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
    """Build the embedded default data into `out` unless it is already there with this size and seed.

    A folder is only ever replaced when it is empty or a previous build (its `manifest.json` was
    written by the generator and names every other file in it); anything else is a FileExistsError,
    so pointing `out` at a folder of your own never deletes it.
    """
    import json
    import shutil
    import tempfile

    from course_lib.data.embedded import GENERATOR_VERSION, build_embedded

    out = Path(out)
    manifest = out / "manifest.json"
    if manifest.is_file():
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            m = {}  # a damaged manifest: check_replaceable_build decides
        if isinstance(m, dict) and (m.get("seed"), m.get("size_mb"), m.get("version")) == (
            seed,
            size_mb,
            GENERATOR_VERSION,
        ):
            return out
    check_replaceable_build(out)
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


def check_replaceable_build(out: Path, generator: str = "course_lib.data.embedded") -> None:
    """Raise a FileExistsError unless `out` is missing, empty, or a build by `generator` whose
    manifest names every other file in it (a folder the tooling owns and may replace)."""
    import json

    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise FileExistsError(f"{out} is a file, not a data folder: refusing to replace it")
    present = sorted(p.name for p in out.iterdir())
    if not present:
        return
    why = "it has no manifest.json"
    manifest = out / "manifest.json"
    if manifest.is_file():
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            m = None
        if not isinstance(m, dict) or m.get("generator") != generator:
            why = f"its manifest.json was not written by {generator}"
        else:
            foreign = [n for n in present if n != "manifest.json" and n not in m.get("files", {})]
            if not foreign:
                return
            why = f"it holds files the build did not make: {foreign[:5]}"
    raise FileExistsError(
        f"{out} is not an embedded data build ({why}): refusing to replace it; choose an empty "
        "or new folder for the data"
    )


def resolve_data_dir(data_dir: str | Path = "") -> Path:
    """The folder a notebook reads: `data_dir` if given, else the embedded default (built on first use)."""
    if data_dir:
        path = Path(data_dir).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"data_dir {path} does not exist")
        return path
    return ensure_embedded()
