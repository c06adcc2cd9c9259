"""Held-out grading data: fresh stories of the embedded world from a stream only the grader knows.

Students receive the story generator (it builds their corpus) but not this module, and the
stream's name is a per-course secret: `$WORKBOOK_HELDOUT_SECRET`, else `autograde/heldout_secret.txt`
(made on first use, never committed or released). Without it a student cannot draw the split.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from course_lib.data.embedded import SPLITS, Teller, build_world, new_stories, story_stream
from course_lib.data.loaders import iter_stories
from workbook.modules import COURSE_DIR

SECRET_ENV = "WORKBOOK_HELDOUT_SECRET"
SECRET_FILE = COURSE_DIR / "heldout_secret.txt"


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
