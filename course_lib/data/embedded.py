"""The embedded default data: a seeded story corpus and its companion sets, made offline in seconds.

`build_embedded(out_dir, size_mb=10.0, seed=0)` writes

- `stories_train.txt`, `stories_valid.txt`, `stories_test.txt`: stories, each followed by a line
  `<|endoftext|>` (TinyStories V2's layout); the three splits come from separate random streams and
  no story text appears in two of them;
- `sentiment_train.tsv`, `sentiment_test.tsv`: `sentence<TAB>label` reviews (1 positive, 0 negative);
- `hellaswag_val.jsonl`: multiple-choice endings in HellaSwag's JSONL format;
- `alpaca.json`: instruction/input/output records;
- `dedup_docs.jsonl` (`id`, `text`) with planted duplicates, and `dedup_truth.tsv` (`id_a`, `id_b`,
  `kind`) listing every true duplicate pair;
- `manifest.json`: every file's size, record count and sha256, the seed and the generator version.

The same seed and size give byte-identical files. The stories come from the word lists, facts and
plot templates in `course_lib/data/stories/` (data files, told by `stories/teller.py`).

`GENERATOR_VERSION` names what the generator writes. Bump it in the commit that changes any byte
`build_embedded` writes, whether the change is to this module, to the data files or to the code in
`course_lib/data/stories/` (a data folder built by another version is then rebuilt by
`course_lib.paths.ensure_embedded`), and update the pinned hashes in `tests/test_data_embedded.py`
in the same commit. A change that keeps every byte, as that test shows, keeps the version.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from course_lib.data.download import sha256_file
from course_lib.data.stories import companions
from course_lib.data.stories.teller import Teller
from course_lib.data.stories.world import build_world

GENERATOR_VERSION = 2
EOT = "<|endoftext|>"
SPLITS = ("train", "valid", "test")
WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")


def story_stream(seed: int, name: str) -> random.Random:
    """The named random stream of a seed (one per split or companion set)."""
    # String seeds hash with SHA-512 inside `random`, so streams are stable across runs and machines.
    return random.Random(f"storyworld-{seed}-{name}")


def new_stories(teller: Teller, exclude: set[str], seen: set[str]) -> Iterator[str]:
    """The teller's stories, skipping those in `exclude` or `seen`; each one told is added to `seen`."""
    while True:
        text = teller.story().text
        if text in exclude or text in seen:
            continue
        seen.add(text)
        yield text


def story_split(
    teller: Teller, target_bytes: int, exclude: set[str], seen: set[str]
) -> tuple[str, int]:
    """Stories until `target_bytes` of UTF-8 text, skipping any already used by another split."""
    parts: list[str] = []
    size = 0
    count = 0
    stories = new_stories(teller, exclude, seen)
    while size < target_bytes:
        text = next(stories)
        chunk = f"{text}\n{EOT}\n"
        parts.append(chunk)
        size += len(chunk.encode("utf-8"))
        count += 1
    return "".join(parts), count


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def build_embedded(
    out_dir: str | Path,
    size_mb: float = 10.0,
    seed: int = 0,
    *,
    eval_fraction: float = 0.05,
    n_sentiment: int = 5000,
    n_hellaswag: int = 1000,
    n_alpaca: int = 1000,
    n_dedup: int = 2000,
) -> dict:
    """Write the embedded corpus and companion sets of one seed into out_dir; return the manifest."""
    if size_mb <= 0:
        raise ValueError(f"size_mb must be positive, got {size_mb}")
    if not 0 < eval_fraction < 1:
        raise ValueError(f"eval_fraction must be in (0, 1), got {eval_fraction}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(seed)

    train_bytes = int(size_mb * 1_000_000)
    eval_bytes = max(20_000, int(train_bytes * eval_fraction))
    files: dict[str, dict] = {}
    used: set[str] = set()
    words: set[str] = set()
    for split in SPLITS:
        teller = Teller(world, story_stream(seed, split))
        seen: set[str] = set()
        text, count = story_split(
            teller, train_bytes if split == "train" else eval_bytes, used, seen
        )
        used |= seen
        if split == "train":
            words = set(WORD.findall(text.lower()))
        name = f"stories_{split}.txt"
        _write(out / name, text)
        files[name] = {"kind": "stories", "split": split, "records": count}

    rows = companions.sentiment_rows(world, story_stream(seed, "sentiment"), n_sentiment)
    n_test = len(rows) // 5
    for split, part in (("train", rows[n_test:]), ("test", rows[:n_test])):
        name = f"sentiment_{split}.tsv"
        _write(out / name, "".join(f"{t}\t{y}\n" for t, y in part))
        files[name] = {"kind": "sentiment", "split": split, "records": len(part)}

    items = companions.hellaswag_items(Teller(world, story_stream(seed, "hellaswag")), n_hellaswag)
    _write(out / "hellaswag_val.jsonl", "".join(json.dumps(it) + "\n" for it in items))
    files["hellaswag_val.jsonl"] = {
        "kind": "multiple_choice",
        "split": "val",
        "records": len(items),
    }

    pairs = companions.alpaca_items(Teller(world, story_stream(seed, "alpaca")), n_alpaca)
    _write(out / "alpaca.json", json.dumps(pairs, indent=1) + "\n")
    files["alpaca.json"] = {"kind": "instructions", "split": "train", "records": len(pairs)}

    docs, truth = companions.dedup_docs(Teller(world, story_stream(seed, "dedup")), n_dedup)
    _write(out / "dedup_docs.jsonl", "".join(json.dumps(d) + "\n" for d in docs))
    _write(
        out / "dedup_truth.tsv", "id_a\tid_b\tkind\n" + "".join("\t".join(t) + "\n" for t in truth)
    )
    files["dedup_docs.jsonl"] = {"kind": "dedup_docs", "split": "all", "records": len(docs)}
    files["dedup_truth.tsv"] = {"kind": "dedup_truth", "split": "all", "records": len(truth)}

    for name, info in files.items():
        info["bytes"] = (out / name).stat().st_size
        info["sha256"] = sha256_file(out / name)
    manifest = {
        "generator": "course_lib.data.embedded",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "size_mb": size_mb,
        "end_of_text": EOT,
        "world": {"characters": len(world.cast), "shops": len(world.shops)},
        "train_distinct_words": len(words),
        "files": files,
    }
    _write(out / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
