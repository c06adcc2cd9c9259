"""TrainConfig: YAML round trip and clear errors for bad settings."""

import numpy as np
import pytest

from course_lib.training.config import TrainConfig
from course_lib.training.trainer import Trainer
from tests.helpers import TinyLM


def test_yaml_round_trip_and_sections(tmp_path):
    cfg = TrainConfig(batch_size=4, betas=[0.9, 0.99], grad_clip=None, schedule="wsd")
    path = cfg.to_yaml(tmp_path / "train.yaml")
    assert TrainConfig.from_yaml(path) == cfg
    assert cfg.betas == (0.9, 0.99)
    combined = tmp_path / "run.yaml"
    combined.write_text(
        "model:\n  d_model: 64\ntrain:\n  max_steps: 7\n  warmup_steps: 2\n  lr: 0.01\n"
    )
    loaded = TrainConfig.from_yaml(combined, section="train")
    assert (loaded.max_steps, loaded.lr, loaded.batch_size) == (7, 0.01, 16)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"grad_accum_steps": 0}, "grad_accum_steps must be at least 1"),
        ({"optimizer": "adam8bit"}, "unknown optimizer 'adam8bit'"),
        ({"schedule": "step"}, "unknown schedule 'step'"),
        ({"precision": "fp8"}, "unknown precision"),
        # autocast or a cast? the library names it: amp_bf16 (or, in accounting, pure_bf16)
        ({"precision": "bf16"}, "unknown precision 'bf16'.*amp_bf16"),
        ({"batch_size": 0}, "batch_size must be positive"),
        ({"warmup_steps": 50, "max_steps": 10}, "warmup_steps"),
        ({"min_lr": 1.0, "lr": 0.1}, "min_lr"),
        ({"learning_rate": 0.1}, "unknown TrainConfig keys"),
    ],
)
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig.from_dict(settings)


def test_missing_file_and_missing_section(tmp_path):
    with pytest.raises(FileNotFoundError):
        TrainConfig.from_yaml(tmp_path / "nope.yaml")
    (tmp_path / "a.yaml").write_text("model: {}\n")
    with pytest.raises(ValueError, match="no 'train' section"):
        TrainConfig.from_yaml(tmp_path / "a.yaml", section="train")


def test_batch_larger_than_data_is_a_clear_error():
    cfg = TrainConfig(batch_size=8, context_length=16, device="cpu", warmup_steps=0, max_steps=1)
    tokens = np.arange(100, dtype=np.uint16)
    with pytest.raises(ValueError, match="larger than the training data"):
        Trainer(TinyLM(), cfg, tokens)
    with pytest.raises(ValueError, match="validation data holds 10 tokens"):
        Trainer(TinyLM(), cfg, np.arange(1000, dtype=np.uint16), tokens[:10])
