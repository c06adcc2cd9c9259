"""The seed checkpoint and continued pretraining, on a 0.2 MB embedded corpus and a tiny model.

Oracles: the bytes of a second build; the seed model's own loss, computed with torch, on the batch
the branch's first step draws; the weights digest of the seed file."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from course_lib.data.embedded import build_embedded
from course_lib.merging.branch import continue_pretraining, load_branch, seed_branch
from course_lib.merging.domains import stories_by_domain, tagged_stories
from course_lib.merging.merge import merge_branches
from course_lib.merging.mixture import encode_stories, mixture_source
from course_lib.merging.seed import SeedRecipe, build_seed, seed_key, weights_digest
from course_lib.model import ModelConfig
from course_lib.training.config import TrainConfig
from course_lib.training.metrics import read_metrics
from course_lib.training.trainer import METRICS_NAME, micro_batch_rng

pytestmark = pytest.mark.usefixtures("one_thread")

MODEL = ModelConfig(vocab_size=300, context_length=32, d_model=32, n_layers=1, n_heads=2)
TRAIN = TrainConfig(
    batch_size=4, context_length=32, max_steps=10, lr=1e-2, min_lr=1e-3, warmup_steps=2,
    eval_interval=0, eval_batches=2, log_interval=1, progress=False, live_plot=False, device="cpu",
)  # fmt: skip
RECIPE = SeedRecipe(
    MODEL, TRAIN, tokenizer_train_bytes=50_000, train_bytes=50_000, valid_bytes=10_000
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("merging")
    data = root / "data"
    build_embedded(data, size_mb=0.2, n_sentiment=10, n_hellaswag=10, n_alpaca=10, n_dedup=20)
    threads = torch.get_num_threads()
    seed = build_seed(RECIPE, root / "seeds", data, num_threads=1)
    torch.set_num_threads(threads)
    return SimpleNamespace(root=root, data=data, seed=seed)


def test_two_builds_of_one_recipe_write_the_same_bytes(w, tmp_path: Path) -> None:
    again = build_seed(RECIPE, tmp_path / "seeds", w.data, num_threads=1)
    assert again.folder != w.seed.folder and again.key == w.seed.key
    for name in ("seed.safetensors", "vocab.json", "merges.txt", "seed.json"):
        assert sha256(again.folder / name) == sha256(w.seed.folder / name), f"{name} differs"
    assert again.digest == w.seed.digest == weights_digest(w.seed.load_model())


def test_a_built_seed_is_found_again_by_its_key(w) -> None:
    before = (w.seed.checkpoint.stat().st_mtime_ns, sha256(w.seed.checkpoint))
    found = build_seed(RECIPE, w.seed.folder.parent, w.data)
    assert found.folder == w.seed.folder, "the cache folder is keyed by the recipe"
    assert (w.seed.checkpoint.stat().st_mtime_ns, sha256(w.seed.checkpoint)) == before, "rebuilt"
    other = dataclasses.replace(RECIPE, train_config=dataclasses.replace(TRAIN, max_steps=11))
    assert seed_key(other, w.data) != w.seed.key, "another recipe must get another folder"
    runtime = dataclasses.replace(RECIPE, train_config=dataclasses.replace(TRAIN, log_interval=5))
    assert seed_key(runtime, w.data) == w.seed.key, "logging settings do not change the weights"
    assert w.seed.step == TRAIN.max_steps
    logged = read_metrics(w.seed.folder / "run" / METRICS_NAME, "train")
    assert [r["step"] for r in logged] == list(range(1, 11)), "the seed run logs as module 05 does"


def domain_tokens(w) -> dict[str, object]:
    by_domain = stories_by_domain(tagged_stories(w.data, "train", limit=150))
    tok, eot = w.seed.tokenizer, w.seed.eot_id
    return {name: encode_stories(tok, texts, eot) for name, texts in by_domain.items()}


def test_continued_pretraining_starts_from_the_seed_weights(w, tmp_path: Path) -> None:
    domains = domain_tokens(w)
    source = mixture_source(domains, {"outdoors": 3, "making": 1}, 4, 32)
    config = dataclasses.replace(TRAIN, seed=7, max_steps=3, schedule="constant", warmup_steps=2)
    result = continue_pretraining(w.seed, source, config, tmp_path / "branch")
    first = read_metrics(tmp_path / "branch" / METRICS_NAME, "train")[0]
    assert first["step"] == 1 and first["lr"] == pytest.approx(config.lr / 2), "re-warmup from 0"
    x, y = source(micro_batch_rng(config.seed, 1, 0))
    with torch.no_grad():
        seed_loss = float(F.cross_entropy(w.seed.load_model()(x).flatten(0, 1), y.flatten()))
        fresh = float(F.cross_entropy(_fresh()(x).flatten(0, 1), y.flatten()))
    assert first["loss"] == pytest.approx(seed_loss, rel=1e-5), (first["loss"], seed_loss)
    assert abs(fresh - seed_loss) > 0.1, "the oracle cannot tell the seed from a fresh model"
    branch = load_branch(tmp_path / "branch")
    assert branch.ancestor == w.seed.digest, "the branch records the seed's digest"
    assert weights_digest(branch.model) != w.seed.digest, "the branch did not train"
    assert result.step == 3
    merged = merge_branches([branch, seed_branch(w.seed)])
    assert merged.ancestor == w.seed.digest


def _fresh() -> torch.nn.Module:
    from course_lib.model import TransformerLM

    torch.manual_seed(123)
    return TransformerLM(MODEL)


def test_a_branch_folder_of_another_seed_is_refused(w, tmp_path: Path) -> None:
    other = build_seed(
        dataclasses.replace(
            RECIPE, train_config=dataclasses.replace(TRAIN, max_steps=2, warmup_steps=0)
        ),
        tmp_path / "seeds",
        w.data,
    )
    config = dataclasses.replace(TRAIN, max_steps=1, warmup_steps=0)
    tokens = domain_tokens(w)["making"]
    continue_pretraining(other, tokens, config, tmp_path / "branch")
    with pytest.raises(ValueError, match="holds a branch of seed .* not of"):
        continue_pretraining(w.seed, tokens, dataclasses.replace(config, max_steps=2),
                             tmp_path / "branch")  # fmt: skip
