"""Figures: one seaborn look for the workbook, saved where the report builder finds them."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns

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
