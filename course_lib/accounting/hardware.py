"""Peak dense FLOP/s of common GPUs (vendor datasheets) and a measured matmul peak on this device.

Peaks are dense (no 2:4 structured sparsity, which datasheets often quote at twice the rate), in
FLOP/s. `fp32` is the CUDA-core rate for plain float32 (no TF32); `bf16`/`fp16` the tensor-core rate
with float32 accumulation. None where the GPU has no such mode (bfloat16 needs Ampere or later).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from course_lib.checks import check_positive, check_type, suggest

TERA = 1e12


@dataclass(frozen=True)
class GPUSpec:
    """A GPU's peak dense FLOP/s by dtype and its memory in bytes."""

    name: str
    fp32: float
    bf16: float | None
    fp16: float
    memory_bytes: float

    def peak(self, dtype: str = "bf16") -> float:
        """Peak FLOP/s for 'fp32', 'bf16' or 'fp16'; a ValueError if the GPU lacks that mode."""
        if dtype not in ("fp32", "bf16", "fp16"):
            raise ValueError(f"dtype={dtype!r}: expected 'fp32', 'bf16' or 'fp16'")
        value = getattr(self, dtype)
        if value is None:
            raise ValueError(f"{self.name} has no {dtype} tensor cores: use 'fp16' or 'fp32'")
        return value


GPUS: dict[str, GPUSpec] = {
    # NVIDIA A100 Tensor Core GPU datasheet (SXM4 80GB): FP32 19.5, BF16/FP16 312 TFLOPS dense
    "A100": GPUSpec("NVIDIA A100 80GB SXM", 19.5 * TERA, 312 * TERA, 312 * TERA, 80e9),
    # NVIDIA H100 datasheet (SXM5): FP32 67, BF16/FP16 1,979 with sparsity → 989.4 dense
    "H100": GPUSpec("NVIDIA H100 SXM", 67 * TERA, 989.4 * TERA, 989.4 * TERA, 80e9),
    # NVIDIA H200 datasheet (SXM): the H100's compute (FP32 67, BF16 989 dense) with 141 GB HBM3e
    "H200": GPUSpec("NVIDIA H200 SXM", 67 * TERA, 989.4 * TERA, 989.4 * TERA, 141e9),
    # NVIDIA V100 datasheet (SXM2): FP32 15.7, FP16 tensor 125 TFLOPS; no bfloat16 (Volta)
    "V100": GPUSpec("NVIDIA V100 SXM2 32GB", 15.7 * TERA, None, 125 * TERA, 32e9),
    # NVIDIA T4 datasheet: FP32 8.1, FP16 tensor 65 TFLOPS; no bfloat16 (Turing)
    "T4": GPUSpec("NVIDIA T4", 8.1 * TERA, None, 65 * TERA, 16e9),
    # NVIDIA L4 datasheet: FP32 30.3, BF16/FP16 tensor 242 with sparsity → 121 dense
    "L4": GPUSpec("NVIDIA L4", 30.3 * TERA, 121 * TERA, 121 * TERA, 24e9),
    # NVIDIA Ada Lovelace architecture whitepaper (RTX 4090): FP32 82.6, BF16/FP16 tensor with
    # FP32 accumulate 165.2 dense (330.3 with sparsity; GeForce runs FP32 accumulate at half rate)
    "RTX 4090": GPUSpec("NVIDIA GeForce RTX 4090", 82.6 * TERA, 165.2 * TERA, 165.2 * TERA, 24e9),
    # NVIDIA Ampere GA102 whitepaper (RTX 3090): FP32 35.6, BF16/FP16 tensor with FP32 accumulate
    # 71 dense (142 with sparsity)
    "RTX 3090": GPUSpec("NVIDIA GeForce RTX 3090", 35.6 * TERA, 71 * TERA, 71 * TERA, 24e9),
}


# Exact names of the same GPUs as torch.cuda.get_device_name() reports them (and as datasheets
# spell them). A name is matched whole, never as a part of another: "NVIDIA L40S" is not an L4 and
# "RTX A1000" not an A100. Variants with other peaks or memory (A100 40GB, H100 PCIe, H200 NVL)
# are deliberately absent: add them to GPUS with their own figures.
ALIASES: dict[str, str] = {
    "NVIDIA A100-SXM4-80GB": "A100",
    "NVIDIA A100 80GB PCIe": "A100",
    "NVIDIA H100 80GB HBM3": "H100",
    "NVIDIA H200": "H200",
    "Tesla V100-SXM2-32GB": "V100",
    "Tesla T4": "T4",
    "GeForce RTX 4090": "RTX 4090",
    "GeForce RTX 3090": "RTX 3090",
}


def _key(name: str) -> str:
    """A name compared without case, spaces or punctuation: 'rtx3090' == 'RTX 3090'."""
    return "".join(ch for ch in name.upper() if ch.isalnum())


def _lookup_table() -> dict[str, str]:
    """Normalized name → GPUS key, for the keys, the specs' full names and the aliases."""
    table = {_key(key): key for key in GPUS}
    table.update({_key(spec.name): key for key, spec in GPUS.items()})
    table.update({_key(alias): key for alias, key in ALIASES.items()})
    return table


def gpu_spec(name: str) -> GPUSpec:
    """Look a GPU up by its exact name, as in GPUS ('A100', 'rtx3090'), its full name ('NVIDIA
    GeForce RTX 4090') or the name torch reports ('NVIDIA A100-SXM4-80GB'); case and punctuation
    do not matter. An unknown name is a ValueError listing the known ones."""
    check_type("gpu", name, str, "a GPU name")
    table = _lookup_table()
    key = table.get(_key(name))
    if key is None:
        names = sorted(GPUS) + sorted(ALIASES)
        raise ValueError(
            f"unknown GPU {name!r}{suggest(name, names)}: known GPUs are {sorted(GPUS)} (also "
            f"spelled {sorted(ALIASES)}); add its datasheet figures to GPUS to use another"
        )
    return GPUS[key]


def peak_flops(gpu: str, dtype: str = "bf16") -> float:
    """Peak dense FLOP/s of a GPU from the table, for 'fp32', 'bf16' or 'fp16'."""
    return gpu_spec(gpu).peak(dtype)


def current_gpu_spec() -> GPUSpec | None:
    """The table entry of the CUDA GPU torch sees, or None (no GPU, or one not in the table)."""
    if not torch.cuda.is_available():
        return None
    try:
        return gpu_spec(torch.cuda.get_device_name())
    except ValueError:
        return None


def measure_matmul_flops(
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    size: int = 1024,
    repeats: int = 10,
) -> float:
    """Achieved FLOP/s of size×size matmuls on a device: 2·size³ per product, best of `repeats`.

    The best time, not the mean, estimates what the hardware can do once warmed up; use size 4096
    or more on a GPU to reach its plateau.
    """
    check_positive("size", size)
    check_positive("repeats", repeats)
    device = torch.device(device)
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    a @ b  # warm-up: kernel selection, caches
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        sync()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best
