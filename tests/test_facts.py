"""One source for each fact: the notebooks state question points, library constants and run numbers
that the tests below hold to their single source (nbgrader metadata, `course_lib`, metrics.json).

Markdown cannot import, so where a notebook's text states a constant the test formats the constant
and looks for it; answer prose takes a run's numbers from `{{key:spec}}` placeholders that the reports
fill from metrics.json, and a number written by hand into an answer must be a stated constant listed
in ALLOWED_NUMBERS.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course_lib.accounting.budget import CHINCHILLA_TOKENS_PER_PARAM
from course_lib.accounting.cost import WINDOW, cost_estimate
from course_lib.accounting.hardware import GPUS, TERA
from course_lib.accounting.memory import layer_activation_bytes, max_batch_size
from course_lib.accounting.params import param_counts
from course_lib.accounting.presets import gpt2_config
from course_lib.data.minhash import PRIME
from course_lib.data.policies import IGNORE_INDEX
from course_lib.data.tokens import UINT16_LIMIT
from course_lib.finetune.precision import FP16_MAX
from course_lib.hparam.plan import LR_TOLERANCE, MIN_EXPERIMENTS
from course_lib.merging.domains import DOMAINS
from course_lib.training.final_model import FINAL_BUDGET_FLOPS, FINAL_THRESHOLD
from workbook import reports
from workbook.modules import TEMPLATE_DIR, source_notebooks
from workbook.target_lr import TARGET_LRS

NOTEBOOKS = {p.parent.name: p for p in source_notebooks()}
HEADING = re.compile(r"\*\*(?:Exercise|Question) (\d+\.\d+) \((\d+(?:\.\d+)?) points?\)\.\*\*")
# A number as prose writes it: 7, 0.53, 2,761, 29.5 %; not part of a name (uint16, GPT-2, b8, 10k).
NUMBER = re.compile(
    r"(?<![\w.])(?<![A-Za-z]-)(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w])"
    r"(?P<percent>\s?%)?"
)
REFERENCE = re.compile(r"\b(?:Question|Exercise|[Ss]ection|part|module) \d+(?:\.\d+)?")


def _cells(module: str) -> list[nbformat.NotebookNode]:
    return nbformat.read(NOTEBOOKS[module], as_version=4).cells


def _cell(module: str, grade_id: str) -> nbformat.NotebookNode:
    for cell in _cells(module):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"{module} has no cell {grade_id}")


# --- points ------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", NOTEBOOKS)
def test_stated_points_are_the_graded_points(module: str) -> None:
    """Each `**Exercise/Question N.M (P points).**` states the nbgrader points of the graded cells
    that follow it up to the next heading, and no graded cell comes before a heading."""
    stated: dict[str, float] = {}
    graded: dict[str, float] = {}
    current = None
    for cell in _cells(module):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("locked"):
            for number, points in HEADING.findall(cell.source):
                assert number not in stated, f"{module}: two headings numbered {number}"
                current, stated[number], graded[number] = number, float(points), 0.0
        if meta.get("grade"):
            assert current is not None, f"{module}: {meta['grade_id']} has no heading above it"
            graded[current] += float(meta.get("points", 0))
    assert graded == stated


@pytest.mark.parametrize("module", NOTEBOOKS)
def test_every_answer_cell_has_its_question_right_above(module: str) -> None:
    questions = reports.written_questions(NOTEBOOKS[module])  # raises for a missing one
    assert set(questions) == set(reports.written_answers(NOTEBOOKS[module]))
    for q in questions.values():
        assert q.points == q.stated_points, f"{module} {q.answer_id}: {q.label} states other points"
        assert q.text and HEADING.search(q.text) is None


def test_a_question_without_its_heading_is_an_error(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOKS["01_unicode"], as_version=4)
    question = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q_chr0"
    )
    question.source = question.source.replace("**Question 1.1 (2 points).**", "Question 1.1:")
    path = tmp_path / "01_unicode.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="chr0_answer.*Question N.M"):
        reports.written_questions(path)
    assert "chr0_answer" not in reports.written_questions(path, strict=False)
    assert reports.format_points(1) == "1 point" and reports.format_points(2.5) == "2.5 points"


# --- templates: wording and points come from the notebook -------------------------------------


@pytest.mark.parametrize("module", NOTEBOOKS)
def test_templates_take_questions_and_headings_from_the_notebook(module: str) -> None:
    template = (TEMPLATE_DIR / f"{module}.tex").read_text()
    answers = re.findall(r'\\VAR\{answer\("(\w+)"\)\}', template)
    assert sorted(answers) == sorted(reports.written_answers(NOTEBOOKS[module]))
    # no question, heading or points written into the template by hand
    for hand_written in (r"\question", r"\begin{question}", r"\section*", r"\subsection*"):
        assert hand_written not in template
    assert not re.search(r"\b(pts?|points?)\)", template)
    _, sections = reports.notebook_headings(NOTEBOOKS[module])
    for number in re.findall(r'\\VAR\{section\("(\d+)"\)\}', template):
        assert number in sections, f"{module}: the notebook has no '## {number}. ...' heading"
    assert template.lstrip().startswith(r"\VAR{title()}")


# --- constants: stated in markdown, defined in course_lib --------------------------------------

A100 = GPUS["A100"]
XL, XL_GPT2 = gpt2_config("xl"), gpt2_config("xl", style="gpt2")
# elements one layer of GPT-2 XL saves per token in float32 (4 bytes), by part
XL_SAVED = {k: v // (4 * XL.context_length) for k, v in layer_activation_bytes(XL).items()}
XL_SCORES = 3 * XL.n_heads * XL.context_length  # scores, exponentials and probabilities per query
# the released GPT-2 XL: the GPT-2 style plus the biases of its Linear layers, 9·d_model per layer
XL_RELEASED = param_counts(XL_GPT2)["total"] + 9 * XL_GPT2.d_model * XL_GPT2.n_layers
STATED_CONSTANTS = [
    # (module, cell, the constant as the cell must write it)
    ("05_training", "md_final_intro", reports.sci_tex(FINAL_BUDGET_FLOPS)),
    ("05_training", "md_final_intro", f"**at most {FINAL_THRESHOLD} nats per byte**"),
    ("05_training", "steps_answer", f"about {CHINCHILLA_TOKENS_PER_PARAM:g} training tokens per"),
    ("03_data", "q_collate", f"(−{-IGNORE_INDEX})"),
    ("03_data", "q_minhash", f"$p = 2^{{{PRIME.bit_length()}}} - 1$"),
    ("02_tokenizers", "uint16_answer", f"the integers 0 to {UINT16_LIMIT - 1:,}"),
    ("06_accounting", "q_cost_estimate", f"of steps {WINDOW[0]}–{WINDOW[1]}"),
    ("06_accounting", "q_cost_estimate", f"window=({WINDOW[0]}, {WINDOW[1]})"),
    ("06_accounting", "md_cost_run", f"of steps {WINDOW[0]}–{WINDOW[1]}"),
    ("06_accounting", "q_training_time", f"float32 peak of {A100.fp32 / TERA:g} TFLOP/s"),
    ("06_accounting", "md_a100", f"tensor-core peak ({A100.bf16 / TERA:g} TFLOP/s)"),
    ("06_accounting", "md_a100", f"about {CHINCHILLA_TOKENS_PER_PARAM:g} training tokens per"),
    ("06_accounting", "md_budget", f"`D ≈ {CHINCHILLA_TOKENS_PER_PARAM:g}·N`"),
    ("06_accounting", "md_budget", f"`N ≈ √(C / {6 * CHINCHILLA_TOKENS_PER_PARAM:g})`"),
    ("06_accounting", "q_max_batch_size", f"{A100.memory_bytes / 1e9:g} GB = "),
    ("06_accounting", "mixed_precision_answer", f"{A100.bf16 / TERA:g} TFLOP/s in bfloat16"),
    ("06_accounting", "mixed_precision_answer", f"against {A100.fp32 / TERA:g} in float32"),
    (
        "06_accounting",
        "q_layer_activations",
        f"saves {XL_SAVED['norms'] + XL_SAVED['attention'] + XL_SAVED['ffn']:,} float32 elements "
        f"(norms {XL_SAVED['norms']:,}; attention {XL_SAVED['attention']:,}, of which "
        f"{XL_SCORES:,} are the `n_heads × T` score, exponential and probability rows; "
        f"SwiGLU {XL_SAVED['ffn']:,}), and the logits and log-softmax add 2 × {XL.vocab_size:,}",
    ),
    ("06_accounting", "md_params_table", f"(GPT-2 XL: {XL_RELEASED:,})"),
    ("08_hparam_transfer", "md_q2", f"about {CHINCHILLA_TOKENS_PER_PARAM:g} training tokens per"),
    (
        "08_hparam_transfer",
        "q2_answer",
        f"about {CHINCHILLA_TOKENS_PER_PARAM:g} training tokens per",
    ),
    ("08_hparam_transfer", "q_plan", f"at least `MIN_EXPERIMENTS` ({MIN_EXPERIMENTS})"),
    ("10_finetuning", "md_memory", f"up to `FP16_MAX` ({FP16_MAX:,.0f})"),
    ("08_hparam_transfer", "q_final_lr", f"within a factor of `LR_TOLERANCE` ({LR_TOLERANCE:g})"),
    (
        "08_hparam_transfer",
        "q_final_lr",
        f"a factor of two apart from $2^{{{math.log2(TARGET_LRS[0]):g}}}$ to "
        f"$2^{{{math.log2(TARGET_LRS[-1]):g}}}$",
    ),
]


@pytest.mark.parametrize(("module", "cell", "text"), STATED_CONSTANTS)
def test_notebook_text_states_the_library_constants(module: str, cell: str, text: str) -> None:
    assert text in _cell(module, cell).source


def test_stated_defaults_are_the_library_defaults() -> None:
    """The defaults that 06's exercise texts write out are those of the library's signatures."""
    assert PRIME == 2 ** PRIME.bit_length() - 1
    assert A100.memory_bytes == max_batch_size.__defaults__[0]
    assert "dollars_per_hour=1.50" in _cell("06_accounting", "q_cost_estimate").source
    assert cost_estimate.__defaults__[0] == 1.50


# the plots 11's markdown gives as examples of each domain of `course_lib.merging.domains.DOMAINS`
DOMAIN_EXAMPLES = {
    "outdoors": ("season", "farm", "river", "camping"),
    "making": ("shop", "baking", "building", "band"),
    "people": ("friend", "fear", "mistake", "birthday"),
}


def test_module_11_states_the_library_domains() -> None:
    """11 names the three domains of DOMAINS, each with example plots that belong to it."""
    text = _cell("11_merging", "md_domains").source
    assert list(DOMAIN_EXAMPLES) == list(DOMAINS) and "three domains" in text
    for name, plots in DOMAIN_EXAMPLES.items():
        assert f"**{name}**" in text, f"the text does not name domain {name}"
        assert set(plots) <= set(DOMAINS[name]), f"{plots} are not all plots of {name}"
        assert all(plot in text for plot in plots), f"the text does not give {plots}"


FINAL_TESTS = ("test_final_model_budget", "test_final_model_heldout")


def test_final_model_tests_import_the_budget_and_threshold() -> None:
    """The graded final-model cells, hidden part included, compare with the library's constants."""
    for grade_id in FINAL_TESTS:
        source = _cell("05_training", grade_id).source
        assert "FINAL_BUDGET_FLOPS" in source or "FINAL_THRESHOLD" in source
        for literal in (repr(FINAL_BUDGET_FLOPS), f"{FINAL_BUDGET_FLOPS:g}", repr(FINAL_THRESHOLD)):
            assert literal not in source, f"{grade_id} repeats {literal} by hand"
    heldout = _cell("05_training", "test_final_model_heldout").source
    hidden = heldout[heldout.index("### BEGIN HIDDEN TESTS") :]
    assert "FINAL_BUDGET_FLOPS" in hidden and "FINAL_THRESHOLD" in hidden
    for module in NOTEBOOKS:  # nowhere else either, code or text
        for cell in _cells(module):
            assert "1.2e13" not in cell.source and "1.2e+13" not in cell.source


