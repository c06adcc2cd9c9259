"""Download and prepare the real data sets (resumable, checksummed where the source publishes one).

    python data_scripts/download.py --list
    python data_scripts/download.py tinystories hellaswag --raw data/raw --out data/prepared
    python data_scripts/download.py pile --max-docs 20000 --prepare-only

Downloads resume where they stopped; `--prepare-only` skips the network and prepares files already
in the raw folder. Without a network, use data_scripts/make_embedded.py instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib.data.download import OfflineError  # noqa: E402
from course_lib.data.sources import DATASETS, fetch, prepare  # noqa: E402
from course_lib.paths import REPO_ROOT  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"data sets: {', '.join(DATASETS)}")
    parser.add_argument("--list", action="store_true", help="list the data sets and exit")
    parser.add_argument("--raw", type=Path, default=REPO_ROOT / "data" / "raw")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "prepared")
    parser.add_argument("--prepare-only", action="store_true", help="do not download")
    parser.add_argument("--max-docs", type=int, default=None, help="cap for pile / fineweb shards")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.list or not args.names:
        for d in DATASETS.values():
            print(f"{d.name:12s} {d.description} [{d.license}]")
        return 0
    unknown = [n for n in args.names if n not in DATASETS]
    if unknown:
        parser.error(f"unknown data sets {unknown}: expected some of {list(DATASETS)}")
    for name in args.names:
        raw = args.raw / name
        if not args.prepare_only:
            try:
                fetch(name, raw, progress=not args.quiet)
            except OfflineError as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
        kw = {"max_docs": args.max_docs} if name in ("pile", "fineweb") and args.max_docs else {}
        info = prepare(name, raw, args.out, **kw)
        print(f"{name}: {info} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
