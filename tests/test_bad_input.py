"""Bad input across the library and the `workbook` command: a clear error, never lost data.

Each case sets up its files in a fresh folder, then makes one bad call. It must raise the expected
error type with a message naming the problem, and leave every file it did not own untouched: both
the case's folder and the shared fixtures are hashed before and after the call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest
import torch

from course_lib.accounting.budget import plan_budget, spread_plans
from course_lib.accounting.checks import check_positive
from course_lib.accounting.flops import adamw_step_flops, forward_flops
from course_lib.accounting.hardware import gpu_spec, measure_matmul_flops, peak_flops
from course_lib.accounting.memory import norm_bytes
from course_lib.accounting.mfu import mfu, training_time_seconds
from course_lib.accounting.params import count_params
from course_lib.data.dataset import DocumentDataset, document_example, stack_examples
from course_lib.data.ingest import ingest_jsonl
from course_lib.data.loaders import load_jsonl_docs
from course_lib.data.minhash import (
    candidate_probability,
    lsh_candidate_pairs,
    make_permutations,
    shingles,
)
from course_lib.data.samplers import get_batch, sequential_batches
from course_lib.data.tokens import open_tokens, write_token_ids, write_tokens_from_file
from course_lib.finetune.checkpointing import (
    check_schedule,
    checkpoint_schedule,
    checkpointed_blocks,
    recompute,
)
from course_lib.finetune.instructions import (
    InstructionExample,
    batch_source,
    collate,
    encode_example,
    render_prompt,
)
from course_lib.finetune.lora import LoRALinear, apply_lora, predicted_lora_params
from course_lib.finetune.low_rank import low_rank_approximation, low_rank_params, truncated_svd
from course_lib.finetune.precision import in_float16, loss_scale_demo
from course_lib.generation.multiple_choice import sample_items
from course_lib.generation.teaching import score_continuation
from course_lib.hparam.ledger import probe_cost
from course_lib.hparam.plan import choose_final_lr, experiment_plan
from course_lib.merging.branch import Branch, continue_pretraining, load_branch
from course_lib.merging.dedup import deduplicate, duplicate_groups
from course_lib.merging.domains import check_domains, stories_by_domain, tagged_stories
from course_lib.merging.ensemble import EnsembleLM
from course_lib.merging.evaluate import domain_losses, validation_loss
from course_lib.merging.interpolation import interpolate, interpolation_curve, loss_barrier
from course_lib.merging.merge import average_models, merge_branches
from course_lib.merging.mixture import encode_stories, mixture_source, mixture_weights
from course_lib.merging.seed import Seed, SeedRecipe, build_seed, load_seed, seed_key
from course_lib.model.config import ModelConfig
from course_lib.model.kv_cache import LayerKVCache
from course_lib.model.layers import Linear
from course_lib.model.rope import RotaryEmbedding
from course_lib.model.transformer import TransformerLM
from course_lib.paths import ensure_embedded
from course_lib.tokenizer.sentencepiece_wrapper import pad_batch
from course_lib.tokenizer.streaming import encode_iterable
from course_lib.tokenizer.tokenizer import Tokenizer
from course_lib.tokenizer.trainer import train_bpe, train_bpe_from_counts
from course_lib.training.adamw import AdamW
from course_lib.training.config import TrainConfig
from course_lib.training.loop import train_loop
from course_lib.training.losses import cross_entropy, fast_cross_entropy, perplexity
from course_lib.training.schedules import (
    LRSchedule,
    cosine_schedule,
    linear_schedule,
    wsd_schedule,
)
from course_lib.training.trainer import Trainer
from course_lib.unicode import encoded_lengths, utf8_decode, utf8_encode
from workbook import cli, runner
from workbook.target_lr import curve_digest, read_curve, target_lr_curve

pytestmark = pytest.mark.usefixtures("one_thread")

EOT = "<|endoftext|>"
TEXT = ("the cat sat on the mat. the dog ate the bone. " * 40 + EOT + "\n") * 3


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """What the cases share: a tiny corpus, tokenizer, model and token file (never to change)."""
    root = tmp_path_factory.mktemp("shared")
    corpus = root / "corpus.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    vocab, merges = train_bpe(corpus, 270, [EOT], num_workers=1)
    tok = Tokenizer(vocab, merges, [EOT])
    tok.save(root / "vocab.json", root / "merges.txt")
    torch.manual_seed(0)
    cfg = ModelConfig(vocab_size=64, context_length=16, d_model=16, n_layers=1, n_heads=2)
    model = TransformerLM(cfg)
    write_token_ids(np.arange(200) % 64, root / "tokens.bin")
    return SimpleNamespace(
        root=root,
        corpus=corpus,
        vocab=vocab,
        merges=merges,
        tok=tok,
        model=model,
        cfg=cfg,
        ids=torch.zeros(1, 3, dtype=torch.long),
        tokens=root / "tokens.bin",
    )


@dataclass
class Case:
    """One bad call: `files` are written to tmp, then `make(w, tmp)` prepares what else it needs
    and returns the call to make."""

    id: str
    make: Callable[[SimpleNamespace, Path], Callable[[], Any]]
    error: type[BaseException]
    match: str
    files: dict[str, str | bytes] = field(default_factory=dict)  # written before the call


def write(path: Path, text: str | bytes) -> Path:
    """Write a file for a case and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def sidecar_case(meta: dict | str, data: bytes = b"\x01\x00\x02\x00"):
    """A token file whose sidecar holds `meta` (a dict, or raw text)."""

    def make(w, tmp):
        write(tmp / "t.bin", data)
        write(tmp / "t.bin.json", meta if isinstance(meta, str) else json.dumps(meta))
        return lambda: open_tokens(tmp / "t.bin")

    return make


GOOD_META = {"dtype": "uint16", "num_tokens": 2, "tokenizer": None}


def train_config(**kw: Any) -> TrainConfig:
    """A tiny CPU training config."""
    base = dict(
        batch_size=2, context_length=8, max_steps=2, warmup_steps=0, eval_interval=0,
        log_interval=1, device="cpu", progress=False, live_plot=False,
    )  # fmt: skip
    return TrainConfig(**{**base, **kw})


def finished_run(w, tmp, **kw):
    """A run folder holding a finished run's checkpoint and metrics, then a fresh Trainer into it."""
    data = np.arange(400) % 64
    Trainer(TransformerLM(w.cfg), train_config(), data, out_dir=tmp / "run").fit()
    return lambda: Trainer(
        TransformerLM(w.cfg), train_config(resume=False), data, out_dir=tmp / "run", **kw
    )


def user_folder(w, tmp):
    """A folder of someone's own files, then the data build pointed at it."""
    write(tmp / "mine" / "thesis.tex", "months of work")
    write(tmp / "mine" / "sub" / "notes.txt", "more")
    return lambda: ensure_embedded(tmp / "mine", size_mb=0.01)


def foreign_manifest(w, tmp):
    """A folder with a manifest.json that some other tool wrote."""
    write(tmp / "d" / "manifest.json", json.dumps({"generator": "someone else", "files": {}}))
    write(tmp / "d" / "data.csv", "a,b\n")
    return lambda: ensure_embedded(tmp / "d", size_mb=0.01)


def build_plus_extra(w, tmp):
    """A real (tiny) build of the embedded data with a file of the user's added to it."""
    ensure_embedded(tmp / "d", size_mb=0.01)
    write(tmp / "d" / "my_tokens.bin", b"\x00\x01")
    return lambda: ensure_embedded(tmp / "d", size_mb=0.02)


