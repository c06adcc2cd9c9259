"""PDF reports: written answers (nbgrader manually graded cells) and saved figures, filled into each
module's LaTeX template and compiled with latexmk.

Templates (`reports/templates/NN_name.tex`) are LaTeX bodies with Jinja2 fields in LaTeX-safe
delimiters. Every fact comes from one place:
- `\\VAR{title()}` and `\\VAR{section("5")}`: the notebook's `# Module ...` and `## 5. ...` headings;
- `\\VAR{answer("grade_id")}`: the question, i.e. the locked instruction cell directly above the
  answer cell (`**Question 5.1 (2 points).** ...`, points from the answer cell's nbgrader metadata),
  then the answer, whose `{{key.sub:spec}}` placeholders are filled from the run's metrics.json;
- `\\VAR{figure("name", "caption")}`, `\\VAR{metric("key.sub", "{:,}")}`: a run's figures and metrics;
- `\\VAR{constant("package.module:NAME")|sci}`: a constant of the library, such as a budget.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import nbformat
import pypandoc

from course_lib.plots import FIGURE_DIR
from course_lib.runs import METRICS_FILE
from workbook.modules import NOTEBOOK_DIR, TEMPLATE_DIR, source_notebooks

PLACEHOLDER_TEXT = "YOUR ANSWER HERE"
TEX_PACKAGES = "texlive-latex-base texlive-latex-recommended lmodern latexmk poppler-utils"

# Characters pdflatex (utf8 input, T1 Latin Modern) typesets; anything else is written as [U+XXXX].
_SAFE = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180)) | {0x2013, 0x2014, 0x2018, 0x2019}
_SAFE |= {0x201C, 0x201D, 0x2022, 0x2026, 0x20AC, 0x0A, 0x09}


@dataclass
class Source:
    """One notebook feeding a report: which module it answers and where its figures/metrics lie."""

    module: str
    notebook: Path
    label: str = "answer key"
    figure_dirs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.notebook = Path(self.notebook)
        if not self.figure_dirs:
            base = self.notebook.parent
            self.figure_dirs = [base / FIGURE_DIR, base / "outputs" / FIGURE_DIR]


# The instruction cell above an answer cell starts with this heading; its points are checked
# against the answer cell's nbgrader points, which the report prints.
QUESTION_HEADING = re.compile(
    r"\A\*\*Question (?P<number>\d+(?:\.\d+)?) \((?P<points>\d+(?:\.\d+)?) points?\)\.\*\*[ \t]*"
)
# A run's number in answer prose: {{key.sub}} or {{key.sub:spec}} (a format spec, e.g. `,` or `.1%`);
# keys are metrics.json's, dotted, and may hold spaces and commas but no colon or brace.
PLACEHOLDER = re.compile(r"\{\{\s*(?P<key>[A-Za-z_][^{}:]*?)\s*(?::(?P<spec>[^{}]*))?\}\}")
_TITLE = re.compile(r"^# (?P<title>.+?)\s*$", re.M)
_SECTION = re.compile(r"^## (?P<number>\d+)\. (?P<title>.+?)\s*$", re.M)
_MISSING = object()


@dataclass(frozen=True)
class Question:
    """A written question: the locked instruction cell directly above an answer cell."""

    answer_id: str  # grade_id of the answer cell
    cell_id: str  # grade_id of the instruction cell
    number: str  # "5.1"
    points: float  # the answer cell's nbgrader points: what the grader gives
    stated_points: float  # the points its heading states, which must agree
    text: str  # the question's markdown after its heading

    @property
    def label(self) -> str:
        """`Question 5.1 (2 points)`, the points taken from nbgrader's metadata."""
        return f"Question {self.number} ({format_points(self.points)})"


def format_points(points: float) -> str:
    """`1 point`, `2 points`, `1.5 points`."""
    value = int(points) if float(points).is_integer() else points
    return f"{value} point{'' if value == 1 else 's'}"


def _nbgrader(cell: nbformat.NotebookNode) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer_cell(cell: nbformat.NotebookNode) -> bool:
    """A written answer: a markdown cell that nbgrader grades by hand (`grade` and `solution`)."""
    meta = _nbgrader(cell)
    return cell.cell_type == "markdown" and bool(meta.get("grade")) and bool(meta.get("solution"))


