"""Checkpoints: round trip, atomic writes, and clear errors on damaged or mismatched files."""

import random

import numpy as np
import pytest
import torch
from torch import nn

import course_lib.training.checkpoint as ckpt
from course_lib.model import ModelConfig, TransformerLM
from course_lib.training.adamw import AdamW, param_groups
from course_lib.training.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from course_lib.training.config import TrainConfig
from course_lib.training.schedules import LRSchedule
from course_lib.training.trainer import Trainer
from tests.helpers import TinyLM

pytestmark = pytest.mark.usefixtures("one_thread")

CONFIG = {"vocab_size": 20, "context_length": 8, "d_model": 16, "n_layers": 1, "n_heads": 2}


def trained(seed: int = 0, steps: int = 3):
    torch.manual_seed(seed)
    model = TinyLM(**CONFIG)
    opt = AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    ids = torch.randint(0, 20, (4, 8), generator=torch.Generator().manual_seed(1))
    for _ in range(steps):
        step(model, opt, ids)
    return model, opt, ids


def step(model, opt, ids):
    opt.zero_grad()
    logits = model(ids[:, :-1])
    nn.functional.cross_entropy(logits.reshape(-1, 20), ids[:, 1:].reshape(-1)).backward()
    opt.step()


def test_round_trip_restores_everything(tmp_path):
    model, opt, ids = trained()
    sched = LRSchedule("cosine", 1e-2, 1e-3, 2, 50)
    path = save_checkpoint(
        tmp_path / "run" / "ckpt.safetensors",
        model,
        opt,
        sched,
        step=3,
        model_config=CONFIG,
        train_config={"batch_size": 4},
        extra={"note": "hi"},
    )
    torch_state, np_draw, py_draw = torch.get_rng_state(), np.random.rand(), random.random()

    model2, opt2, _ = trained(seed=123, steps=1)
    sched2 = LRSchedule("constant", 5.0)
    torch.manual_seed(999)
    info = load_checkpoint(path, model2, opt2, sched2, model_config=CONFIG)
    assert info == {
        "step": 3,
        "model_config": CONFIG,
        "train_config": {"batch_size": 4},
        "extra": {"note": "hi"},
    }
    assert sched2 == sched
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.rand() == np_draw and random.random() == py_draw
    for (name, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        assert torch.equal(a, b), name
    # the restored optimizer continues exactly like the original
    step(model, opt, ids)
    step(model2, opt2, ids)
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(a, b)


def test_torch_optimizer_and_tied_weights(tmp_path):
    torch.manual_seed(0)
    model = TinyLM(**CONFIG)
    model.head.weight = model.token_embedding.weight
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    step(model, opt, torch.randint(0, 20, (2, 8)))
    save_checkpoint(tmp_path / "c.safetensors", model, opt)
    torch.manual_seed(1)
    other = TinyLM(**CONFIG)
    other.head.weight = other.token_embedding.weight
    opt2 = torch.optim.AdamW(other.parameters(), lr=1e-2)
    load_checkpoint(tmp_path / "c.safetensors", other, opt2, restore_rng_state=False)
    assert other.head.weight is other.token_embedding.weight
    assert torch.equal(other.head.weight, model.head.weight)
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert all(torch.equal(s1[i]["exp_avg"], s2[i]["exp_avg"]) for i in s1)


def assert_same_state(loaded: dict, original: dict) -> None:
    """Two optimizer state dicts are equal, types included: `==` alone takes [0.9, 0.95] for
    (0.9, 0.95) and 1 for 1.0 or True."""
    assert len(loaded["param_groups"]) == len(original["param_groups"])
    for got, want in zip(loaded["param_groups"], original["param_groups"]):
        assert got.keys() == want.keys()
        for key in want:
            assert type(got[key]) is type(want[key]) and got[key] == want[key], key
    assert loaded["state"].keys() == original["state"].keys()
    for i, values in original["state"].items():
        assert loaded["state"][i].keys() == values.keys()
        for key, want in values.items():
            got = loaded["state"][i][key]
            assert type(got) is type(want), (i, key)
            if torch.is_tensor(want):
                assert got.dtype == want.dtype and torch.equal(got, want), (i, key)
            else:
                assert got == want, (i, key)


@pytest.mark.parametrize("optimizer", [AdamW, torch.optim.AdamW])
def test_optimizer_state_round_trips_exactly(tmp_path, optimizer):
    """save -> load gives back optimizer.state_dict() itself: AdamW's betas stay a tuple."""
    torch.manual_seed(0)
    model = TinyLM(**CONFIG)
    opt = optimizer(param_groups(model, 0.1), lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
    for _ in range(2):
        step(model, opt, torch.randint(0, 20, (2, 8), generator=torch.Generator().manual_seed(3)))
    path = save_checkpoint(tmp_path / "c.safetensors", model, opt)
    fresh = optimizer(param_groups(model, 0.1), lr=5.0)
    load_checkpoint(path, optimizer=fresh, restore_rng_state=False)
    original = opt.state_dict()
    assert isinstance(original["param_groups"][0]["betas"], tuple)
    assert_same_state(fresh.state_dict(), original)


def test_truncated_and_corrupted_files_are_clear_errors(tmp_path):
    model, opt, _ = trained()
    path = save_checkpoint(tmp_path / "c.safetensors", model, opt)
    data = path.read_bytes()
    for name, damaged in [
        ("truncated", data[: len(data) // 2]),
        ("header", data[:8] + b"\x00" * 40 + data[48:]),
        ("bitflip", data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:]),
        ("empty", b""),
    ]:
        bad = tmp_path / f"{name}.safetensors"
        bad.write_bytes(damaged)
        with pytest.raises(ValueError, match="corrupt"):
            load_checkpoint(bad, model, opt)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors", model)


def test_interrupted_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    model, opt, ids = trained()
    path = save_checkpoint(tmp_path / "c.safetensors", model, opt, step=3)
    before = path.read_bytes()
    real_save = ckpt.save_file

    def crash_half_way(tensors, filename, metadata=None):
        real_save(tensors, filename, metadata=metadata)
        with open(filename, "r+b") as f:
            f.truncate(len(before) // 3)  # a torn write...
        raise KeyboardInterrupt("killed while writing")  # ...and the process dies

    step(model, opt, ids)
    monkeypatch.setattr(ckpt, "save_file", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, model, opt, step=4)
    assert path.read_bytes() == before
    assert read_metadata(path)["step"] == 3
    assert load_checkpoint(path, model, opt)["step"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]  # no temp file left


def test_config_and_shape_mismatches_are_clear_errors(tmp_path):
    model, opt, _ = trained()
    path = save_checkpoint(tmp_path / "c.safetensors", model, opt, model_config=CONFIG)
    with pytest.raises(ValueError, match="d_model: checkpoint 16 vs here 32"):
        load_checkpoint(path, model, model_config={**CONFIG, "d_model": 32})
    wider = TinyLM(**{**CONFIG, "d_model": 32})
    with pytest.raises(ValueError, match=r"token_embedding.weight: checkpoint \(20, 16\)"):
        load_checkpoint(path, wider)
    deeper = TinyLM(**{**CONFIG, "n_layers": 2})
    with pytest.raises(ValueError, match="missing layers.1"):
        load_checkpoint(path, deeper)
    other_opt = AdamW([p for p in model.parameters()][:3])
    with pytest.raises(ValueError, match="parameter groups"):
        load_checkpoint(path, model, other_opt)


@pytest.mark.parametrize("change", [{"n_heads": 4}, {"rope_theta": 500.0}, {"eps": 1e-6}])
def test_a_config_that_differs_with_the_same_shapes_is_refused(tmp_path, change):
    """Heads, RoPE base or the norm's epsilon change what the weights mean but no shape: the
    config comparison, not the shape check, must refuse such a checkpoint (also on resume)."""
    saved = ModelConfig(vocab_size=20, context_length=8, d_model=16, n_layers=1, n_heads=2)
    other = ModelConfig.from_dict({**saved.to_dict(), **change})
    shapes = [
        {k: v.shape for k, v in TransformerLM(c).state_dict().items()} for c in (saved, other)
    ]
    assert shapes[0] == shapes[1]  # the premise: no shape tells the two apart
    path = save_checkpoint(tmp_path / "checkpoint.safetensors", TransformerLM(saved), step=2)
    (key,) = change
    with pytest.raises(ValueError, match=f"another model config: {key}: checkpoint"):
        load_checkpoint(path, TransformerLM(other))
    cfg = TrainConfig(batch_size=2, context_length=8, max_steps=3, warmup_steps=0, device="cpu",
                      progress=False, live_plot=False, resume=True)  # fmt: skip
    data = np.arange(200, dtype=np.uint16) % 20
    trainer = Trainer(TransformerLM(other), cfg, data, out_dir=tmp_path)
    with pytest.raises(ValueError, match=f"{key}: checkpoint"):
        trainer.fit()


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter:UserWarning")
def test_loading_keeps_the_model_and_optimizer_on_their_device(tmp_path):
    """Weights and optimizer moments are read on the CPU and copied to where the model lives:
    checked on the meta device, which needs no GPU and fails on any stray CPU tensor."""
    model, opt, _ = trained()
    path = save_checkpoint(tmp_path / "c.safetensors", model, opt, step=3)
    on_meta = TinyLM(**CONFIG).to("meta")
    meta_opt = AdamW(on_meta.parameters(), lr=1e-2)
    load_checkpoint(path, on_meta, meta_opt, restore_rng_state=False)
    assert {p.device.type for p in on_meta.parameters()} == {"meta"}
    moments = [s[k] for s in meta_opt.state.values() for k in ("exp_avg", "exp_avg_sq")]
    assert len(moments) == 2 * len(list(on_meta.parameters()))
    assert {m.device.type for m in moments} == {"meta"}
