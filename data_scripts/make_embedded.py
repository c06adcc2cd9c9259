"""Write the embedded default data set: seeded children's stories and their companion sets.

    python data_scripts/make_embedded.py --out data/embedded --size-mb 10 --seed 0

Offline and deterministic: the same seed and size give byte-identical files (see manifest.json).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib.data.embedded import build_embedded  # noqa: E402
from course_lib.paths import REPO_ROOT  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "embedded")
    parser.add_argument("--size-mb", type=float, default=10.0, help="training split size in MB")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    manifest = build_embedded(args.out, size_mb=args.size_mb, seed=args.seed)
    took = time.perf_counter() - start
    for name, info in manifest["files"].items():
        print(f"{name:24s} {info['bytes']:>11,d} bytes {info['records']:>7,d} records")
    print(
        f"{manifest['train_distinct_words']:,d} distinct words in training; {took:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
