"""The deduplicated document set of module 03 as one more domain: one document per duplicate group.

Near-duplicate pairs come from module 03's MinHash LSH (`near_duplicate_pairs`, verified by exact
Jaccard); pairs join documents into groups (union-find), and each group keeps its first document.
"""

from __future__ import annotations

from collections.abc import Sequence

from course_lib.checks import check_int, check_number, check_str_list
from course_lib.data.minhash import near_duplicate_pairs


def duplicate_groups(n: int, pairs: Sequence[tuple[int, int]]) -> list[int]:
    """For each of n documents, the smallest index of its duplicate group (union-find)."""
    parent = list(range(check_int("n", n, minimum=0)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        if not (0 <= i < n and 0 <= j < n):
            raise ValueError(f"pair {(i, j)} names a document outside 0..{n - 1}")
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(n)]


def deduplicate(
    texts: Sequence[str], threshold: float = 0.5, *, k: int = 5, num_perm: int = 128, seed: int = 0
) -> list[int]:
    """Indices of the documents kept: the first of each near-duplicate group, in order."""
    texts = check_str_list("texts", texts)
    if not 0 < check_number("threshold", threshold) <= 1:
        raise ValueError(f"threshold must lie in (0, 1], got {threshold}")
    pairs = near_duplicate_pairs(texts, threshold, k=k, num_perm=num_perm, seed=seed)
    groups = duplicate_groups(len(texts), list(pairs))
    return [i for i, g in enumerate(groups) if g == i]
