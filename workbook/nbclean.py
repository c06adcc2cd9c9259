"""Strip outputs and execution counts from source notebooks (the pre-commit hook and `make`)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def clean(path: Path) -> bool:
    """Remove outputs, execution counts and run-time metadata; return True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count = [], None
            changed = True
        for key in ("execution", "papermill", "collapsed", "scrolled"):
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    for key in ("papermill", "widgets"):
        if key in nb.metadata:
            del nb.metadata[key]
            changed = True
    if changed:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """Clean each notebook named; exit 1 if any changed (so pre-commit re-stages it)."""
    changed = [p for p in (argv if argv is not None else sys.argv[1:]) if clean(Path(p))]
    for p in changed:
        print(f"stripped outputs from {p}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