TOKENIZER = [
    Case("encode_iterable of one str",
         lambda w, t: lambda: next(encode_iterable(w.tok.encode, "Once upon a time")),
         TypeError, "texts must be an iterable of str chunks .* got str"),
    Case("encode_iterable of bytes chunks",
         lambda w, t: lambda: next(encode_iterable(w.tok.encode, [b"Once", b" upon"])),
         TypeError, "texts must yield str chunks, got bytes at chunk 0"),
    Case("encode_iterable with buffer_chars 0",
         lambda w, t: lambda: next(encode_iterable(w.tok.encode, ["a"], buffer_chars=0)),
         ValueError, "buffer_chars must be positive, got 0"),
    Case("encode_iterable of a tokenizer, not its encode",
         lambda w, t: lambda: next(encode_iterable("tok", ["a"])),
         TypeError, "encode must be a function str -> list of ids, got str"),
    Case("special tokens as one str", lambda w, t: lambda: Tokenizer(w.vocab, w.merges, "<eot>"),
         TypeError, "special_tokens must be a list of strings, got one string"),
    Case("train_bpe special tokens as one str",
         lambda w, t: lambda: train_bpe(w.corpus, 300, "<eot>", num_workers=1),
         TypeError, "special_tokens must be a list"),
    Case("train_bpe_from_counts of a list of pre-tokens",
         lambda w, t: lambda: train_bpe_from_counts(["the", " cat"], 300),
         TypeError, "pretoken_counts must be a mapping .* got list"),
    Case("train_bpe_from_counts with bytes pre-tokens",
         lambda w, t: lambda: train_bpe_from_counts({b"the": 3}, 300),
         TypeError, "pretoken_counts must map str pre-tokens to int counts, got b'the': 3"),
    Case("train_bpe_from_counts with float counts",
         lambda w, t: lambda: train_bpe_from_counts({"the": 2.5}, 300),
         TypeError, "must map str pre-tokens to int counts, got 'the': 2.5"),
    Case("pad_batch with SentencePiece's default pad_id -1",
         lambda w, t: lambda: pad_batch([[5, 6], [7]], -1),
         ValueError, r"pad_id=-1: padding needs a real id >= 0 \(SentencePiece's default"),
    Case("pad_batch of one sequence, not a list of them",
         lambda w, t: lambda: pad_batch("hello", 0),
         TypeError, "sequences must be a list of id sequences, got str"),
    Case("pad_batch of a list of ints",
         lambda w, t: lambda: pad_batch([5, 6], 0),
         TypeError, r"sequences\[0\] must be a sequence of int ids, got int"),
    Case("pad_batch with eos_id equal to pad_id",
         lambda w, t: lambda: pad_batch([[5]], 0, eos_id=0),
         ValueError, "eos_id=0 equals pad_id"),
    Case("pad_batch with a negative bos_id",
         lambda w, t: lambda: pad_batch([[5]], 0, bos_id=-1),
         ValueError, "bos_id=-1: expected an id >= 0"),
    Case("vocab and merges swapped", lambda w, t: lambda: Tokenizer(w.merges, w.vocab),
         TypeError, "vocab must be a dict"),
    Case("merges of single tokens", lambda w, t: lambda: Tokenizer(w.vocab, [b"ab"]),
         TypeError, r"merge 0 must be a \(bytes, bytes\) pair"),
    Case("special token not a str", lambda w, t: lambda: Tokenizer(w.vocab, w.merges, [3]),
         TypeError, "special_tokens must hold strings"),
    Case("empty special token", lambda w, t: lambda: Tokenizer(w.vocab, w.merges, [""]),
         ValueError, "non-empty strings"),
    Case("duplicated special token", lambda w, t: lambda: Tokenizer(w.vocab, w.merges, ["<a>"] * 2),
         ValueError, "duplicated special tokens"),
    Case("vocab_size as str", lambda w, t: lambda: train_bpe(w.corpus, "300", num_workers=1),
         TypeError, "vocab_size must be an integer, got str '300'"),
    Case("vocab_size as float", lambda w, t: lambda: train_bpe(w.corpus, 300.0, num_workers=1),
         TypeError, "vocab_size must be an integer"),
    Case("vocab_size too small", lambda w, t: lambda: train_bpe(w.corpus, 100, num_workers=1),
         ValueError, "vocab_size=100 is too small"),
    Case("missing corpus", lambda w, t: lambda: train_bpe(t / "nope.txt", 300),
         FileNotFoundError, "nope.txt"),
    Case("empty corpus", lambda w, t: lambda: train_bpe(t / "e.txt", 300),
         ValueError, "empty",
         files={"e.txt": ""}),
    Case("Latin-1 corpus",
         lambda w, t: lambda: train_bpe(t / "l.txt", 300,
                                        num_workers=1),
         ValueError, r"l\.txt is not UTF-8 text: byte 3",
         files={"l.txt": "café naïve ".encode("latin-1")}),
    Case("encode None", lambda w, t: lambda: w.tok.encode(None), TypeError, "text must be a str"),
    Case("encode bytes", lambda w, t: lambda: w.tok.encode(b"abc"), TypeError, "got bytes"),
    Case("encode int", lambda w, t: lambda: w.tok.encode(42), TypeError, "text must be a str"),
    Case("decode a str", lambda w, t: lambda: w.tok.decode("abc"), TypeError,
         "ids must be a sequence of token ids"),
    Case("decode None", lambda w, t: lambda: w.tok.decode(None), TypeError, "ids must be"),
    Case("decode a float id", lambda w, t: lambda: w.tok.decode([1.5]), TypeError,
         "token ids must be ints, got float"),
    Case("decode a 2-D tensor", lambda w, t: lambda: w.tok.decode(torch.ones(2, 2, dtype=int)),
         TypeError, "token ids must be ints, got list"),
    Case("decode an unknown id", lambda w, t: lambda: w.tok.decode([10**6]), ValueError,
         "token id 1000000 is not in the vocabulary"),
    Case("decode a negative id", lambda w, t: lambda: w.tok.decode([5, -1]), ValueError,
         "token id -1 is not in the vocabulary"),
    Case("save vocab over merges", lambda w, t: lambda: w.tok.save(t / "v.json", t / "v.json"),
         ValueError, "merges_path and vocab_path are the same file"),
    Case("save through another spelling of one path",
         lambda w, t: lambda: w.tok.save(t / "v.json", t / "sub" / ".." / "v.json"),
         ValueError, "same file"),
    Case("vocab file not JSON",
         lambda w, t: lambda: Tokenizer.from_files(t / "v.json", w.root / "merges.txt"),
         ValueError, r"v\.json is not valid JSON \(line 1",
         files={"v.json": "{"}),
    Case("vocab and merges swapped",
         lambda w, t: lambda: Tokenizer.from_files(w.root / "merges.txt", w.root / "vocab.json"),
         ValueError, r"merges\.txt is not valid JSON"),
    Case("vocab file a JSON list",
         lambda w, t: lambda: Tokenizer.from_files(t / "v.json",
                                                   w.root / "merges.txt"),
         ValueError, "must hold a JSON object",
         files={"v.json": "[1, 2]"}),
    Case("merges line malformed",
         lambda w, t: lambda: Tokenizer.from_files(w.root / "vocab.json",
                                                   t / "m.txt"),
         ValueError, r"m\.txt:1: expected 'left right'",
         files={"m.txt": "a b c\n"}),
    Case("missing vocab file",
         lambda w, t: lambda: Tokenizer.from_files(t / "none.json", w.root / "merges.txt"),
         FileNotFoundError, "none.json"),
    Case("utf8_encode of a str", lambda w, t: lambda: utf8_encode("a"), TypeError,
         "code_point must be an integer, got str 'a'"),
    Case("utf8_encode of a float", lambda w, t: lambda: utf8_encode(65.0), TypeError,
         "code_point must be an integer"),
    Case("utf8_encode out of range", lambda w, t: lambda: utf8_encode(0x110000), ValueError,
         "outside the Unicode range"),
    Case("utf8_decode of a str", lambda w, t: lambda: utf8_decode("abc"), TypeError,
         "data must be bytes"),
    Case("encoded_lengths of bytes", lambda w, t: lambda: encoded_lengths(b"x"), TypeError,
         "text must be a str"),
]  # fmt: skip

