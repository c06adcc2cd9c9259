"""Small ipywidgets explorers shared by the notebooks; they render as static HTML when headless."""

from __future__ import annotations

import html
import os
import sys
from collections.abc import Callable

import ipywidgets as widgets

from course_lib.unicode import utf8_breakdown

Lengths = Callable[[str], dict[str, int]]
FRONTEND_ENV = "WORKBOOK_LIVE_PLOT"  # "1"/"0" says a frontend is (not) attached, whatever else


def in_notebook_frontend() -> bool:
    """True inside a Jupyter kernel that a frontend (JupyterLab, VS Code, Colab) is attached to."""
    # papermill runs the same kind of kernel headless; only a frontend's server sets the session
    # variables checked here, so runs under papermill stay silent and draw no interactive widget
    forced = os.environ.get(FRONTEND_ENV)
    if forced is not None:
        return forced.strip().lower() not in ("", "0", "false", "no")
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    return bool(
        os.environ.get("JPY_SESSION_NAME")
        or os.environ.get("VSCODE_PID")
        or "google.colab" in sys.modules
    )


def utf8_table_html(text: str, encoded_lengths: Lengths) -> str:
    """An HTML table of each character's code point and UTF-8 bytes, totals by `encoded_lengths`."""
    rows = "".join(
        "<tr>" + "".join(f"<td><code>{html.escape(v)}</code></td>" for v in row.values()) + "</tr>"
        for row in utf8_breakdown(text)
    )
    head = "".join(f"<th>{h}</th>" for h in ("char", "code point", "UTF-8 bytes", "bits"))
    sizes = encoded_lengths(text)
    totals = ", ".join(f"{enc}: {n} bytes" for enc, n in sizes.items())
    return (
        f'<div class="utf8-explorer-table"><p>{len(text)} characters; {totals}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def bytes_explorer(initial: str, encoded_lengths: Lengths) -> widgets.VBox:
    """A text box whose characters, code points and UTF-8 bytes are shown live as you type."""
    box = widgets.Text(value=initial, description="Text:", continuous_update=True)
    box.add_class("utf8-explorer-input")
    out = widgets.HTML(value=utf8_table_html(initial, encoded_lengths))

    def update(change: dict) -> None:
        out.value = utf8_table_html(change["new"], encoded_lengths)

    box.observe(update, names="value")
    return widgets.VBox([box, out])
