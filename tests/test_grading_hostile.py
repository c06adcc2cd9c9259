"""Hostile submissions of module 01 through the real `workbook autograde` (bubblewrap, nbgrader).

Every submission is generated from the answer key (10 autograded points) with one cell changed the
way a student trying to break the grader would; each has the grade it must get, and afterwards no
other student's file, no release or source file, nothing in the grader's home or temp folder, and
no process of a submission is left. Tricks played inside the kernel (an input transformer, a
patched reference, an always-equal object, a poisoned bytes subclass, the reference imported by a
computed name) earn the marks of the code actually written.
"""

from __future__ import annotations

import copy
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_lib.paths import REPO_ROOT
from workbook import grading
from workbook.sandbox import bwrap_path

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap (bwrap) is not installed"),
]
MODULE = "01_unicode"
SOURCE = REPO_ROOT / "notebooks" / MODULE / f"{MODULE}.ipynb"
TOKEN = f"hostile-{uuid.uuid4().hex[:12]}"
TIMEOUT = 10  # honest cells stay well under it on a busy 2-core machine
MEMORY_GB = 3  # the memory bomb fills this much of the machine before it is stopped
FULL = 10.0


def key() -> nbformat.NotebookNode:
    """The answer key, as a student would submit it."""
    return nbformat.read(SOURCE, as_version=4)


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    """The cell of `nb` with this grade_id."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def replaced(grade_id: str, source: str) -> nbformat.NotebookNode:
    """The key with one cell's source replaced."""
    nb = key()
    cell(nb, grade_id).source = source
    return nb


def appended(grade_id: str, code: str) -> nbformat.NotebookNode:
    """The key with code run at the end of one solution cell (after its function is defined)."""
    nb = key()
    cell(nb, grade_id).source += "\n" + code
    return nb


def released_with(
    grade_id: str, source: str, released: nbformat.NotebookNode
) -> nbformat.NotebookNode:
    """The untouched release (no answer written) with one solution cell's source replaced."""
    nb = copy.deepcopy(released)
    cell(nb, grade_id).source = source
    return nb


def meta_changed(test_id: str, **changes: object) -> nbformat.NotebookNode:
    """The key with a test cell's nbgrader metadata edited."""
    nb = key()
    cell(nb, test_id).metadata["nbgrader"].update(changes)
    return nb


def deleted(grade_id: str) -> nbformat.NotebookNode:
    """The key without one cell."""
    nb = key()
    nb.cells.remove(cell(nb, grade_id))
    return nb


def reordered() -> nbformat.NotebookNode:
    """The key with test_utf8_decode moved above the solution it tests."""
    nb = key()
    test = cell(nb, "test_utf8_decode")
    nb.cells.remove(test)
    nb.cells.insert(nb.cells.index(cell(nb, "utf8_decode")), test)
    return nb


def markdownified() -> nbformat.NotebookNode:
    """The key with test_utf8_encode turned into a markdown cell."""
    nb = key()
    test = cell(nb, "test_utf8_encode")
    md = nbformat.v4.new_markdown_cell(test.source, metadata=test.metadata)
    nb.cells[nb.cells.index(test)] = md
    return nb


