"""MinHash signatures, LSH banding and the exact prefix-filter oracle, on toy sets and on fortunes."""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest

from course_lib.data import minhash as M


def test_shingles_match_spark_tokenization():
    assert M.words("Hello, World! It's 3 o'clock.") == [
        "hello",
        "world",
        "it",
        "s",
        "3",
        "o",
        "clock",
    ]
    assert M.shingles("a b c d", k=2) == {"a b", "b c", "c d"}
    assert M.shingles("too short", k=3) == set()
    with pytest.raises(ValueError):
        M.shingles("x", k=0)


def test_batch_signatures_equal_the_loop():
    a, b = M.make_permutations(64, seed=1)
    rng = np.random.default_rng(0)
    lists = [np.unique(rng.integers(0, M.PRIME, size=n)) for n in (1, 5, 0, 300, 17)]
    fast = M.minhash_signatures(lists, a, b, block=7)
    slow = np.stack([M.minhash_signature(h, a, b) for h in lists])
    np.testing.assert_array_equal(fast, slow)
    assert (slow[2] == M.EMPTY).all()
    # Oracle for one slot: min over x of (a x + b) mod p with Python integers.
    h = [int(v) for v in lists[1]]
    assert slow[1, 0] == min((int(a[0]) * x + int(b[0])) % M.PRIME for x in h)


def test_signature_agreement_estimates_jaccard():
    """With 512 permutations the estimate's standard deviation is at most 0.022; allow 0.08."""
    a, b = M.make_permutations(512, seed=2)
    base = [f"w{i}" for i in range(200)]
    for keep in (0.2, 0.5, 0.8):
        x = set(base[: int(200 * keep) + 50])
        y = set(base[50:])
        sx, sy = (M.minhash_signature(M.hash_shingles(s), a, b) for s in (x, y))
        assert abs(M.estimated_jaccard(sx, sy) - M.jaccard(x, y)) < 0.08


def test_lsh_candidates_match_brute_force_band_check():
    rng = np.random.default_rng(3)
    sig = rng.integers(0, 3, size=(40, 12))  # few values, so bands collide often
    sig[5] = M.EMPTY
    got = M.lsh_candidate_pairs(sig, bands=4, rows=3)
    want = {
        (i, j)
        for i, j in itertools.combinations(range(40), 2)
        if M.EMPTY not in (sig[i, 0], sig[j, 0])
        and any((sig[i, k * 3 : k * 3 + 3] == sig[j, k * 3 : k * 3 + 3]).all() for k in range(4))
    }
    assert got == want and got
    with pytest.raises(ValueError, match="exceeds"):
        M.lsh_candidate_pairs(sig, bands=5, rows=3)


def test_s_curve_and_band_choice():
    assert M.candidate_probability(1.0, 20, 5) == pytest.approx(1.0)
    assert M.candidate_probability(0.5, 20, 5) == pytest.approx(1 - (1 - 0.5**5) ** 20)
    b, r = M.choose_bands(128, 0.5)
    assert b * r <= 128
    assert (1 / b) ** (1 / r) == pytest.approx(0.5, abs=0.15)
    assert M.candidate_probability(0.8, b, r) > 0.99 and M.candidate_probability(0.2, b, r) < 0.05


def test_exact_pairs_match_brute_force():
    rng = random.Random(0)
    sets = [set(rng.sample(range(30), rng.randint(0, 12))) for _ in range(80)]
    for t in (0.3, 0.5, 0.8, 1.0):
        want = {
            (i, j): M.jaccard(sets[i], sets[j])
            for i, j in itertools.combinations(range(80), 2)
            if M.jaccard(sets[i], sets[j]) >= t
        }
        assert M.exact_similar_pairs(sets, t) == want


def test_precision_recall():
    pr = M.precision_recall([(1, 2), (3, 4), (6, 5)], [(2, 1), (5, 6), (7, 8)])
    assert pr["precision"] == pytest.approx(2 / 3) and pr["recall"] == pytest.approx(2 / 3)


@pytest.fixture(scope="module")
def fortunes(shared_data):
    lines = (shared_data / "dedup" / "fortunes.jsonl").read_text().splitlines()
    texts = [json.loads(x)["text"] for x in lines]
    exact = M.exact_similar_pairs([M.shingles(t, 3) for t in texts], 0.5)
    return texts, exact


def test_fortunes_identical_pairs(fortunes):
    texts, exact = fortunes
    identical = {p for p in exact if texts[p[0]] == texts[p[1]]}
    assert len(identical) == 81  # README: 81 identical pairs
    assert all(exact[p] == 1.0 for p in identical)


def test_fortunes_minhash_lsh_precision_recall(fortunes):
    """Against the exact Jaccard >= 0.5 pairs on word 3-shingles (~475 pairs)."""
    texts, exact = fortunes
    found = M.near_duplicate_pairs(texts, 0.5, k=3, num_perm=128, seed=0, verify="signature")
    pr = M.precision_recall(found, exact)
    assert pr["precision"] >= 0.95 and pr["recall"] >= 0.9
