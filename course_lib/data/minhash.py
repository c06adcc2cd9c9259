"""Near-duplicate detection with MinHash and locality-sensitive hashing (LSH), in numpy.

1. Shingle: a document becomes the set of its word k-grams (lower-cased `[a-z0-9]+` words, the same
   tokens Spark's `RegexTokenizer(pattern="[^a-z0-9]+")` gives); fewer than k words, no shingles.
2. Hash each shingle to an integer below the prime p = 2^31 - 1.
3. MinHash: for permutations h_i(x) = (a_i x + b_i) mod p, signature_i = min over shingles of h_i.
   P[signature_i(A) = signature_i(B)] = Jaccard(A, B).
4. LSH banding: cut signatures into b bands of r rows; documents whose rows agree in any band are
   candidates. P[candidate] = 1 - (1 - J^r)^b, an S-curve around (1/b)^(1/r).
5. Verify candidates (exact Jaccard, or the signature estimate) against the threshold.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable, Sequence

import numpy as np

from course_lib.checks import check_int

PRIME = (1 << 31) - 1
EMPTY = PRIME  # signature value of a document with no shingles: larger than any hash
_SPLIT = re.compile(r"[^a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-cased alphanumeric words, split as Spark's RegexTokenizer("[^a-z0-9]+") does."""
    return [w for w in _SPLIT.split(text.lower()) if w]


def shingles(text: str, k: int = 5) -> set[str]:
    """The set of word k-grams of a text, each joined by single spaces (Spark's NGram does too)."""
    if k < 1:
        raise ValueError(f"shingle size k must be >= 1, got {k}")
    w = words(text)
    return {" ".join(w[i : i + k]) for i in range(len(w) - k + 1)}


def hash_shingles(sh: Iterable[str]) -> np.ndarray:
    """Stable 31-bit hashes of shingles (CRC-32 mod p), sorted and unique, as int64."""
    h = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in sh), dtype=np.int64)
    return np.unique(h % PRIME)


