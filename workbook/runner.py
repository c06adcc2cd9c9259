"""Headless runs: execute module notebooks in order with papermill into a fresh run folder."""

from __future__ import annotations

import json
import re
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill as pm
import yaml

from course_lib.checks import suggest
from workbook.modules import NOTEBOOK_DIR, notebook_path

PROFILES_FILE = Path(__file__).with_name("profiles.yaml")


@dataclass
class ModuleResult:
    """How one notebook's run ended."""

    module: str
    status: str  # "ok", "failed" or "skipped"
    seconds: float
    notebook: str
    error: str = ""


def load_profile(name: str, path: Path = PROFILES_FILE) -> dict[str, dict[str, Any]]:
    """A named profile: module (or `all`) → parameter overrides."""
    profiles = yaml.safe_load(path.read_text()) or {}
    if name not in profiles:
        raise ValueError(
            f"unknown profile {name!r}{suggest(name, profiles)}; known: {', '.join(profiles)}"
        )
    return profiles[name] or {}


def parameters_for(
    module: str, notebook: Path, profile: dict[str, dict[str, Any]], overrides: dict[str, Any]
) -> dict[str, Any]:
    """The profile's and the command line's values for the parameters this notebook declares."""
    declared = pm.inspect_notebook(str(notebook))
    merged = {**(profile.get("all") or {}), **(profile.get(module) or {}), **overrides}
    return {k: v for k, v in merged.items() if k in declared}


_NULL = ("None", "none", "null", "~")


