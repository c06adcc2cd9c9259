"""PDF reports: answers and figures from notebooks into LaTeX, compiled by latexmk, read back by pdftotext."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from course_lib.paths import REPO_ROOT
from workbook import reports
from workbook.modules import module_of

pytestmark = pytest.mark.slow
SOURCE = REPO_ROOT / "notebooks" / "01_unicode" / "01_unicode.ipynb"


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    return " ".join(out.stdout.split())


def _plain(markdown: str) -> str:
    """Markdown as pdftotext reads it back: no code ticks, emphasis or math dollars."""
    return " ".join(re.sub(r"[`*$]", "", markdown).split())


def test_answer_key_report_contains_the_answers(tmp_path: Path) -> None:
    pdfs = reports.build_reports(reports.sources_from_repo(), tmp_path)
    text = _text(pdfs["01_unicode"])
    assert "NULL control character" in text
    assert "Self-synchronising and ASCII-compatible" in text
    assert "not found: run the notebook first" in text  # the source notebook has no figures
    # the questions, their points and the headings come from the notebook
    assert "Module 01 — Unicode and bytes" in text and "1. The character chr(0)" in text
    for question in reports.written_questions(SOURCE).values():
        assert question.label in text
        assert " ".join(_plain(question.text).split()[:8]) in text
    # placeholders of answers the source notebook cannot fill say which metric they need
    text = _text(pdfs["03_data"])
    assert "[not measured: policies.truncate.docs_dropped]" in text
    assert "Question 5.5 (4 points)" in text


def test_executed_run_report_has_figure_and_metrics(executed_run, tmp_path: Path) -> None:
    run_dir, _ = executed_run
    pdfs = reports.build_reports(reports.sources_from_run(run_dir), tmp_path)
    text = _text(pdfs["01_unicode"])
    assert "Figure 1: Bytes per character" in text and "not found" not in text
    assert "UTF-8 615 bytes" in text
    for module, pdf in pdfs.items():  # every placeholder of the answer key is filled by the run
        assert "[not measured" not in _text(pdf), module
    metrics = json.loads((run_dir / "03_data" / reports.METRICS_FILE).read_text())
    truncate = metrics["policies"]["truncate"]
    expected = f"{truncate['docs_dropped']:,} of the {metrics['policy_docs']:,} stories are dropped"
    assert expected in _text(pdfs["03_data"])
    images = subprocess.run(
        ["pdfimages", "-list", str(pdfs["01_unicode"])], capture_output=True, text=True
    )
    assert "png" in images.stdout or "image" in images.stdout


def test_student_answers_are_escaped_and_missing_ones_boxed(tmp_path: Path) -> None:
    nb = nbformat.read(SOURCE, as_version=4)
    tricky = (
        "Costs 100% & more: $x^2$ for #1_a {b} ~ ^ \\\\ and `code_with_underscores`, "
        "emoji 🌍 and 汉字, {{total_bytes.utf-8:,}} bytes.\n\n$$\\sum_{i=1}^n i = \\frac{n(n+1)}{2}$$"
    )
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "chr0_answer":
            cell.source = tricky
        elif gid == "utf8_why_answer":
            cell.source = "YOUR ANSWER HERE"
        elif gid == "wrong_decode_answer":
            cell.source = "   "
    student = tmp_path / "alice" / "01_unicode.ipynb"
    student.parent.mkdir()
    nbformat.write(nb, student)
    pdfs = reports.build_reports(
        [reports.Source("01_unicode", student, "submission alice")], tmp_path / "out"
    )
    text = _text(pdfs["01_unicode"])
    assert "Costs 100% & more" in text and "#1_a {b}" in text and "code_with_underscores" in text
    assert "[U+1F30D]" in text and "[U+6C49]" in text
    assert "[not measured: total_bytes.utf-8] bytes" in text  # no metrics.json beside it
    assert "No answer (utf8 why answer)" in text and "No answer (wrong decode answer)" in text
    assert "0xC3 0x28" in text  # the untouched answer is still there


def test_combined_report_and_unknown_module(tmp_path: Path) -> None:
    second = reports.Source("01_unicode", SOURCE, "again")
    pdfs = reports.build_reports([reports.Source("01_unicode", SOURCE), second], tmp_path)
    assert "all_modules" in pdfs and _text(pdfs["all_modules"]).count("Module 01") == 2
    with pytest.raises(FileNotFoundError, match="no report template"):
        reports.build_reports([reports.Source("99_none", SOURCE)], tmp_path / "x")
    with pytest.raises(ValueError, match="cannot tell the module"):
        module_of(Path("notes.ipynb"))


def test_cli_report_on_a_single_notebook(tmp_path: Path) -> None:
    nb = tmp_path / "01_unicode.ipynb"
    nb.write_bytes(SOURCE.read_bytes())
    proc = subprocess.run(
        [
            str(Path(__import__("sys").executable)),
            "-m",
            "workbook",
            "report",
            "--notebook",
            str(nb),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "report" / "01_unicode.pdf").exists()


@pytest.mark.parametrize("source", reports.sources_from_repo(), ids=lambda s: s.module)
def test_every_answer_cell_is_in_the_template_and_answered_in_the_key(
    source: reports.Source, tmp_path: Path
) -> None:
    template = (reports.TEMPLATE_DIR / f"{source.module}.tex").read_text()
    in_template = set(re.findall(r'\\VAR\{answer\("(\w+)"\)\}', template))
    assert in_template == set(reports.written_answers(source.notebook))
    _, missing = reports.render_body(source, tmp_path)
    # the source notebook has no run beside it: only figures and metrics are missing
    assert [m for m in missing if not m.startswith(("figure ", "metric "))] == []
