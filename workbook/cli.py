"""`workbook`: run modules headlessly, build reports, and drive the nbgrader course from one command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from workbook.modules import (
    COURSE_DIR,
    NOTEBOOK_DIR,
    REPO_ROOT,
    module_of,
    notebook_path,
    resolve_modules,
)


def _value(text: str) -> Any:
    """Infer a parameter's type the way papermill's `-p` does (int, float, bool, null, else str)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, int | float | bool | type(None)) else text


def _jobs(text: str) -> int:
    """`--jobs`: a positive number of workers."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--jobs takes a number of workers, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be at least 1, got {value}")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from course_lib.runs import new_run_dir
    from workbook import runner

    notebook_dir = Path(args.notebook_dir)
    modules = resolve_modules(args.modules, notebook_dir)
    # every check before the run folder exists: a typo leaves nothing behind
    runner.load_profile(args.profile)
    notebooks = [notebook_path(m, notebook_dir) for m in modules]
    overrides = runner.typed_overrides(dict(args.param), notebooks)
    if args.run_dir:
        run_dir = Path(args.run_dir)
        if run_dir.exists() and any(run_dir.iterdir()) and not args.force:
            raise FileExistsError(
                f"--run-dir {run_dir} is not empty: pass --force to run into it anyway "
                "(its notebooks are replaced), or choose a new folder"
            )
    else:
        run_dir = new_run_dir(args.profile)
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"running {len(modules)} module(s) with profile '{args.profile}' into {run_dir}")
    results = runner.run_modules(
        modules,
        run_dir,
        args.profile,
        overrides,
        keep_going=args.keep_going,
        cell_timeout=args.cell_timeout,
        notebook_dir=notebook_dir,
    )
    print()
    print(runner.summary_table(results))
    pdfs: dict[str, Path] = {}
    if not args.no_reports:
        from workbook import reports

        done = [r.module for r in results if r.status == "ok"]
        sources = [s for s in reports.sources_from_run(run_dir) if s.module in done] if done else []
        if sources:
            pdfs = reports.build_reports(sources, run_dir / "reports")
    print()
    print(f"executed notebooks: {run_dir}/<module>/<module>.ipynb")
    print(f"figures:            {run_dir}/<module>/figures/")
    print(f"metrics:            {run_dir}/<module>/metrics.json")
    for name, pdf in pdfs.items():
        print(f"report ({name}): {pdf}")
    failed = [r for r in results if r.status != "ok"]
    if failed:
        print(f"\n{len(failed)} module(s) did not finish: see error.txt and the executed notebook.")
        return 1
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from workbook import sweep

    try:
        df, out_dir = sweep.sweep(
            args.spec,
            backend=args.backend,
            address=args.address,
            max_concurrent=args.max_concurrent,
            out=args.out,
            gpus_per_trial=args.gpus_per_trial,
        )
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to run the trials left", file=sys.stderr)
        return 130
    print()
    print(sweep.summary_table(df))
    print(f"\nsweep folder: {out_dir} (one run folder per trial)")
    failed = sweep.failures(df, out_dir)
    if failed:
        print(f"\n{len(failed)} trial(s) failed; re-run the same command to run them again:")
        print("\n".join(f"  {line}" for line in failed))
        return 1
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from course_lib.paths import EMBEDDED_DIR, ensure_embedded

    out = ensure_embedded(Path(args.out or EMBEDDED_DIR), args.size_mb, args.seed)
    print(f"embedded data ({args.size_mb} MB of stories, seed {args.seed}): {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from workbook import reports

    if args.run:
        sources = reports.sources_from_run(Path(args.run))
        out = Path(args.out or Path(args.run) / "reports")
    elif args.notebook:
        nb = Path(args.notebook)
        if not nb.exists():
            raise FileNotFoundError(f"no notebook at {nb}")
        module = args.module or module_of(nb)
        sources = [reports.Source(module, nb, label=f"submission {nb.parent.name}")]
        out = Path(args.out or nb.parent / "report")
    else:
        sources = reports.sources_from_repo()
        out = Path(args.out or REPO_ROOT / "build" / "answer_key")
    for name, pdf in reports.build_reports(sources, out).items():
        print(f"{name}: {pdf}")
    return 0


def cmd_solutions(args: argparse.Namespace) -> int:
    from workbook import solutions

    drifted = solutions.sync(check=args.action == "check")
    if args.action == "check":
        if drifted:
            print("notebook cells differ from course_lib (run `workbook solutions sync`):")
            print("\n".join(f"  {d}" for d in drifted))
            return 1
        print("all solution and given cells match course_lib")
        return 0
    print("\n".join(f"updated {d}" for d in drifted) or "nothing to update")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from workbook import grading

    for module in resolve_modules(args.modules):
        archive = grading.release(module, Path(args.course_dir))
        print(f"released {module}: {archive.with_suffix('')}/ and {archive}")
    return 0


def cmd_check_release(args: argparse.Namespace) -> int:
    import json
    import tempfile

    from workbook import grading
    from workbook.release_check import run_release, summary

    runs = []
    with tempfile.TemporaryDirectory(prefix="workbook-release-") as tmp:
        for module in resolve_modules(args.modules):
            folder = grading.release(module, Path(tmp) / "course").with_suffix("")
            for solved in (True, False):
                print(f"{module}: running the {'solved' if solved else 'untouched'} release")
                runs.append(
                    run_release(module, folder, Path(tmp) / module, solved, profile=args.profile)
                )
    print(json.dumps(summary(runs), indent=2))
    bad = [
        r
        for r in runs
        if r.failure or r.unexpected or r.foreign_imports() or (not r.solved and not r.errors)
    ]
    for r in bad:
        print(f"{r.module} ({'solved' if r.solved else 'untouched'}): does not behave as released")
    return 1 if bad else 0


def cmd_check_tests(args: argparse.Namespace) -> int:
    import json

    from workbook import check_tests

    (module,) = resolve_modules([args.module])
    report = check_tests.check_module(
        module,
        only=args.exercise or None,
        jobs=args.jobs,
        timeout=args.timeout,
        profile=args.profile,
        progress=args.verbose,
    )
    print(report.table())
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_json(), indent=2) + "\n")
        print(f"results written to {args.json}")
    hidden = report.hidden_only()
    if hidden:
        print(f"\n{len(hidden)} bug(s) caught only by hidden tests (no warning before submitting):")
        print("\n".join(f"  {line}" for line in hidden))
    problems = report.problems()
    if problems:
        print(f"\n{len(problems)} problem(s):")
        print("\n".join(f"  {line}" for line in problems))
        return 1
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    from workbook import grading

    (module,) = resolve_modules([args.module])
    students = grading.collect(module, Path(args.submissions), Path(args.course_dir))
    print(f"collected {len(students)} submission(s) of {module}: {', '.join(students)}")
    return 0 if students else 1


def cmd_autograde(args: argparse.Namespace) -> int:
    from workbook import grading, integrity

    (module,) = resolve_modules([args.module])
    parameters = None
    if args.profile:
        from workbook.runner import load_profile, parameters_for

        source = NOTEBOOK_DIR / module / f"{module}.ipynb"
        parameters = parameters_for(module, source, load_profile(args.profile), {})
    if args.no_sandbox:
        print(
            "WARNING: --no-sandbox: student code runs with YOUR rights and can read and change "
            "the gradebook, the hidden tests and other submissions; grade like this only inside "
            "a throw-away VM or container",
            file=sys.stderr,
        )
    step, rows = grading.autograde(
        module,
        Path(args.course_dir),
        args.cell_timeout,
        jobs=args.jobs,
        force=args.force,
        sandbox=not args.no_sandbox,
        progress=sys.stderr.isatty(),
        parameters=parameters,
    )
    print(grading.summary_table(rows))
    flags = integrity.flag_submissions(module, Path(args.course_dir), NOTEBOOK_DIR)
    if flags:
        path = integrity.write_flags(flags, Path(args.course_dir) / "flags" / f"{module}.csv")
        print(f"{len(flags)} use(s) of course_lib that the notebook does not make; check by hand:")
        for flag in flags:
            print(f"  {flag.student} {flag.cell}: {flag.use}")
        print(f"(listed in {path})")
    failed = [r.student for r in rows if r.status == "not graded"]
    if failed:
        print(f"\n{len(failed)} submission(s) could not be graded: {', '.join(failed)}")
        return 1
    if not step.ok:
        print(f"\nnbgrader reported an error:\n{step.output[-2000:]}")
        return 1
    return 0


def cmd_feedback(args: argparse.Namespace) -> int:
    from workbook import grading

    (module,) = resolve_modules([args.module])
    grading.feedback(module, Path(args.course_dir))
    print(f"feedback written to {Path(args.course_dir) / 'feedback'}")
    return 0


def cmd_grades(args: argparse.Namespace) -> int:
    from workbook import grading

    out = grading.export_grades(Path(args.course_dir), Path(args.out) if args.out else None)
    print(f"grades written to {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbook", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="execute module notebooks with papermill and build the reports")
    p.add_argument(
        "modules", nargs="*", default=["all"], help="all (default), 01, 02_tokenizers, ..."
    )
    p.add_argument("--profile", default="embedded", help="parameter profile (embedded, gpu)")
    p.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("KEY", "VALUE"))
    p.add_argument("--run-dir", help="write here instead of a fresh runs/<time>-<profile>/ folder")
    p.add_argument("--force", action="store_true", help="run into a --run-dir that is not empty")
    p.add_argument("--keep-going", action="store_true", help="run later modules after a failure")
    p.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default none)")
    p.add_argument("--no-reports", action="store_true", help="skip the PDF reports")
    p.add_argument("--notebook-dir", default=str(NOTEBOOK_DIR), help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sweep", help="run a sweep spec: many training runs into one folder")
    p.add_argument("spec", help="the sweep's YAML file (base config, grid and/or trials)")
    p.add_argument("--backend", choices=["serial", "pool", "ray"], default="serial")
    p.add_argument("--address", help="join the Ray cluster at this address (ray backend)")
    p.add_argument("--max-concurrent", type=int, help="trials running at once (pool, ray)")
    p.add_argument("--gpus-per-trial", type=float, default=0, help="GPUs per Ray task (ray)")
    p.add_argument("--out", help="sweep folder (default runs/sweeps/<name>); re-runs resume it")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("data", help="build the embedded default data (offline, deterministic)")
    p.add_argument("--out", help="folder (default data/embedded)")
    p.add_argument("--size-mb", type=float, default=10.0, help="size of the training stories")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("report", help="build PDF reports from notebooks")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--run", help="a run folder made by `workbook run`")
    g.add_argument("--notebook", help="one (e.g. a student's) notebook")
    g.add_argument("--source", action="store_true", help="the source notebooks: the answer key")
    p.add_argument("--module", help="the module of --notebook, if its file name does not say")
    p.add_argument("--out", help="output folder")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "solutions", help="keep notebook solution and given cells equal to course_lib"
    )
    p.add_argument("action", choices=["sync", "check"])
    p.set_defaults(func=cmd_solutions)

    course = argparse.ArgumentParser(add_help=False)
    course.add_argument("--course-dir", default=str(COURSE_DIR))
    p = sub.add_parser("release", parents=[course], help="generate student versions of modules")
    p.add_argument("modules", nargs="+")
    p.set_defaults(func=cmd_release)
    p = sub.add_parser(
        "check-release",
        help="run releases as students would: solved with the key on the stripped library, and untouched",
    )
    p.add_argument("modules", nargs="+")
    p.add_argument("--profile", default="ci", help="parameter profile of the runs (default ci)")
    p.set_defaults(func=cmd_check_release)
    p = sub.add_parser(
        "check-tests",
        help="run the plausible bugs and correct alternatives of variants.yaml against the tests",
    )
    p.add_argument("module")
    p.add_argument(
        "--exercise",
        action="append",
        metavar="GRADE_ID",
        help="only this solution cell (repeatable; default: every one in variants.yaml)",
    )
    p.add_argument("--jobs", type=_jobs, default=1, help="kernels at once (default 1)")
    p.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    p.add_argument("--profile", default="ci", help="parameter profile (default ci)")
    p.add_argument("--json", help="also write the results to this JSON file")
    p.add_argument("-v", "--verbose", action="store_true", help="print each variant as it runs")
    p.set_defaults(func=cmd_check_tests)
    p = sub.add_parser("collect", parents=[course], help="gather submissions into the course")
    p.add_argument("module")
    p.add_argument("submissions", help="folder of <student>/[<module>/]*.ipynb")
    p.set_defaults(func=cmd_collect)
    p = sub.add_parser(
        "autograde", parents=[course], help="run each submission in a sandbox and score it"
    )
    p.add_argument("module")
    p.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default 900)")
    p.add_argument("--jobs", type=_jobs, default=None, help="sandboxes at once (default: cores)")
    p.add_argument("--force", action="store_true", help="regrade submissions graded before")
    p.add_argument(
        "--profile",
        default=None,
        help="the profile of the assignment's sizes for references the grader computes first "
        "(08's target curve; default: the source notebook's own parameters)",
    )
    p.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code unconfined (only inside a throw-away VM or container)",
    )
    p.set_defaults(func=cmd_autograde)
    p = sub.add_parser("feedback", parents=[course], help="write HTML feedback for students")
    p.add_argument("module")
    p.set_defaults(func=cmd_feedback)
    p = sub.add_parser("grades", parents=[course], help="export the gradebook to CSV")
    p.add_argument("--out")
    p.set_defaults(func=cmd_grades)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `workbook` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, FileExistsError, RuntimeError) as exc:
        print(f"workbook {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
