"""A real two-process DDP run under torchrun (gloo on CPU) against one process accumulating two."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from course_lib.training.metrics import read_metrics

REPO = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    import torch
    from safetensors.torch import save_file
    from course_lib.training.config import TrainConfig
    from tests.helpers import TinyLM
    from course_lib.training.trainer import train

    out, accum = sys.argv[1], int(sys.argv[2])
    rank = int(os.environ.get("RANK", "0"))
    torch.manual_seed(rank)  # ranks start apart: DDP must broadcast rank 0's weights
    model = TinyLM(vocab_size=32, context_length=16)
    cfg = TrainConfig(
        batch_size=4, context_length=16, grad_accum_steps=accum, max_steps=6, lr=3e-3,
        warmup_steps=2, eval_interval=3, eval_batches=4, log_interval=1, device="cpu",
        progress=False, live_plot=False,
    )
    rng = np.random.default_rng(0)
    data = np.tile(rng.integers(0, 32, 64), 50).astype(np.uint16)
    result = train(model, cfg, data, data[:1000], out_dir=out)  # only rank 0 writes there
    weights = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(weights, f"{out}/rank{rank}.safetensors")
    with open(f"{out}/result{rank}.json", "w") as f:
        json.dump({"train": result.losses("train"), "val": result.losses("val")}, f)
    """
)


def start(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    env.pop("WORLD_SIZE", None)
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO
    )


def finish(proc: subprocess.Popen) -> None:
    try:
        output, _ = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    assert proc.returncode == 0, output[-5000:]


def test_two_rank_ddp_equals_one_process_accumulating_two(tmp_path):
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    ddp, single = tmp_path / "ddp", tmp_path / "single"
    ddp.mkdir()
    single.mkdir()
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    procs = [
        start([*torchrun, str(script), str(ddp), "1"]),  # 2 ranks × 1 micro-batch of 4
        start([sys.executable, str(script), str(single), "2"]),  # 1 process × 2 micro-batches
    ]
    for proc in procs:
        finish(proc)
    rank0, rank1 = load_file(ddp / "rank0.safetensors"), load_file(ddp / "rank1.safetensors")
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)  # the replicas never drift apart
    one = load_file(single / "rank0.safetensors")
    for k in rank0:
        # all-reduce averaging vs loss/2 accumulation: fp32 rounding only
        torch.testing.assert_close(rank0[k], one[k], rtol=1e-4, atol=1e-5, msg=k)
    got = json.loads((ddp / "result0.json").read_text())
    expected = json.loads((single / "result0.json").read_text())
    assert [s for s, _ in got["train"]] == list(range(1, 7))
    for kind in ("train", "val"):
        assert [loss for _, loss in got[kind]] == pytest.approx(
            [loss for _, loss in expected[kind]], rel=1e-5
        )
    logged = [r["step"] for r in read_metrics(ddp / "metrics.jsonl", "train")]
    assert logged == list(range(1, 7))  # rank 0 alone writes the log
    assert (ddp / "checkpoint.safetensors").is_file()