def make_permutations(num_perm: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (a, b) of num_perm hash functions (a x + b) mod p, with 1 <= a < p, 0 <= b < p."""
    if num_perm < 1:
        raise ValueError(f"num_perm must be >= 1, got {num_perm}")
    rng = np.random.default_rng(seed)
    a = rng.integers(1, PRIME, size=num_perm, dtype=np.int64)
    b = rng.integers(0, PRIME, size=num_perm, dtype=np.int64)
    return a, b


def minhash_signature(hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signature of one document: for each (a_i, b_i), min over x of (a_i x + b_i) mod p.

    `hashes` are the document's shingle hashes (each < p); a document without shingles gets `EMPTY`
    in every slot. Values are int64; a_i x + b_i < 2^62 never overflows.
    """
    ### BEGIN SOLUTION
    if len(hashes) == 0:
        return np.full(len(a), EMPTY, dtype=np.int64)
    x = np.asarray(hashes, dtype=np.int64)
    return ((a[:, None] * x[None, :] + b[:, None]) % PRIME).min(axis=1)
    ### END SOLUTION


def minhash_signatures(
    hash_lists: Sequence[np.ndarray], a: np.ndarray, b: np.ndarray, block: int = 16
) -> np.ndarray:
    """Signatures of many documents at once, shape (n_docs, num_perm); same values as the loop."""
    n = len(hash_lists)
    sig = np.full((n, len(a)), EMPTY, dtype=np.int64)
    lengths = np.array([len(h) for h in hash_lists], dtype=np.int64)
    nonempty = np.flatnonzero(lengths)
    if nonempty.size == 0:
        return sig
    flat = np.concatenate([np.asarray(hash_lists[i], dtype=np.int64) for i in nonempty])
    starts = np.concatenate([[0], np.cumsum(lengths[nonempty])[:-1]])
    for lo in range(0, len(a), block):
        hi = min(lo + block, len(a))
        vals = (a[lo:hi, None] * flat[None, :] + b[lo:hi, None]) % PRIME
        sig[nonempty, lo:hi] = np.minimum.reduceat(vals, starts, axis=1).T
    return sig


def lsh_candidate_pairs(signatures: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, whose signatures agree on every row of at least one band.

    Each band's rows are a bucket key; documents sharing a bucket in any band become candidates.
    Documents without shingles (all `EMPTY`) are never candidates.
    """
    check_int("bands", bands, minimum=1)
    check_int("rows", rows, minimum=1)
    ### BEGIN SOLUTION
    n, num_perm = signatures.shape
    if bands * rows > num_perm:
        raise ValueError(f"bands*rows = {bands * rows} exceeds the {num_perm} signature values")
    real = [i for i in range(n) if signatures[i, 0] != EMPTY]
    pairs: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[bytes, list[int]] = {}
        cols = slice(band * rows, (band + 1) * rows)
        for i in real:
            buckets.setdefault(signatures[i, cols].tobytes(), []).append(i)
        for members in buckets.values():
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    pairs.add((members[x], members[y]))
    return pairs
    ### END SOLUTION


def candidate_probability(jaccard: float | np.ndarray, bands: int, rows: int) -> float | np.ndarray:
    """Chance that a pair with this Jaccard similarity becomes an LSH candidate: 1-(1-J^r)^b."""
    check_int("bands", bands, minimum=1)
    check_int("rows", rows, minimum=1)
    return 1.0 - (1.0 - np.asarray(jaccard, dtype=float) ** rows) ** bands


def choose_bands(num_perm: int, threshold: float) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm minimizing false-positive plus false-negative area."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    grid_lo = np.linspace(0, threshold, 200)
    grid_hi = np.linspace(threshold, 1, 200)
    best, best_cost = (1, num_perm), math.inf
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            # Uniform grids: the integral is the mean times the interval's width.
            fp = float(np.mean(candidate_probability(grid_lo, b, r))) * threshold
            fn = float(np.mean(1 - candidate_probability(grid_hi, b, r))) * (1 - threshold)
            if fp + fn < best_cost:
                best, best_cost = (b, r), fp + fn
    return best


def jaccard(x: set, y: set) -> float:
    """|x ∩ y| / |x ∪ y|; 0 when both are empty."""
    if not x and not y:
        return 0.0
    return len(x & y) / len(x | y)


def estimated_jaccard(sig_x: np.ndarray, sig_y: np.ndarray) -> float:
    """Share of signature slots that agree: an unbiased estimate of the Jaccard similarity."""
    return float(np.mean(sig_x == sig_y))


def exact_similar_pairs(sets: Sequence[set], threshold: float) -> dict[tuple[int, int], float]:
    """Every pair with Jaccard >= threshold, exactly, by prefix filtering (the oracle for LSH).

    Order each set's elements rarest first; two sets with Jaccard >= t must share an element among
    the first |x| - ceil(t |x|) + 1 of either, so only pairs meeting in those prefixes are compared.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    freq: dict[str, int] = {}
    for s in sets:
        for e in s:
            freq[e] = freq.get(e, 0) + 1
    index: dict[str, list[int]] = {}
    out: dict[tuple[int, int], float] = {}
    for j, s in enumerate(sets):
        if not s:
            continue
        ordered = sorted(s, key=lambda e: (freq[e], e))
        prefix = len(s) - math.ceil(threshold * len(s) - 1e-9) + 1
        seen: set[int] = set()
        for e in ordered[:prefix]:
            for i in index.get(e, ()):
                if i in seen:
                    continue
                seen.add(i)
                sim = jaccard(sets[i], s)
                if sim >= threshold:
                    out[(i, j)] = sim
            index.setdefault(e, []).append(j)
    return out


def near_duplicate_pairs(
    texts: Sequence[str],
    threshold: float = 0.5,
    *,
    k: int = 5,
    num_perm: int = 128,
    bands: int | None = None,
    rows: int | None = None,
    seed: int = 0,
    verify: str = "exact",
) -> dict[tuple[int, int], float]:
    """Near-duplicate pairs (i, j) -> similarity, by MinHash LSH candidates and a verification step.

    `verify="exact"` keeps candidates whose true shingle Jaccard reaches the threshold (as Spark's
    `approxSimilarityJoin` does); `"signature"` uses the MinHash estimate instead; `"none"` keeps
    every candidate with its estimate.
    """
    if verify not in ("exact", "signature", "none"):
        raise ValueError(f"verify must be 'exact', 'signature' or 'none', got {verify!r}")
    if bands is None or rows is None:
        bands, rows = choose_bands(num_perm, threshold)
    sets = [shingles(t, k) for t in texts]
    a, b = make_permutations(num_perm, seed)
    sig = minhash_signatures([hash_shingles(s) for s in sets], a, b)
    out: dict[tuple[int, int], float] = {}
    for i, j in sorted(lsh_candidate_pairs(sig, bands, rows)):
        if verify == "exact":
            sim = jaccard(sets[i], sets[j])
        else:
            sim = estimated_jaccard(sig[i], sig[j])
        if verify == "none" or sim >= threshold:
            out[(i, j)] = sim
    return out


def precision_recall(found: Iterable[tuple], truth: Iterable[tuple]) -> dict[str, float]:
    """Precision, recall and F1 of found pairs against true pairs (order inside a pair ignored)."""
    f = {tuple(sorted(p[:2])) for p in found}
    t = {tuple(sorted(p[:2])) for p in truth}
    hit = len(f & t)
    precision = hit / len(f) if f else 1.0
    recall = hit / len(t) if t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "found": len(f),
        "true": len(t),
        "hits": hit,
    }