# --- run numbers: placeholders in answers, never written by hand -------------------------------

# Numbers an answer may write by hand: facts that no run of the notebook produces (formats, GPT-2's
# sizes, worked examples, the setup of a comparison). Everything else comes from a placeholder.
ALLOWED_NUMBERS: dict[tuple[str, str], set[str]] = {
    # U+0800, the first three-byte code point; 256 byte values; a bit pattern
    ("01_unicode", "utf8_why_answer"): {"0800", "256"},
    ("01_unicode", "undecodable_answer"): {"00101000"},
    # the uint16 range, GPT-2's vocabulary, the Pile's size as a worked example
    ("02_tokenizers", "uint16_answer"): {
        *("65,535", "65,536", "50,257", "16", "256", "200", "400", "825", "1.6"),
    },
    # the tolerances t of the comparison, and a worked example of padding a web page
    ("03_data", "policies_answer"): {"16", "64", "200", "4,096", "95 %"},
    # the band counts of the table, fixed in the notebook's code
    ("03_data", "bands_answer"): {"16", "32", "64"},
    # all pairs of five million documents
    ("03_data", "mapreduce_answer"): {"1.25", "10", "13"},
    ("04_model", "causal_vs_masked_answer"): {"15%"},  # BERT's masking rate
    ("04_model", "prenorm_why_answer"): {"2020"},  # Xiong et al.
    # GPT-2 small: V = 50,257, d = 768, 124 M parameters; the byte vocabulary of part 10
    ("04_model", "weight_tying_answer"): {"50", "257", "768", "38.6", "124", "256"},
    ("05_training", "steps_answer"): {"2022"},  # Hoffmann et al.
    ("05_training", "accumulation_answer"): {"10"},
    # GPT-2's contexts (1,024 and 16,384 tokens, 16× apart) and the per-layer cost 24·d²
    ("06_accounting", "flops_dominance_answer"): {"1,024", "16,384", "16", "24", "256"},
    # GPT-2 XL's 48 layers and d_model; the 80 GB of an A100
    ("06_accounting", "checkpointing_answer"): {"48", "1,600", "80"},
    # the A100's peaks (checked in STATED_CONSTANTS), 16 bytes per parameter, bfloat16's mantissa
    ("06_accounting", "mixed_precision_answer"): {"312", "19.5", "80", "16", "256"},
    # GPT-2 XL's elements per layer and token, per token once, and the bytes of both: the hand
    # derivation the instructions state (q_layer_activations, checked in STATED_CONSTANTS); the
    # scores' 3·h·T²·L·4 bytes = 15.1 GB; the context of 1,024 tokens
    ("06_accounting", "memory_derivation_answer"): {
        *("9,602", "83,250", "32,000", "124,852", "499,408", "105,315", "421,260", "15.1"),
        "1,024",
    },
    # a batch of 1,024 sequences of 1,024 tokens
    ("06_accounting", "adamw_flops_answer"): {"1,024"},
    # the planner's grid and vocabulary, its minimum of 100 steps, Chinchilla's 20 (6 × 20 = 120),
    # √100 = 10, and attention's 12·n_layers·T·d_model FLOPs per token
    ("06_accounting", "budget_answer"): {
        *("1,024", "10,000", "100", "120", "16", "20", "64", "10", "12"),
    },
    # Chinchilla's 20 tokens per parameter
    ("06_accounting", "budget_runs_answer"): {"20"},
    # 10-605's rule: the worst of the probe's steps 10-19
    ("08_hparam_transfer", "q1_answer"): {"10", "19"},
    # a worked example (a set 80 % positive) and chance on two balanced labels
    ("09_generation", "calibration_answer"): {"80 %", "30", "50 %"},
    ("09_generation", "icl_answer"): {"50 %"},
}


