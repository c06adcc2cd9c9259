"""Sweeps: expansion and validation of specs, run folders, resume, crash isolation, divergence,
the same losses on every backend, Ray locally, the results frames, plots and `workbook sweep`."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import yaml

from course_lib.data.tokens import write_token_ids
from course_lib.model.config import ModelConfig
from course_lib.plots import plot_final_loss, plot_loss_curves
from course_lib.sweeps import (
    TRAIN,
    PoolBackend,
    RayBackend,
    SweepSpec,
    TrialKind,
    curves,
    load_spec,
    make_backend,
    results,
    run_sweep,
)
from course_lib.sweeps.trial import read_status
from course_lib.training.flops import training_flops_per_token
from workbook import cli

matplotlib.use("Agg")
pytestmark = pytest.mark.usefixtures("one_thread")

V = 32  # vocabulary of the token files; the tiny model below has 5,168 parameters


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Token files of a learnable stream (0, 1, ..., 31 repeated), and one cut short."""
    folder = tmp_path_factory.mktemp("tokens")
    stream = np.tile(np.arange(V), 200)
    write_token_ids(stream, folder / "train.bin")
    write_token_ids(stream[:600], folder / "val.bin")
    return folder


def base(data_dir: Path, **train: object) -> dict:
    """A trial of a few thousand parameters and 20 steps: about half a second on one core."""
    return {
        "model": {"vocab_size": V, "context_length": 16, "d_model": 16, "n_layers": 1, "n_heads": 2},
        "train": {
            "batch_size": 4, "max_steps": 20, "lr": 1e-2, "min_lr": 1e-3, "warmup_steps": 2,
            "eval_interval": 10, "eval_batches": 2, "log_interval": 5, "device": "cpu", **train,
        },
        "data": {"train": str(data_dir / "train.bin"), "val": str(data_dir / "val.bin")},
    }  # fmt: skip


HUGE_LR = {"name": "huge_lr", "train.lr": 1e3, "train.min_lr": 1e3, "train.warmup_steps": 0}
HUGE_LR |= {"train.grad_clip": None}
# a vocabulary of 8 cannot embed the stream's ids 8..31: the model raises on the first batch
CRASH = {"name": "crash", "model.vocab_size": 8}


