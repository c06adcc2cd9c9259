"""Checkpoints: weights, optimizer, schedule, step, RNG states and config in one safetensors file.

The file is written to a temporary name and renamed over the old one, so a crash mid-write leaves
the previous checkpoint intact. Loading checks a digest, the config and every shape.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

FORMAT = 1
META_KEY = "course_lib_checkpoint"


def unwrap_model(model: nn.Module) -> nn.Module:
    """The plain module inside DistributedDataParallel and torch.compile wrappers."""
    while True:
        if isinstance(model, nn.parallel.DistributedDataParallel | nn.DataParallel):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod
        else:
            return model


def json_roundtrip(obj: Any, what: str) -> Any:
    """`obj` as JSON gives it back (tuples become lists); a ValueError naming `what` if it can't."""
    try:
        return json.loads(json.dumps(obj))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{what} must be JSON-serializable for a checkpoint: {err}") from err


def config_to_dict(config: Any) -> dict[str, Any] | None:
    """A config as a plain dict: None and dicts as they are, else its `.to_dict()`."""
    if config is None or isinstance(config, dict):
        return config
    if hasattr(config, "to_dict"):
        return config.to_dict()
    raise ValueError(f"config must be a dict or have .to_dict(), got {type(config).__name__}")


def model_tensors(model: nn.Module) -> tuple[dict[str, Tensor], dict[str, str]]:
    """The state dict as CPU tensors, each storage once, plus {tied name: name it was saved as}."""
    tensors: dict[str, Tensor] = {}
    aliases: dict[str, str] = {}
    views: dict[tuple, str] = {}
    storages: set[int] = set()
    for name, t in unwrap_model(model).state_dict().items():
        t = t.detach()
        ptr = t.untyped_storage().data_ptr()
        view = (ptr, t.storage_offset(), tuple(t.shape), t.stride(), t.dtype)
        if view in views:
            aliases[name] = views[view]
            continue
        views[view] = name
        t = t.cpu().contiguous()
        if ptr in storages:  # a different view of a storage already saved
            t = t.clone()
        storages.add(ptr)
        tensors[f"model/{name}"] = t
    return tensors, aliases


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict]:
    """The optimizer's state dict split into tensors and a JSON part."""
    state = optimizer.state_dict()
    tensors: dict[str, Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, param_state in state["state"].items():
        for key, value in param_state.items():
            if torch.is_tensor(value):
                tensors[f"optimizer/{idx}/{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(idx), {})[key] = value
    # JSON has no tuples: note which group settings were tuples (AdamW's betas) to restore them
    tuples = [
        [i, key]
        for i, group in enumerate(state["param_groups"])
        for key, value in group.items()
        if isinstance(value, tuple)
    ]
    meta = {"param_groups": state["param_groups"], "scalars": scalars, "tuples": tuples}
    return tensors, json_roundtrip(meta, "optimizer param_groups and state")


def optimizer_state(tensors: dict[str, Tensor], meta: dict) -> dict[str, Any]:
    """Inverse of `optimizer_tensors`: the optimizer's state dict, with its types."""
    state: dict[int, dict[str, Any]] = {}
    for idx, values in meta["scalars"].items():
        state.setdefault(int(idx), {}).update(values)
    for name, t in tensors.items():
        if name.startswith("optimizer/"):
            _, idx, key = name.split("/", 2)
            state.setdefault(int(idx), {})[key] = t
    groups = [dict(group) for group in meta["param_groups"]]
    for i, key in meta.get("tuples", []):
        groups[i][key] = tuple(groups[i][key])
    return {"state": state, "param_groups": groups}


def rng_tensors() -> tuple[dict[str, Tensor], dict]:
    """Python, NumPy and torch (CPU and CUDA) generator states."""
    tensors = {"rng/torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = s
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    tensors["rng/numpy"] = torch.from_numpy(keys.astype(np.int64))
    meta = {"python": random.getstate(), "numpy": [kind, int(pos), int(has_gauss), float(gauss)]}
    return tensors, json_roundtrip(meta, "RNG state")


def restore_rng(tensors: dict[str, Tensor], meta: dict) -> None:
    """Set every generator back to the state `rng_tensors` recorded."""
    torch.set_rng_state(tensors["rng/torch"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("rng/cuda/")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda[: torch.cuda.device_count()])
    kind, pos, has_gauss, gauss = meta["numpy"]
    np.random.set_state(
        (kind, tensors["rng/numpy"].numpy().astype(np.uint32), pos, has_gauss, gauss)
    )
    version, state, gauss_next = meta["python"]
    random.setstate((version, tuple(state), gauss_next))


def digest(tensors: dict[str, Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes: catches a corrupted file on load."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name]
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return h.hexdigest()


def fsync_file(path: Path) -> None:
    """Wait until the file's bytes are on disk, not only in the operating system's cache."""
    with open(path, "r+b") as f:
        os.fsync(f.fileno())


def fsync_dir(path: Path) -> None:
    """Wait until a folder's entries (a rename in it) are on disk; a no-op where impossible."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not possible on Windows; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    step: int = 0,
    model_config: Any | None = None,
    train_config: Any | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write everything needed to resume training to `path`, atomically (temp file + rename)."""
    path = Path(path)
    if model_config is None:
        model_config = getattr(unwrap_model(model), "config", None)
    ### BEGIN SOLUTION
    tensors, aliases = model_tensors(model)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "step": int(step),
        "model_config": config_to_dict(model_config),
        "train_config": config_to_dict(train_config),
        "extra": extra or {},
        "aliases": aliases,
    }
    if optimizer is not None:
        opt_tensors, meta["optimizer"] = optimizer_tensors(optimizer)
        tensors.update(opt_tensors)
    if scheduler is not None:
        meta["scheduler"] = scheduler.state_dict()
    rng, meta["rng"] = rng_tensors()
    tensors.update(rng)
    meta["digest"] = digest(tensors)
    metadata = {META_KEY: json.dumps(json_roundtrip(meta, "checkpoint metadata"))}

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save_file(tensors, str(tmp), metadata=metadata)
        fsync_file(tmp)  # the bytes are on disk before the rename makes them visible
        os.replace(tmp, path)  # atomic: readers see the old file or the new one, never half
        fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return path
    ### END SOLUTION


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The checkpoint's JSON part (step, configs, extra) without loading any tensor."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(META_KEY)
        if raw is None:
            raise ValueError(f"no {META_KEY!r} metadata: not a course_lib checkpoint")
        meta = json.loads(raw)
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"checkpoint {path} is corrupt or truncated: {err}") from err
    if meta.get("format") != FORMAT:
        raise ValueError(f"checkpoint {path} has format {meta.get('format')}, expected {FORMAT}")
    return meta


def read_checkpoint(path: str | Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """All tensors (on CPU) and the metadata, after checking the file is whole."""
    meta = read_metadata(path)
    try:
        tensors = load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as err:
        raise ValueError(f"checkpoint {path} is corrupt or truncated: {err}") from err
    if digest(tensors) != meta["digest"]:
        raise ValueError(f"checkpoint {path} is corrupt: its contents do not match their digest")
    return tensors, meta


def check_config(saved: dict[str, Any] | None, expected: Any, path: str | Path = "") -> None:
    """Raise a ValueError naming every field where the saved model config differs."""
    expected = json_roundtrip(config_to_dict(expected), "model config")
    if saved is None or expected is None:
        return
    diffs = [
        f"{k}: checkpoint {saved.get(k)!r} vs here {expected.get(k)!r}"
        for k in sorted(set(saved) | set(expected))
        if saved.get(k) != expected.get(k)
    ]
    if diffs:
        raise ValueError(
            f"checkpoint {path} was saved for another model config: " + "; ".join(diffs)
        )


def load_model_tensors(
    model: nn.Module, tensors: dict[str, Tensor], aliases: dict[str, str]
) -> None:
    """Copy saved weights into `model` after checking names and shapes."""
    saved = {k[len("model/") :]: t for k, t in tensors.items() if k.startswith("model/")}
    for name, source in aliases.items():
        saved[name] = saved[source]
    model = unwrap_model(model)
    own = model.state_dict()
    problems = [f"missing {k}" for k in own if k not in saved]
    problems += [f"unexpected {k}" for k in saved if k not in own]
    problems += [
        f"{k}: checkpoint {tuple(saved[k].shape)} vs model {tuple(t.shape)}"
        for k, t in own.items()
        if k in saved and saved[k].shape != t.shape
    ]
    if problems:
        raise ValueError("checkpoint does not fit this model: " + "; ".join(problems))
    model.load_state_dict(saved)


def check_optimizer_state(optimizer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    """Raise a ValueError unless a saved optimizer state fits `optimizer` (group sizes, shapes)."""
    saved = [len(g["params"]) for g in state["param_groups"]]
    here = [len(g["params"]) for g in optimizer.param_groups]
    if saved != here:
        raise ValueError(
            f"checkpoint optimizer has parameter groups of sizes {saved}, this one {here}"
        )
    params = [p for g in optimizer.param_groups for p in g["params"]]
    ids = [i for g in state["param_groups"] for i in g["params"]]
    for i, p in zip(ids, params):
        for key, value in state["state"].get(i, {}).items():
            if torch.is_tensor(value) and value.ndim > 0 and value.shape != p.shape:
                raise ValueError(
                    f"optimizer state {key} of parameter {i} has shape {tuple(value.shape)}, "
                    f"the parameter {tuple(p.shape)}"
                )


def load_checkpoint(
    path: str | Path,
    model: nn.Module | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    model_config: Any | None = None,
    restore_rng_state: bool = True,
) -> dict[str, Any]:
    """Restore what `save_checkpoint` wrote into the given objects; return step, configs, extra."""
    if model_config is None and model is not None:
        model_config = getattr(unwrap_model(model), "config", None)
    ### BEGIN SOLUTION
    tensors, meta = read_checkpoint(path)
    check_config(meta["model_config"], model_config, path)
    if model is not None:
        load_model_tensors(model, tensors, meta["aliases"])
    if optimizer is not None:
        if "optimizer" not in meta:
            raise ValueError(f"checkpoint {path} holds no optimizer state")
        state = optimizer_state(tensors, meta["optimizer"])
        check_optimizer_state(optimizer, state)
        optimizer.load_state_dict(state)
    if scheduler is not None and "scheduler" in meta:
        scheduler.load_state_dict(meta["scheduler"])
    if restore_rng_state:
        restore_rng(tensors, meta["rng"])
    return {k: meta[k] for k in ("step", "model_config", "train_config", "extra")}
    ### END SOLUTION