def number_tokens(markdown: str) -> list[tuple[str, float, int, bool]]:
    """Numbers written in answer prose outside placeholders and references such as `Question 5.1`:
    (as written, value, decimals, percent)."""
    out = []
    text = REFERENCE.sub(" ", reports.PLACEHOLDER.sub(" ", markdown))
    for match in NUMBER.finditer(text):
        written = match["number"]
        decimals = len(written.split(".")[1]) if "." in written else 0
        out.append(
            (match[0].strip(), float(written.replace(",", "")), decimals, bool(match["percent"]))
        )
    return out


def looks_measured(written: str) -> bool:
    """A number that reads like a measurement: with decimals, thousands separators or a percent."""
    return any(ch in written for ch in ".,%")


@pytest.mark.parametrize("module", NOTEBOOKS)
def test_answers_write_no_measured_numbers_by_hand(module: str) -> None:
    for grade_id, text in reports.written_answers(NOTEBOOKS[module]).items():
        allowed = ALLOWED_NUMBERS.get((module, grade_id), set())
        by_hand = [w for w, *_ in number_tokens(text) if looks_measured(w) and w not in allowed]
        assert by_hand == [], f"{module} {grade_id}: use a {{{{metric}}}} placeholder for {by_hand}"


@pytest.mark.parametrize("module", NOTEBOOKS)
def test_answer_placeholders_name_metrics_the_notebook_saves(module: str) -> None:
    """Statically: each placeholder's top-level key is written by a code cell of the notebook."""
    code = "\n".join(c.source for c in _cells(module) if c.cell_type == "code")
    for grade_id, text in reports.written_answers(NOTEBOOKS[module]).items():
        for match in reports.PLACEHOLDER.finditer(text):
            top = match["key"].split(".")[0]
            assert f'"{top}"' in code, f"{module} {grade_id}: no code cell saves {top!r}"


