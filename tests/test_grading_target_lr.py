"""Module 08's graded learning rate: the grader trains the target curve once, outside the students'
kernels, caches it by a hash of config and data, and mounts it read-only into every sandbox, where
the hidden test of question 5 only scores the submitted rate against it.

The sandbox tests run the source notebook's own hidden-test cell against a hand-written curve (its
best rate is 2^-6 by construction), with the training function poisoned inside the kernel: a pass
proves that nothing was trained there, and the file on the host is the oracle for what a hostile
cell could change.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from course_lib.data.tokens import write_token_ids
from course_lib.paths import REPO_ROOT
from workbook import sandbox, target_lr
from workbook.runner import load_profile, parameters_for

pytestmark = pytest.mark.usefixtures("one_thread")
MODULE = "08_hparam_transfer"
SOURCE = REPO_ROOT / "notebooks" / MODULE / f"{MODULE}.ipynb"
LIMITS = sandbox.Limits(cell_timeout=120, memory_bytes=4 << 30, output_bytes=20_000)
V = 32
# a hand-written curve: the lowest stable loss is at 2^-6; 2^-2 diverged with a lower loss
CURVE = pd.DataFrame(
    {
        "lr": [2.0**-8, 2.0**-7, 2.0**-6, 2.0**-5, 2.0**-2],
        "status": ["completed", "completed", "completed", "completed", "diverged"],
        "best_val_loss": [3.0, 2.5, 2.0, 2.2, 1.0],
    }
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Token files of a learnable stream (0, 1, ..., 31 repeated)."""
    folder = tmp_path_factory.mktemp("tokens")
    stream = np.tile(np.arange(V), 100)
    write_token_ids(stream, folder / "train.bin")
    write_token_ids(stream[:400], folder / "val.bin")
    return folder


def tiny_base(data_dir: Path, steps: int = 6) -> dict:
    """A target config of a few thousand parameters trained for a few steps."""
    return {
        "model": {"vocab_size": V, "context_length": 8, "d_model": 16, "n_layers": 1, "n_heads": 2},
        "train": {
            "batch_size": 2, "max_steps": steps, "lr": 1e-2, "min_lr": 1e-3, "warmup_steps": 1,
            "eval_interval": 3, "eval_batches": 1, "log_interval": 3, "device": "cpu",
        },
        "data": {"train": str(data_dir / "train.bin"), "val": str(data_dir / "val.bin")},
        "run": {"max_loss": 10.0},
    }  # fmt: skip


