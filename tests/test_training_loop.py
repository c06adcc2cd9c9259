"""The training loop: batches, accumulation, overfitting, entropy floor, resume, divergence."""

import json
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.data.samplers import get_batch, sequential_batches
from course_lib.data.tokens import write_token_ids
from course_lib.training.adamw import param_groups
from course_lib.training.checkpoint import load_checkpoint
from course_lib.training.clipping import clip_grad_norm
from course_lib.training.config import TrainConfig
from course_lib.training.live_plot import LivePlot, in_notebook_frontend
from course_lib.training.loop import train_loop
from course_lib.training.losses import fast_cross_entropy
from course_lib.training.metrics import read_metrics
from course_lib.training.trainer import (
    Trainer,
    TrainingDiverged,
    build_optimizer,
    build_schedule,
    enable_activation_checkpointing,
    forward_backward,
    micro_batch_rng,
    train,
)
from tests.helpers import TinyLM

pytestmark = pytest.mark.usefixtures("one_thread")

V, T = 32, 16


def config(**overrides) -> TrainConfig:
    base = dict(
        batch_size=4, context_length=T, max_steps=8, lr=3e-3, min_lr=3e-4, warmup_steps=2,
        eval_interval=4, eval_batches=2, log_interval=1, device="cpu", progress=False,
        live_plot=False,
    )  # fmt: skip
    return TrainConfig(**{**base, **overrides})


def model(seed: int = 0, **kwargs) -> TinyLM:
    torch.manual_seed(seed)
    return TinyLM(vocab_size=V, context_length=T, **kwargs)


def tokens(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, V, n).astype(np.uint16)


@pytest.mark.parametrize("eval_batches", [2, None])
def test_validation_scores_the_first_eval_batches_of_sequential_batches(tmp_path, eval_batches):
    """403 tokens, batch 4, context 16: 25 full windows in 7 batches, then a tail row of 2 pairs;
    the trainer's validation is the token-weighted mean loss over the first `eval_batches`."""
    val = tokens(403, seed=1)
    write_token_ids(val, tmp_path / "val.bin")
    trainer = Trainer(
        model(), config(eval_batches=eval_batches), tokens(2000), tmp_path / "val.bin"
    )
    batches = list(sequential_batches(val, 4, T))[:eval_batches]
    assert len(batches) == (2 if eval_batches else 8)
    assert batches[-1][1].shape == ((4, T) if eval_batches else (1, 2))
    with torch.no_grad():
        total = sum(fast_cross_entropy(trainer.model(x), y, reduction="sum") for x, y in batches)
    want = total.item() / sum(y.numel() for _, y in batches)
    assert trainer.evaluate() == pytest.approx(want, rel=1e-6)  # float32 sums in another order


def test_accumulating_4_micro_batches_of_2_equals_one_batch_of_8():
    x = torch.randint(0, V, (8, T), generator=torch.Generator().manual_seed(0))
    y = torch.roll(x, -1, dims=1)
    big, small = model(), model()
    F.cross_entropy(big(x).reshape(-1, V), y.reshape(-1)).backward()
    micro = [(x[i : i + 2], y[i : i + 2]) for i in range(0, 8, 2)]
    loss = forward_backward(small, micro, n_micro=4)
    assert loss.item() == pytest.approx(fast_cross_entropy(big(x), y).item(), rel=1e-6)
    for (name, a), b in zip(big.named_parameters(), small.parameters()):
        # the same sums in another order: fp32 rounding only
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-5, atol=1e-7, msg=name)


def test_activation_checkpointing_keeps_gradients():
    x = torch.randint(0, V, (4, T), generator=torch.Generator().manual_seed(0))
    plain, ckpt = model(), model()
    assert enable_activation_checkpointing(ckpt)
    for m in (plain, ckpt):
        fast_cross_entropy(m(x), torch.roll(x, -1, 1)).backward()
    for a, b in zip(plain.parameters(), ckpt.parameters()):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-6, atol=1e-8)
    assert not enable_activation_checkpointing(torch.nn.Linear(2, 2))


