"""The `workbook` entry point: module selection, profiles, parameter typing and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workbook import cli, runner
from workbook.modules import available_modules, resolve_modules


def test_module_names_resolve_by_number_or_name() -> None:
    assert resolve_modules(["1"]) == ["01_unicode"]
    assert resolve_modules(["01_unicode"]) == ["01_unicode"]
    assert resolve_modules(None) == available_modules()
    with pytest.raises(ValueError, match="unknown module"):
        resolve_modules(["42"])


def test_profiles() -> None:
    assert runner.load_profile("gpu")["all"]["device"] == "cuda"
    with pytest.raises(ValueError, match="unknown profile"):
        runner.load_profile("nope")


def test_parameter_values_are_typed_like_papermill() -> None:
    assert cli._value("3") == 3 and cli._value("0.5") == 0.5
    assert cli._value("true") is True and cli._value("cuda") == "cuda"
    assert cli._value("[1, 2]") == "[1, 2]"


def _notebook(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell('output_dir = "outputs"\nvalue = 1\nseed = 0')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)


@pytest.mark.slow
def test_a_failing_notebook_gives_nonzero_exit_and_keeps_its_traceback(tmp_path: Path) -> None:
    nbs = tmp_path / "notebooks"
    _notebook(nbs / "01_fine/01_fine.ipynb", "assert value == 7, value")
    _notebook(nbs / "02_broken/02_broken.ipynb", "raise RuntimeError('module broke on purpose')")
    _notebook(nbs / "03_after/03_after.ipynb", "print('ran')")
    run_dir = tmp_path / "run"
    base = [sys.executable, "-m", "workbook", "run", "--notebook-dir", str(nbs), "--no-reports"]
    cmd = base + ["--run-dir", str(run_dir), "-p", "value", "7"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "02_broken" in proc.stdout and "failed" in proc.stdout and "skipped" in proc.stdout
    executed = nbformat.read(run_dir / "02_broken/02_broken.ipynb", as_version=4)
    assert any(
        o.get("ename") == "RuntimeError" for c in executed.cells for o in c.get("outputs", [])
    )
    assert "module broke on purpose" in (run_dir / "02_broken/error.txt").read_text()
    assert not (run_dir / "03_after/03_after.ipynb").exists()

    refused = subprocess.run(cmd + ["--keep-going"], capture_output=True, text=True)
    assert refused.returncode == 2 and "--force" in refused.stderr, refused.stderr
    keep_going = subprocess.run(cmd + ["--keep-going", "--force"], capture_output=True, text=True)
    assert keep_going.returncode == 1
    assert (run_dir / "03_after/03_after.ipynb").exists()

    only_first = base + ["01", "-p", "value", "7", "--run-dir", str(tmp_path / "ok")]
    ok = subprocess.run(only_first, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_unknown_module_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", "99", "--no-reports"]) == 2
    assert "unknown module" in capsys.readouterr().err


def test_set_parameters_edits_declared_names_and_refuses_others() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("steps = 10  # how many\nlr = 0.1"))
    nb.cells[0].metadata["tags"] = ["parameters"]
    runner.set_parameters(nb, {"steps": 3})
    assert nb.cells[0].source == "steps = 3\nlr = 0.1", nb.cells[0].source
    with pytest.raises(ValueError, match="'stpes' is not a parameter"):
        runner.set_parameters(nb, {"stpes": 3})


def test_autograde_refuses_a_bad_jobs_count(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["autograde", "01", "--jobs", "0"])
    assert exit_info.value.code == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


def test_autograde_without_bwrap_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    course = tmp_path / "course"
    assert cli.main(["autograde", "01", "--course-dir", str(course)]) == 2
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert not course.exists()


def test_autograde_before_a_release_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    course = tmp_path / "course"
    assert cli.main(["autograde", "01", "--course-dir", str(course), "--no-sandbox"]) == 2
    err = capsys.readouterr().err
    assert "no release of 01_unicode" in err and "workbook release" in err
    assert "--no-sandbox: student code runs with YOUR rights" in err
    assert not course.exists()
