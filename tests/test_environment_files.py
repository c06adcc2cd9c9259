"""environment.yml (conda) and pyproject.toml (pip) must list the same Python requirements."""

from __future__ import annotations

import tomllib

import yaml

from course_lib.paths import REPO_ROOT


def _pyproject_requirements() -> set[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return {r.replace(" ", "") for r in reqs}


def _conda_pip_requirements() -> set[str]:
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml must have exactly one pip: section"
    return {r.replace(" ", "") for r in pip_lists[0]}


def test_environment_yml_matches_pyproject() -> None:
    py, conda = _pyproject_requirements(), _conda_pip_requirements()
    assert py == conda, (
        f"only in pyproject: {sorted(py - conda)}; only in environment.yml: {sorted(conda - py)}"
    )


def test_torch_is_pinned_to_the_cpu_wheel_release() -> None:
    assert "torch==2.13.0" in _pyproject_requirements()


STUDENT_DIR = REPO_ROOT / "workbook" / "student"
TOOLING_ONLY = (
    "nbgrader",
    "papermill",
    "pypandoc",
    "jinja2",
    "nbconvert",
    "sqlalchemy",
    "playwright",
)


def _student_requirements() -> tuple[set[str], set[str]]:
    project = tomllib.loads((STUDENT_DIR / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((STUDENT_DIR / "environment.yml").read_text())
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    return {r.replace(" ", "") for r in project["dependencies"]}, {r.replace(" ", "") for r in pip}


def test_student_environment_is_the_course_library_without_the_tooling() -> None:
    student, student_conda = _student_requirements()
    assert student == student_conda, "workbook/student: pyproject.toml and environment.yml differ"
    assert student <= _pyproject_requirements(), (
        f"student requirements missing from the instructor's: {sorted(student - _pyproject_requirements())}"
    )
    leaked = [r for r in student if r.startswith(TOOLING_ONLY)]
    assert not leaked, f"instructor tooling in the student's environment: {leaked}"
    assert "torch==2.13.0" in student