def written_answers(notebook: Path) -> dict[str, str]:
    """Markdown of each manually graded answer cell, keyed by grade_id."""
    nb = nbformat.read(notebook, as_version=4)
    return {_nbgrader(c)["grade_id"]: c.source for c in nb.cells if is_answer_cell(c)}


def written_questions(notebook: Path, strict: bool = True) -> dict[str, Question]:
    """The question of each answer cell, keyed by the answer's grade_id: the locked markdown
    instruction cell directly above it, which starts with `**Question N.M (P points).**`.
    Raise ValueError for an answer cell without one (strict), or leave it out."""
    nb = nbformat.read(notebook, as_version=4)
    questions = {}
    for i, cell in enumerate(nb.cells):
        if not is_answer_cell(cell):
            continue
        answer_id = _nbgrader(cell)["grade_id"]
        above = nb.cells[i - 1] if i > 0 else None
        meta = _nbgrader(above) if above is not None else {}
        heading = (
            QUESTION_HEADING.match(above.source)
            if above is not None and above.cell_type == "markdown"
            else None
        )
        if heading is None or not meta.get("locked") or meta.get("grade") or meta.get("solution"):
            if strict:
                raise ValueError(
                    f"{notebook}: the answer cell {answer_id!r} must follow a locked, ungraded "
                    "markdown instruction cell starting with '**Question N.M (P points).**'"
                )
            continue
        questions[answer_id] = Question(
            answer_id=answer_id,
            cell_id=meta.get("grade_id", ""),
            number=heading["number"],
            points=float(_nbgrader(cell).get("points", 0)),
            stated_points=float(heading["points"]),
            text=above.source[heading.end() :].strip(),
        )
    return questions


def notebook_headings(notebook: Path) -> tuple[str, dict[str, str]]:
    """The notebook's title (its `# ` heading) and its numbered sections (`## 5. Title`) by number."""
    nb = nbformat.read(notebook, as_version=4)
    title, sections = "", {}
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if not title and (match := _TITLE.search(cell.source)):
            title = match["title"]
        for match in _SECTION.finditer(cell.source):
            sections.setdefault(match["number"], match["title"])
    return title, sections