@pytest.fixture(scope="module")
def mixed_sweep(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Serial run of two good learning rates, one that diverges and one trial that crashes."""
    out = tmp_path_factory.mktemp("mixed")
    spec = {
        "name": "mixed",
        "base": base(data_dir),
        "trials": [{"name": "lr_low", "train.lr": 3e-3}, {"name": "lr_high"}, HUGE_LR, CRASH],
    }
    run_sweep(spec, out, progress=False)
    return out


# expansion and validation


def test_grid_times_trials_expands_in_order_with_unique_stable_ids(data_dir: Path) -> None:
    spec = SweepSpec(
        base(data_dir),
        grid={"train.lr": [1e-3, 1e-2], "model.d_model": [16, 32]},
        trials=[{"name": "rms"}, {"name": "no_norm", "model": {"norm": "none"}}],
    )
    trials = spec.expand(TRAIN)
    assert len(trials) == 8, f"2 trials x 2 x 2 grid points should give 8, got {len(trials)}"
    assert [t.name for t in trials] == ["rms"] * 4 + ["no_norm"] * 4, "trials outer, grid inner"
    assert trials[1].overrides == {"train.lr": 1e-3, "model.d_model": 32}, trials[1].overrides
    assert trials[4].overrides["model.norm"] == "none", "nested overrides become dotted keys"
    assert (
        trials[4].config["model"]["norm"] == "none" and trials[0].config["model"]["norm"] == "rms"
    )
    assert trials[1].id.startswith("rms,lr=0.001,d_model=32-"), trials[1].id
    assert len({t.id for t in trials}) == 8, "every trial needs its own folder"
    again = SweepSpec(**{**spec.__dict__}).expand(TRAIN)
    assert [t.id for t in again] == [t.id for t in trials], "ids must not change between runs"
    moved = SweepSpec(base(data_dir, seed=1), grid=spec.grid, trials=spec.trials).expand(TRAIN)
    assert not {t.id for t in moved} & {t.id for t in trials}, "a base change must change ids"
    assert spec.swept == ["train.lr", "model.d_model", "model.norm"], spec.swept


def test_checked_config_fills_defaults_and_resolves_paths(data_dir: Path) -> None:
    config = base(data_dir)
    config["data"] = {"train": "train.bin", "val": None}
    (trial,) = SweepSpec(config, root=data_dir).expand(TRAIN)
    assert trial.config["data"] == {"train": str(data_dir / "train.bin"), "val": None}
    assert trial.config["train"]["context_length"] == 16, "context_length defaults to the model's"
    assert trial.config["train"]["progress"] is False, "no per-trial progress bars in a sweep"
    assert trial.config["model"]["d_ff"] == ModelConfig(d_model=16, n_heads=2).d_ff
    assert trial.config["run"] == {"max_loss": None, "keep_checkpoint": False}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grid": {"train.lr": 0.01}}, "non-empty list"),
        ({"grid": {"train.lr": []}}, "non-empty list"),
        ({"grid": {"lr": [0.01]}}, "dotted path"),
        ({"trials": [{"train.lr": 0.1}], "grid": {"train.lr": [0.01]}}, "also sweeps"),
        ({"trials": [{"name": "a b"}]}, "name must be"),
        ({"trials": ["train.lr=0.1"]}, "mapping of overrides"),
        ({"trials": [{"train.learning_rate": 0.1}]}, "unknown TrainConfig keys"),
        ({"trials": [{"optimizer.lr": 0.1}]}, "unknown config sections"),
        ({"trials": [{"model.n_heads": 3}]}, "trial n_heads=3: d_model .16. must be divisible"),
        ({"trials": [{"train.context_length": 32}]}, "longer than the model's"),
        ({"trials": [{"run.max_loss": -1}]}, "max_loss must be a positive number"),
        ({"trials": [{"name": "a"}, {"name": "b"}]}, "same config"),
        ({"trials": [{"data.train": {"path": "x"}}]}, "must be the path of a token file"),
    ],
)
def test_bad_specs_are_rejected_before_anything_runs(
    data_dir: Path, change: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SweepSpec(base(data_dir), **change).expand(TRAIN)


def test_missing_token_file_and_bad_spec_files(data_dir: Path, tmp_path: Path) -> None:
    config = base(data_dir)
    config["data"]["train"] = "nowhere.bin"
    with pytest.raises(FileNotFoundError, match="data.train: no token file"):
        SweepSpec(config, root=tmp_path).expand(TRAIN)
    with pytest.raises(ValueError, match="unknown sweep spec keys"):
        load_spec({"base": {}, "grids": {}})
    with pytest.raises(ValueError, match="needs a 'base'"):
        load_spec({"grid": {}})
    with pytest.raises(FileNotFoundError, match="no sweep spec"):
        load_spec(tmp_path / "missing.yaml")
    with pytest.raises(ValueError, match="unknown backend"):
        make_backend("threads")
    with pytest.raises(ValueError, match="max_concurrent must be a positive integer"):
        make_backend("pool", max_concurrent=0)
    with pytest.raises(ValueError, match="unknown trial kind"):
        run_sweep({"base": {}, "kind": "bake"}, tmp_path / "x", progress=False)


def test_yaml_reads_exponents_as_floats_and_names_the_sweep_after_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lr sweep.yaml"
    path.write_text("base: {train: {lr: 1e-3}}\ngrid: {train.lr: [3e-4, 1E-2, 1.5e+1]}\n")
    spec = load_spec(path)
    assert spec.base["train"]["lr"] == 1e-3, "PyYAML alone reads 1e-3 as the string '1e-3'"
    assert spec.grid["train.lr"] == [3e-4, 1e-2, 15.0], spec.grid
    assert spec.name == "lr-sweep" and spec.root == tmp_path, (spec.name, spec.root)


# running: folders, results, crash isolation and divergence


def test_results_frame_has_a_row_per_trial_with_config_and_metrics(mixed_sweep: Path) -> None:
    df = results(mixed_sweep)
    assert len(df) == 4, f"one row per trial, got {len(df)}"
    assert list(df.columns[:3]) == ["trial", "name", "status"], list(df.columns[:6])
    assert df.attrs["swept"] == [
        "train.lr", "train.min_lr", "train.warmup_steps", "train.grad_clip", "model.vocab_size"
    ], df.attrs["swept"]  # fmt: skip
    for column in ("model.d_model", "train.seed", "final_train_loss", "best_val_loss", "flops"):
        assert column in df.columns, f"missing column {column}"
    assert df["status"].tolist() == ["completed", "completed", "diverged", "failed"], df["status"]
    good = df.iloc[1]
    assert good["steps"] == 20 and good["tokens"] == 20 * 4 * 16, (good["steps"], good["tokens"])
    per_token = training_flops_per_token(ModelConfig(**base(Path())["model"]), 16)
    assert good["flops"] == good["tokens"] * per_token, "FLOPs are tokens x FLOPs per token"
    # embeddings and head 2 x 32 x 16, three RMSNorms 3 x 16, attention 4 x 16 x 16, SwiGLU
    # (d_ff 64) 3 x 64 x 16
    assert good["params"] == 2 * 32 * 16 + 3 * 16 + 4 * 16 * 16 + 3 * 64 * 16, good["params"]
    assert good["final_val_loss"] < math.log(V) - 0.5, "20 steps on a cyclic stream must learn"


def test_curves_are_long_form_by_step_tokens_flops_and_wall_clock(mixed_sweep: Path) -> None:
    long = curves(mixed_sweep)
    columns = ["trial", "split", "step", "tokens", "flops", "wall_time", "loss", "train.lr"]
    assert set(columns) <= set(long.columns), list(long.columns)
    good = long[long["name"] == "lr_high"]
    assert good[good["split"] == "train"]["step"].tolist() == [1, 5, 10, 15, 20]
    assert good[good["split"] == "val"]["step"].tolist() == [10, 20]
    assert (good["wall_time"].diff().dropna() >= 0).all(), "wall-clock must not run backwards"
    assert set(long["name"]) == {"lr_low", "lr_high", "huge_lr"}, "the crash logged no step"


def test_a_crashing_trial_keeps_its_traceback_and_the_others_finish(mixed_sweep: Path) -> None:
    df = results(mixed_sweep).set_index("name")
    crash = mixed_sweep / df.loc["crash", "trial"]
    traceback = (crash / "traceback.txt").read_text()
    assert "token id" in traceback and "out of range" in traceback, traceback[-500:]
    assert "Traceback (most recent call last)" in traceback
    assert df.loc["crash", "message"].startswith("ValueError: token id"), df.loc["crash", "message"]
    assert (df.drop(index="crash")["status"] != "failed").all(), "the crash must stay isolated"
    config = yaml.safe_load((crash / "config.yaml").read_text())
    assert config["overrides"] == {"model.vocab_size": 8}, config["overrides"]


def test_a_huge_learning_rate_is_recorded_as_diverged_not_failed(mixed_sweep: Path) -> None:
    status = read_status(
        mixed_sweep / results(mixed_sweep).set_index("name").loc["huge_lr", "trial"]
    )
    assert status["status"] == "diverged", status
    assert "diverged" in status["message"], status["message"]
    assert not (mixed_sweep / status["trial"] / "traceback.txt").exists(), "not an error"
    assert not (mixed_sweep / status["trial"] / "checkpoint.safetensors").exists()


def test_max_loss_ends_a_trial_as_diverged(data_dir: Path, tmp_path: Path) -> None:
    """The stream's first loss is near ln 32 = 3.47, so a ceiling of 1.0 is passed at step 1."""
    spec = {"base": {**base(data_dir), "run": {"max_loss": 1.0, "keep_checkpoint": True}}}
    df = run_sweep(spec, tmp_path, progress=False)
    assert df.loc[0, "status"] == "diverged", df.loc[0, "message"]
    assert "above max_loss 1.0" in df.loc[0, "message"], df.loc[0, "message"]
    assert df.loc[0, "steps"] == 1, "the step that passed the ceiling is logged and is the last"
    assert (tmp_path / df.loc[0, "trial"] / "checkpoint.safetensors").is_file(), "keep_checkpoint"


# resume


def test_rerun_skips_finished_trials_and_runs_failed_ones_again(
    data_dir: Path, tmp_path: Path
) -> None:
    late = tmp_path / "late.bin"
    write_token_ids(np.tile(np.arange(V), 50), late)
    whole = late.read_bytes()
    late.write_bytes(whole[:100])  # as if still being written: the sidecar promises more
    spec = {
        "base": base(data_dir, max_steps=10),
        "trials": [{"name": "ready"}, {"name": "late", "data.train": str(late)}],
    }
    first = run_sweep(spec, tmp_path / "sweep", progress=False).set_index("name")
    assert first["status"].tolist() == ["completed", "failed"], first["message"].tolist()
    assert "truncated" in first.loc["late", "message"], first.loc["late", "message"]
    ready = tmp_path / "sweep" / first.loc["ready", "trial"]
    stamps = {p.name: p.stat().st_mtime_ns for p in ready.iterdir()}
    late.write_bytes(whole)
    second = run_sweep(spec, tmp_path / "sweep", progress=False).set_index("name")
    assert second["status"].tolist() == ["completed", "completed"], second["message"].tolist()
    assert {p.name: p.stat().st_mtime_ns for p in ready.iterdir()} == stamps, "ready re-ran"
    assert not (tmp_path / "sweep" / first.loc["late", "trial"] / "traceback.txt").exists()
    assert second.loc["ready", "final_val_loss"] == first.loc["ready", "final_val_loss"]


def interrupt_once(config: dict, run_dir: Path) -> dict:
    """A trial kind whose first trial in a sweep folder is stopped by Ctrl-C."""
    marker = run_dir.parent / "interrupted-once"
    if not marker.exists():
        marker.touch()
        raise KeyboardInterrupt
    return {"status": "completed", "value": config["x"]["value"]}


def accept(config: dict, root: Path) -> dict:
    """Any config is runnable."""
    return config


INTERRUPTIBLE = TrialKind("interruptible", accept, interrupt_once)


def test_an_interrupted_trial_stays_running_and_runs_again(tmp_path: Path) -> None:
    spec = {"kind": "interruptible", "base": {"x": {"value": 0}}, "grid": {"x.value": [1, 2]}}
    kinds = {"interruptible": INTERRUPTIBLE}
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, tmp_path, kinds=kinds, progress=False)
    df = results(tmp_path)
    assert df["status"].tolist() == ["running", "pending"], "killed mid-trial, next not started"
    df = run_sweep(spec, tmp_path, kinds=kinds, progress=False)
    assert df["status"].tolist() == ["completed", "completed"], df["message"].tolist()
    assert df["value"].tolist() == [1, 2], "the kind's summary numbers become columns"


