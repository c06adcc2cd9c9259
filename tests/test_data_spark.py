"""The Spark MinHashLSH job agrees with the numpy reference on the embedded planted-duplicate set."""

from __future__ import annotations

import os
import shutil

import pytest

from course_lib.data import loaders, minhash
from course_lib.data.embedded import build_embedded

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::FutureWarning")]


def _need_spark():
    missing = []
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing.append("pyspark (pip install pyspark)")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing.append("a Java runtime (OpenJDK 17+)")
    if missing:
        msg = "Spark test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(msg + " (CI must run this test)")
        pytest.skip(msg)


@pytest.fixture(scope="module")
def spark():
    _need_spark()
    from course_lib.data.spark_dedup import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def test_spark_agrees_with_reference_on_planted_duplicates(spark, tmp_path):
    from course_lib.data.spark_dedup import spark_near_duplicates

    build_embedded(
        tmp_path, size_mb=0.05, seed=0, n_sentiment=10, n_hellaswag=10, n_alpaca=10, n_dedup=800
    )
    docs = loaders.load_jsonl_docs(tmp_path / "dedup_docs.jsonl")
    truth = [r.split("\t")[:2] for r in (tmp_path / "dedup_truth.tsv").read_text().splitlines()[1:]]
    got = spark_near_duplicates(
        spark, [(d["id"], d["text"]) for d in docs], 0.5, k=5, num_hash_tables=8
    )
    assert all(a < b and 0.5 <= j <= 1.0 for a, b, j in got)
    spark_pairs = {(a, b) for a, b, _ in got}
    pr = minhash.precision_recall(spark_pairs, truth)
    assert pr["precision"] >= 0.98 and pr["recall"] >= 0.95

    ref = minhash.near_duplicate_pairs(
        [d["text"] for d in docs], 0.5, k=5, num_perm=128, verify="exact"
    )
    ref_pairs = {(docs[i]["id"], docs[j]["id"]) for i, j in ref}
    agree = len(ref_pairs & spark_pairs) / len(ref_pairs | spark_pairs)
    assert agree >= 0.95
    # Where both report a pair, Spark's Jaccard (on hashed features) matches the exact one.
    sets = {d["id"]: minhash.shingles(d["text"], 5) for d in docs}
    for a, b, j in got:
        assert j == pytest.approx(minhash.jaccard(sets[a], sets[b]), abs=0.02)