def test_tiny_model_overfits_a_fixed_batch():
    fixed = get_batch(tokens(5000), 4, T, "cpu", torch.Generator().manual_seed(0))
    cfg = config(max_steps=150, lr=1e-2, min_lr=1e-3, warmup_steps=10, log_interval=50)
    result = train(model(), cfg, lambda rng: fixed)
    assert result.status == "completed"
    assert result.train_loss < 0.05  # from ln 32 = 3.47: memorised


def test_random_tokens_stay_near_their_entropy():
    """Uniform random tokens are unlearnable: validation loss stays at ln V (11-667 check)."""
    cfg = config(max_steps=100, lr=1e-2, warmup_steps=5, eval_interval=0, eval_batches=8)
    result = train(model(), cfg, tokens(100_000, seed=1), tokens(2_000, seed=2))
    entropy = math.log(V)
    # below ln V would mean the model sees the future; 512 validation tokens: ±0.02 noise
    assert entropy - 0.02 < result.val_loss < entropy + 0.05


def test_resume_after_interruption_repeats_the_losses(tmp_path):
    cfg = config(max_steps=8, checkpoint_interval=4)
    data, val = tokens(5000), tokens(500, seed=1)
    straight = train(model(), cfg, data, val, out_dir=tmp_path / "a")

    def kill_at_6(trainer, record):
        if record["step"] == 6:
            raise RuntimeError("simulated kill")

    with pytest.raises(RuntimeError, match="simulated kill"):
        train(model(), cfg, data, val, out_dir=tmp_path / "b", callbacks=[kill_at_6])
    # a fresh process: other initial weights, which the checkpoint of step 4 replaces
    resumed = train(model(seed=99), cfg, data, val, out_dir=tmp_path / "b")
    assert resumed.losses("train") == straight.losses("train")  # bit for bit on CPU
    assert resumed.losses("val") == straight.losses("val")
    steps = [r["step"] for r in read_metrics(tmp_path / "b" / "metrics.jsonl", "train")]
    assert steps == list(range(1, 9))  # the steps redone after the kill are logged once


def test_metrics_log_fields(tmp_path):
    cfg = config(max_steps=4, log_interval=2)
    train(model(), cfg, tokens(5000), tokens(500), out_dir=tmp_path)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    train_records = [r for r in records if r["kind"] == "train"]
    assert [r["step"] for r in train_records] == [1, 2, 4]
    fields = {"step", "tokens", "loss", "lr", "grad_norm", "tokens_per_s", "wall_time"}
    assert all(fields <= set(r) for r in train_records)
    assert train_records[-1]["tokens"] == 4 * 4 * T
    assert [r["step"] for r in records if r["kind"] == "val"] == [4]
    assert (tmp_path / "checkpoint.safetensors").is_file()


def test_nan_loss_stops_with_a_message_and_keeps_weights():
    calls = []

    def poisoned(logits, targets):
        calls.append(1)
        loss = fast_cross_entropy(logits, targets)
        return loss * float("nan") if len(calls) >= 3 else loss

    m = model()
    result = train(m, config(max_steps=10), tokens(5000), loss_fn=poisoned)
    assert result.status == "diverged" and result.step == 3
    assert "loss is nan at step 3" in result.message
    assert all(torch.isfinite(p).all() for p in m.parameters())  # the bad update was skipped
    calls.clear()
    with pytest.raises(TrainingDiverged, match="nan"):
        train(model(), config(on_divergence="raise"), tokens(5000), loss_fn=poisoned)


def test_runaway_loss_is_detected():
    cfg = config(max_steps=40, lr=5.0, min_lr=5.0, warmup_steps=0, grad_clip=None)
    result = train(model(), cfg, tokens(5000, seed=3))
    assert result.status == "diverged"
    assert "diverged" in result.message


