"""Device choice: CUDA, then MPS, then CPU, so the same notebook runs anywhere."""

from __future__ import annotations

import torch

VALID = ("auto", "cpu", "cuda", "mps")


def pick_device(preference: str = "auto") -> torch.device:
    """Return the device a run should use: `auto` takes CUDA, then MPS, then CPU."""
    pref = preference.lower().strip()
    kind = pref.split(":")[0]
    if kind not in VALID:
        raise ValueError(f"unknown device {preference!r}: expected one of {', '.join(VALID)}")
    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but torch sees no CUDA GPU")
    if kind == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError("device 'mps' was asked for but this torch build has no MPS backend")
    return torch.device(pref)


def describe(device: torch.device) -> str:
    """One line naming the device, for run logs and report headers."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    return f"cpu ({torch.get_num_threads()} threads)"