def fake_outputs(released: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The untouched release with outputs pasted into the tests, as if they had passed."""
    nb = released
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code":
            c.outputs = [nbformat.v4.new_output("stream", name="stdout", text="all passed\n")]
    return nb


def reader(paths: dict[str, Path]) -> str:
    """Code that tries to read what the grader keeps secret and prints LEAK for what it finds."""
    targets = [str(p) for p in paths.values()]
    return f"""
import glob as _glob
import os as _os
for _p in {targets!r} + _glob.glob("/**/gradebook.db", recursive=False):
    try:
        with open(_p, "rb") as _f:
            print("LEAK", _p, _f.read(40))
    except OSError:
        pass
    if _os.path.isdir(_p):
        print("LEAK", _p, _os.listdir(_p)[:5])
for _k, _v in _os.environ.items():
    if _k.startswith("WORKBOOK") or "autograde" in _v:
        print("LEAK", _k, _v)
"""


def writer(paths: dict[str, Path]) -> str:
    """Code that tries to change the gradebook, another student, the release, the sources, the
    library, the grader's home and temp folder (a marker file next to each, or overwriting)."""
    targets = [str(p) for p in paths.values()]
    return f"""
import os as _os
for _p in {targets!r}:
    try:
        if _os.path.isdir(_p):
            _p = _os.path.join(_p, {TOKEN!r})
        with open(_p, "a") as _f:
            _f.write("hacked")
    except OSError:
        pass
try:
    import sqlite3 as _sq
    _db = _sq.connect({str(paths["gradebook"])!r}, timeout=1)
    _db.execute("BEGIN EXCLUSIVE")
except Exception:
    pass
"""


DETACHED = f"""
import subprocess as _sp
_sp.Popen(["sh", "-c", "sleep 600 # {TOKEN}"], start_new_session=True,
          stdout=_sp.DEVNULL, stderr=_sp.DEVNULL)
import os as _os
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execvp("sh", ["sh", "-c", "sleep 601; : {TOKEN}"])
    _os._exit(0)
"""
FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
MEMORY_BOMB = """
def _bomb():
    hog = []
    while True:
        hog.append(bytearray(64 * 2**20))
_bomb()
"""
NETWORK = """
import socket as _socket
try:
    _s = _socket.create_connection(("127.0.0.1", {port}), timeout=2)
    print("NET connected")
except OSError as _e:
    print("no connection:", type(_e).__name__)
try:
    print("NET resolved", _socket.gethostbyname("example.com"))
except OSError as _e:
    print("no DNS:", type(_e).__name__)
"""
TRANSFORMER = """
def _no_asserts(lines):
    return ["pass\\n"] if any("assert" in line for line in lines) else lines
get_ipython().input_transformers_cleanup.append(_no_asserts)
"""
TRANSFORMER_ALL = """
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
"""
PATCHED_REFERENCE = """
def encoded_lengths(text):
    known = {"a": (1, 2, 4), "é": (2, 2, 4), "🌍": (4, 4, 4), "": (0, 0, 0)}
    sizes = known.get(text, (0, 0, 0))
    return dict(zip(("utf-8", "utf-16-le", "utf-32-le"), sizes))
import sys
import course_lib.unicode
sys.modules["course_lib.unicode"].encoded_lengths = encoded_lengths
"""
ALWAYS_EQUAL = """
class _Equal(dict):
    def __eq__(self, other):
        return True
def encoded_lengths(text):
    return _Equal()
"""
POISONED_BYTES = """
class _Bytes(bytes):
    def __radd__(self, other):
        return b"\\xff"
def undecodable_two_bytes():
    return _Bytes(b"ab")
"""
COMPUTED_IMPORT = """
import importlib
encoded_lengths = importlib.import_module("course_" + "lib.unicode").encoded_lengths
"""

# student -> (autograded score, status, words the reason must hold)
EXPECTED: dict[str, tuple[float, str, str]] = {
    "honest": (FULL, "graded", ""),
    "infinite_loop": (7, "problems", "timeout in cell utf8_encode"),
    "sigint_ignored": (7, "problems", "interrupt ignored"),
    "memory_bomb": (7, "graded", ""),  # a MemoryError in that cell
    "os_exit": (7, "problems", "kernel died in cell utf8_encode"),
    "exit_call": (FULL, "graded", ""),
    "sys_exit": (7, "graded", ""),
    "reader": (FULL, "graded", ""),
    "writer": (FULL, "graded", ""),
    "detached": (FULL, "graded", ""),
    "fork_bomb": (7, "problems", "timeout in cell utf8_encode"),
    "network": (FULL, "graded", ""),
    "big_output": (FULL, "problems", "output truncated in cell encoded_lengths"),
    "renamed": (0, "not graded", "found my_work.ipynb"),
    "grade_id_changed": (FULL, "graded", "grade_id test_utf8_encode"),
    "points_changed": (FULL, "graded", "restored test_utf8_decode"),
    "grade_flag_off": (FULL, "graded", "restored test_utf8_decode"),
    "test_deleted": (FULL, "graded", "deleted cells put back: test_utf8_decode"),
    "tests_reordered": (FULL, "graded", "reordered"),
    "test_markdown": (FULL, "graded", "cell type"),
    "bad_json": (0, "not graded", "unreadable JSON"),
    "not_utf8": (0, "not graded", "not UTF-8"),
    "empty_file": (0, "not graded", "empty file"),
    "fake_outputs": (0, "graded", ""),
    # in-kernel tricks: the marks of the code actually written (the untouched release: none)
    "input_transformer": (0, "graded", ""),  # the tests never pass through IPython's transformers
    "transformer_all": (0, "problems", "test test_encoded_lengths did not run as written"),
    "patched_reference": (FULL - 1, "graded", ""),  # the reference is restored before each test
    "always_equal": (FULL - 1, "graded", ""),
    "poisoned_bytes": (FULL - 1, "graded", ""),
    "computed_import": (FULL - 1, "graded", ""),
}
# in-kernel tricks -> (the test cell that scores 0, what its error says)
IN_KERNEL = {
    "input_transformer": ("test_utf8_encode", "NotImplementedError"),
    "transformer_all": ("test_utf8_decode", "did not run as written"),
    "patched_reference": ("test_encoded_lengths", ""),
    "always_equal": ("test_encoded_lengths", "_Equal, a subclass of dict that redefines __eq__"),
    "poisoned_bytes": ("test_undecodable_two_bytes", "_Bytes, a subclass of bytes that redefines"),
    "computed_import": ("test_encoded_lengths", "the reference course_lib.unicode"),
}


def _tree_digest(*roots: Path) -> dict[str, str]:
    """sha256 of every file under `roots`."""
    out = {}
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _token_processes() -> list[str]:
    """Command lines of live processes that carry this run's token."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if TOKEN in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Release module 01, submit every case, run `workbook autograde --jobs 2` once."""
    root = tmp_path_factory.mktemp("course")
    grading.release(MODULE, root)
    released = nbformat.read(root / "release" / MODULE / f"{MODULE}.ipynb", as_version=4)
    subs = tmp_path_factory.mktemp("subs")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    accepted: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept())
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    secret = {
        "gradebook": root / "gradebook.db",
        "source": SOURCE,
        "other_student": root / "submitted" / "honest" / MODULE / f"{MODULE}.ipynb",
        "release": root / "release" / MODULE / f"{MODULE}.ipynb",
        "config": REPO_ROOT / "autograde" / "nbgrader_config.py",
        "secret": REPO_ROOT / "autograde" / "heldout_secret.txt",
    }
    writable = {
        **secret,
        "release_dir": root / "release" / MODULE,
        "source_dir": SOURCE.parent,
        "library": REPO_ROOT / "course_lib" / "unicode.py",
        "library_dir": REPO_ROOT / "course_lib",
        "home": Path.home(),
        "tmp": Path("/tmp"),
        "course": root,
    }
    cases = {
        "honest": key(),
        "infinite_loop": replaced("utf8_encode", "while True:\n    pass"),
        "sigint_ignored": replaced(
            "utf8_encode",
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        ),
        "memory_bomb": replaced("utf8_encode", MEMORY_BOMB),
        "os_exit": replaced("utf8_encode", "import os\nos._exit(1)"),
        "exit_call": appended("utf8_encode", "exit()"),
        "sys_exit": replaced(
            "utf8_encode", "import sys\nsys.exit(0)\n" + cell(key(), "utf8_encode").source
        ),
        "reader": appended("encoded_lengths", reader(secret)),
        "writer": appended("encoded_lengths", writer(writable)),
        "detached": appended("encoded_lengths", DETACHED),
        "fork_bomb": replaced("utf8_encode", FORK_BOMB),
        "network": appended("encoded_lengths", NETWORK.format(port=listener.getsockname()[1])),
        "big_output": appended("encoded_lengths", 'print("x" * 200_000_000)'),
        "grade_id_changed": meta_changed("test_utf8_encode", grade_id="my_test"),
        "points_changed": meta_changed("test_utf8_decode", points=40),
        "grade_flag_off": meta_changed("test_utf8_decode", grade=False),
        "test_deleted": deleted("test_utf8_decode"),
        "tests_reordered": reordered(),
        "test_markdown": markdownified(),
        "fake_outputs": fake_outputs(released),
        "input_transformer": released_with("encoded_lengths", TRANSFORMER, released),
        "transformer_all": released_with("encoded_lengths", TRANSFORMER_ALL, released),
        "patched_reference": replaced("encoded_lengths", PATCHED_REFERENCE),
        "always_equal": replaced("encoded_lengths", ALWAYS_EQUAL),
        "poisoned_bytes": replaced("undecodable_two_bytes", POISONED_BYTES),
        "computed_import": replaced("encoded_lengths", COMPUTED_IMPORT),
    }
    for student, nb in cases.items():
        (subs / student / MODULE).mkdir(parents=True)
        nbformat.write(nb, subs / student / MODULE / f"{MODULE}.ipynb")
    for student, content in (
        ("renamed", nbformat.writes(key()).encode()),
        ("bad_json", b'{"cells": [ {"cell_type": "code", '),
        ("not_utf8", nbformat.writes(key()).encode("utf-16")),
        ("empty_file", b""),
    ):
        (subs / student / MODULE).mkdir(parents=True)
        name = "my_work.ipynb" if student == "renamed" else f"{MODULE}.ipynb"
        (subs / student / MODULE / name).write_bytes(content)
    grading.collect(MODULE, subs, root)
    protected = (root / "submitted", root / "release", SOURCE.parent, REPO_ROOT / "course_lib")
    before = _tree_digest(*protected)
    start = time.monotonic()
    cmd = [sys.executable, "-m", "workbook", "autograde", MODULE, "--course-dir", str(root)]
    cmd += ["--jobs", "2", "--cell-timeout", str(TIMEOUT)]
    env = os.environ | {"WORKBOOK_SANDBOX_MEMORY_GB": str(MEMORY_GB)}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, env=env)
    seconds = time.monotonic() - start
    time.sleep(1)
    stop.set()
    listener.close()
    (root / "autograde.log").write_text(f"{seconds:.1f} s\n{proc.stdout}\n{proc.stderr}")
    return {
        "root": root,
        "proc": proc,
        "seconds": seconds,
        "before": before,
        "after": _tree_digest(*protected),
        "accepted": accepted,
        "writable": writable,
        "cmd": cmd,
        "env": env,
    }


