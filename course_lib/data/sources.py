"""The real data sets: where each comes from, and the step that prepares the raw download.

Each prepare step reads files already in `raw_dir` (put there by `fetch`, or by hand) and writes
the format its loader in `loaders.py` reads into `out_dir`. Prepare steps never touch the network,
so they are tested on small local files.

| name          | raw files                                 | prepared                                      |
| ------------- | ----------------------------------------- | --------------------------------------------- |
| tinystories   | TinyStoriesV2-GPT4-{train,valid}.txt      | tinystories_{train,valid}.txt (EOT-separated) |
| owt           | owt_{train,valid}.txt.gz                  | owt_{train,valid}.txt                         |
| pile          | val.jsonl.zst (or .jsonl/.jsonl.gz)       | pile/<split>/shard_NNNNN.jsonl (text + meta)  |
| fineweb       | 000_00000.parquet (or .jsonl)             | fineweb/train/shard_NNNNN.jsonl               |
| yelp          | yelp_review_polarity_csv.tgz              | yelp_{train,test}.tsv (sentence<TAB>0/1)      |
| hellaswag     | hellaswag_val.jsonl                       | hellaswag_val.jsonl (checked)                 |
| alpaca        | alpaca_data.json                          | alpaca.json (checked)                         |
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from course_lib.data import loaders
from course_lib.data.download import download

HF = "https://huggingface.co/datasets"
GITHUB_RAW = "https://raw.githubusercontent.com"


@dataclass(frozen=True)
class Source:
    """One file to fetch: its URL, its local name, and a known sha256 if the source gives one."""

    url: str
    filename: str
    sha256: str | None = None
    check_published: bool = False  # ask the server (Hugging Face LFS) for the sha256


@dataclass(frozen=True)
class DataSet:
    """A data set: what to fetch and how to prepare it."""

    name: str
    description: str
    sources: tuple[Source, ...]
    prepare: Callable[..., dict]
    license: str
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------------- prepare steps


def _need(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"raw file missing: {path} (run fetch first)")
    return path


def prepare_tinystories(raw_dir: str | Path, out_dir: str | Path) -> dict:
    """TinyStories V2 text → one story per `<|endoftext|>`-terminated block, stripped, per split."""
    raw, out = Path(raw_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in ("train", "valid"):
        src = _need(raw / f"TinyStoriesV2-GPT4-{split}.txt")
        n = 0
        with (out / f"tinystories_{split}.txt").open("w", encoding="utf-8") as f:
            for story in loaders.iter_stories(src):
                f.write(story + "\n" + loaders.EOT + "\n")
                n += 1
        counts[split] = n
    return {"stories": counts}


def _gunzip(src: Path, dest: Path) -> int:
    with gzip.open(src, "rb") as fin, dest.open("wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    return dest.stat().st_size


def prepare_owt(raw_dir: str | Path, out_dir: str | Path) -> dict:
    """OpenWebText sample: gunzip the train and valid text files."""
    raw, out = Path(raw_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        split: _gunzip(_need(raw / f"owt_{split}.txt.gz"), out / f"owt_{split}.txt")
        for split in ("train", "valid")
    }


def write_shards(
    records: Iterator[dict], out_dir: Path, docs_per_shard: int, max_docs: int | None
) -> dict:
    """Write `{"text", "meta"}` records as `shard_NNNNN.jsonl` files of `docs_per_shard` lines."""
    if docs_per_shard < 1:
        raise ValueError(f"docs_per_shard must be >= 1, got {docs_per_shard}")
    out_dir.mkdir(parents=True, exist_ok=True)
    n, shard, f = 0, 0, None
    try:
        for rec in records:
            if max_docs is not None and n >= max_docs:
                break
            if n % docs_per_shard == 0:
                if f:
                    f.close()
                f = (out_dir / f"shard_{shard:05d}.jsonl").open("w", encoding="utf-8")
                shard += 1
            f.write(json.dumps({"text": rec["text"], "meta": rec.get("meta", {})}) + "\n")
            n += 1
    finally:
        if f:
            f.close()
    return {"docs": n, "shards": shard}


def _jsonl_records(path: Path) -> Iterator[dict]:
    for lineno, rec in loaders.iter_jsonl(path):
        if not isinstance(rec.get("text"), str):
            raise ValueError(f"{path}:{lineno}: record has no string 'text'")
        yield rec


def prepare_pile(
    raw_dir: str | Path,
    out_dir: str | Path,
    *,
    split: str = "val",
    docs_per_shard: int = 10_000,
    max_docs: int | None = 100_000,
) -> dict:
    """Pile-style JSONL (`text` + `meta`) → capped shards under `pile/<split>/`."""
    raw = Path(raw_dir)
    candidates = [raw / f"{split}.jsonl{ext}" for ext in (".zst", ".gz", "")]
    src = next((p for p in candidates if p.is_file()), None)
    if src is None:
        raise FileNotFoundError(
            f"no raw Pile file for split {split!r} in {raw}: expected one of "
            f"{[p.name for p in candidates]}"
        )
    target = "train" if split.startswith("train") or split[:2].isdigit() else split
    return write_shards(
        _jsonl_records(src), Path(out_dir) / "pile" / target, docs_per_shard, max_docs
    )


def _parquet_records(path: Path) -> Iterator[dict]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(f"{path.name} is Parquet: pip install pyarrow to read it") from None
    table = pq.ParquetFile(path)
    for batch in table.iter_batches(batch_size=1024):
        cols = batch.to_pydict()
        texts = cols.pop("text")
        for i, text in enumerate(texts):
            yield {"text": text, "meta": {k: v[i] for k, v in cols.items()}}


def prepare_fineweb(
    raw_dir: str | Path,
    out_dir: str | Path,
    *,
    docs_per_shard: int = 10_000,
    max_docs: int | None = 100_000,
) -> dict:
    """FineWeb sample Parquet (or JSONL) → `fineweb/train/shard_NNNNN.jsonl` with text + meta."""
    raw = Path(raw_dir)
    files = sorted(raw.glob("*.parquet")) or sorted(raw.glob("fineweb*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no FineWeb .parquet (or fineweb*.jsonl) files in {raw}")

    def records() -> Iterator[dict]:
        for p in files:
            yield from (_parquet_records(p) if p.suffix == ".parquet" else _jsonl_records(p))

    return write_shards(records(), Path(out_dir) / "fineweb" / "train", docs_per_shard, max_docs)


def _yelp_rows(f: IO[str]) -> Iterator[tuple[str, int]]:
    for lineno, row in enumerate(csv.reader(f), start=1):
        if len(row) != 2 or row[0] not in ("1", "2"):
            raise ValueError(f'Yelp CSV line {lineno}: expected \'"1|2","text"\', got {row[:2]!r}')
        # The CSV escapes newlines as a literal backslash-n; a TSV line must not contain tabs.
        text = row[1].replace("\\n", " ").replace('\\"', '"').replace("\t", " ")
        yield " ".join(text.split()), int(row[0]) - 1


def prepare_yelp(raw_dir: str | Path, out_dir: str | Path) -> dict:
    """Yelp polarity (`"label","text"`, 1 = negative, 2 = positive) → `sentence<TAB>0|1` TSV."""
    raw, out = Path(raw_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tgz = raw / "yelp_review_polarity_csv.tgz"
    counts = {}
    with tarfile.open(_need(tgz), "r:gz") as tar:
        for split in ("train", "test"):
            member = tar.extractfile(f"yelp_review_polarity_csv/{split}.csv")
            if member is None:
                raise ValueError(f"{tgz} has no {split}.csv")
            n = 0
            with (
                io.TextIOWrapper(member, encoding="utf-8", newline="") as f,
                (out / f"yelp_{split}.tsv").open("w", encoding="utf-8") as fout,
            ):
                for text, label in _yelp_rows(f):
                    fout.write(f"{text}\t{label}\n")
                    n += 1
            counts[split] = n
    return counts


def prepare_hellaswag(raw_dir: str | Path, out_dir: str | Path) -> dict:
    """HellaSwag validation JSONL: checked with the loader, copied as is."""
    src = _need(Path(raw_dir) / "hellaswag_val.jsonl")
    items = loaders.load_hellaswag(src)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, Path(out_dir) / "hellaswag_val.jsonl")
    return {"items": len(items)}


def prepare_alpaca(raw_dir: str | Path, out_dir: str | Path) -> dict:
    """Alpaca JSON: checked with the loader, copied as `alpaca.json`."""
    src = _need(Path(raw_dir) / "alpaca_data.json")
    items = loaders.load_alpaca(src)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, Path(out_dir) / "alpaca.json")
    return {"items": len(items)}


# ---------------------------------------------------------------------- registry

DATASETS: dict[str, DataSet] = {
    d.name: d
    for d in (
        DataSet(
            "tinystories",
            "TinyStories V2 (GPT-4 stories), train and valid",
            (
                Source(
                    f"{HF}/roneneldan/TinyStories/resolve/main/TinyStoriesV2-GPT4-train.txt",
                    "TinyStoriesV2-GPT4-train.txt",
                    check_published=True,
                ),
                Source(
                    f"{HF}/roneneldan/TinyStories/resolve/main/TinyStoriesV2-GPT4-valid.txt",
                    "TinyStoriesV2-GPT4-valid.txt",
                    check_published=True,
                ),
            ),
            prepare_tinystories,
            "CDLA-Sharing-1.0",
        ),
        DataSet(
            "owt",
            "OpenWebText sample (as used by Stanford CS336), train and valid",
            (
                Source(
                    f"{HF}/stanford-cs336/owt-sample/resolve/main/owt_train.txt.gz",
                    "owt_train.txt.gz",
                    check_published=True,
                ),
                Source(
                    f"{HF}/stanford-cs336/owt-sample/resolve/main/owt_valid.txt.gz",
                    "owt_valid.txt.gz",
                    check_published=True,
                ),
            ),
            prepare_owt,
            "OpenWebText: see its source",
        ),
        DataSet(
            "pile",
            "Pile-style JSONL (text + meta): the uncopyrighted Pile's validation file",
            (
                Source(
                    f"{HF}/monology/pile-uncopyrighted/resolve/main/val.jsonl.zst",
                    "val.jsonl.zst",
                    check_published=True,
                ),
            ),
            prepare_pile,
            "per component (see the Pile paper)",
        ),
        DataSet(
            "fineweb",
            "FineWeb 10BT sample, first Parquet shard",
            (
                Source(
                    f"{HF}/HuggingFaceFW/fineweb/resolve/main/sample/10BT/000_00000.parquet",
                    "000_00000.parquet",
                    check_published=True,
                ),
            ),
            prepare_fineweb,
            "ODC-By 1.0",
        ),
        DataSet(
            "yelp",
            "Yelp review polarity (Zhang et al. 2015), train and test",
            (
                Source(
                    "https://s3.amazonaws.com/fast-ai-nlp/yelp_review_polarity_csv.tgz",
                    "yelp_review_polarity_csv.tgz",
                ),
            ),
            prepare_yelp,
            "Yelp dataset terms",
        ),
        DataSet(
            "hellaswag",
            "HellaSwag validation (Zellers et al. 2019)",
            (
                Source(
                    f"{GITHUB_RAW}/rowanz/hellaswag/master/data/hellaswag_val.jsonl",
                    "hellaswag_val.jsonl",
                ),
            ),
            prepare_hellaswag,
            "MIT",
        ),
        DataSet(
            "alpaca",
            "Stanford Alpaca instruction data (52k)",
            (
                Source(
                    f"{GITHUB_RAW}/tatsu-lab/stanford_alpaca/main/alpaca_data.json",
                    "alpaca_data.json",
                ),
            ),
            prepare_alpaca,
            "CC BY-NC 4.0",
        ),
    )
}


def fetch(name: str, raw_dir: str | Path, progress: bool = True) -> list[Path]:
    """Download (or resume) every raw file of a data set into raw_dir."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: expected one of {sorted(DATASETS)}")
    raw = Path(raw_dir)
    return [
        download(
            s.url,
            raw / s.filename,
            sha256=s.sha256,
            check_published=s.check_published,
            progress=progress,
        )
        for s in DATASETS[name].sources
    ]


def prepare(name: str, raw_dir: str | Path, out_dir: str | Path, **kw: object) -> dict:
    """Run a data set's prepare step on files already in raw_dir."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: expected one of {sorted(DATASETS)}")
    return DATASETS[name].prepare(raw_dir, out_dir, **kw)
