"""Loaders on the real data sets in ../shared/data (see its README for each file's origin) and on bad input."""

from __future__ import annotations

import gzip
import json

import pytest

from course_lib.data import loaders


def test_tinystories_train_one_story_per_line(shared_data):
    stories = loaders.load_stories(shared_data / "tinystories" / "train.txt")
    # README: "first 1,097 stories of the train split"; paragraphs inside a story stay together.
    assert len(stories) == 1097
    assert stories[0].startswith("One day, a little girl named Lily found a needle")
    assert "\n\n" in stories[0] and stories[0].endswith("shared and worked together.")
    assert stories[1].startswith("Once upon a time, there was a little car named Beep.")


def test_tinystories_valid_paragraphs(shared_data):
    docs = loaders.load_stories(shared_data / "tinystories" / "valid.txt")
    assert len(docs) > 1000
    assert all("\n\n" not in d for d in docs)
    assert loaders.load_stories(shared_data / "tinystories" / "valid.txt", limit=5) == docs[:5]


def test_austen_novels_split_on_endoftext(shared_data):
    novels = loaders.load_stories(shared_data / "classics" / "austen.txt")
    assert len(novels) == 6  # README: six novels, each followed by an <|endoftext|> line
    assert sum(len(n) for n in novels) > 3_900_000


def test_jsonl_documents(shared_data):
    docs = loaders.load_jsonl_docs(shared_data / "web" / "c4_demo.jsonl")
    assert len(docs) == 300 and all(d["text"] for d in docs)
    fortunes = loaders.load_jsonl_docs(shared_data / "dedup" / "fortunes.jsonl")
    assert len(fortunes) == 14017 and set(fortunes[0]) == {"file", "text"}
    assert len(loaders.load_jsonl_docs(shared_data / "web" / "c4_demo.jsonl", limit=7)) == 7


def test_sentiment_files(shared_data):
    rt = loaders.load_rt_polarity(shared_data / "sentiment")
    assert len(rt) == 10662 and sum(y for _, y in rt) == 5331
    assert rt[0][0].startswith("the rock is destined")
    for name in ("yelp", "imdb", "amazon_cells"):
        rows = loaders.load_sentiment_tsv(shared_data / "sentiment" / f"uci_{name}_labelled.txt")
        assert len(rows) == 1000 and sum(y for _, y in rows) == 500, name
    rows = loaders.load_sentiment_tsv(shared_data / "sentiment" / "uci_yelp_labelled.txt")
    assert rows[0] == ("Wow... Loved this place.", 1)


def test_multiple_choice_files(shared_data):
    hs = loaders.load_hellaswag(shared_data / "multiple_choice" / "hellaswag_val_1000.jsonl")
    assert len(hs) == 1000 and all(len(i.endings) == 4 for i in hs)
    assert hs[0].label == 3 and hs[0].meta["activity_label"] == "Pole vault"
    expected = {"piqa": 1838, "copa": 100, "arc_easy": 2376, "openbook_qa": 500}
    for name, n in expected.items():
        items = loaders.load_multiple_choice(shared_data / "multiple_choice" / f"{name}.jsonl")
        assert len(items) == n, name
        assert all(0 <= i.label < len(i.endings) for i in items)
    auto = loaders.load_multiple_choice(
        shared_data / "multiple_choice" / "hellaswag_val_1000.jsonl"
    )
    assert [i.label for i in auto] == [i.label for i in hs]


def test_alpaca_file(shared_data):
    recs = loaders.load_alpaca(shared_data / "instructions" / "alpaca_en_demo.json")
    assert len(recs) == 999
    assert recs[0]["instruction"] == "Describe a process of making crepes."


def test_missing_and_malformed_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        loaders.load_stories(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(ValueError, match="no stories"):
        loaders.load_stories(tmp_path / "empty.txt")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n\n{"text": broken}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:3: malformed"):
        loaders.load_jsonl_docs(bad)
    (tmp_path / "list.jsonl").write_text('["not", "an", "object"]\n')
    with pytest.raises(ValueError, match=":1: expected a JSON object"):
        loaders.load_jsonl_docs(tmp_path / "list.jsonl")
    (tmp_path / "notext.jsonl").write_text('{"meta": {}}\n')
    with pytest.raises(ValueError, match="no string field 'text'"):
        loaders.load_jsonl_docs(tmp_path / "notext.jsonl")
    (tmp_path / "s.tsv").write_text("fine\t1\nno label here\n")
    with pytest.raises(ValueError, match=r"s\.tsv:2"):
        loaders.load_sentiment_tsv(tmp_path / "s.tsv")
    (tmp_path / "h.jsonl").write_text(
        json.dumps({"ctx": "c", "endings": ["a", "b"], "label": 2}) + "\n"
    )
    with pytest.raises(ValueError, match="label 2 out of range"):
        loaders.load_hellaswag(tmp_path / "h.jsonl")
    (tmp_path / "a.json").write_text('[{"instruction": "x"}]')
    with pytest.raises(ValueError, match="record 0"):
        loaders.load_alpaca(tmp_path / "a.json")
    with pytest.raises(ValueError, match="unknown story mode"):
        loaders.split_stories("x", mode="chapters")


def test_streaming_eot_reader_matches_split(tmp_path):
    stories = [f"Story {i}.\nIt has two lines." for i in range(3000)]
    text = "".join(f"{s}\n<|endoftext|>\n" for s in stories)
    (tmp_path / "s.txt").write_text(text)
    assert list(loaders.iter_stories(tmp_path / "s.txt")) == stories
    with gzip.open(tmp_path / "s.txt.gz", "wt") as f:
        f.write(text)
    assert loaders.load_stories(tmp_path / "s.txt.gz") == stories