def test_compile_failure_falls_back_with_a_warning(monkeypatch):
    def broken_compile(*args, **kwargs):
        raise RuntimeError("no C compiler")

    monkeypatch.setattr(torch, "compile", broken_compile)
    with pytest.warns(UserWarning, match="torch.compile failed.*no C compiler"):
        result = train(model(), config(max_steps=2, compile=True), tokens(5000))
    assert result.status == "completed"


@pytest.mark.parametrize("precision", ["amp_bf16", "amp_fp16"])
def test_autocast_and_activation_checkpointing_track_fp32(precision):
    """Autocast in bfloat16, or float16 through the gradient scaler, follows fp32 to 0.05 nats."""
    data, val = tokens(5000), tokens(500)
    reference = train(model(), config(max_steps=4), data, val)
    cfg = config(max_steps=4, precision=precision, activation_checkpointing=True)
    result = train(model(), cfg, data, val)
    assert result.status == "completed"
    assert result.val_loss == pytest.approx(reference.val_loss, abs=0.05)


def test_live_plot_is_silent_outside_a_notebook(monkeypatch):
    monkeypatch.delenv("WORKBOOK_LIVE_PLOT", raising=False)
    assert not in_notebook_frontend()
    plot = LivePlot()
    assert not plot.enabled
    plot.update(1, train_loss=3.0, force=True)
    plot.close()
    assert plot.train == ([], [])
    png = LivePlot(enabled=False)
    png.train = ([1, 2], [3.0, 2.5])
    assert png.render().startswith(b"\x89PNG")


def course_model():
    """The module 04 TransformerLM at a tiny size, or a skip while it is not importable."""
    model_package = pytest.importorskip("course_lib.model")
    if not hasattr(model_package, "TransformerLM"):
        pytest.skip("course_lib.model.TransformerLM not written yet")
    mc = model_package.ModelConfig(
        vocab_size=V, context_length=T, d_model=32, n_layers=2, n_heads=2
    )
    torch.manual_seed(0)
    return model_package.TransformerLM(mc), mc


def test_trains_the_course_model(tmp_path):
    lm, mc = course_model()
    names = {id(p): n for n, p in lm.named_parameters()}
    decayed = {names[id(p)] for p in param_groups(lm, 0.1)[0]["params"]}
    assert "token_embeddings.weight" not in decayed and "lm_head.weight" in decayed
    assert not any("ln" in n for n in decayed)
    cfg = config(
        max_steps=20, lr=1e-2, warmup_steps=2, eval_interval=0, activation_checkpointing=True
    )
    data = np.tile(np.arange(V, dtype=np.uint16), 100)  # a cycle: easy to learn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = train(lm, cfg, data, data[:500], out_dir=tmp_path)
    assert result.status == "completed" and result.val_loss < math.log(V) - 1
    fresh, _ = course_model()
    info = load_checkpoint(tmp_path / "checkpoint.safetensors", fresh, restore_rng_state=False)
    assert info["model_config"] == mc.to_dict() and info["step"] == 20
    ids = torch.from_numpy(data[:T].astype(np.int64))[None]
    torch.testing.assert_close(fresh(ids), lm(ids), rtol=0, atol=0)