DATA = [
    Case("token file written over its own text",
         lambda w, t: lambda: write_tokens_from_file(t / "s.txt", t / "s.txt",
                                                     w.tok, num_workers=1, progress=False),
         ValueError, "path and text_path are the same file",
         files={"s.txt": "hello"}),
    Case("token file whose sidecar is the text",
         lambda w, t: lambda: write_tokens_from_file(t / "s.bin.json",
                                                     t / "s.bin", w.tok, num_workers=1,
                                                     progress=False),
         ValueError, "its sidecar and text_path are the same file",
         files={"s.bin.json": "hello"}),
    Case("token ids over a text file",
         lambda w, t: lambda: write_token_ids([1, 2], t / "story.txt"),
         FileExistsError, "is not a token file",
         files={"story.txt": "once"}),
    Case("token ids over a folder",
         lambda w, t: lambda: write_token_ids([1, 2], t / "dir"),
         FileExistsError, "is not a token file", files={"dir/keep.txt": "mine"}),
    Case("Latin-1 text to tokenize",
         lambda w, t: lambda: write_tokens_from_file(t / "l.txt",
                                                     t / "l.bin", w.tok, num_workers=1,
                                                     progress=False),
         ValueError, "is not UTF-8 text",
         files={"l.txt": "é".encode("latin-1")}),
    Case("missing token file", lambda w, t: lambda: open_tokens(t / "no.bin"),
         FileNotFoundError, "token file not found"),
    Case("token file without sidecar",
         lambda w, t: lambda: open_tokens(t / "t.bin"),
         FileNotFoundError, r"has no sidecar t\.bin\.json",
         files={"t.bin": b"\x00\x00"}),
    Case("sidecar not JSON", sidecar_case("{oops"), ValueError,
         r"token file sidecar .*t\.bin\.json is not valid JSON"),
    Case("sidecar without num_tokens", sidecar_case({"dtype": "uint16"}), ValueError,
         "records no integer num_tokens"),
    Case("sidecar of another dtype", sidecar_case({**GOOD_META, "dtype": "int32"}), ValueError,
         "stored as 'int32', but token files are uint16"),
    Case("token file shorter than its sidecar", sidecar_case(GOOD_META, b"\x01\x00"), ValueError,
         "has 2 bytes but its sidecar promises 2 uint16 tokens"),
    Case("get_batch of another dtype's file",
         lambda w, t: (sidecar_case({**GOOD_META, "dtype": "uint32"})(w, t),
                       lambda: get_batch(t / "t.bin", 1, 1))[1],
         ValueError, "token files are uint16"),
    Case("get_batch of float tokens",
         lambda w, t: lambda: get_batch(np.arange(50, dtype=np.float32), 2, 4),
         TypeError, "integer token ids .* dtype float32"),
    Case("get_batch of 2-D tokens", lambda w, t: lambda: get_batch(np.zeros((5, 5), int), 1, 2),
         ValueError, "1-D array"),
    Case("sequential_batches of float tokens",
         lambda w, t: lambda: next(sequential_batches(np.zeros(20), 2, 4)),
         TypeError, "integer token ids"),
    Case("document_example of a str", lambda w, t: lambda: document_example("abc", 1, 2, 0, 4),
         TypeError, "ids must be a list of token ids"),
    Case("document_example of float ids",
         lambda w, t: lambda: document_example(torch.tensor([1.0, 2.0]), 1, 2, 0, 4),
         TypeError, "integer token ids"),
    Case("document_example of a negative id",
         lambda w, t: lambda: document_example([3, -1], 1, 2, 0, 4),
         ValueError, "each token id must be >= 0"),
    Case("document_example with max_len 0",
         lambda w, t: lambda: document_example([3], 1, 2, 0, 0),
         ValueError, "max_len must be positive, got 0"),
    Case("document_example with a float pad_id",
         lambda w, t: lambda: document_example([3], 1, 2, 0.0, 4),
         TypeError, "pad_id must be an integer"),
    Case("DocumentDataset of one document", lambda w, t: lambda: DocumentDataset([3, 4], 1, 2, 0, 4)[0],
         TypeError, "ids must be a list of token ids"),
    Case("DocumentDataset of a str", lambda w, t: lambda: DocumentDataset("abc", 1, 2, 0, 4),
         TypeError, "docs must be a list of documents"),
    Case("DocumentDataset with max_len 0", lambda w, t: lambda: DocumentDataset([[3]], 1, 2, 0, 0),
         ValueError, "max_len must be positive, got 0"),
    Case("stack_examples of nothing", lambda w, t: lambda: stack_examples([]),
         ValueError, "at least one example"),
    Case("stack_examples of different lengths",
         lambda w, t: lambda: stack_examples(
             [document_example([3], 1, 2, 0, 4), document_example([3], 1, 2, 0, 5)]),
         ValueError, "pad every example to the same max_len"),
    Case("load_jsonl_docs of an empty file",
         lambda w, t: lambda: load_jsonl_docs(t / "e.jsonl"),
         ValueError, "holds no documents",
         files={"e.jsonl": "\n\n"}),
    Case("ingest_jsonl of an empty file",
         lambda w, t: lambda: ingest_jsonl(t / "e.jsonl"),
         ValueError, "holds no documents",
         files={"e.jsonl": ""}),
    Case("load_jsonl_docs negative limit",
         lambda w, t: lambda: load_jsonl_docs(t / "d.jsonl", limit=-1),
         ValueError, "limit must be >= 0",
         files={"d.jsonl": '{"text": "a"}\n'}),
    Case("LSH with zero bands",
         lambda w, t: lambda: lsh_candidate_pairs(np.zeros((3, 8), np.int64), 0, 4),
         ValueError, "bands must be positive, got 0"),
    Case("LSH with zero rows",
         lambda w, t: lambda: lsh_candidate_pairs(np.zeros((3, 8), np.int64), 4, 0),
         ValueError, "rows must be positive, got 0"),
    Case("LSH with fractional bands",
         lambda w, t: lambda: lsh_candidate_pairs(np.zeros((3, 8), np.int64), 1.5, 2),
         TypeError, "bands must be an integer"),
    Case("candidate probability with zero rows",
         lambda w, t: lambda: candidate_probability(0.5, 4, 0), ValueError, "rows must be positive"),
    Case("shingles of size 0", lambda w, t: lambda: shingles("a b c", 0), ValueError,
         "k must be >= 1"),
    Case("no permutations", lambda w, t: lambda: make_permutations(0), ValueError,
         "num_perm must be >= 1"),
    Case("data build into someone's folder", user_folder, FileExistsError,
         r"is not an embedded data build \(it has no manifest.json\)"),
    Case("data build over a file",
         lambda w, t: lambda: ensure_embedded(t / "f.txt", size_mb=0.01),
         FileExistsError, "is a file, not a data folder",
         files={"f.txt": "x"}),
    Case("data build over another tool's folder", foreign_manifest, FileExistsError,
         "its manifest.json was not written by course_lib.data.embedded"),
    Case("data build over a build holding a user's file", build_plus_extra, FileExistsError,
         r"holds files the build did not make: \['my_tokens.bin'\]"),
]  # fmt: skip