def lookup_metric(metrics: dict[str, Any], key: str) -> Any:
    """The value at a dotted key (`policies.truncate.kept_pct`), or _MISSING."""
    value: Any = metrics
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def fill_placeholders(markdown: str, metrics: dict[str, Any]) -> tuple[str, list[str]]:
    """Replace each `{{key:spec}}` by the metric formatted with spec; return the text and the keys
    that were not measured (written as `[not measured: key]`)."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        key, spec = match["key"], (match["spec"] or "").strip()
        value = lookup_metric(metrics, key)
        if value is _MISSING or isinstance(value, dict):
            missing.append(key)
            return f"[not measured: {key}]"
        try:
            return format(value, spec)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"cannot format metric {key} = {value!r} with {spec!r}: {err}"
            ) from err

    return PLACEHOLDER.sub(fill, markdown), missing


def sci_tex(value: float, digits: int = 2) -> str:
    """A number in LaTeX scientific notation with `digits` significant digits: `$1.2 \\times 10^{13}$`."""
    mantissa, exponent = f"{float(value):.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = f"10^{{{int(exponent)}}}"
    return f"${power}$" if mantissa == "1" else f"${mantissa} \\times {power}$"


def library_constant(name: str) -> Any:
    """The value of `package.module:NAME` (a constant that notebooks and templates share)."""
    module_name, _, attr = name.partition(":")
    if not attr:
        raise ValueError(f"constant {name!r}: expected 'package.module:NAME'")
    module = importlib.import_module(module_name)
    if not hasattr(module, attr):
        raise ValueError(f"constant {name!r}: {module_name} has no {attr}")
    return getattr(module, attr)


def escape_unicode(tex: str) -> str:
    """Replace characters pdflatex cannot typeset (emoji, CJK, ...) by their code point."""
    return "".join(ch if ord(ch) in _SAFE else f"[U+{ord(ch):04X}]" for ch in tex)


def markdown_to_latex(markdown: str) -> str:
    """Convert answer markdown (math, code, lists, tables) to LaTeX with pandoc."""
    tex = pypandoc.convert_text(
        markdown, "latex", format="markdown", extra_args=["--syntax-highlighting=none"]
    )
    return escape_unicode(tex)


def no_answer_box(what: str) -> str:
    """A visible framed note where an answer or a figure is missing."""
    return (
        "\\par\\noindent\\fcolorbox{red!70!black}{red!6}{\\parbox{0.96\\linewidth}"
        f"{{\\textbf{{{what}}}}}}}\\par\n"
    )


class _Filler:
    """The functions a template calls, bound to one notebook."""

    def __init__(self, source: Source, build_dir: Path) -> None:
        self.source = source
        self.build_dir = build_dir
        self.answers: dict[str, str] = {}
        self.questions: dict[str, Question] = {}
        self.title, self.sections = "", {}
        if source.notebook.exists():
            self.answers = written_answers(source.notebook)
            self.questions = written_questions(source.notebook, strict=False)
            self.title, self.sections = notebook_headings(source.notebook)
        self.metrics = {}
        for folder in source.figure_dirs:
            path = folder.parent / METRICS_FILE
            if path.exists():
                self.metrics = json.loads(path.read_text())
                break
        self.missing: list[str] = []

    def title_(self) -> str:
        title = self.title or f"Module {self.source.module[:2]}"
        return f"\\section*{{{_inline(title)}}}\n"

    def section(self, number: str | int) -> str:
        title = self.sections.get(str(number))
        if title is None:
            self.missing.append(f"section {number}")
            return f"\\subsection*{{{number}.}}\n"
        return f"\\subsection*{{{number}. {_inline(title)}}}\n"

    def question(self, grade_id: str) -> str:
        question = self.questions.get(grade_id)
        if question is None:
            self.missing.append(f"question {grade_id}")
            return no_answer_box(f"Question of {grade_id.replace('_', ' ')} not found.")
        return (
            f"\\begin{{question}}{{{question.label}}}\n"
            + markdown_to_latex(question.text)
            + "\\end{question}\n"
        )

    def answer(self, grade_id: str) -> str:
        """The question above the answer cell, then the answer with the run's numbers filled in."""
        head = self.question(grade_id)
        text = self.answers.get(grade_id)
        if text is None or not text.strip() or text.strip() == PLACEHOLDER_TEXT:
            self.missing.append(grade_id)
            return head + no_answer_box(f"No answer ({grade_id.replace('_', ' ')}).")
        filled, unmeasured = fill_placeholders(text, self.metrics)
        self.missing.extend(f"metric {key}" for key in unmeasured)
        return head + "\\begin{answer}\n" + markdown_to_latex(filled) + "\\end{answer}\n"

    def figure(self, name: str, caption: str = "") -> str:
        for folder in self.source.figure_dirs:
            path = folder / f"{name}.png"
            if path.exists():
                local = f"fig-{self.source.module}-{name}.png"
                shutil.copyfile(path, self.build_dir / local)
                cap = f"\\caption{{{escape_unicode(caption)}}}" if caption else ""
                return (
                    "\\begin{figure}[ht]\\centering"
                    f"\\includegraphics[width=0.9\\linewidth]{{{local}}}{cap}\\end{{figure}}\n"
                )
        self.missing.append(f"figure {name}")
        return no_answer_box(
            f"Figure '{name.replace('_', ' ')}' not found: run the notebook first."
        )

    def metric(self, key: str, fmt: str = "{}") -> str:
        value = lookup_metric(self.metrics, key)
        if value is _MISSING:
            return "\\textit{(not measured)}"
        return markdown_to_latex(fmt.format(value)).strip()

    def constant(self, name: str) -> Any:
        return library_constant(name)


def _inline(markdown: str) -> str:
    """One line of markdown (a heading) as inline LaTeX."""
    return markdown_to_latex(markdown).strip()


_ENV = jinja2.Environment(
    block_start_string="\\BLOCK{",
    block_end_string="}",
    variable_start_string="\\VAR{",
    variable_end_string="}",
    comment_start_string="\\#{",
    comment_end_string="}",
    trim_blocks=True,
    autoescape=False,
    undefined=jinja2.StrictUndefined,
    loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
)
_ENV.filters["sci"] = sci_tex


