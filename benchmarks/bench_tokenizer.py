"""BPE training time and encode throughput of course_lib against HF tokenizers, sentencepiece, tiktoken.

Every measurement runs in a fresh subprocess (so peak memory is its own), the methods interleaved
in each repeat so that a busy machine slows them alike; ratios are to a peer in the same run.

Training: the same corpus and vocabulary size for course_lib's `train_bpe` (2 processes), HF's
`BpeTrainer` with GPT-2's byte-level pre-tokenizer (2 threads), and SentencePiece BPE (2 threads).
Encoding, GPT-2's vocabulary for all, one thread: course_lib's `Tokenizer` (first pass with empty
caches, then a second pass), tiktoken, HF `tokenizers` (on 10k-character chunks, its faster case);
then course_lib on both cores (`write_tokens_from_file`, fresh caches in each worker).

    python benchmarks/bench_tokenizer.py [--mb 10] [--vocab 10000] [--repeats 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EOT = "<|endoftext|>"
SOURCES = [
    "classics/austen.txt",
    "classics/mobydick.txt",
    "classics/tinyshakespeare.txt",
    "tinystories/train.txt",
    "tinystories/valid.txt",
    "web/wiki_demo.txt",
]
TRAIN = ["train-course_lib", "train-hf", "train-sentencepiece"]
ENCODE = ["encode-course_lib", "encode-tiktoken", "encode-hf", "encode-course_lib-parallel"]


def build_corpus(path: Path, megabytes: float) -> None:
    """English from ../shared/data (novels, stories, web), repeated up to the requested size."""
    from course_lib.paths import shared_data_dir

    shared = shared_data_dir()
    if shared is None:
        raise SystemExit("needs the shared data sets (../shared/data or $WORKBOOK_SHARED_DATA)")
    parts = [(shared / s).read_text(encoding="utf-8") for s in SOURCES]
    web = shared / "web" / "c4_demo.jsonl"
    parts.append("\n".join(json.loads(line)["text"] for line in web.open(encoding="utf-8")))
    text = f"\n{EOT}".join(parts)
    target = int(megabytes * 1e6)
    data = text.encode("utf-8")
    while len(data) < target:
        data += f"\n{EOT}".encode() + text.encode("utf-8")
    cut = data.rfind(b"\n", 0, target)
    path.write_bytes(data[: cut + 1])


def run_one(method: str, corpus: str, vocab_size: int, workers: int) -> dict:
    """Run one measurement in this process and return seconds and peak memory."""
    size = os.path.getsize(corpus)
    if method.startswith("encode"):
        from course_lib.tokenizer.gpt2 import load_gpt2_tokenizer

        text = Path(corpus).read_text(encoding="utf-8")
        ours = load_gpt2_tokenizer()
    start, cpu_start = time.perf_counter(), cpu_seconds()
    extra: dict = {}
    if method == "train-course_lib":
        from course_lib.tokenizer.trainer import train_bpe

        train_bpe(corpus, vocab_size, [EOT], num_workers=workers)
    elif method == "train-hf":
        from tokenizers import Tokenizer, models, pre_tokenizers, trainers

        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=[EOT],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tokenizer.train([corpus], trainer)
    elif method == "train-sentencepiece":
        from course_lib.tokenizer.sentencepiece_wrapper import train_sentencepiece

        train_sentencepiece(corpus, vocab_size, "bpe", special_tokens=[EOT], num_threads=workers)
    elif method == "encode-course_lib":
        ids = ours.encode(text)
        extra = {"cold_seconds": time.perf_counter() - start, "tokens": len(ids)}
        extra["cold_cpu_seconds"] = cpu_seconds() - cpu_start
        start, cpu_start = time.perf_counter(), cpu_seconds()
        ours.encode(text)
    elif method == "encode-tiktoken":
        from course_lib.tokenizer.gpt2 import tiktoken_encoding

        encoding = tiktoken_encoding(ours, "gpt2-offline")
        start, cpu_start = time.perf_counter(), cpu_seconds()
        encoding.encode(text, allowed_special="all")
    elif method == "encode-hf":
        from course_lib.tokenizer.hf_export import to_hf_tokenizer

        hf = to_hf_tokenizer(ours)
        chunks = [text[i : i + 10_000] for i in range(0, len(text), 10_000)]  # HF's best case
        start, cpu_start = time.perf_counter(), cpu_seconds()
        hf.encode_batch(chunks)
    elif method == "encode-course_lib-parallel":
        from course_lib.data.tokens import write_tokens_from_file

        with tempfile.TemporaryDirectory() as folder:
            write_tokens_from_file(
                corpus, Path(folder) / "t.bin", ours, num_workers=workers, progress=False
            )
    else:
        raise ValueError(method)
    seconds = time.perf_counter() - start
    extra["cpu_seconds"] = cpu_seconds() - cpu_start
    # VmHWM restarts at exec, unlike ru_maxrss, which keeps the benchmark parent's peak.
    status = Path("/proc/self/status").read_text() if sys.platform == "linux" else ""
    hwm_kb = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")]
    self_kb = hwm_kb[0] if hwm_kb else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "mb_per_s": size / seconds / 1e6, "peak_mb": self_kb / 1024,
            "peak_worker_mb": child_kb / 1024, "size_mb": size / 1e6, **extra}  # fmt: skip


def cpu_seconds() -> float:
    """CPU time of this process, its threads and its finished child processes."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(method: str, corpus: Path, args: argparse.Namespace) -> dict:
    """Run one measurement in a fresh single-threaded-by-default subprocess."""
    env = {**os.environ, "RAYON_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    if method == "train-hf":
        env["RAYON_NUM_THREADS"] = str(args.workers)  # HF trains with its thread pool
    command = [sys.executable, __file__, "--run", method, "--corpus", str(corpus)]
    command += ["--vocab", str(args.vocab), "--workers", str(args.workers)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=10.0, help="corpus size in MB")
    parser.add_argument("--vocab", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=["train", "encode"], default=None)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.corpus, args.vocab, args.workers)))
        return

    methods = {"train": TRAIN, "encode": ENCODE}.get(args.only, TRAIN + ENCODE)
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "corpus.txt"
        build_corpus(corpus, args.mb)
        size_mb = corpus.stat().st_size / 1e6
        print(f"corpus {size_mb:.1f} MB, vocab {args.vocab}, {args.workers} workers, "
              f"{args.repeats} repeats, {os.cpu_count()} CPUs")  # fmt: skip
        results: dict[str, list[dict]] = {m: [] for m in methods}
        for repeat in range(args.repeats):
            order = methods if repeat % 2 == 0 else methods[::-1]
            for method in order:
                results[method].append(measure(method, corpus, args))
                print(f"  {method:28s} {results[method][-1]['seconds']:7.2f} s", flush=True)
    report(results)