MODEL = [
    Case("d_ff 0", lambda w, t: lambda: ModelConfig(d_ff=0), ValueError, "d_ff must be positive"),
    Case("rope_theta 0", lambda w, t: lambda: ModelConfig(rope_theta=0), ValueError,
         "rope_theta must be positive, got 0"),
    Case("rope_theta negative", lambda w, t: lambda: ModelConfig(rope_theta=-1.0), ValueError,
         "rope_theta must be positive"),
    Case("eps 0", lambda w, t: lambda: ModelConfig(eps=0.0), ValueError, "eps must be positive"),
    Case("vocab_size as str", lambda w, t: lambda: ModelConfig(vocab_size="100"), TypeError,
         "vocab_size must be an integer, got str '100'"),
    Case("d_model as float", lambda w, t: lambda: ModelConfig(d_model=64.0, n_heads=4), TypeError,
         "d_model must be an integer"),
    Case("n_layers 0", lambda w, t: lambda: ModelConfig(n_layers=0), ValueError,
         "n_layers must be positive"),
    Case("heads do not divide d_model", lambda w, t: lambda: ModelConfig(d_model=64, n_heads=3),
         ValueError, "divisible by n_heads"),
    Case("unknown norm", lambda w, t: lambda: ModelConfig(norm="rsm"), ValueError,
         "unknown norm 'rsm'.*did you mean 'rms'"),
    Case("unknown config key", lambda w, t: lambda: ModelConfig.from_dict({"d_modle": 8}),
         ValueError, r"unknown ModelConfig keys: \['d_modle'\]"),
    Case("RoPE theta 0", lambda w, t: lambda: RotaryEmbedding(0.0, 8, 16), ValueError,
         "theta must be positive"),
    Case("float ids", lambda w, t: lambda: w.model(torch.zeros(1, 3)), ValueError,
         "integer tensor"),
    Case("ids as a list", lambda w, t: lambda: w.model([[1, 2]]), TypeError,
         "ids must be a tensor of token ids, got list"),
    Case("id outside the vocabulary", lambda w, t: lambda: w.model(torch.tensor([[1, 64]])),
         ValueError, "token id 64 out of range"),
    Case("sequence too long", lambda w, t: lambda: w.model(torch.zeros(1, 17, dtype=torch.long)),
         ValueError, "longer than context_length 16"),
    Case("KV cache of another batch size",
         lambda w, t: lambda: w.model(torch.zeros(2, 2, dtype=torch.long),
                                      kv_cache=w.model.new_kv_cache(1)),
         ValueError, "do not fit a KV cache made for batch size 1"),
    Case("KV cache append of another shape",
         lambda w, t: lambda: LayerKVCache(1, 2, 8, 4).append(torch.zeros(3, 2, 1, 4),
                                                              torch.zeros(3, 2, 1, 4)),
         ValueError, "a different batch size or head layout needs a new cache"),
]  # fmt: skip

GENERATION = [
    Case("negative temperature", lambda w, t: lambda: w.model.generate(w.ids, 2, temperature=-1),
         ValueError, "temperature must be >= 0, got -1"),
    Case("temperature as str", lambda w, t: lambda: w.model.generate(w.ids, 2, temperature="hot"),
         TypeError, "temperature must be a number"),
    Case("top_k 0", lambda w, t: lambda: w.model.generate(w.ids, 2, top_k=0), ValueError,
         "top_k must be positive, got 0"),
    Case("top_k negative", lambda w, t: lambda: w.model.generate(w.ids, 2, top_k=-3), ValueError,
         "top_k must be positive"),
    Case("top_k fractional", lambda w, t: lambda: w.model.generate(w.ids, 2, top_k=2.5), TypeError,
         "top_k must be an integer"),
    Case("negative max_new_tokens", lambda w, t: lambda: w.model.generate(w.ids, -1), ValueError,
         "max_new_tokens must be >= 0"),
    Case("prompt as a list", lambda w, t: lambda: w.model.generate([[1, 2]], 2), TypeError,
         "ids must be a .batch, seq. tensor"),
    Case("prompt without batch", lambda w, t: lambda: w.model.generate(torch.zeros(3).long(), 2),
         ValueError, r"ids must have shape \(batch, seq\), got \(3,\)"),
    Case("prompt plus new tokens too long", lambda w, t: lambda: w.model.generate(w.ids, 14),
         ValueError, "longer than context_length 16"),
    Case("one pair with an empty continuation", lambda w, t: lambda: score_continuation(w.model, [1], []),
         ValueError, "continuation is empty"),
    Case("one pair given as text", lambda w, t: lambda: score_continuation(w.model, "ab", [1]),
         TypeError, "context must be a list of token ids"),
    Case("one pair outside the vocabulary",
         lambda w, t: lambda: score_continuation(w.model, [1], [64]), ValueError,
         "token id 64 outside the vocabulary"),
    Case("a sample of no items", lambda w, t: lambda: sample_items([], None, 16, 0), ValueError,
         "n must be positive, got 0"),
    Case("items as one string", lambda w, t: lambda: sample_items("items", None, 16, 5), TypeError,
         "items must be a list of MultipleChoice items"),
]  # fmt: skip

LOGITS = torch.zeros(2, 3, 5)
TARGETS = torch.zeros(2, 3, dtype=torch.long)


def sgd(w: SimpleNamespace) -> torch.optim.Optimizer:
    """Plain SGD over the fixture model: the optimizer of the train_loop cases."""
    return torch.optim.SGD(w.model.parameters(), lr=0.1)


def one_batch(step: int, micro: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The same two windows of 4 token ids for every step: a get_batch for train_loop."""
    ids = torch.arange(10).reshape(2, 5) % 8
    return ids[:, :-1], ids[:, 1:]


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy over every position."""
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())