def render_body(source: Source, build_dir: Path) -> tuple[str, list[str]]:
    """Fill one module's template; return the LaTeX body and what was missing."""
    template_name = f"{source.module}.tex"
    if not (TEMPLATE_DIR / template_name).exists():
        raise FileNotFoundError(f"no report template {TEMPLATE_DIR / template_name}")
    filler = _Filler(source, build_dir)
    header = (
        f"\\reportsource{{{escape_unicode(latex_escape(source.label))}}}"
        f"{{{latex_escape(source.notebook.name)}}}\n"
    )
    body = _ENV.get_template(template_name).render(
        title=filler.title_,
        section=filler.section,
        answer=filler.answer,
        figure=filler.figure,
        metric=filler.metric,
        constant=filler.constant,
    )
    return header + body, filler.missing


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    table = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    return "".join(table.get(ch, ch) for ch in text)


def _document(title: str, bodies: list[str]) -> str:
    preamble = (TEMPLATE_DIR / "preamble.tex").read_text()
    return (
        preamble
        + f"\\title{{{latex_escape(title)}}}\\date{{{date.today().isoformat()}}}\n"
        + "\\begin{document}\n\\maketitle\n"
        + "\n\\clearpage\n".join(bodies)
        + "\n\\end{document}\n"
    )


def compile_pdf(tex_path: Path) -> Path:
    """Compile a .tex file with latexmk (pdflatex) next to it; raise with the log's end on failure."""
    if shutil.which("latexmk") is None:
        raise RuntimeError(
            f"latexmk not found: install TeX Live (Debian/Ubuntu: apt-get install "
            f"--no-install-recommends {TEX_PACKAGES})"
        )
    proc = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", tex_path.name],
        cwd=tex_path.parent,
        capture_output=True,
        text=True,
        errors="replace",  # TeX cuts multi-byte characters in its error context lines
    )
    pdf = tex_path.with_suffix(".pdf")
    if proc.returncode != 0 or not pdf.exists():
        log = tex_path.with_suffix(".log")
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else proc.stdout[-3000:]
        raise RuntimeError(f"LaTeX failed on {tex_path}:\n{tail}")
    return pdf


def build_reports(
    sources: list[Source], out_dir: Path, combined_name: str | None = "all_modules"
) -> dict[str, Path]:
    """Build one PDF per source, plus a combined PDF of all of them; return name → PDF path."""
    if not sources:
        raise ValueError("no notebooks to build reports from")
    out_dir = Path(out_dir)
    build = out_dir / "latex"
    build.mkdir(parents=True, exist_ok=True)
    pdfs: dict[str, Path] = {}
    bodies = []
    for source in sources:
        body, _missing = render_body(source, build)
        bodies.append(body)
        tex = build / f"{source.module}.tex"
        tex.write_text(
            _document(f"Language Models from Scratch: module {source.module[:2]}", [body])
        )
        pdfs[source.module] = _publish(compile_pdf(tex), out_dir)
    if combined_name and len(sources) > 1:
        tex = build / f"{combined_name}.tex"
        tex.write_text(_document("Language Models from Scratch: report", bodies))
        pdfs[combined_name] = _publish(compile_pdf(tex), out_dir)
    return pdfs


def _publish(pdf: Path, out_dir: Path) -> Path:
    dest = out_dir / pdf.name
    shutil.copyfile(pdf, dest)
    return dest


def sources_from_run(run_dir: Path) -> list[Source]:
    """The executed notebooks of a run folder (`<run>/<module>/<module>.ipynb`), in module order."""
    found = [
        Source(p.parent.name, p, label=f"run {Path(run_dir).name}")
        for p in source_notebooks(Path(run_dir))
    ]
    if not found:
        raise FileNotFoundError(f"no executed notebooks found in {run_dir}")
    return found


def sources_from_repo(notebook_dir: Path = NOTEBOOK_DIR) -> list[Source]:
    """The source notebooks, i.e. the answer key (figures appear only if they were run in place)."""
    return [Source(p.parent.name, p) for p in source_notebooks(notebook_dir)]