def scores(root: Path, student: str) -> dict[str, float]:
    """Autograded score per test cell of one student."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(MODULE, MODULE, student)
        return {g.name: g.score for g in sub.grades if g.cell_type == "code"}


def printed(path: Path) -> str:
    """Everything the cells of a graded notebook printed."""
    nb = nbformat.read(path, as_version=4)
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    return "".join(o.get("text", "") + o.get("evalue", "") for o in outs)


def printed_cell(path: Path, grade_id: str) -> str:
    """What one cell of a graded notebook printed, errors included."""
    outs = cell(nbformat.read(path, as_version=4), grade_id).outputs
    return "".join(o.get("text", "") + o.get("ename", "") + o.get("evalue", "") for o in outs)


def table_row(proc: subprocess.CompletedProcess, student: str) -> str:
    """The line of the printed table for one student."""
    return next(line for line in proc.stdout.splitlines() if line.split()[:1] == [student])


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_grade_and_reason(hostile: dict, student: str) -> None:
    score, status, words = EXPECTED[student]
    got = scores(hostile["root"], student)
    assert sum(got.values()) == score, (student, got, hostile["proc"].stdout)
    row = table_row(hostile["proc"], student)
    assert f"{score:g}/10" in row and f"  {status}  " in row + "  ", row
    assert words in row, row


@pytest.mark.parametrize("student", sorted(IN_KERNEL))
def test_in_kernel_tricks_earn_nothing(hostile: dict, student: str) -> None:
    test_id, words = IN_KERNEL[student]
    got = scores(hostile["root"], student)
    assert got[test_id] == 0, f"{student}: expected 0 for {test_id}, got {got}"
    graded = hostile["root"] / "autograded" / student / MODULE / f"{MODULE}.ipynb"
    out = printed_cell(graded, test_id)
    assert words in out, f"{student}: expected {words!r} in the output of {test_id}, got {out!r}"


def test_the_run_exits_non_zero_naming_the_ungraded(hostile: dict) -> None:
    proc = hostile["proc"]
    assert proc.returncode == 1, proc.stdout + proc.stderr
    ungraded = sorted(s for s, (_, status, _) in EXPECTED.items() if status == "not graded")
    assert (
        f"{len(ungraded)} submission(s) could not be graded: {', '.join(ungraded)}" in proc.stdout
    )


def test_no_other_student_release_source_or_library_file_changed(hostile: dict) -> None:
    assert hostile["after"] == hostile["before"]
    for path in hostile["writable"].values():
        marker = path / TOKEN if path.is_dir() else path
        assert not marker.exists() or marker.is_file() and b"hacked" not in marker.read_bytes()
    assert not (Path("/tmp") / TOKEN).exists() and not (Path.home() / TOKEN).exists()


def test_nothing_secret_reaches_the_graded_notebooks(hostile: dict) -> None:
    graded = hostile["root"] / "autograded"
    text = printed(graded / "reader" / MODULE / f"{MODULE}.ipynb")
    assert "LEAK" not in text
    net = printed(graded / "network" / MODULE / f"{MODULE}.ipynb")
    assert "no connection" in net and "no DNS" in net and "NET " not in net
    assert hostile["accepted"] == []


def test_no_process_outlives_its_sandbox(hostile: dict) -> None:
    assert _token_processes() == []


def test_huge_output_is_cut_off(hostile: dict) -> None:
    graded = hostile["root"] / "autograded" / "big_output" / MODULE / f"{MODULE}.ipynb"
    assert graded.stat().st_size < 2_000_000


def test_feedback_for_every_submission_with_its_reason(hostile: dict) -> None:
    root = hostile["root"]
    grading.feedback(MODULE, root)
    for student in EXPECTED:
        assert (root / "feedback" / student / MODULE / f"{MODULE}.html").is_file(), student
    html = (root / "feedback" / "bad_json" / MODULE / f"{MODULE}.html").read_text()
    assert "unreadable JSON" in html
    html = (root / "feedback" / "infinite_loop" / MODULE / f"{MODULE}.html").read_text()
    assert "timeout in cell utf8_encode" in html


def test_a_second_run_skips_what_was_graded(hostile: dict) -> None:
    proc = subprocess.run(
        hostile["cmd"], capture_output=True, text=True, cwd=REPO_ROOT, env=hostile["env"]
    )
    assert table_row(proc, "honest").split()[2] == "skipped"
    assert "not graded" in table_row(proc, "bad_json")
    assert proc.returncode == 1
