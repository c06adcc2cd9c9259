"""Small ipywidgets explorers shared by the notebooks; they render as static HTML when headless."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets

from course_lib.unicode import utf8_breakdown

Lengths = Callable[[str], dict[str, int]]


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
