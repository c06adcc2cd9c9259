"""Loaders for prepared data sets in their own formats; the embedded companion sets use the same ones.

Formats read here: story text (TinyStories V2 with `<|endoftext|>` lines, or one story per line with
blank lines between paragraphs, or paragraphs only), JSONL documents (`text` + `meta`), sentiment
TSV (`sentence<TAB>label`), rt-polarity `.pos`/`.neg`, HellaSwag JSONL, the `{query, choices, gold}`
multiple-choice JSONL of llm-foundry's local evaluation data, and Alpaca JSON.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from course_lib.checks import check_int

EOT = "<|endoftext|>"
STORY_MODES = ("auto", "eot", "lines", "paragraphs")


def _existing(path: str | Path, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{what} not found: {p} (prepare it first, see data_scripts/)")
    return p


def open_text(path: str | Path, what: str = "data file") -> IO[str]:
    """Open a UTF-8 text file for reading; `.gz` and `.zst` files are decompressed on the fly."""
    p = _existing(path, what)
    if p.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(p, "rb"), encoding="utf-8")
    if p.suffix == ".zst":
        try:
            import zstandard
        except ImportError:  # the zstd command-line tool does as well
            if shutil.which("zstd") is None:
                raise ImportError(
                    f"{p.name} is zstd-compressed: pip install zstandard, or install the zstd tool"
                ) from None
            proc = subprocess.Popen(["zstd", "-dc", str(p)], stdout=subprocess.PIPE)
            assert proc.stdout is not None
            return io.TextIOWrapper(proc.stdout, encoding="utf-8")
        reader = zstandard.ZstdDecompressor().stream_reader(p.open("rb"))
        return io.TextIOWrapper(reader, encoding="utf-8")
    return p.open("r", encoding="utf-8")


# ---------------------------------------------------------------------- stories


def split_stories(text: str, mode: str = "auto") -> list[str]:
    """Cut a story file's text into stories.

    `eot`: stories end with `<|endoftext|>`; `lines`: one story per newline, paragraphs inside a story
    split by blank lines; `paragraphs`: every blank-line-separated block is a document (files whose
    story boundaries were lost); `auto` picks `eot` if the marker occurs, else `lines` when single
    newlines are at least a tenth as common as blank lines, else `paragraphs`.
    """
    if mode not in STORY_MODES:
        raise ValueError(f"unknown story mode {mode!r}: expected one of {STORY_MODES}")
    if mode == "auto":
        if EOT in text:
            mode = "eot"
        elif len(re.findall(r"[^\n]\n[^\n]", text)) >= 0.1 * text.count("\n\n"):
            # Story per line: single newlines are about as common as paragraph breaks. A few
            # stray single newlines inside paragraph-only text do not count.
            mode = "lines"
        else:
            mode = "paragraphs"
    if mode == "eot":
        parts = text.split(EOT)
    elif mode == "lines":
        parts = re.split(r"(?<!\n)\n(?!\n)", text)
    else:
        parts = re.split(r"\n\s*\n", text)
    return [p.strip() for p in parts if p.strip()]


def iter_stories(path: str | Path, mode: str = "auto") -> Iterator[str]:
    """Stream the stories of a (possibly multi-GB) `<|endoftext|>` file; other modes read it whole."""
    with open_text(path, "story file") as f:
        head = f.read(1 << 16)
        if mode == "auto" and EOT not in head:
            rest = head + f.read()
            yield from split_stories(rest, mode)
            return
        if mode not in ("auto", "eot"):
            yield from split_stories(head + f.read(), mode)
            return
        buf = head
        while True:
            *done, buf = buf.split(EOT)
            for story in done:
                if story.strip():
                    yield story.strip()
            more = f.read(1 << 20)
            if not more:
                break
            buf += more
        if buf.strip():
            yield buf.strip()


def load_stories(path: str | Path, mode: str = "auto", limit: int | None = None) -> list[str]:
    """Read stories from a text file (see `split_stories` for the layouts); at most `limit`."""
    out = []
    for story in iter_stories(path, mode):
        if limit is not None and len(out) >= limit:
            break
        out.append(story)
    if not out:
        raise ValueError(f"no stories found in {path}")
    return out


# ---------------------------------------------------------------------- JSONL documents


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record) for each non-blank line; a malformed line is a ValueError."""
    with open_text(path, "JSONL file") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: malformed JSON line ({e.msg})") from None
            if not isinstance(record, dict):
                raise ValueError(
                    f"{path}:{lineno}: expected a JSON object, got {type(record).__name__}"
                )
            yield lineno, record


def load_jsonl_docs(
    path: str | Path, text_key: str = "text", limit: int | None = None
) -> list[dict]:
    """Documents of a JSONL file as dicts with `text` and whatever else (`meta`) they carry.

    Like `ingest_jsonl`, a file without any document is a ValueError (unless `limit` is 0).
    """
    if limit is not None:
        check_int("limit", limit, minimum=0)
    docs = []
    for lineno, rec in iter_jsonl(path):
        if limit is not None and len(docs) >= limit:
            break
        if not isinstance(rec.get(text_key), str):
            raise ValueError(f"{path}:{lineno}: record has no string field {text_key!r}")
        docs.append(rec)
    if not docs and limit != 0:
        raise ValueError(f"{path} holds no documents")
    return docs