def test_trainer_takes_the_steps_of_train_loop():
    """One definition of a training step: the Trainer's records and weights are those of the
    notebook's `train_loop` fed the same micro-batches, schedule, clipping and validation."""
    cfg = config(max_steps=7, grad_accum_steps=2, grad_clip=0.5, eval_interval=3, warmup_steps=3)
    data = tokens(5000)
    val = [get_batch(tokens(2000, seed=4), 4, T, "cpu", torch.Generator().manual_seed(1))]

    def source(rng):
        return get_batch(data, cfg.batch_size, cfg.context_length, "cpu", rng)

    trainer = Trainer(model(), cfg, source, lambda: val)
    twin = model()
    for p in [*trainer.model.parameters(), *twin.parameters()]:
        p.grad = torch.ones_like(p)  # left from before the run: neither may count them
    result = trainer.fit()
    optimizer = build_optimizer(twin, cfg)

    @torch.no_grad()
    def evaluate():
        twin.eval()
        loss = sum(fast_cross_entropy(twin(x), y, reduction="sum") for x, y in val)
        twin.train()
        return float(loss) / sum(y.numel() for _, y in val)

    history = train_loop(
        twin,
        optimizer,
        lambda step, micro: source(micro_batch_rng(cfg.seed, step, micro)),
        loss_fn=fast_cross_entropy,
        steps=cfg.max_steps,
        accumulation=cfg.grad_accum_steps,
        max_grad_norm=cfg.grad_clip,
        clip_fn=clip_grad_norm,
        lr_schedule=build_schedule(cfg),
        eval_every=cfg.eval_interval,
        eval_fn=evaluate,
    )
    trained = [r for r in result.history if r["kind"] == "train"]
    assert [r["step"] for r in trained] == [r["step"] for r in history] == list(range(1, 8))
    assert any(r["grad_norm"] > 0.5 for r in history), "the comparison should include clipping"
    for ours, theirs in zip(history, trained):
        assert ours["lr"] == theirs["lr"], ours["step"]
        # the trainer sums float32 micro-losses, the loop averages them in float64
        assert ours["loss"] == pytest.approx(theirs["loss"], rel=1e-6), ours["step"]
        assert ours["grad_norm"] == pytest.approx(theirs["grad_norm"], rel=1e-6), ours["step"]
    validated = [(r["step"], r["val_loss"]) for r in history if "val_loss" in r]
    assert [s for s, _ in validated] == [s for s, _ in result.losses("val")] == [3, 6, 7]
    for (_, ours), (_, theirs) in zip(validated, result.losses("val")):
        assert ours == pytest.approx(theirs, rel=1e-6)
    for (name, a), b in zip(trainer.model.named_parameters(), twin.parameters()):
        torch.testing.assert_close(b, a, rtol=0, atol=0, msg=name)  # the same operations on CPU


def test_train_loop_accumulation_equals_one_larger_batch():
    """4 micro-batches of 2 windows update a float64 model as one batch of 8 does (to 1e-12)."""
    data = tokens(5000)

    def micro(step, m):
        return get_batch(data, 2, T, "cpu", micro_batch_rng(0, step, m))

    def whole(step, m):
        xs, ys = zip(*(micro(step, i) for i in range(4)))
        return torch.cat(xs), torch.cat(ys)

    models = [model().double(), model().double()]
    runs = [
        train_loop(m, torch.optim.SGD(m.parameters(), lr=0.1), fn, loss_fn=fast_cross_entropy,
                   steps=3, accumulation=k)
        for m, fn, k in zip(models, (micro, whole), (4, 1))
    ]  # fmt: skip
    assert [r["loss"] for r in runs[0]] == pytest.approx([r["loss"] for r in runs[1]], rel=1e-12)
    for a, b in zip(*(m.parameters() for m in models)):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_batches_are_moved_to_the_trainer_device():
    """Training and validation batches land on the trainer's device, whatever device the data
    source returns them on: checked with the meta device, so it runs without a GPU."""
    trainer = Trainer(
        model(), config(grad_accum_steps=2), lambda g: get_batch(tokens(500), 4, T, "cpu", g)
    )
    trainer.device = torch.device("meta")
    batches = list(trainer.micro_batches(1))
    assert len(batches) == 2
    assert {t.device.type for batch in batches for t in batch} == {"meta"}
    token_trainer = Trainer(model(), config(), tokens(500), tokens(300))
    token_trainer.device = torch.device("meta")
    token_trainer.train_source = token_trainer._train_source(tokens(500))
    token_trainer.val_source = token_trainer._val_source(tokens(300))
    x, y = next(token_trainer.micro_batches(1))
    assert (x.device.type, y.device.type) == ("meta", "meta")
    assert {t.device.type for batch in token_trainer.val_source() for t in batch} == {"meta"}