# backends


def test_serial_and_pool_give_the_same_losses_for_the_same_seeds(
    data_dir: Path, tmp_path: Path
) -> None:
    """Seeded weights and batches, one torch thread in the workers as in this process: the same
    numbers bit for bit."""
    spec = {"base": base(data_dir), "grid": {"train.seed": [0, 1]}}
    run_sweep(spec, tmp_path / "serial", progress=False)
    pool_backend = PoolBackend(max_concurrent=2, threads_per_trial=1)
    assert run_sweep(spec, tmp_path / "pool", pool_backend, progress=False)["status"].tolist() == [
        "completed",
        "completed",
    ]
    serial = curves(tmp_path / "serial")
    pool = curves(tmp_path / "pool")
    assert serial["trial"].tolist() == pool["trial"].tolist(), "the same trials and records"
    assert pool["loss"].tolist() == serial["loss"].tolist(), "pool and serial losses differ"
    by_seed = serial[serial["split"] == "val"].groupby("train.seed")["loss"].last()
    assert by_seed[0] != by_seed[1], "different seeds must give different runs"
    status = read_status(tmp_path / "pool" / pool["trial"].iloc[0])
    assert status["pid"] != os.getpid(), "the pool ran the trial in another process"


@pytest.fixture(scope="module")
def ray_local():
    """A local Ray instance of 2 CPUs for this module's Ray tests, shut down after them."""
    ray = pytest.importorskip("ray")
    backend = RayBackend(init_kwargs={"num_cpus": 2})
    yield backend
    ray.shutdown()