# ---------------------------------------------------------------------- sentiment


def load_sentiment_tsv(path: str | Path) -> list[tuple[str, int]]:
    """`sentence<TAB>label` lines (UCI sentiment files, prepared Yelp polarity, embedded reviews)."""
    rows = []
    with open_text(path, "sentiment TSV") as f:
        for lineno, line in enumerate(f, start=1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                continue
            text, sep, label = line.rpartition("\t")
            if not sep or label.strip() not in ("0", "1"):
                raise ValueError(f"{path}:{lineno}: expected 'sentence<TAB>0|1', got {line[:60]!r}")
            rows.append((text.strip(), int(label)))
    if not rows:
        raise ValueError(f"no rows in {path}")
    return rows


def _read_lines_any_encoding(path: Path) -> list[str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # rt-polarity v1.0 has a few Windows-1252 bytes
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def load_rt_polarity(folder_or_prefix: str | Path) -> list[tuple[str, int]]:
    """Rotten Tomatoes sentence polarity: `rt-polarity.pos` (label 1) and `.neg` (label 0)."""
    base = Path(folder_or_prefix)
    if base.is_dir():
        base = base / "rt-polarity"
    pos = _existing(f"{base}.pos", "rt-polarity positive file")
    neg = _existing(f"{base}.neg", "rt-polarity negative file")
    return [(s, 1) for s in _read_lines_any_encoding(pos)] + [
        (s, 0) for s in _read_lines_any_encoding(neg)
    ]


# ---------------------------------------------------------------------- multiple choice


@dataclass
class MultipleChoice:
    """One item: a context, candidate endings, and the index of the right one."""

    context: str
    endings: list[str]
    label: int
    meta: dict = field(default_factory=dict)


def _check_item(path: str | Path, lineno: int, item: MultipleChoice) -> MultipleChoice:
    if not item.endings or not all(isinstance(e, str) for e in item.endings):
        raise ValueError(f"{path}:{lineno}: endings must be a non-empty list of strings")
    if not 0 <= item.label < len(item.endings):
        raise ValueError(
            f"{path}:{lineno}: label {item.label} out of range for {len(item.endings)} endings"
        )
    return item


def load_hellaswag(path: str | Path) -> list[MultipleChoice]:
    """HellaSwag JSONL (`ctx`, `endings`, `label`, `activity_label`, ...)."""
    items = []
    for lineno, rec in iter_jsonl(path):
        missing = {"ctx", "endings", "label"} - rec.keys()
        if missing:
            raise ValueError(f"{path}:{lineno}: HellaSwag record lacks {sorted(missing)}")
        meta = {k: v for k, v in rec.items() if k not in ("ctx", "endings", "label")}
        items.append(
            _check_item(
                path,
                lineno,
                MultipleChoice(rec["ctx"], list(rec["endings"]), int(rec["label"]), meta),
            )
        )
    if not items:
        raise ValueError(f"no items in {path}")
    return items


def load_query_choices(path: str | Path) -> list[MultipleChoice]:
    """llm-foundry's local multiple-choice JSONL (`query`, `choices`, `gold`): PIQA, COPA, ARC, ..."""
    items = []
    for lineno, rec in iter_jsonl(path):
        missing = {"query", "choices", "gold"} - rec.keys()
        if missing:
            raise ValueError(f"{path}:{lineno}: record lacks {sorted(missing)}")
        meta = {k: v for k, v in rec.items() if k not in ("query", "choices", "gold")}
        items.append(
            _check_item(
                path,
                lineno,
                MultipleChoice(rec["query"], list(rec["choices"]), int(rec["gold"]), meta),
            )
        )
    if not items:
        raise ValueError(f"no items in {path}")
    return items


def load_multiple_choice(path: str | Path) -> list[MultipleChoice]:
    """Either multiple-choice JSONL format, told apart by the first record's keys."""
    for _, rec in iter_jsonl(path):
        if "ctx" in rec:
            return load_hellaswag(path)
        if "query" in rec:
            return load_query_choices(path)
        raise ValueError(f"{path}: neither HellaSwag (ctx) nor query/choices/gold records")
    raise ValueError(f"no items in {path}")


# ---------------------------------------------------------------------- instructions


def load_alpaca(path: str | Path) -> list[dict]:
    """Alpaca JSON: a list of {instruction, input, output}; `input` may be empty."""
    p = _existing(path, "Alpaca JSON")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, list) or not data:
        raise ValueError(f"{p}: expected a non-empty JSON list of records")
    for i, rec in enumerate(data):
        if not isinstance(rec, dict) or not {"instruction", "output"} <= rec.keys():
            raise ValueError(f"{p}: record {i} lacks 'instruction' or 'output'")
        rec.setdefault("input", "")
    return data
