"""A loss curve that redraws while training in a notebook, and does nothing anywhere else."""

from __future__ import annotations

import io
import time

from course_lib.widgets import in_notebook_frontend


class LivePlot:
    """Train and validation loss as an ipywidgets image; a no-op outside a notebook frontend."""

    def __init__(
        self, title: str = "loss", enabled: bool | None = None, min_interval_s: float = 2.0
    ) -> None:
        self.title = title
        self.min_interval_s = min_interval_s
        self.train: tuple[list[int], list[float]] = ([], [])
        self.val: tuple[list[int], list[float]] = ([], [])
        self._last_draw = 0.0
        self._image = None
        self.enabled = in_notebook_frontend() if enabled is None else enabled
        if self.enabled:
            try:
                import ipywidgets
                from IPython.display import display
            except ImportError:
                self.enabled = False
                return
            self._image = ipywidgets.Image(format="png")
            display(self._image)

    def update(
        self,
        step: int,
        train_loss: float | None = None,
        val_loss: float | None = None,
        force: bool = False,
    ) -> None:
        """Add points and redraw when enough time has passed (or `force`)."""
        if not self.enabled:
            return
        if train_loss is not None:
            self.train[0].append(step)
            self.train[1].append(train_loss)
        if val_loss is not None:
            self.val[0].append(step)
            self.val[1].append(val_loss)
        now = time.monotonic()
        if force or now - self._last_draw >= self.min_interval_s:
            self._last_draw = now
            self._image.value = self.render()

    def render(self) -> bytes:
        """The current curves as PNG bytes."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3.2), dpi=100)
        ax = fig.add_subplot()
        if self.train[0]:
            ax.plot(*self.train, label="train", lw=1)
        if self.val[0]:
            ax.plot(*self.val, "o-", label="validation", ms=3)
        ax.set(xlabel="step", ylabel="loss", title=self.title)
        ax.grid(alpha=0.3)
        if self.train[0] or self.val[0]:
            ax.legend()
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()

    def close(self) -> None:
        """Draw the final state."""
        if self.enabled:
            self._image.value = self.render()
