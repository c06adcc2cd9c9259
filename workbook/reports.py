"""PDF reports: written answers (nbgrader manually graded cells) and saved figures, filled into each
module's LaTeX template and compiled with latexmk.

Templates (`reports/templates/NN_name.tex`) are LaTeX bodies with Jinja2 fields in LaTeX-safe
delimiters: `\\VAR{answer("grade_id")}`, `\\VAR{figure("name", "caption")}`, `\\VAR{metric("key")}`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import jinja2
import nbformat
import pypandoc

from course_lib.plots import FIGURE_DIR
from course_lib.runs import METRICS_FILE
from workbook.modules import NOTEBOOK_DIR, TEMPLATE_DIR, source_notebooks

PLACEHOLDER = "YOUR ANSWER HERE"
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


def written_answers(notebook: Path) -> dict[str, str]:
    """Markdown of each manually graded answer cell, keyed by grade_id."""
    nb = nbformat.read(notebook, as_version=4)
    answers = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            answers[meta["grade_id"]] = cell.source
    return answers


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
        self.answers = written_answers(source.notebook) if source.notebook.exists() else {}
        self.metrics = {}
        for folder in source.figure_dirs:
            path = folder.parent / METRICS_FILE
            if path.exists():
                self.metrics = json.loads(path.read_text())
                break
        self.missing: list[str] = []

    def answer(self, grade_id: str) -> str:
        text = self.answers.get(grade_id)
        if text is None or not text.strip() or text.strip() == PLACEHOLDER:
            self.missing.append(grade_id)
            return no_answer_box(f"No answer ({grade_id.replace('_', ' ')}).")
        return "\\begin{answer}\n" + markdown_to_latex(text) + "\\end{answer}\n"

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
        value = self.metrics
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                return "\\textit{(not measured)}"
            value = value[part]
        return markdown_to_latex(fmt.format(value)).strip()


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
        answer=filler.answer, figure=filler.figure, metric=filler.metric
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