def test_the_curve_is_trained_once_per_config_and_data(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, lrs = tiny_base(data_dir), (1e-3, 1e-2)
    curve, path = target_lr.cached_target_curve(base, tmp_path, lrs)
    assert curve["lr"].tolist() == list(lrs), f"expected one row per rate, got {curve}"
    assert path.stem == target_lr.curve_digest(base, lrs)

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached curve was trained again")

    monkeypatch.setattr(target_lr, "target_lr_curve", no_training)
    again, same = target_lr.cached_target_curve(base, tmp_path, lrs)
    assert same == path and again.equals(curve), "expected the cached curve, read back unchanged"
    # the digest follows the config and the token files' contents, not their paths
    moved = tmp_path / "moved"
    moved.mkdir()
    for name in ("train.bin", "val.bin"):
        (moved / name).write_bytes((data_dir / name).read_bytes())
        if (data_dir / f"{name}.json").is_file():
            (moved / f"{name}.json").write_bytes((data_dir / f"{name}.json").read_bytes())
    assert target_lr.curve_digest(tiny_base(moved), lrs) == path.stem, "same data elsewhere"
    assert target_lr.curve_digest(tiny_base(data_dir, steps=7), lrs) != path.stem, "other steps"
    (moved / "val.bin").write_bytes((data_dir / "val.bin").read_bytes()[:-8])
    assert target_lr.curve_digest(tiny_base(moved), lrs) != path.stem, "other validation data"


def test_a_saved_curve_reads_back_with_its_best_rate(tmp_path: Path) -> None:
    path = target_lr.write_curve(CURVE, tmp_path / "curve.json", "abc")
    back = target_lr.read_curve(path)
    assert back.equals(CURVE), f"expected the curve written, got {back}"
    assert target_lr.best_rate(back) == 2.0**-6, "the diverged run's lower loss does not count"
    assert math.isclose(target_lr.lr_score(2.0**-4, back), 4.0), "2^-4 is four times off 2^-6"
    with pytest.raises(FileNotFoundError, match="no target learning-rate curve"):
        target_lr.read_curve(tmp_path / "missing.json")


def test_without_a_grader_the_notebook_trains_the_curve_itself(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The source notebook under papermill has no mounted curve: the hidden test trains one."""
    monkeypatch.delenv(target_lr.CURVE_ENV, raising=False)
    trained = []
    monkeypatch.setattr(target_lr, "target_lr_curve", lambda base: trained.append(base) or CURVE)
    assert target_lr.graded_target_curve(tiny_base(data_dir)) is CURVE and trained
    target_lr.write_curve(CURVE.head(3), tmp_path / target_lr.CURVE_FILE)
    monkeypatch.setenv(target_lr.CURVE_ENV, str(tmp_path))
    assert len(target_lr.graded_target_curve(tiny_base(data_dir))) == 3, "expected the file's"
    monkeypatch.setenv(target_lr.CURVE_ENV, str(tmp_path / "empty"))
    with pytest.raises(FileNotFoundError):
        target_lr.graded_target_curve(tiny_base(data_dir))


def hidden_test_cell() -> str:
    """The source notebook's test cell of question 5, hidden part included."""
    nb = nbformat.read(SOURCE, as_version=4)
    (cell,) = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_final_lr_optimum"
    ]
    assert "graded_target_curve(" in cell.source, "the hidden test reads the grader's curve"
    return cell.source


@pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bwrap is not installed")
def test_a_submission_is_scored_against_the_mounted_curve_it_cannot_change(
    tmp_path: Path,
) -> None:
    curve_dir = tmp_path / "grader_data"
    path = target_lr.write_curve(CURVE, curve_dir / target_lr.CURVE_FILE, "unit")
    before = path.read_bytes()
    poison = (
        "import workbook.target_lr as _t\n"
        "def _train(*args, **kwargs):\n"
        "    raise RuntimeError('trained inside the kernel')\n"
        "_t.target_lr_curve = _train\n"
        "LR_TOLERANCE = 3\n"
        "target_base = {'model': {}, 'train': {}, 'data': {}}\n"
    )
    hostile = (
        "import os, json\n"
        "where = os.path.join(os.environ['WORKBOOK_TARGET_LR_DIR'], 'target_lr_curve.json')\n"
        "done = []\n"
        "for name, act in [\n"
        "    ('write', lambda: open(where, 'w').write('{}')),\n"
        "    ('append', lambda: open(where, 'a').write(' ')),\n"
        "    ('remove', lambda: os.remove(where)),\n"
        "    ('rename', lambda: os.rename(where, where + '.old')),\n"
        "    ('chmod', lambda: os.chmod(where, 0o777)),\n"
        "    ('new file', lambda: open(where + '.new', 'w').write('{}')),\n"
        "]:\n"
        "    try:\n"
        "        act(); done.append(name)\n"
        "    except OSError:\n"
        "        pass\n"
        "print(json.dumps(done))"
    )
    test = hidden_test_cell()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(poison),
        nbformat.v4.new_code_cell(hostile),
        nbformat.v4.new_code_cell("final_lr = 2.0**-5  # twice the best rate: within 3"),
        nbformat.v4.new_code_cell(test),
        nbformat.v4.new_code_cell("final_lr = 2.0**-2  # sixteen times the best rate"),
        nbformat.v4.new_code_cell(test),
    ]
    (tmp_path / "work").mkdir()
    result = sandbox.run_notebook(
        json.loads(nbformat.writes(nb)),
        tmp_path / "work",
        MODULE,
        LIMITS,
        target_lr_dir=curve_dir,
    )
    assert result.ok, result.reason
    outputs = [c["outputs"] for c in result.cells]
    errors = [[o for o in out if o.get("output_type") == "error"] for out in outputs]
    assert not errors[0] and not errors[1], f"expected the set-up cells to run, got {errors[:2]}"
    refused = "".join(o.get("text", "") for o in outputs[1])
    assert json.loads(refused) == [], f"expected every change refused, got {refused}"
    assert path.read_bytes() == before, "expected the curve file unchanged on the host"
    assert sorted(p.name for p in curve_dir.iterdir()) == [target_lr.CURVE_FILE]
    assert not errors[3], f"expected a rate twice off the best to pass, got {errors[3]}"
    printed = "".join(o.get("text", "") for o in outputs[3])
    assert "best rate of the target model 0.01562" in printed, printed
    assert [e["ename"] for e in errors[5]] == ["AssertionError"], (
        f"expected a rate 16 times off the best to fail its assertion, got {errors[5]}"
    )


@pytest.mark.slow
def test_precompute_trains_the_source_notebooks_target_once(tmp_path: Path) -> None:
    """The grader's curve comes from the source notebook's data cells with the assignment's
    parameters (the `ci` profile here); a second precompute reuses the cache."""
    params = parameters_for(MODULE, SOURCE, load_profile("ci"), {})
    out = target_lr.precompute(SOURCE, tmp_path / "out", tmp_path / "cache", params)
    curve = target_lr.read_curve(out)
    assert curve["lr"].tolist() == list(target_lr.TARGET_LRS), curve
    assert curve["status"].eq("completed").any(), f"expected some stable runs, got {curve}"
    (cached,) = (tmp_path / "cache").iterdir()
    stamp = cached.stat().st_mtime_ns
    again = target_lr.precompute(SOURCE, tmp_path / "again", tmp_path / "cache", params)
    assert target_lr.read_curve(again).equals(curve), "expected the cached curve"
    assert cached.stat().st_mtime_ns == stamp and len(list((tmp_path / "cache").iterdir())) == 1