TRAINING = [
    Case("every target ignored",
         lambda w, t: lambda: cross_entropy(LOGITS, torch.full((2, 3), -100)),
         ValueError, r"every target equals ignore_index \(-100\)"),
    Case("every target ignored, fused",
         lambda w, t: lambda: fast_cross_entropy(LOGITS, torch.full((2, 3), -1), ignore_index=-1),
         ValueError, "every target equals ignore_index"),
    Case("perplexity of no targets",
         lambda w, t: lambda: perplexity(LOGITS, torch.full((2, 3), -100)),
         ValueError, "every target equals ignore_index"),
    Case("target beyond the vocabulary",
         lambda w, t: lambda: cross_entropy(LOGITS, torch.tensor([[0, 1, 5], [0, 0, 0]])),
         ValueError, r"target 5 is not a token id of the 5-token vocabulary \(0..4\)"),
    Case("negative target", lambda w, t: lambda: cross_entropy(LOGITS, TARGETS - 2),
         ValueError, "target -2 is not a token id"),
    Case("float targets", lambda w, t: lambda: cross_entropy(LOGITS, TARGETS.float()),
         TypeError, "targets must be integer token ids"),
    Case("integer logits", lambda w, t: lambda: cross_entropy(LOGITS.long(), TARGETS),
         TypeError, "logits must be a float tensor"),
    Case("logits as a list", lambda w, t: lambda: cross_entropy([[0.0, 1.0]], TARGETS),
         TypeError, "logits must be a float tensor, got list"),
    Case("targets shaped like logits", lambda w, t: lambda: cross_entropy(LOGITS, LOGITS.long()),
         ValueError, "must equal logits shape without its last"),
    Case("unknown reduction",
         lambda w, t: lambda: cross_entropy(LOGITS, TARGETS, reduction="avg"),
         ValueError, "reduction='avg'"),
    Case("negative step", lambda w, t: lambda: cosine_schedule(-5, 1.0, 0.1, 10, 100),
         ValueError, "step must be >= 0, got -5"),
    Case("lr_min above lr_max", lambda w, t: lambda: cosine_schedule(50, 0.1, 1.0, 10, 100),
         ValueError, "need 0 <= lr_min <= lr_max, got lr_min=1.0, lr_max=0.1"),
    Case("warmup past the decay", lambda w, t: lambda: cosine_schedule(5, 1.0, 0.1, 200, 100),
         ValueError, "need 0 <= warmup_steps <= cosine_steps"),
    Case("lr_max as str", lambda w, t: lambda: cosine_schedule(5, "1e-3", 0.0, 0, 100),
         TypeError, "lr_max must be a number"),
    Case("linear schedule negative step", lambda w, t: lambda: linear_schedule(-1, 1, 0, 0, 10),
         ValueError, "step must be >= 0"),
    Case("wsd decay fraction 2",
         lambda w, t: lambda: wsd_schedule(1, 1.0, 0.0, 0, 10, decay_fraction=2),
         ValueError, "decay_fraction must lie in"),
    Case("LRSchedule lr_min above lr_max", lambda w, t: lambda: LRSchedule(lr_max=0.1, lr_min=1),
         ValueError, "need 0 <= lr_min <= lr_max"),
    Case("LRSchedule misspelt", lambda w, t: lambda: LRSchedule(name="cosin"),
         ValueError, "unknown schedule 'cosin'.*did you mean 'cosine'"),
    Case("AdamW betas as one float",
         lambda w, t: lambda: AdamW(w.model.parameters(), betas=0.9),
         TypeError, r"betas must be a pair \(beta1, beta2\), got 0.9"),
    Case("AdamW beta of 1", lambda w, t: lambda: AdamW(w.model.parameters(), betas=(0.9, 1.0)),
         ValueError, r"betas must lie in \[0, 1\)"),
    Case("AdamW negative lr", lambda w, t: lambda: AdamW(w.model.parameters(), lr=-1),
         ValueError, "lr must be >= 0, got -1"),
    Case("AdamW lr as str", lambda w, t: lambda: AdamW(w.model.parameters(), lr="fast"),
         TypeError, "lr must be a number"),
    Case("TrainConfig batch_size 0", lambda w, t: lambda: train_config(batch_size=0),
         ValueError, "batch_size must be positive"),
    Case("TrainConfig unknown key", lambda w, t: lambda: TrainConfig.from_dict({"max_stpes": 3}),
         ValueError, "unknown TrainConfig keys"),
    Case("Trainer given a dict config",
         lambda w, t: lambda: Trainer(w.model, {"lr": 1e-3}, np.arange(100)),
         TypeError, "config must be a TrainConfig, got dict"),
    Case("Trainer on float tokens",
         lambda w, t: lambda: Trainer(TransformerLM(w.cfg), train_config(), np.zeros(100)),
         TypeError, "integer token ids"),
    Case("train_loop with 0 steps",
         lambda w, t: lambda: train_loop(w.model, sgd(w), one_batch, loss_fn=lm_loss, steps=0),
         ValueError, "steps must be positive, got 0"),
    Case("train_loop accumulation as float",
         lambda w, t: lambda: train_loop(w.model, sgd(w), one_batch, loss_fn=lm_loss, steps=2,
                                         accumulation=2.0),
         TypeError, "accumulation must be an integer, got float"),
    Case("train_loop negative clipping norm",
         lambda w, t: lambda: train_loop(w.model, sgd(w), one_batch, loss_fn=lm_loss, steps=2,
                                         max_grad_norm=-1.0),
         ValueError, "max_grad_norm must be positive, got -1.0"),
    Case("train_loop given a batch instead of get_batch",
         lambda w, t: lambda: train_loop(w.model, sgd(w), one_batch(1, 0), loss_fn=lm_loss,
                                         steps=2),
         TypeError, r"get_batch must be a function \(step, micro\)"),
    Case("train_loop given a learning rate as the schedule",
         lambda w, t: lambda: train_loop(w.model, sgd(w), one_batch, loss_fn=lm_loss, steps=2,
                                         lr_schedule=1e-3),
         TypeError, "lr_schedule must be None or a function step -> learning rate, got float"),
    Case("train_loop eval_every without eval_fn",
         lambda w, t: lambda: train_loop(w.model, sgd(w), one_batch, loss_fn=lm_loss, steps=2,
                                         eval_every=1),
         ValueError, "eval_every=1 needs an eval_fn"),
    Case("train_loop given the optimizer class",
         lambda w, t: lambda: train_loop(w.model, torch.optim.SGD, one_batch, loss_fn=lm_loss,
                                         steps=2),
         TypeError, "optimizer must be a torch optimizer, got type"),
    Case("fresh run over a finished one", finished_run, FileExistsError,
         r"already holds a run \(checkpoint.safetensors, metrics.jsonl\).*overwrite=True"),
]  # fmt: skip

ACCOUNTING = [
    Case("L40S is not an L4", lambda w, t: lambda: peak_flops("NVIDIA L40S"), ValueError,
         r"unknown GPU 'NVIDIA L40S'.*known GPUs are \['A100'"),
    Case("RTX A1000 is not an A100", lambda w, t: lambda: peak_flops("RTX A1000"), ValueError,
         "unknown GPU 'RTX A1000'"),
    Case("A100 40GB is not the 80GB table entry",
         lambda w, t: lambda: gpu_spec("NVIDIA A100-SXM4-40GB"), ValueError,
         "did you mean 'NVIDIA A100-SXM4-80GB'"),
    Case("empty GPU name", lambda w, t: lambda: gpu_spec(""), ValueError, "unknown GPU ''"),
    Case("GPU name None", lambda w, t: lambda: peak_flops(None), TypeError,
         "gpu must be a GPU name"),
    Case("unknown dtype", lambda w, t: lambda: peak_flops("A100", "int8"), ValueError,
         "dtype='int8'"),
    Case("no bfloat16 on a V100", lambda w, t: lambda: peak_flops("V100", "bf16"), ValueError,
         "has no bf16 tensor cores"),
    Case("config as a dict", lambda w, t: lambda: count_params({"d_model": 64}), TypeError,
         "expected a ModelConfig, got dict"),
    Case("positive check of a str", lambda w, t: lambda: check_positive("x", "3"), TypeError,
         "x must be a number, got str '3'"),
    Case("positive check of NaN", lambda w, t: lambda: check_positive("x", float("nan")),
         ValueError, "x must be positive, got nan"),
    Case("mfu at 0 tokens/s", lambda w, t: lambda: mfu(0, 1e6, 1e12), ValueError,
         "tokens_per_s must be positive"),
    Case("training time at 0 utilization",
         lambda w, t: lambda: training_time_seconds(1e12, 10, 1e12, 0), ValueError,
         "utilization"),
    Case("matmul of size 0", lambda w, t: lambda: measure_matmul_flops(size=0), ValueError,
         "size must be positive"),
    Case("FLOPs of context 0", lambda w, t: lambda: forward_flops(w.cfg, context_length=0),
         ValueError, "context_length must be positive"),
    Case("AdamW FLOPs of a float count", lambda w, t: lambda: adamw_step_flops(1.5e9), TypeError,
         "n_params must be an integer, got float"),
    Case("AdamW FLOPs with a decay rate", lambda w, t: lambda: adamw_step_flops(10, 0.1),
         TypeError, "weight_decay must be True or False"),
    Case("norm read by no matmul", lambda w, t: lambda: norm_bytes(w.cfg, "fp32", 0), ValueError,
         "consumers must be positive"),
    Case("norm in fp8", lambda w, t: lambda: norm_bytes(w.cfg, "fp8"), ValueError,
         "precision='fp8'"),
    Case("no plans to spread", lambda w, t: lambda: spread_plans([], 3), ValueError,
         "plans is empty"),
    Case("plans as one plan", lambda w, t: lambda: spread_plans(
        plan_budget(1e15, 32, 128, 10_000)[0], 3), TypeError, "plans must be a list of plans"),
    Case("spread over 0 configs", lambda w, t: lambda: spread_plans(
        plan_budget(1e15, 32, 128, 10_000), 0), ValueError, "k must be positive, got 0"),
]  # fmt: skip

HPARAM = [
    Case("probe of 0 total steps", lambda w, t: lambda: probe_cost(lambda: None, 0), ValueError,
         "total_steps must be positive, got 0"),
    Case("probe at a negative price", lambda w, t: lambda: probe_cost(lambda: None, 10, -1.0),
         ValueError, "dollars_per_hour"),
    Case("plan around a rate of 0", lambda w, t: lambda: experiment_plan(64, 100, 2, 0.0),
         ValueError, "tiny_best_lr"),
    Case("final rate from a list", lambda w, t: lambda: choose_final_lr([], 64), TypeError,
         "table must be"),
    Case("final rate from a table without losses",
         lambda w, t: lambda: choose_final_lr(pd.DataFrame({"lr": [0.1]}), 64), ValueError,
         "has no column"),
    Case("target curve of a bare model config",
         lambda w, t: lambda: target_lr_curve({"model": {}}), TypeError, "base must be a sweep"),
    Case("digest of a bare model config",
         lambda w, t: lambda: curve_digest({"model": {}}), TypeError, "base must be a sweep"),
    Case("a target curve file that is missing",
         lambda w, t: lambda: read_curve(t / "curve.json"), FileNotFoundError,
         "no target learning-rate curve"),
]  # fmt: skip