def _numbers(metrics: Any) -> list[float]:
    if isinstance(metrics, dict):
        return [x for v in metrics.values() for x in _numbers(v)]
    if isinstance(metrics, list):
        return [x for v in metrics for x in _numbers(v)]
    if (
        isinstance(metrics, int | float)
        and not isinstance(metrics, bool)
        and math.isfinite(metrics)
    ):
        return [float(metrics)]
    return []


def run_numbers_by_hand(
    markdown: str, metrics: dict[str, Any], allowed: set[str] = frozenset()
) -> list[str]:
    """Numbers in an answer that equal a metric of the run (as written, or as a percentage of a
    share) and are not allowed: figures copied from one run that the next run contradicts."""
    values = _numbers(metrics)
    found = []
    for written, value, decimals, _ in number_tokens(markdown):
        if written in allowed or (decimals == 0 and value < 10):
            continue  # small integers (k = 4, 2 bytes) are everywhere in prose
        for metric in values:
            if any(round(c, decimals) == value for c in (metric, 100 * metric)):
                found.append(written)
                break
    return found


def test_run_numbers_by_hand_are_found() -> None:
    metrics = {"leakage": {"val_docs": 743, "val_with_train_duplicate": 44, "share": 0.0592}}
    text = "{{leakage.val_with_train_duplicate}} of the 743 stories (5.9 %), 44 more; 12 other"
    assert run_numbers_by_hand(text, metrics) == ["743", "5.9 %", "44"]
    assert run_numbers_by_hand(text, metrics, {"743", "44"}) == ["5.9 %"]