def parameter_defaults(notebook: Path) -> dict[str, Any]:
    """name → default value of a notebook's `parameters` cell (its source text when not a literal)."""
    import ast

    defaults: dict[str, Any] = {}
    for name, info in pm.inspect_notebook(str(notebook)).items():
        try:
            defaults[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            defaults[name] = info["default"]
    return defaults


def _number(text: str) -> int | float | None:
    """`3`, `1_000` → int; `0.5`, `1e-3` → float; anything else → None."""
    try:
        return int(text.strip())
    except ValueError:
        pass
    try:
        return float(text.strip())
    except ValueError:
        return None


def convert_parameter(name: str, text: str, default: Any) -> Any:
    """A `-p NAME VALUE` value as the type of the notebook's default; a ValueError when it is not
    one (`-p batch_size abc`). `None`/`null` stand for None whatever the type."""
    from workbook.cli import _value

    if text in _NULL:
        return None
    expected = type(default).__name__
    problem = f"-p {name} {text!r}: the notebook's default is {default!r}, so expected {{}}"
    if isinstance(default, bool):
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.strip().lower() not in words:
            raise ValueError(problem.format("true or false"))
        return words[text.strip().lower()]
    if isinstance(default, int):
        value = _number(text)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 1e3
        if not isinstance(value, int):
            raise ValueError(problem.format("an integer"))
        return value
    if isinstance(default, float):
        value = _number(text)
        if value is None:
            raise ValueError(problem.format("a number"))
        return float(value)
    if isinstance(default, str):
        return text
    if isinstance(default, list | tuple | dict):
        import yaml as _yaml

        try:
            value = _yaml.safe_load(text)
        except _yaml.YAMLError:
            value = None
        if not isinstance(value, type(default)):
            raise ValueError(problem.format(f"a {expected} such as {default!r}"))
        return value
    return _value(text)  # no literal default (None or an expression): infer as papermill does


def typed_overrides(raw: dict[str, str], notebooks: list[Path]) -> dict[str, Any]:
    """Check `-p` names against the parameters the notebooks declare (an unknown name is a
    ValueError suggesting the closest ones) and convert each value to its default's type."""
    defaults: dict[str, list[Any]] = {}
    for notebook in notebooks:
        for name, default in parameter_defaults(notebook).items():
            defaults.setdefault(name, []).append(default)
    typed: dict[str, Any] = {}
    for name, text in raw.items():
        if name not in defaults:
            raise ValueError(
                f"-p {name}: no such parameter in {', '.join(n.stem for n in notebooks)}"
                f"{suggest(name, defaults)}; declared: {', '.join(sorted(defaults))}"
            )
        values = [convert_parameter(name, text, d) for d in defaults[name]]
        typed[name] = values[0]
    return typed


def set_parameters(nb: nbformat.NotebookNode, params: dict[str, Any]) -> nbformat.NotebookNode:
    """Give the `parameters` cell these values, as a student editing it would (in place)."""
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    lines = cell.source.splitlines()
    for name, value in params.items():
        at = [i for i, line in enumerate(lines) if re.match(rf"{re.escape(name)}\s*=", line)]
        if not at:
            raise ValueError(f"{name!r} is not a parameter of this notebook")
        lines[at[0]] = f"{name} = {value!r}"
    cell.source = "\n".join(lines)
    return nb


def execute(
    src: Path,
    out: Path,
    params: dict[str, Any],
    cwd: Path,
    cell_timeout: int | None = None,
    progress: bool = False,
) -> Exception | None:
    """Run a notebook with papermill (the executed copy is written even when it fails); return
    the exception that stopped it, or None."""
    try:
        pm.execute_notebook(
            str(src),
            str(out),
            parameters=params,
            cwd=str(cwd),
            progress_bar=progress,
            execution_timeout=cell_timeout,
            kernel_name="python3",
        )
    except Exception as exc:  # the notebook raised, timed out or its kernel died
        return exc
    return None


def last_line(error: Exception) -> str:
    """The last non-empty line of an error's message (papermill puts the cell's error there)."""
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def run_modules(
    modules: list[str],
    run_dir: Path,
    profile_name: str = "embedded",
    overrides: dict[str, Any] | None = None,
    keep_going: bool = False,
    cell_timeout: int | None = None,
    notebook_dir: Path = NOTEBOOK_DIR,
    progress: bool = True,
) -> list[ModuleResult]:
    """Execute each module's notebook into `run_dir/<module>/`; stop at the first failure unless
    `keep_going`. A failed notebook is still written, with its traceback."""
    profile = load_profile(profile_name)
    results: list[ModuleResult] = []
    failed = False
    for module in modules:
        src = notebook_path(module, notebook_dir)
        out_dir = run_dir / module
        out_dir.mkdir(parents=True, exist_ok=True)
        out_nb = out_dir / f"{module}.ipynb"
        if failed and not keep_going:
            results.append(ModuleResult(module, "skipped", 0.0, str(out_nb)))
            continue
        params = parameters_for(module, src, profile, overrides or {})
        if "output_dir" in pm.inspect_notebook(str(src)):
            params["output_dir"] = str(out_dir.resolve())
        start = time.perf_counter()
        error = execute(src, out_nb, params, out_dir, cell_timeout, progress)
        seconds = time.perf_counter() - start
        if error is None:
            results.append(ModuleResult(module, "ok", seconds, str(out_nb)))
        else:
            failed = True
            (out_dir / "error.txt").write_text("".join(traceback.format_exception(error)))
            results.append(ModuleResult(module, "failed", seconds, str(out_nb), last_line(error)))
    (run_dir / "summary.json").write_text(
        json.dumps(
            {
                "profile": profile_name,
                "overrides": overrides or {},
                "modules": [asdict(r) for r in results],
            },
            indent=2,
        )
        + "\n"
    )
    return results


def summary_table(results: list[ModuleResult]) -> str:
    """A plain-text table of module, status and wall time."""
    lines = [f"{'module':<24} {'status':<8} {'wall time':>10}", "-" * 44]
    for r in results:
        line = f"{r.module:<24} {r.status:<8} {r.seconds:>9.1f}s"
        if r.error:
            line += f"  {r.error[:80]}"
        lines.append(line)
    return "\n".join(lines)