def fresh_model(w) -> TransformerLM:
    """A model of the shared config of one's own, for calls that could change a model in place."""
    return TransformerLM(w.cfg)


RECORD = {"instruction": "Name a color.", "input": "", "output": "Red."}
EXAMPLE = InstructionExample([1, 2, 3], 2)

FINETUNE = [
    Case("schedule from a dict config", lambda w, t: lambda: checkpoint_schedule({"n_layers": 4}),
         TypeError, "config must be a ModelConfig, got dict"),
    Case("schedule as a str", lambda w, t: lambda: check_schedule("0,2", 4), TypeError,
         "schedule must be a list of block indices"),
    Case("schedule not from block 0", lambda w, t: lambda: check_schedule([1, 2], 4), ValueError,
         r"starting at 0 and below 4, got \[1, 2\]"),
    Case("schedule past the last block", lambda w, t: lambda: check_schedule([0, 4], 4),
         ValueError, "below 4"),
    Case("schedule entry as float", lambda w, t: lambda: check_schedule([0, 1.5], 4), TypeError,
         "schedule entry must be an integer"),
    Case("checkpointing method misspelt",
         lambda w, t: lambda: checkpointed_blocks(fresh_model(w), [0], "torhc").__enter__(),
         ValueError, "unknown method 'torhc'.*did you mean 'torch'"),
    Case("checkpointing a model without layers",
         lambda w, t: lambda: checkpointed_blocks(torch.nn.Linear(2, 2), [0]).__enter__(),
         TypeError, "needs a model with an nn.ModuleList `layers`"),
    Case("recompute of a list", lambda w, t: lambda: recompute(lambda x: x, [1.0], []), TypeError,
         "x must be a tensor, got list"),
    Case("SVD of a list", lambda w, t: lambda: truncated_svd([[1.0]], 1), TypeError,
         "weight must be a 2-D float tensor, got list"),
    Case("SVD of a vector", lambda w, t: lambda: truncated_svd(torch.ones(3), 1), ValueError,
         r"weight must be a 2-D float tensor, got shape \(3,\)"),
    Case("rank above the matrix's",
         lambda w, t: lambda: low_rank_approximation(torch.ones(3, 2), 3),
         ValueError, r"rank must be at most min\(3, 2\) = 2"),
    Case("rank as float", lambda w, t: lambda: truncated_svd(torch.ones(3, 2), 1.0), TypeError,
         "rank must be an integer"),
    Case("low-rank params of negative rank", lambda w, t: lambda: low_rank_params(4, 4, -1),
         ValueError, "rank must be >= 0, got -1"),
    Case("LoRA around an embedding",
         lambda w, t: lambda: LoRALinear(torch.nn.Embedding(4, 4)), TypeError,
         "base must be an nn.Linear or course_lib.model.layers.Linear, got Embedding"),
    Case("LoRA rank 0", lambda w, t: lambda: LoRALinear(Linear(4, 4), r=0), ValueError,
         "r must be positive, got 0"),
    Case("LoRA alpha as str", lambda w, t: lambda: LoRALinear(Linear(4, 4), alpha="16"),
         TypeError, "alpha must be a number, got str"),
    Case("LoRA dropout of 1", lambda w, t: lambda: LoRALinear(Linear(4, 4), dropout=1.0),
         ValueError, r"dropout must lie in \[0, 1\), got 1.0"),
    Case("LoRA targets as one str", lambda w, t: lambda: apply_lora(fresh_model(w), "q_proj"),
         TypeError, "target_modules must be a list of strings, got one string"),
    Case("LoRA targets none", lambda w, t: lambda: apply_lora(fresh_model(w), []), ValueError,
         "target_modules must name at least one Linear layer"),
    Case("LoRA target misspelt", lambda w, t: lambda: apply_lora(fresh_model(w), ["q_porj"]),
         ValueError, "match no Linear layer of the model.*did you mean 'q_proj'"),
    Case("LoRA rank as float in apply_lora",
         lambda w, t: lambda: apply_lora(fresh_model(w), ["q_proj"], r=4.0), TypeError,
         "r must be an integer"),
    Case("LoRA count of an unknown layer",
         lambda w, t: lambda: predicted_lora_params(w.cfg, ["w4"], 4), ValueError,
         r"target_modules \['w4'\] are not Linear layers of this config"),
    Case("float16 at scale 0", lambda w, t: lambda: in_float16([1.0], scale=0), ValueError,
         "scale must be positive, got 0"),
    Case("float16 of strings", lambda w, t: lambda: in_float16(["1e-8"]), TypeError,
         "value must be a number, got str"),
    Case("loss scale growth interval 0",
         lambda w, t: lambda: loss_scale_demo([1.0], growth_interval=0),
         ValueError, "growth_interval must be positive, got 0"),
    Case("loss scale of a number", lambda w, t: lambda: loss_scale_demo(1.0), TypeError,
         "grads must be a list of gradient sizes, got float"),
    Case("instruction record as str", lambda w, t: lambda: render_prompt("Name a color."),
         TypeError, "record must be a dict"),
    Case("instruction record without output",
         lambda w, t: lambda: render_prompt({"instruction": "Name a color."}), ValueError,
         r"record lacks \['output'\]"),
    Case("instruction input as list",
         lambda w, t: lambda: render_prompt({**RECORD, "input": ["red"]}), TypeError,
         r"record\['input'\] must be a string, got list"),
    Case("tokenizer without encode", lambda w, t: lambda: encode_example(RECORD, {}, 0), TypeError,
         "tokenizer must have an encode"),
    Case("negative end-of-text id", lambda w, t: lambda: encode_example(RECORD, w.tok, -1),
         ValueError, "eot_id must be >= 0, got -1"),
    Case("window of one token", lambda w, t: lambda: encode_example(RECORD, w.tok, 0, 1),
         ValueError, "max_tokens must be >= 2, got 1"),
    Case("collate of nothing", lambda w, t: lambda: collate([], 0), ValueError,
         "collate needs at least one example"),
    Case("collate of id lists", lambda w, t: lambda: collate([[1, 2, 3]], 0), TypeError,
         "example must be an InstructionExample, got list"),
    Case("collate with pad id as str", lambda w, t: lambda: collate([EXAMPLE], "0"), TypeError,
         "pad_id must be an integer"),
    Case("instruction batches of 0", lambda w, t: lambda: batch_source([EXAMPLE], 0, 0),
         ValueError, "batch_size must be positive, got 0"),
    Case("instruction batches of no examples", lambda w, t: lambda: batch_source([], 2, 0),
         ValueError, "batch_source needs at least one example"),
]  # fmt: skip


def fake_seed(w, tmp: Path) -> Seed:
    """A Seed object without files: enough for the checks made before any is read."""
    return Seed(tmp / "seed", "k" * 16, "d" * 64, 1, w.cfg, TrainConfig(context_length=16), w.tok)


def other_vocab_model() -> TransformerLM:
    torch.manual_seed(0)
    return TransformerLM(
        ModelConfig(vocab_size=80, context_length=16, d_model=16, n_layers=1, n_heads=2)
    )


SMALL_TRAIN = TrainConfig(
    batch_size=2, context_length=16, max_steps=2, warmup_steps=0, progress=False, live_plot=False
)
MANIFEST = json.dumps({"generator": "course_lib.data.embedded", "version": 1, "seed": 0})