@pytest.mark.slow
def test_ray_runs_trials_locally_with_a_crash_and_a_divergence(
    ray_local: RayBackend, data_dir: Path, tmp_path: Path
) -> None:
    spec = {"base": base(data_dir), "trials": [{"name": "good"}, HUGE_LR, CRASH]}
    df = run_sweep(spec, tmp_path, ray_local, progress=False).set_index("name")
    assert df["status"].tolist() == ["completed", "diverged", "failed"], df["message"].tolist()
    for name in df.index:  # the files came back from the workers' scratch folders
        folder = tmp_path / df.loc[name, "trial"]
        assert {"config.yaml", "status.json"} <= {p.name for p in folder.iterdir()}, name
    crash = tmp_path / df.loc["crash", "trial"] / "traceback.txt"
    assert "out of range" in crash.read_text(), crash.read_text()[-300:]
    assert read_status(tmp_path / df.loc["good", "trial"])["pid"] != os.getpid()
    serial = run_sweep({**spec, "trials": [{"name": "good"}]}, tmp_path / "serial", progress=False)
    assert df.loc["good", "final_val_loss"] == serial.loc[0, "final_val_loss"], (
        "the same seed must give the same run on Ray (one thread per task, as here)"
    )
    again = run_sweep(spec, tmp_path, ray_local, progress=False).set_index("name")
    finished = ["good", "huge_lr"]
    assert again.loc[finished, "seconds"].tolist() == df.loc[finished, "seconds"].tolist(), (
        "finished trials are skipped"
    )
    assert again.loc["crash", "seconds"] != df.loc["crash", "seconds"], "failed ones run again"


