"""Where the course's pieces live and which modules exist: the one place that knows the layout."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LIB_DIR = REPO_ROOT / "course_lib"
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
COURSE_DIR = REPO_ROOT / "autograde"
TEMPLATE_DIR = REPO_ROOT / "reports" / "templates"
_NAME = re.compile(r"^\d\d_\w+$")
# trained-model folders a notebook writes next to itself and the student submits with it
SUBMITTED_FOLDERS = ("final_model", "leaderboard_model")


def source_notebooks(notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """Every module's notebook `NN_name/NN_name.ipynb` under `notebook_dir`, in module order."""
    return sorted(
        p
        for p in Path(notebook_dir).glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb")
        if p.stem == p.parent.name
    )


def available_modules(notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """Module folder names (`01_unicode`, ...) that hold a notebook of the same name, in order."""
    return [p.parent.name for p in source_notebooks(notebook_dir)]


def notebook_path(module: str, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """The notebook of a module folder: `<notebook_dir>/<module>/<module>.ipynb`."""
    return Path(notebook_dir) / module / f"{module}.ipynb"


def resolve_modules(wanted: list[str] | None, notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """Expand `all`, module numbers (`1`, `01`) or full names into module folder names."""
    known = available_modules(notebook_dir)
    if not wanted or wanted == ["all"]:
        return known
    out = []
    for w in wanted:
        matches = [m for m in known if m == w or m.split("_")[0] == w.zfill(2)]
        if not matches:
            raise ValueError(f"unknown module {w!r}; known: {', '.join(known)}")
        out.extend(m for m in matches if m not in out)
    return out


def module_of(notebook: Path) -> str:
    """The module a notebook belongs to, from its file name (`01_unicode.ipynb` → `01_unicode`)."""
    name = Path(notebook).stem
    if not _NAME.match(name):
        raise ValueError(f"cannot tell the module of {notebook}: expected a name like 01_unicode")
    return name