MERGING = [
    Case("domains as a list", lambda w, t: lambda: check_domains([("a", ("farm",))]), TypeError,
         r"domains must be a dict \{domain: plots\}, got list"),
    Case("domain of an unknown plot",
         lambda w, t: lambda: check_domains({"a": ("farm", "frm")}), ValueError,
         r"domains\['a'\] names unknown plot 'frm'"),
    Case("plot in two domains", lambda w, t: lambda: check_domains({"a": ("farm",),
                                                                    "b": ("farm",)}),
         ValueError, "plot 'farm' is in two domains: 'a' and 'b'"),
    Case("plots left out of the domains", lambda w, t: lambda: check_domains({"a": ("farm",)}),
         ValueError, r"plots \[.*\] are in no domain"),
    Case("tagged stories of a split misspelt", lambda w, t: lambda: tagged_stories(t, "vaild"),
         ValueError, "unknown split 'vaild'.*did you mean 'valid'"),
    Case("tagged stories limit 0", lambda w, t: lambda: tagged_stories(t, "valid", 0),
         ValueError, "limit must be positive, got 0"),
    Case("tagged stories without a manifest", lambda w, t: lambda: tagged_stories(t, "valid"),
         FileNotFoundError, "embedded data manifest not found"),
    Case("tagged stories of another generator", lambda w, t: lambda: tagged_stories(t, "valid"),
         ValueError, "is not an embedded data build",
         files={"manifest.json": json.dumps({"generator": "mine", "seed": 0})}),
    Case("tagged stories of an older generator", lambda w, t: lambda: tagged_stories(t, "valid"),
         ValueError, "built by generator version 1", files={"manifest.json": MANIFEST}),
    Case("stories by domain of texts", lambda w, t: lambda: stories_by_domain(["a story"]),
         TypeError, "story must be a TaggedStory, got str"),
    Case("dedup pair out of range", lambda w, t: lambda: duplicate_groups(3, [(0, 3)]),
         ValueError, r"pair \(0, 3\) names a document outside 0..2"),
    Case("dedup of one string", lambda w, t: lambda: deduplicate("a b c d e"), TypeError,
         "texts must be a list of strings, got one string"),
    Case("dedup threshold 0", lambda w, t: lambda: deduplicate(["a"], 0), ValueError,
         r"threshold must lie in \(0, 1\], got 0"),
    Case("encode no stories", lambda w, t: lambda: encode_stories(w.tok, [], 0), ValueError,
         "stories is empty"),
    Case("encode with negative end-of-text", lambda w, t: lambda: encode_stories(w.tok, ["a"], -1),
         ValueError, "eot_id must be >= 0, got -1"),
    Case("mix weight of an unknown domain",
         lambda w, t: lambda: mixture_weights({"ouddoors": 1}, ["outdoors"]), ValueError,
         r"weights name unknown domains \['ouddoors'\]"),
    Case("negative mix weight", lambda w, t: lambda: mixture_weights({"a": -1, "b": 2}, "ab"),
         ValueError, r"weights\['a'\] must be >= 0, got -1"),
    Case("mix weights of zero sum", lambda w, t: lambda: mixture_weights({"a": 0}, "a"),
         ValueError, "weights must have a positive sum"),
    Case("mix weight as str", lambda w, t: lambda: mixture_weights({"a": "1"}, "a"), TypeError,
         r"weights\['a'\] must be a number, got str"),
    Case("mix of a domain shorter than a window",
         lambda w, t: lambda: mixture_source({"a": np.arange(10)}, {"a": 1}, 2, 16), ValueError,
         "domain 'a' holds 10 tokens, fewer than one window"),
    Case("mix batch size 0",
         lambda w, t: lambda: mixture_source({"a": np.arange(99)}, {"a": 1}, 0, 16), ValueError,
         "batch_size must be positive, got 0"),
    Case("seed recipe of a dict", lambda w, t: lambda: SeedRecipe(w.cfg.to_dict(), TrainConfig()),
         TypeError, "model_config must be a ModelConfig, got dict"),
    Case("seed recipe with a longer training context",
         lambda w, t: lambda: SeedRecipe(w.cfg, TrainConfig(context_length=32)), ValueError,
         r"train_config.context_length \(32\) exceeds the model's context_length \(16\)"),
    Case("seed recipe with negative train bytes",
         lambda w, t: lambda: SeedRecipe(w.cfg, SMALL_TRAIN, train_bytes=-1), ValueError,
         "train_bytes must be >= 0, got -1"),
    Case("seed key of a folder without stories",
         lambda w, t: lambda: seed_key(SeedRecipe(w.cfg, SMALL_TRAIN), t), FileNotFoundError,
         "no story file .*stories_train.txt"),
    Case("seed build with 0 threads",
         lambda w, t: lambda: build_seed(SeedRecipe(w.cfg, SMALL_TRAIN), t, t, num_threads=0),
         ValueError, "num_threads must be positive, got 0"),
    Case("seed build of a config", lambda w, t: lambda: build_seed(SMALL_TRAIN, t), TypeError,
         "recipe must be a SeedRecipe, got TrainConfig"),
    Case("seed folder without seed.json", lambda w, t: lambda: load_seed(t), FileNotFoundError,
         "seed description not found"),
    Case("seed folder of another writer", lambda w, t: lambda: load_seed(t), ValueError,
         "was not written by course_lib.merging.seed", files={"seed.json": "{}"}),
    Case("branch of a checkpoint path",
         lambda w, t: lambda: continue_pretraining(t / "seed.safetensors", w.tokens, SMALL_TRAIN,
                                                   t / "b"),
         TypeError, "seed must be a Seed"),
    Case("branch with a longer context than the seed",
         lambda w, t: lambda: continue_pretraining(fake_seed(w, t), w.tokens,
                                                   TrainConfig(context_length=32), t / "b"),
         ValueError, r"config.context_length \(32\) exceeds the seed model's"),
    Case("branch folder of another seed",
         lambda w, t: lambda: continue_pretraining(fake_seed(w, t), w.tokens, SMALL_TRAIN, t / "b"),
         ValueError, "holds a branch of seed 'other', not of 'kkkk",
         files={"b/branch.json": json.dumps({"ancestor": "e" * 64, "seed_key": "other"})}),
    Case("load a branch never trained", lambda w, t: lambda: load_branch(t / "b"),
         FileNotFoundError, "no checkpoint at .*checkpoint.safetensors: train the branch first",
         files={"b/branch.json": json.dumps({"ancestor": "e" * 64})}),
    Case("average no models", lambda w, t: lambda: average_models([]), ValueError,
         "models is empty"),
    Case("average a state dict", lambda w, t: lambda: average_models([w.model.state_dict()]),
         TypeError, r"models\[0\] must be an nn.Module, got OrderedDict"),
    Case("average with a weight per model missing",
         lambda w, t: lambda: average_models([w.model, w.model], [1.0]), ValueError,
         "weights has 1 entries for 2 models"),
    Case("average with negative weights",
         lambda w, t: lambda: average_models([w.model, w.model], [2.0, -1.0]), ValueError,
         r"weights must be >= 0, got \[2.0, -1.0\]"),
    Case("average with zero weights",
         lambda w, t: lambda: average_models([w.model, w.model], [0, 0]), ValueError,
         "weights must have a positive sum"),
    Case("average with a weight as str",
         lambda w, t: lambda: average_models([w.model, w.model], ["1", 1]), TypeError,
         r"weights\[0\] must be a number, got str"),
    Case("average of another vocabulary",
         lambda w, t: lambda: average_models([w.model, other_vocab_model()]), ValueError,
         "has another config than models.*vocab_size: 64 vs 80"),
    Case("merge models, not branches", lambda w, t: lambda: merge_branches([w.model]), TypeError,
         r"branches\[0\] must be a Branch, got TransformerLM"),
    Case("merge branches of two seeds",
         lambda w, t: lambda: merge_branches([Branch(w.model, "a" * 64), Branch(w.model, "b" * 64)]),
         ValueError, "branches descend from different seeds"),
    Case("ensemble of nothing", lambda w, t: lambda: EnsembleLM([]), ValueError,
         "an ensemble needs at least one model"),
    Case("ensemble of a bare layer", lambda w, t: lambda: EnsembleLM([torch.nn.Linear(2, 2)]),
         TypeError, r"models\[0\] has no .config with vocab_size"),
    Case("ensemble of two vocabularies",
         lambda w, t: lambda: EnsembleLM([w.model, other_vocab_model()]), ValueError,
         r"one vocabulary, got vocab sizes \[64, 80\]"),
    Case("interpolate past the end", lambda w, t: lambda: interpolate(w.model, w.model, 1.5),
         ValueError, r"alpha must lie in \[0, 1\], got 1.5"),
    Case("interpolate at a str", lambda w, t: lambda: interpolate(w.model, w.model, "0.5"),
         TypeError, "alpha must be a number, got str"),
    Case("interpolation curve of one point",
         lambda w, t: lambda: interpolation_curve(w.model, w.model, lambda m: 0.0, 1),
         ValueError, "alphas must be >= 2, got 1"),
    Case("interpolation curve with a loss value",
         lambda w, t: lambda: interpolation_curve(w.model, w.model, 1.0), TypeError,
         "loss_fn must be a function of a model, got float"),
    Case("barrier without the endpoints", lambda w, t: lambda: loss_barrier([(0.5, 1.0)]),
         ValueError, "the curve must include alpha = 0 and alpha = 1"),
    Case("validation loss with context 0",
         lambda w, t: lambda: validation_loss(w.model, np.arange(40), 0), ValueError,
         "context_length must be positive, got 0"),
    Case("validation loss of a state dict",
         lambda w, t: lambda: validation_loss(w.model.state_dict(), np.arange(40), 8), TypeError,
         "model must be an nn.Module, got OrderedDict"),
    Case("domain losses of no domains", lambda w, t: lambda: domain_losses(w.model, {}, 8),
         ValueError, "domains is empty"),
    Case("domain losses of a list",
         lambda w, t: lambda: domain_losses(w.model, [np.arange(40)], 8), TypeError,
         r"domains must be a dict \{domain: token stream\}, got list"),
]  # fmt: skip

