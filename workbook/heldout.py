"""Held-out grading data: fresh stories of the embedded world from a stream only the grader knows.

Students receive the story generator (it builds their corpus) but not this module, and the
stream's name is a per-course secret: `$WORKBOOK_HELDOUT_SECRET`, else `autograde/heldout_secret.txt`
(made on first use, never committed or released). Without it a student cannot draw the split.

Inside the grading sandbox neither the secret nor the rest of the tooling is visible: `workbook
autograde` draws the stories a module's hidden tests ask for beforehand (`predraw`) and mounts them
read-only; `held_out_stories` then reads them from `$WORKBOOK_HELDOUT_DIR`.
"""

from __future__ import annotations

import ast
import json
import os
import secrets
from pathlib import Path

from course_lib.data.embedded import SPLITS, Teller, build_world, new_stories, story_stream
from course_lib.data.loaders import iter_stories
from workbook.modules import COURSE_DIR

SECRET_ENV = "WORKBOOK_HELDOUT_SECRET"
SECRET_FILE = COURSE_DIR / "heldout_secret.txt"
DRAWN_ENV = "WORKBOOK_HELDOUT_DIR"


def drawn_name(n_bytes: int, seed: int, purpose: str) -> str:
    """The file name of one pre-drawn set of stories in `$WORKBOOK_HELDOUT_DIR`."""
    return f"{purpose}-seed{seed}-{n_bytes}.json"


def grader_secret(path: Path = SECRET_FILE) -> str:
    """The course's held-out secret: the environment's, else the file's (created on first use)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(16) + "\n")
    return path.read_text().strip()


def held_out_stories(
    n_bytes: int,
    exclude_dir: str | Path | None = None,
    seed: int = 0,
    purpose: str = "final-model",
    secret: str | None = None,
) -> list[str]:
    """At least `n_bytes` of fresh stories of the seed's world, none of them in the corpus.

    The same distribution as `stories_*.txt`, never written to a student's disk; stories that also
    occur in `exclude_dir`'s three story files are skipped. `purpose` names independent draws.
    """
    if n_bytes <= 0:
        raise ValueError(f"n_bytes must be positive, got {n_bytes}")
    if os.environ.get(DRAWN_ENV) and secret is None:
        path = Path(os.environ[DRAWN_ENV]) / drawn_name(n_bytes, seed, purpose)
        if not path.is_file():
            raise FileNotFoundError(
                f"no held-out stories drawn for n_bytes={n_bytes}, seed={seed}, "
                f"purpose={purpose!r} in {os.environ[DRAWN_ENV]} (the grader draws the calls "
                "its hidden tests make, with literal arguments)"
            )
        return list(json.loads(path.read_text(encoding="utf-8")))
    stream = f"grader-{purpose}-{secret if secret is not None else grader_secret()}"
    used: set[str] = set()
    if exclude_dir is not None:
        for split in SPLITS:
            path = Path(exclude_dir) / f"stories_{split}.txt"
            if path.is_file():
                used.update(iter_stories(path))
    fresh = new_stories(Teller(build_world(seed), story_stream(seed, stream)), used, set())
    stories: list[str] = []
    size = 0
    while size < n_bytes:
        stories.append(next(fresh))
        size += len(stories[-1].encode("utf-8"))
    return stories


def heldout_calls(sources: list[str]) -> list[tuple[int, int, str]]:
    """(n_bytes, seed, purpose) of every `held_out_stories(...)` call with literal arguments."""
    calls = []
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call) and getattr(node.func, "id", None) == "held_out_stories"
            ):
                continue
            args = dict(zip(("n_bytes", "exclude_dir", "seed", "purpose"), node.args, strict=False))
            args.update({k.arg: k.value for k in node.keywords if k.arg})
            try:
                n_bytes = ast.literal_eval(args["n_bytes"])
                seed = ast.literal_eval(args["seed"]) if "seed" in args else 0
                purpose = ast.literal_eval(args["purpose"]) if "purpose" in args else "final-model"
            except (KeyError, ValueError):
                continue
            calls.append((int(n_bytes), int(seed), str(purpose)))
    return sorted(set(calls))


def predraw(sources: list[str], out: Path, exclude_dir: str | Path | None = None) -> list[Path]:
    """Draw, outside the sandbox, the stories that the `held_out_stories` calls in `sources` ask
    for, into `out` (one JSON file per call); the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for n_bytes, seed, purpose in heldout_calls(sources):
        path = out / drawn_name(n_bytes, seed, purpose)
        stories = held_out_stories(n_bytes, exclude_dir, seed, purpose, secret=grader_secret())
        path.write_text(json.dumps(stories), encoding="utf-8")
        written.append(path)
    return written
