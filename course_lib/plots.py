"""Figures: one seaborn look for the workbook, saved where the report builder finds them, and
the standard plots of a sweep (loss curves per trial, final loss against a swept setting)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import NullFormatter

FIGURE_DIR = "figures"


def set_style() -> None:
    """Apply the workbook's plotting style (seaborn whitegrid, readable fonts)."""
    sns.set_theme(style="whitegrid", context="notebook")


def save_figure(fig: plt.Figure, name: str, output_dir: str | Path) -> Path:
    """Save `fig` as `<output_dir>/figures/<name>.png` (and return the path) for the report."""
    if not name or "/" in name or name.endswith(".png"):
        raise ValueError(f"figure name must be a bare name like 'loss_curve', got {name!r}")
    folder = Path(output_dir) / FIGURE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=150, bbox_inches="tight")
    return path


CURVE_AXES = {"step": "step", "tokens": "tokens", "flops": "training FLOPs", "wall_time": "seconds"}


def _need_columns(data: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{what} needs columns {missing}; the data has {list(data.columns)}")


def plot_loss_curves(
    curves: pd.DataFrame,
    x: str = "step",
    split: str = "train",
    hue: str = "trial",
    log_y: bool = False,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """Loss against step, tokens, FLOPs or wall-clock, one line per `hue` value (a sweep's
    `curves()` long form, or any frame with those columns)."""
    if x not in CURVE_AXES:
        raise ValueError(f"x must be one of {list(CURVE_AXES)}, got {x!r}")
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    _need_columns(curves, [x, "loss", "split", hue], "plot_loss_curves")
    data = curves[curves["split"] == split]
    data = data[np.isfinite(data["loss"].astype(float))]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    units = "trial" if hue != "trial" and "trial" in data else None  # one line per trial
    sns.lineplot(data=data, x=x, y="loss", hue=hue, units=units, estimator=None, ax=ax)
    ax.set_xlabel(CURVE_AXES[x])
    ax.set_ylabel(f"{split} loss (nats/token)")
    if log_y:
        ax.set_yscale("log")
    elif len(data):
        # a diverging run would flatten every other curve: cut the axis at 1.5x a typical start
        start = data.sort_values("step").groupby("trial" if units else hue)["loss"].first()
        ceiling = 1.5 * float(start.median())
        if float(data["loss"].max()) > ceiling > 0:
            low = float(data["loss"].min())
            ax.set_ylim(low - 0.05 * (ceiling - low), ceiling)
    if x == "flops":
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
    return ax.figure


def plot_final_loss(
    results: pd.DataFrame,
    x: str,
    y: str = "final_val_loss",
    hue: str | None = None,
    log_x: bool = True,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """A final (or best) loss against a swept setting, with diverged trials marked by a red ×
    at the top of the plot (their loss is NaN, infinite or off the scale)."""
    _need_columns(results, [x, y, "status"] + ([hue] if hue else []), "plot_final_loss")
    values = results[y].astype(float)
    done = results[results["status"].isin(["completed", "stopped"]) & np.isfinite(values)]
    diverged = results[results["status"] == "diverged"]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    if len(done):
        sns.lineplot(data=done.sort_values(x), x=x, y=y, hue=hue, marker="o", ax=ax)
    if len(diverged):
        finite = values[np.isfinite(values)]
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        if len(done):
            low, high = float(done[y].min()), float(done[y].max())
        top = high + 0.1 * ((high - low) or abs(high) or 1.0)  # just above the finished trials
        marks = diverged[y].astype(float).where(lambda v: np.isfinite(v) & (v <= top), top)
        ax.scatter(
            diverged[x], marks, marker="x", s=80, color="tab:red", zorder=3, label="diverged"
        )
        ax.legend()
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y.replace("_", " "))
    return ax.figure