@pytest.mark.slow
@pytest.mark.parametrize("module", NOTEBOOKS)
def test_answer_key_numbers_come_from_the_run(executed_run, module: str) -> None:
    """On an executed run: every placeholder of the answer key is measured and formats, and no
    number written by hand equals one of the run's metrics."""
    run_dir, _ = executed_run
    path = run_dir / module / reports.METRICS_FILE
    metrics = json.loads(path.read_text()) if path.exists() else {}
    for grade_id, text in reports.written_answers(NOTEBOOKS[module]).items():
        _, missing = reports.fill_placeholders(text, metrics)
        assert missing == [], f"{module} {grade_id}: the run did not measure {missing}"
        allowed = ALLOWED_NUMBERS.get((module, grade_id), set())
        assert run_numbers_by_hand(text, metrics, allowed) == [], f"{module} {grade_id}"


# --- the report helpers -----------------------------------------------------------------------


def test_placeholders_are_filled_formatted_or_marked_missing() -> None:
    metrics = {"a": {"b": 2761, "share": 0.2953, "name": " Bartholomew"}, "flag": True}
    text = "{{a.b:,}} stories ({{ a.share:.1% }}), `{{a.name}}`, {{flag}}, {{a.c}}, {{a}}, {b}"
    filled, missing = reports.fill_placeholders(text, metrics)
    assert filled == (
        "2,761 stories (29.5%), ` Bartholomew`, True, [not measured: a.c], [not measured: a], {b}"
    )
    assert missing == ["a.c", "a"]
    with pytest.raises(ValueError, match="cannot format metric a.name"):
        reports.fill_placeholders("{{a.name:.2f}}", metrics)


def test_scientific_notation_and_library_constants() -> None:
    assert reports.sci_tex(1.2e13) == r"$1.2 \times 10^{13}$"
    assert reports.sci_tex(1e15) == r"$10^{15}$"
    assert reports.sci_tex(2.5e-7) == r"$2.5 \times 10^{-7}$"
    name = "course_lib.training.final_model:FINAL_THRESHOLD"
    assert reports.library_constant(name) == FINAL_THRESHOLD
    with pytest.raises(ValueError, match="expected 'package.module:NAME'"):
        reports.library_constant("course_lib.training.final_model.FINAL_THRESHOLD")
    with pytest.raises(ValueError, match="has no NOPE"):
        reports.library_constant("course_lib.training.final_model:NOPE")
