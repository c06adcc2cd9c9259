"""Domains of the embedded corpus, its deduplicated set and data mixes, on a 0.2 MB build.

Oracles: the story files themselves (every tagged text must be the file's story, in order), the
generator's plot list, the generator's own list of planted duplicates (`dedup_truth.tsv`), and
counts of rows drawn from token ranges that tell the domains apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib.data.embedded import build_embedded
from course_lib.data.loaders import load_jsonl_docs, load_stories
from course_lib.data.stories.teller import PLOTS
from course_lib.merging.dedup import deduplicate
from course_lib.merging.domains import DOMAINS, check_domains, stories_by_domain, tagged_stories
from course_lib.merging.mixture import mixture_source


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data")
    build_embedded(out, size_mb=0.2, n_sentiment=10, n_hellaswag=10, n_alpaca=10, n_dedup=300)
    return out


def test_every_plot_is_in_exactly_one_domain() -> None:
    owner = check_domains(DOMAINS)
    assert set(owner) == set(PLOTS["plots"]), "a plot without a domain, or an unknown one"
    assert 2 <= len(DOMAINS) <= 4


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_tagged_stories_are_the_files_stories_in_order(data: Path, split: str) -> None:
    tagged = tagged_stories(data, split)
    file = load_stories(data / f"stories_{split}.txt")
    assert [t.text for t in tagged] == file, "the tags must follow the file, story for story"
    kinds = {t.kind for t in tagged}
    assert kinds <= set(PLOTS["plots"]) and len(kinds) > 10, kinds
    by_domain = stories_by_domain(tagged)
    assert sum(len(v) for v in by_domain.values()) == len(file)
    assert all(len(v) > 0.1 * len(file) for v in by_domain.values()), {
        k: len(v) for k, v in by_domain.items()
    }


def test_a_changed_story_file_is_refused(data: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    copy.mkdir()
    for f in data.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    path = copy / "stories_valid.txt"
    path.write_text(path.read_text().replace("Once", "Twice", 1) + "A story never told.\n")
    with pytest.raises(ValueError, match="is not in its split's stream"):
        tagged_stories(copy, "valid")


def test_deduplication_keeps_one_document_per_planted_group(data: Path) -> None:
    docs = load_jsonl_docs(data / "dedup_docs.jsonl")
    ids = [d["id"] for d in docs]
    truth = [row.split("\t")[:2] for row in (data / "dedup_truth.tsv").read_text().splitlines()[1:]]
    assert truth, "the fixture plants no duplicates"
    kept = {ids[i] for i in deduplicate([d["text"] for d in docs])}
    both = [(a, b) for a, b in truth if a in kept and b in kept]
    assert not both, f"duplicate pairs kept together: {both[:3]}"
    grouped = {x for pair in truth for x in pair}
    assert set(ids) - grouped <= kept, "a document without duplicates was dropped"
    groups: list[set[str]] = []  # the planted groups, by merging pairs that share a document
    for pair in truth:
        joined = set(pair).union(*(g for g in groups if g & set(pair)))
        groups = [g for g in groups if not g & set(pair)] + [joined]
    assert all(len(g & kept) == 1 for g in groups), "each planted group keeps exactly one member"
    assert len(kept) == len(ids) - sum(len(g) - 1 for g in groups)


def test_a_mix_draws_domains_by_weight_and_repeats_with_the_generator() -> None:
    domains = {"a": np.arange(0, 500) % 100, "b": 100 + np.arange(0, 500) % 100}
    only_a = mixture_source(domains, {"a": 1.0, "b": 0.0}, 8, 16)
    x, y = only_a(torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, 16) and bool((x < 100).all()), "weight 0 must never be drawn"
    assert torch.equal(x[:, 1:], y[:, :-1]), "targets are the inputs shifted by one"
    mix = mixture_source(domains, {"a": 1, "b": 3}, 400, 4)
    x1, _ = mix(torch.Generator().manual_seed(5))
    x2, _ = mix(torch.Generator().manual_seed(5))
    assert torch.equal(x1, x2), "a mix must be a function of the generator"
    share_b = float((x1[:, 0] >= 100).float().mean())
    # 400 rows with p = 0.75: standard deviation 0.022, so +-0.08 is over 3.5 sigma
    assert abs(share_b - 0.75) < 0.08, share_b
