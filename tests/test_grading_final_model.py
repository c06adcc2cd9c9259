"""Module 05's final-model exercise through real nbgrader: the grader scores the submitted folder.

Three students submit the answer key with a shortened main run (the final-model cells do not
depend on it) and a `final_model/` folder: the one trained by the embedded-profile run of the
notebook (full marks, and the grader reuses it rather than training again), an untrained model
saved with the same configs (within budget, above the threshold: the held-out cell scores zero),
and a truncated weights file (a clear error, zero on both cells, the file left as submitted).
A fourth source folder checks that an instructor's own run of the notebook is not released.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_lib.model import TransformerLM
from course_lib.paths import REPO_ROOT
from course_lib.training.final_model import WEIGHTS, load_final_model, save_final_model
from workbook import grading
from workbook.runner import set_parameters

pytestmark = pytest.mark.slow
MODULE = "05_training"
SOURCE = REPO_ROOT / "notebooks" / MODULE / f"{MODULE}.ipynb"
# the tokenizer settings stay at their defaults, so the submitted folder matches the notebook's
SHORT_RUN = {
    "train_bytes": 300_000,
    "max_steps": 20,
    "warmup_steps": 2,
    "eval_interval": 10,
    "eval_batches": 2,
    "diag_steps": 10,
}
CELLS = ("test_final_model_budget", "test_final_model_heldout")


def short_key() -> nbformat.NotebookNode:
    """The answer key with the parameters cell edited as a student would, for a quick main run."""
    return set_parameters(nbformat.read(SOURCE, as_version=4), SHORT_RUN)


def outputs_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(" ".join(out.get("traceback", [])))
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def graded(executed_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir, _ = executed_run
    trained = run_dir / MODULE / "final_model"
    assert (trained / WEIGHTS).is_file(), "the embedded run wrote no final model"
    course = tmp_path_factory.mktemp("course")
    grading.release(MODULE, course)
    subs = tmp_path_factory.mktemp("subs")
    for student in ("trained", "untrained", "corrupt"):
        folder = subs / student / MODULE
        folder.mkdir(parents=True)
        nbformat.write(short_key(), folder / f"{MODULE}.ipynb")
        shutil.copytree(trained, folder / "final_model")
    final = load_final_model(trained)
    save_final_model(
        subs / "untrained" / MODULE / "final_model",
        TransformerLM(final.model_config),
        final.tokenizer,
        final.model_config,
        final.train_config,
        step=final.train_config.max_steps,
    )
    weights = subs / "corrupt" / MODULE / "final_model" / WEIGHTS
    weights.write_bytes(weights.read_bytes()[:100_000])
    grading.collect(MODULE, subs, course)
    result, rows = grading.autograde(MODULE, course)
    (course / "autograde.log").write_text(result.output)
    assert result.ok, result.output[-3000:]
    assert all(r.status == "graded" for r in rows), grading.summary_table(rows)
    return course


def scores(course: Path, student: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(MODULE, MODULE, student)
        return {g.name: g.score for g in sub.grades if g.name in CELLS}


def autograded(course: Path, student: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "autograded" / student / MODULE / f"{MODULE}.ipynb", as_version=4)


def test_the_trained_folder_is_reused_and_earns_full_marks(graded: Path) -> None:
    assert scores(graded, "trained") == {
        "test_final_model_budget": 1,
        "test_final_model_heldout": 4,
    }
    text = outputs_text(autograded(graded, "trained"))
    assert "reusing the final model" in text and "saved to final_model/" not in text


def test_an_untrained_model_is_within_budget_but_fails_the_threshold(graded: Path) -> None:
    assert scores(graded, "untrained") == {
        "test_final_model_budget": 1,
        "test_final_model_heldout": 0,
    }
    assert "above the threshold" in outputs_text(autograded(graded, "untrained"))


def test_a_truncated_model_is_a_clear_error_and_is_not_replaced(graded: Path) -> None:
    assert scores(graded, "corrupt") == {
        "test_final_model_budget": 0,
        "test_final_model_heldout": 0,
    }
    assert "corrupt or truncated" in outputs_text(autograded(graded, "corrupt"))
    weights = graded / "autograded" / "corrupt" / MODULE / "final_model" / WEIGHTS
    assert weights.stat().st_size == 100_000


def test_a_run_of_the_source_notebook_is_not_released(tmp_path: Path) -> None:
    source = tmp_path / "notebooks"
    shutil.copytree(REPO_ROOT / "notebooks" / "01_unicode", source / "01_unicode")
    for name in grading.GENERATED:
        (source / "01_unicode" / name).mkdir()
        (source / "01_unicode" / name / "model.safetensors").write_bytes(b"instructor's")
    grading.release("01_unicode", tmp_path / "course", source)
    released = tmp_path / "course" / "release" / "01_unicode"
    assert (released / "01_unicode.ipynb").is_file()
    for name in grading.GENERATED:
        assert not (released / name).exists()
