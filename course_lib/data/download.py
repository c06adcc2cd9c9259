"""Resumable downloads: HTTP Range requests, sha256 checks, a progress bar, a clear error offline.

A download writes to `<dest>.part` and renames it when complete; an interrupted one resumes from
the bytes already there (`Range: bytes=N-`). A server that ignores the Range header (200 instead of
206) makes it start over. Checksums: pass `sha256`, or let `published_sha256` read one the server
publishes (Hugging Face serves LFS files with the sha256 as `X-Linked-Etag`).
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

from tqdm.auto import tqdm

USER_AGENT = "course-lib-workbook/0.1 (+data_scripts/download.py)"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class OfflineError(ConnectionError):
    """The source cannot be reached (no network, DNS failure, refused connection)."""


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _offline(url: str, err: BaseException) -> OfflineError:
    host = urlparse(url).netloc or url
    return OfflineError(
        f"cannot reach {host} ({err}). You seem to be offline or the host is down. "
        "Downloads resume where they stopped when you retry; the embedded data set "
        "(data_scripts/make_embedded.py) needs no network."
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def published_sha256(url: str, timeout: float = 30) -> str | None:
    """The sha256 a server publishes for a file (an `X-Linked-Etag` or `ETag` of 64 hex), or None."""
    if not url.startswith(("http://", "https://")):
        return None
    req = urllib.request.Request(url, method="HEAD", headers={"User-Agent": USER_AGENT})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        resp = opener.open(req, timeout=timeout)
        headers = resp.headers
    except urllib.error.HTTPError as e:  # a 3xx lands here when redirects are not followed
        headers = e.headers
    except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
        raise _offline(url, e) from None
    for key in ("X-Linked-Etag", "ETag"):
        value = (headers.get(key) or "").strip().strip('"').removeprefix("W/").strip('"').lower()
        if _HEX64.match(value):
            return value
    return None


def _copy_local(src: Path, part: Path, progress: bool) -> None:
    total = src.stat().st_size
    have = part.stat().st_size if part.exists() else 0
    if have > total:
        part.unlink()
        have = 0
    with (
        src.open("rb") as fin,
        part.open("ab") as fout,
        tqdm(
            total=total,
            initial=have,
            unit="B",
            unit_scale=True,
            desc=src.name,
            disable=not progress,
        ) as bar,
    ):
        fin.seek(have)
        for block in iter(lambda: fin.read(1 << 20), b""):
            fout.write(block)
            bar.update(len(block))


def _fetch_http(url: str, part: Path, progress: bool, timeout: float, chunk: int) -> None:
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    req = urllib.request.Request(url, headers=headers)
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:
            # Nothing left to send: the part file already holds the whole resource.
            return
        raise RuntimeError(f"download of {url} failed: HTTP {e.code} {e.reason}") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
        raise _offline(url, e) from None
    with resp:
        status = resp.status
        if have and status == 200:
            have = 0  # the server ignored Range: start over
        mode = "ab" if have else "wb"
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        with (
            part.open(mode) as f,
            tqdm(
                total=total,
                initial=have,
                unit="B",
                unit_scale=True,
                desc=part.name[:-5],
                disable=not progress,
            ) as bar,
        ):
            while True:
                block = resp.read(chunk)
                if not block:
                    break
                f.write(block)
                bar.update(len(block))
        if total is not None and part.stat().st_size < total:
            raise ConnectionError(
                f"connection to {url} closed after {part.stat().st_size} of {total} bytes"
            )


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    check_published: bool = False,
    progress: bool = True,
    retries: int = 3,
    timeout: float = 60,
    chunk: int = 1 << 20,
) -> Path:
    """Fetch `url` (http, https or file) to `dest`, resuming a partial download; return dest.

    An existing `dest` is kept if its sha256 matches (or no sha256 is known). A checksum mismatch
    deletes the download and raises ValueError. Broken connections are retried from where they
    stopped, `retries` times, before the error is raised.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if sha256 is None and check_published:
        sha256 = published_sha256(url, timeout)
    if dest.exists():
        if sha256 is None or sha256_file(dest) == sha256:
            return dest
        dest.unlink()
    part = dest.with_name(dest.name + ".part")
    parsed = urlparse(url)
    for attempt in range(retries + 1):
        try:
            if parsed.scheme == "file":
                src = Path(unquote(parsed.path))
                if not src.is_file():
                    raise FileNotFoundError(f"no such file: {src}")
                _copy_local(src, part, progress)
            elif parsed.scheme in ("http", "https"):
                _fetch_http(url, part, progress, timeout, chunk)
            else:
                raise ValueError(f"unsupported URL scheme {parsed.scheme!r} in {url}")
            break
        except (ConnectionError, TimeoutError, http.client.HTTPException) as e:
            if isinstance(e, OfflineError) or attempt == retries:
                raise
            time.sleep(min(2**attempt, 10) * 0.1)
    if sha256 is not None:
        got = sha256_file(part)
        if got != sha256.lower():
            part.unlink()
            raise ValueError(f"sha256 mismatch for {url}: expected {sha256}, got {got}")
    shutil.move(part, dest)
    return dest
