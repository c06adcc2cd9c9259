"""JSONL ingestion with a cap (text kept, metadata dropped) and split hygiene."""

from __future__ import annotations

import gzip
import json

import pytest

from course_lib.data.ingest import check_disjoint, ingest_jsonl


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_cap_and_metadata_dropped(tmp_path):
    recs = [{"text": f"doc {i}", "meta": {"pile_set_name": "ArXiv", "i": i}} for i in range(10)]
    path = _write(tmp_path / "shard.jsonl", recs)
    assert ingest_jsonl(path) == [f"doc {i}" for i in range(10)]
    assert ingest_jsonl(path, cap=3) == ["doc 0", "doc 1", "doc 2"]
    assert ingest_jsonl(path, cap=0) == []
    assert ingest_jsonl(path, cap=100) == [f"doc {i}" for i in range(10)]
    assert all(isinstance(d, str) for d in ingest_jsonl(path))


def test_cap_stops_before_a_bad_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"text": "a", "meta": {}}\n{"text": "b"}\nnot json\n')
    assert ingest_jsonl(path, cap=2) == ["a", "b"]
    with pytest.raises(ValueError, match=r"s\.jsonl:3"):
        ingest_jsonl(path)


def test_blank_lines_and_gzip(tmp_path):
    with gzip.open(tmp_path / "s.jsonl.gz", "wt") as f:
        f.write('{"text": "x", "meta": 1}\n\n   \n{"text": "y", "meta": 2}\n')
    assert ingest_jsonl(tmp_path / "s.jsonl.gz") == ["x", "y"]


def test_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError):
        ingest_jsonl(tmp_path / "missing.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(ValueError, match="no documents"):
        ingest_jsonl(tmp_path / "empty.jsonl")
    _write(tmp_path / "nt.jsonl", [{"text": "ok"}, {"meta": {}}])
    with pytest.raises(ValueError, match=r"nt\.jsonl:2"):
        ingest_jsonl(tmp_path / "nt.jsonl")
    with pytest.raises(ValueError, match="cap"):
        ingest_jsonl(tmp_path / "nt.jsonl", cap=-1)


def test_real_web_documents(shared_data):
    docs = ingest_jsonl(shared_data / "web" / "c4_demo.jsonl", cap=25)
    assert len(docs) == 25 and docs[0].startswith("Don’t think you need all the bells")


def test_splits_must_be_disjoint():
    splits = {"train": [f"d{i}" for i in range(8)], "val": ["d100", "d101"], "test": ["d200"]}
    check_disjoint(splits)
    splits["test"].append(" d3 ")
    with pytest.raises(ValueError, match="also appears in split 'train'"):
        check_disjoint(splits)
