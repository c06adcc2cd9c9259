"""Resumable downloads against a local HTTP server on 127.0.0.1, and the prepare steps on local files.

Nothing here touches the network: the server runs in a thread of this process.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import socket
import subprocess
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from course_lib.data import loaders, sources
from course_lib.data.download import OfflineError, download, published_sha256, sha256_file
from course_lib.paths import REPO_ROOT

PAYLOAD = bytes(range(256)) * 4000  # 1,024,000 bytes


class Handler(BaseHTTPRequestHandler):
    """Serves PAYLOAD with Range support; `cut` drops the connection after that many body bytes
    (once), `ignore_range` answers every request with 200 and the whole body."""

    cut: int | None = None
    ignore_range = False
    requests: list = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_HEAD(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.send_header("ETag", '"' + hashlib.sha256(PAYLOAD).hexdigest() + '"')
        self.end_headers()

    def do_GET(self):
        rng = self.headers.get("Range")
        type(self).requests.append(rng)
        start = 0
        if rng and not self.ignore_range:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(PAYLOAD):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if type(self).cut is not None:
            self.wfile.write(body[: type(self).cut])
            type(self).cut = None
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    Handler.cut, Handler.ignore_range, Handler.requests = None, False, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/file.bin"
    httpd.shutdown()
    httpd.server_close()


SHA = hashlib.sha256(PAYLOAD).hexdigest()


def test_plain_download_with_checksum(server, tmp_path):
    path = download(server, tmp_path / "f.bin", sha256=SHA, progress=False)
    assert path.read_bytes() == PAYLOAD and not (tmp_path / "f.bin.part").exists()
    assert Handler.requests == [None]
    download(server, tmp_path / "f.bin", sha256=SHA, progress=False)  # already there: no request
    assert Handler.requests == [None]


def test_resumes_after_a_dropped_connection(server, tmp_path):
    Handler.cut = 300_000
    download(server, tmp_path / "f.bin", sha256=SHA, progress=False, chunk=4096)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert Handler.requests[0] is None and Handler.requests[1] == "bytes=300000-"


def test_resumes_an_existing_part_file(server, tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:12345])
    download(server, tmp_path / "f.bin", progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert Handler.requests == ["bytes=12345-"]


def test_server_without_range_support_restarts(server, tmp_path):
    Handler.ignore_range = True
    (tmp_path / "f.bin.part").write_bytes(b"junk" * 100)
    download(server, tmp_path / "f.bin", sha256=SHA, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_complete_part_file_gets_416_and_finishes(server, tmp_path):
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)
    download(server, tmp_path / "f.bin", sha256=SHA, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_checksum_mismatch_deletes_and_raises(server, tmp_path):
    with pytest.raises(ValueError, match="sha256 mismatch"):
        download(server, tmp_path / "f.bin", sha256="0" * 64, progress=False)
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()


def test_published_checksum(server, tmp_path):
    assert published_sha256(server) == SHA
    download(server, tmp_path / "f.bin", check_published=True, progress=False)
    assert sha256_file(tmp_path / "f.bin") == SHA


def test_offline_is_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(OfflineError, match="offline"):
        download(f"http://127.0.0.1:{port}/x", tmp_path / "x", progress=False)


def test_file_urls_resume_too(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    (tmp_path / "dst.bin.part").write_bytes(PAYLOAD[:1000])
    download(src.as_uri(), tmp_path / "dst.bin", sha256=SHA, progress=False)
    assert (tmp_path / "dst.bin").read_bytes() == PAYLOAD
    with pytest.raises(FileNotFoundError):
        download((tmp_path / "none").as_uri(), tmp_path / "n.bin", progress=False)
    with pytest.raises(ValueError, match="scheme"):
        download("ftp://example.invalid/x", tmp_path / "y", progress=False)


# ---------------------------------------------------------------------- prepare steps


def test_prepare_tinystories(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for split, n in (("train", 5), ("valid", 2)):
        text = "".join(f"Story {i} of {split}.\nSecond line.\n<|endoftext|>\n" for i in range(n))
        (raw / f"TinyStoriesV2-GPT4-{split}.txt").write_text(text)
    info = sources.prepare("tinystories", raw, tmp_path / "out")
    assert info == {"stories": {"train": 5, "valid": 2}}
    stories = loaders.load_stories(tmp_path / "out" / "tinystories_train.txt")
    assert stories[0] == "Story 0 of train.\nSecond line." and len(stories) == 5


def test_prepare_owt(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for split in ("train", "valid"):
        with gzip.open(raw / f"owt_{split}.txt.gz", "wt") as f:
            f.write(f"web text {split}\n" * 100)
    sources.prepare("owt", raw, tmp_path / "out")
    assert (tmp_path / "out" / "owt_valid.txt").read_text() == "web text valid\n" * 100


def test_prepare_pile_shards_with_cap(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    recs = [{"text": f"doc {i}", "meta": {"pile_set_name": "Pile-CC"}} for i in range(25)]
    with gzip.open(raw / "val.jsonl.gz", "wt") as f:
        f.write("".join(json.dumps(r) + "\n" for r in recs))
    info = sources.prepare("pile", raw, tmp_path / "out", docs_per_shard=10, max_docs=23)
    assert info == {"docs": 23, "shards": 3}
    shards = sorted((tmp_path / "out" / "pile" / "val").glob("shard_*.jsonl"))
    assert [len(loaders.load_jsonl_docs(s)) for s in shards] == [10, 10, 3]
    assert loaders.load_jsonl_docs(shards[0])[0] == recs[0]
    (raw / "val.jsonl.gz").unlink()
    with pytest.raises(FileNotFoundError, match="no raw Pile file"):
        sources.prepare("pile", raw, tmp_path / "out")


def test_prepare_fineweb_from_jsonl_and_parquet(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "fineweb_sample.jsonl").write_text(
        "".join(
            json.dumps({"text": f"page {i}", "meta": {"url": f"u{i}"}}) + "\n" for i in range(7)
        )
    )
    assert sources.prepare("fineweb", raw, tmp_path / "out", docs_per_shard=5)["docs"] == 7
    pa = pytest.importorskip("pyarrow", reason="pyarrow reads FineWeb's Parquet files")
    import pyarrow.parquet as pq

    (raw / "fineweb_sample.jsonl").unlink()
    table = pa.table({"text": ["a", "b", "c"], "id": ["1", "2", "3"], "url": ["x", "y", "z"]})
    pq.write_table(table, raw / "000_00000.parquet")
    assert sources.prepare("fineweb", raw, tmp_path / "pq")["docs"] == 3
    docs = loaders.load_jsonl_docs(tmp_path / "pq" / "fineweb" / "train" / "shard_00000.jsonl")
    assert docs[1] == {"text": "b", "meta": {"id": "2", "url": "y"}}


def test_prepare_yelp(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    csvs = {
        "train": '"2","Great tacos!\\nWill return."\n"1","Cold ""fresh"" fries,\tslow."\n',
        "test": '"1","Meh."\n',
    }
    with tarfile.open(raw / "yelp_review_polarity_csv.tgz", "w:gz") as tar:
        for split, text in csvs.items():
            data = text.encode()
            info = tarfile.TarInfo(f"yelp_review_polarity_csv/{split}.csv")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert sources.prepare("yelp", raw, tmp_path / "out") == {"train": 2, "test": 1}
    rows = loaders.load_sentiment_tsv(tmp_path / "out" / "yelp_train.tsv")
    assert rows == [("Great tacos! Will return.", 1), ('Cold "fresh" fries, slow.', 0)]


def test_prepare_hellaswag_and_alpaca_from_real_files(shared_data, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "hellaswag_val.jsonl").write_bytes(
        (shared_data / "multiple_choice" / "hellaswag_val_1000.jsonl").read_bytes()
    )
    (raw / "alpaca_data.json").write_bytes(
        (shared_data / "instructions" / "alpaca_en_demo.json").read_bytes()
    )
    assert sources.prepare("hellaswag", raw, tmp_path / "out") == {"items": 1000}
    assert sources.prepare("alpaca", raw, tmp_path / "out") == {"items": 999}
    assert len(loaders.load_alpaca(tmp_path / "out" / "alpaca.json")) == 999


def test_registry_and_cli(tmp_path):
    assert set(sources.DATASETS) == {
        "tinystories",
        "owt",
        "pile",
        "fineweb",
        "yelp",
        "hellaswag",
        "alpaca",
    }
    assert all(s.url.startswith("https://") for d in sources.DATASETS.values() for s in d.sources)
    with pytest.raises(ValueError, match="unknown data set"):
        sources.prepare("imagenet", tmp_path, tmp_path)
    raw = tmp_path / "raw" / "hellaswag"
    raw.mkdir(parents=True)
    (raw / "hellaswag_val.jsonl").write_text(
        json.dumps({"ctx": "A cat", "endings": ["sat.", "flew.", "sang.", "ran."], "label": 0})
        + "\n"
    )
    script = Path(REPO_ROOT) / "data_scripts" / "download.py"
    cmd = [
        sys.executable,
        str(script),
        "hellaswag",
        "--prepare-only",
        "--raw",
        str(tmp_path / "raw"),
        "--out",
        str(tmp_path / "out"),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "hellaswag_val.jsonl").is_file()