# plots


def test_standard_plots_mark_divergence_and_check_their_axes(mixed_sweep: Path) -> None:
    df, long = results(mixed_sweep), curves(mixed_sweep)
    for x in ("step", "wall_time", "flops"):
        fig = plot_loss_curves(long, x=x, hue="train.lr")
        assert fig.axes[0].get_lines(), f"no curves drawn against {x}"
    fig = plot_final_loss(df, "train.lr", "final_train_loss")
    labels = [c.get_label() for c in fig.axes[0].collections]
    assert "diverged" in labels, f"the diverged trial must be marked; got {labels}"
    with pytest.raises(ValueError, match="x must be one of"):
        plot_loss_curves(long, x="epoch")
    with pytest.raises(ValueError, match="needs columns"):
        plot_final_loss(df, "train.beta")
    plt.close("all")


# the command line


def test_workbook_sweep_runs_a_yaml_spec_and_prints_a_summary(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    for name in ("train.bin", "val.bin"):
        for suffix in ("", ".json"):
            (tmp_path / (name + suffix)).write_bytes((data_dir / (name + suffix)).read_bytes())
    config = base(Path("."))  # token files next to the spec
    config["data"] = {"train": "train.bin", "val": "val.bin"}
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        yaml.safe_dump({"base": config})
        + "grid:\n  train.lr: [3e-3, 1e-2]\ntrials:\n  - {}\n  - {name: crash, model.vocab_size: 8}\n"
    )
    out = tmp_path / "out"
    code = cli.main(["sweep", str(spec), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 1, "a failed trial makes the command fail"
    assert "train.lr" in printed and "completed" in printed and "failed" in printed, printed
    assert "traceback:" in printed and "out of range" in printed, printed
    index = json.loads((out / "trials.json").read_text())
    assert len(index) == 4 and (out / "sweep.yaml").is_file(), index
    assert cli.main(["sweep", str(spec), "--backend", "serial", "--address", "x:1"]) == 2


@pytest.mark.slow
def test_notebook_trials_run_with_papermill_parameters(tmp_path: Path) -> None:
    import nbformat

    from workbook import sweep

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell('output_dir = "outputs"\nvalue = 1')
    params.metadata["tags"] = ["parameters"]
    body = (
        "from course_lib.runs import save_metrics\n"
        "if value < 0:\n    raise ValueError(f'no square root of {value}')\n"
        "save_metrics({'square': value**2, 'root': {'value': value**0.5}}, output_dir)"
    )
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    spec = tmp_path / "nb.yaml"
    spec.write_text(
        "kind: notebook\nbase: {notebook: tiny.ipynb, parameters: {value: 1}}\n"
        "grid: {parameters.value: [4, -1]}\n"
    )
    df, out = sweep.sweep(spec, out=tmp_path / "out", progress=False)
    assert df["status"].tolist() == ["completed", "failed"], df["message"].tolist()
    assert df.loc[0, "square"] == 16 and df.loc[0, "root.value"] == 2.0, df.iloc[0].to_dict()
    assert "no square root of -1" in df.loc[1, "message"], df.loc[1, "message"]
    assert (out / df.loc[1, "trial"] / "tiny.ipynb").is_file(), "the failed notebook is kept"
    spec.write_text("kind: notebook\nbase: {notebook: tiny.ipynb, parameters: {valu: 1}}\n")
    with pytest.raises(ValueError, match=r"has no parameters \['valu'\]"):
        sweep.sweep(spec, out=tmp_path / "bad", progress=False)
