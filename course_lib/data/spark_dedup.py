"""The same near-duplicate job on Spark: tokenize, word k-grams, hashed features, `MinHashLSH`.

Runs in local mode by default (`local[2]`, bound to loopback, no web UI); pass a cluster's master URL
(`yarn`, `spark://host:7077`) to run the same code on a cluster. Spark's `approxSimilarityJoin`
returns candidate pairs whose exact Jaccard distance on the hashed features is below a threshold, so
with `verify="exact"` the numpy reference in `minhash.py` finds the same pairs up to LSH misses and
feature-hash collisions.

Note: Spark's MinHashLSH has one MinHash per hash table and ORs the tables (no AND within a band),
so `num_hash_tables` trades recall against the number of candidates compared.
"""

from __future__ import annotations

import os
from typing import Any

LOCAL_CONF = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.default.parallelism": "4",
    "spark.driver.memory": "2g",
    "spark.log.level": "ERROR",
    "spark.ui.showConsoleProgress": "false",
}


def spark_session(master: str = "local[2]", app_name: str = "workbook-dedup", **conf: str) -> Any:
    """A SparkSession; local masters are bound to 127.0.0.1 with the UI off."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("pyspark is not installed: pip install pyspark (needs Java 17+)") from e
    builder = SparkSession.builder.master(master).appName(app_name)
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        for key, value in LOCAL_CONF.items():
            builder = builder.config(key, value)
    for key, value in conf.items():
        builder = builder.config(key.replace("_", "."), value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def spark_near_duplicates(
    spark: Any,
    docs: list[tuple[str, str]] | Any,
    threshold: float = 0.5,
    *,
    k: int = 5,
    num_hash_tables: int = 8,
    num_features: int = 1 << 20,
    seed: int = 0,
) -> list[tuple[str, str, float]]:
    """Pairs (id_a, id_b, jaccard) with id_a < id_b and Jaccard >= threshold, found by MinHashLSH.

    `docs` is a list of (id, text) or a DataFrame with columns `id` and `text`. Tokens and k-grams
    match `minhash.shingles`: lower-cased `[a-z0-9]+` words joined by spaces.
    """
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import HashingTF, MinHashLSH, NGram, RegexTokenizer
    from pyspark.sql import functions as F

    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    df = docs if hasattr(docs, "select") else spark.createDataFrame(list(docs), ["id", "text"])
    features = Pipeline(
        stages=[
            RegexTokenizer(
                inputCol="text", outputCol="words", pattern="[^a-z0-9]+", toLowercase=True
            ),
            NGram(n=k, inputCol="words", outputCol="shingles"),
            HashingTF(
                inputCol="shingles", outputCol="features", numFeatures=num_features, binary=True
            ),
        ]
    ).fit(df)
    feats = features.transform(df).where(F.size("shingles") > 0).select("id", "features").cache()
    lsh = MinHashLSH(
        inputCol="features", outputCol="hashes", numHashTables=num_hash_tables, seed=seed
    ).fit(feats)
    # approxSimilarityJoin keeps distance < threshold; nudge it so Jaccard >= t is kept.
    joined = lsh.approxSimilarityJoin(feats, feats, 1.0 - threshold + 1e-9, distCol="distance")
    rows = (
        joined.select(F.col("datasetA.id").alias("a"), F.col("datasetB.id").alias("b"), "distance")
        .where(F.col("a") < F.col("b"))
        .collect()
    )
    feats.unpersist()
    return sorted((r["a"], r["b"], 1.0 - float(r["distance"])) for r in rows)