CASES = [
    *(pytest.param(c, id=f"tokenizer: {c.id}") for c in TOKENIZER),
    *(pytest.param(c, id=f"data: {c.id}") for c in DATA),
    *(pytest.param(c, id=f"model: {c.id}") for c in MODEL),
    *(pytest.param(c, id=f"generation: {c.id}") for c in GENERATION),
    *(pytest.param(c, id=f"training: {c.id}") for c in TRAINING),
    *(pytest.param(c, id=f"accounting: {c.id}") for c in ACCOUNTING),
    *(pytest.param(c, id=f"hparam: {c.id}") for c in HPARAM),
    *(pytest.param(c, id=f"finetune: {c.id}") for c in FINETUNE),
    *(pytest.param(c, id=f"merging: {c.id}") for c in MERGING),
]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_a_clear_error_and_changes_no_file(
    case: Case, w: SimpleNamespace, tmp_path: Path
) -> None:
    for name, content in case.files.items():
        write(tmp_path / name, content)
    call = case.make(w, tmp_path)
    before, shared = snapshot(tmp_path), snapshot(w.root)
    with pytest.raises(case.error, match=case.match):
        call()
    assert snapshot(tmp_path) == before, "a refused call changed files it was given"
    assert snapshot(w.root) == shared, "a refused call changed the shared fixtures"


# ---------------------------------------------------------------- what is allowed, and warned


def test_overwrite_lets_a_fresh_run_replace_a_finished_one(w, tmp_path: Path) -> None:
    result = finished_run(w, tmp_path, overwrite=True)().fit()
    assert result.status == "completed" and result.step == 2


def test_a_vocab_the_corpus_cannot_fill_warns(w) -> None:
    with pytest.warns(UserWarning, match="vocab_size=5000.*the vocabulary has 2"):
        vocab, _ = train_bpe(w.corpus, 5000, [EOT], num_workers=1)
    assert len(vocab) < 5000


def test_exact_gpu_names_and_their_aliases_resolve() -> None:
    assert gpu_spec("NVIDIA H100 80GB HBM3").name == "NVIDIA H100 SXM"
    assert gpu_spec("nvidia geforce rtx 4090") is gpu_spec("RTX 4090")


def test_a_previous_data_build_is_replaced(tmp_path: Path) -> None:
    ensure_embedded(tmp_path / "d", size_mb=0.01)
    ensure_embedded(tmp_path / "d", size_mb=0.01, seed=1)
    assert json.loads((tmp_path / "d" / "manifest.json").read_text())["seed"] == 1


# ---------------------------------------------------------------- the workbook command

PARAMS = 'output_dir = "outputs"\nmax_steps = 400\nlr = 1e-2\nflag = False\ndevice = "auto"'


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    """A notebook folder with one module whose parameters cell declares a few typed knobs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(max_steps)")]
    path = tmp_path / "notebooks" / "05_demo" / "05_demo.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path.parent.parent


CLI_CASES = [
    (["-p", "max_stpes", "3"], "no such parameter .*did you mean 'max_steps'"),
    (["-p", "max_steps", "abc"], "default is 400, so expected an integer"),
    (["-p", "max_steps", "2.5"], "expected an integer"),
    (["-p", "lr", "fast"], "default is 0.01, so expected a number"),
    (["-p", "flag", "maybe"], "expected true or false"),
    (["--profile", "embeded"], "unknown profile 'embeded'.*did you mean 'embedded'"),
    (["99"], "unknown module '99'"),
]


@pytest.mark.parametrize(("args", "match"), CLI_CASES, ids=[" ".join(a) for a, _ in CLI_CASES])
def test_workbook_run_rejects_bad_arguments_before_making_a_folder(
    args: list[str], match: str, notebooks: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run_dir = tmp_path / "run"
    base = ["run", "--notebook-dir", str(notebooks), "--no-reports", "--run-dir", str(run_dir)]
    before = snapshot(tmp_path)
    assert cli.main(base + args) == 2
    assert capsys.readouterr().err.strip() != ""
    assert not run_dir.exists(), "a rejected run left a folder behind"
    assert snapshot(tmp_path) == before
    with pytest.raises(Exception, match=match):  # the same check, its message read directly
        _check_run_args(args, notebooks)


def _check_run_args(args: list[str], notebooks: Path) -> None:
    """What `workbook run` checks before it makes a folder, raised rather than printed."""
    from workbook.modules import notebook_path, resolve_modules

    parsed = cli.build_parser().parse_args(["run", "--notebook-dir", str(notebooks), *args])
    modules = resolve_modules(parsed.modules, notebooks)
    runner.load_profile(parsed.profile)
    runner.typed_overrides(dict(parsed.param), [notebook_path(m, notebooks) for m in modules])


def test_workbook_run_refuses_a_used_run_dir(notebooks: Path, tmp_path: Path, capsys) -> None:
    run_dir = tmp_path / "run"
    write(run_dir / "05_demo" / "05_demo.ipynb", "{}")
    before = snapshot(tmp_path)
    argv = ["run", "--notebook-dir", str(notebooks), "--no-reports", "--run-dir", str(run_dir)]
    assert cli.main(argv) == 2
    assert "pass --force" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_workbook_run_profile_typo_makes_no_run_folder(notebooks: Path, monkeypatch) -> None:
    made = []
    monkeypatch.setattr("course_lib.runs.new_run_dir", lambda *a, **k: made.append(a))
    argv = ["run", "--notebook-dir", str(notebooks), "--no-reports", "--profile", "gpuu"]
    assert cli.main(argv) == 2
    assert made == []


def test_workbook_data_refuses_a_folder_that_is_not_a_build(tmp_path: Path, capsys) -> None:
    write(tmp_path / "mine" / "thesis.tex", "months of work")
    before = snapshot(tmp_path)
    assert cli.main(["data", "--out", str(tmp_path / "mine"), "--size-mb", "0.01"]) == 2
    assert "not an embedded data build" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("text", "default", "want"),
    [("3", 400, 3), ("1e3", 400, 1000), ("3", 1e-2, 3.0), ("True", False, True),
     ("no", True, False), ("0", "auto", "0"), ("null", 20, None), ("[1, 2]", [0], [1, 2])],
)  # fmt: skip
def test_parameter_values_take_the_type_of_the_default(text: str, default: Any, want: Any):
    got = runner.convert_parameter("x", text, default)
    assert got == want and type(got) is type(want)
