"""Grading throughput: N generated module-01 submissions, sandboxed against plain nbgrader.

The same collected class is graded three ways, one after another in this run (a busy machine slows
all of them alike): `workbook autograde --jobs J` (one bubblewrap sandbox per submission, then one
nbgrader process scores them all), the same pipeline with `--no-sandbox` (the runner without
bubblewrap: the sandbox's own cost is the difference), and plain `nbgrader autograde`, which
executes every notebook itself, serially, with the grader's rights (the flow before the sandbox).
The class is a mix generated from the answer key: honest, the release untouched, a solution that
calls exit(), and one that kills its kernel (a restart and a replay).

    .venv/bin/python benchmarks/bench_grading.py [--n 20] [--jobs 2]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from workbook import grading  # noqa: E402
from workbook.modules import notebook_path  # noqa: E402

MODULE = "01_unicode"


def make_class(course: Path, subs: Path, n: int) -> None:
    """Release module 01 into `course` and collect n generated submissions from `subs`."""
    grading.release(MODULE, course)
    key = nbformat.read(notebook_path(MODULE), as_version=4)
    released = nbformat.read(course / "release" / MODULE / f"{MODULE}.ipynb", as_version=4)

    def edited(grade_id: str, extra: str) -> nbformat.NotebookNode:
        nb = nbformat.read(notebook_path(MODULE), as_version=4)
        cell = next(
            c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
        )
        cell.source += "\n" + extra
        return nb

    kinds = [
        key,
        released,
        edited("utf8_encode", "exit()"),
        edited("utf8_decode", "import os\nos._exit(1)"),
    ]
    for i in range(n):
        folder = subs / f"s{i:03d}" / MODULE
        folder.mkdir(parents=True)
        nbformat.write(kinds[i % len(kinds)], folder / f"{MODULE}.ipynb")
    grading.collect(MODULE, subs, course)


def fresh_copy(template: Path, into: Path) -> Path:
    """A copy of the collected course, so every way grades the same class from scratch."""
    shutil.copytree(template, into)
    (into / "nbgrader_config.py").write_text(f"load_subconfig({str(grading.CONFIG)!r})\n")
    return into


def main() -> None:
    """Grade the class three ways and print seconds per submission and submissions per minute."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20, help="submissions (default 20)")
    parser.add_argument("--jobs", type=int, default=2, help="sandboxes at once (default 2)")
    args = parser.parse_args()
    if args.n < 1 or args.jobs < 1:
        raise SystemExit("--n and --jobs must be positive")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        make_class(tmp / "template", tmp / "subs", args.n)
        rows = []
        for name in ("sandboxed", "no-sandbox", "nbgrader"):
            course = fresh_copy(tmp / "template", tmp / name)
            start = time.perf_counter()
            if name == "nbgrader":
                step = grading.run_nbgrader(["autograde", MODULE, "--force"], course)
                failed = "" if step.ok else "exit 1: a killed kernel"
            else:
                _, table = grading.autograde(
                    MODULE, course, jobs=args.jobs, sandbox=name == "sandboxed"
                )
                ungraded = sum(r.status == "not graded" for r in table)
                failed = f"{ungraded} not graded" if ungraded else ""
            seconds = time.perf_counter() - start
            rows.append((name, seconds, failed))
        print(f"{args.n} submissions of {MODULE}, --jobs {args.jobs} (nbgrader: serial)")
        print(f"{'way':<12}{'total s':>9}{'s/submission':>14}{'per minute':>12}")
        for name, seconds, failed in rows:
            note = f"  ({failed})" if failed else ""
            print(
                f"{name:<12}{seconds:>9.1f}{seconds / args.n:>14.2f}"
                f"{60 * args.n / seconds:>12.1f}{note}"
            )
        base = rows[1][1]
        print(f"sandbox overhead: {(rows[0][1] - base) / args.n:+.2f} s per submission")


if __name__ == "__main__":
    main()