def report(results: dict[str, list[dict]]) -> None:
    """Medians, and ratios to the peers measured in the same run."""
    med = {
        m: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for m, runs in results.items()
    }
    if "train-course_lib" in med:
        print("\ntraining          wall s    CPU s   peak MB (main / largest worker)")
        for m in TRAIN:
            r = med[m]
            print(
                f"  {m:22s} {r['seconds']:6.2f} {r['cpu_seconds']:8.2f} {r['peak_mb']:8.0f} / {r['peak_worker_mb']:.0f}"
            )
        ours = med["train-course_lib"]
        for peer in ("train-hf", "train-sentencepiece"):
            wall, cpu = (med[peer][k] / ours[k] for k in ("seconds", "cpu_seconds"))
            print(
                f"  {peer[6:]} / course_lib: wall {wall:.2f}, CPU {cpu:.2f}  (> 1: course_lib faster)"
            )
    if "encode-tiktoken" in med:
        ours, size = med["encode-course_lib"], med["encode-tiktoken"]["size_mb"]
        rows = {  # name: (wall seconds, CPU seconds of all processes)
            "course_lib, first pass (empty caches)": (
                ours["cold_seconds"],
                ours["cold_cpu_seconds"],
            ),
            "course_lib, second pass": (ours["seconds"], ours["cpu_seconds"]),
            "course_lib, 2 processes": tuple(
                med["encode-course_lib-parallel"][k] for k in ("seconds", "cpu_seconds")
            ),
            "tiktoken": tuple(med["encode-tiktoken"][k] for k in ("seconds", "cpu_seconds")),
            "HF tokenizers": tuple(med["encode-hf"][k] for k in ("seconds", "cpu_seconds")),
        }
        tiktoken = size / rows["tiktoken"][0]
        print("\nencoding (GPT-2 vocab)            MB/s  / tiktoken   MB per CPU s")
        for name, (wall, cpu) in rows.items():
            print(
                f"  {name:37s} {size / wall:5.2f} {size / wall / tiktoken:9.2f} {size / cpu:10.2f}"
            )
        print("  peak MB: " + ", ".join(f"{m[7:]} {med[m]['peak_mb']:.0f}" for m in ENCODE))


if __name__ == "__main__":
    main()
