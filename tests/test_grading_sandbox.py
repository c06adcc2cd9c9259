"""The grading sandbox itself, with real bubblewrap: what student code inside it can see and do.

One notebook of probes runs once in a sandbox with small limits; each test reads the outputs of its
probe cell. The oracle is the host: the paths, the listener and the processes it checks are real.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest

from course_lib.paths import REPO_ROOT
from workbook import heldout, sandbox

pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="bwrap is not installed")
TOKEN = f"sandbox-{uuid.uuid4().hex[:12]}"
LIMITS = sandbox.Limits(
    cell_timeout=30,
    memory_bytes=2 << 30,
    processes=64,
    file_bytes=1 << 20,
    output_bytes=10_000,
    tmp_bytes=64 << 20,
)
# the Python environment is bound at its own path, so only the home folder's other entries count
PYTHON = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
HOME = [p for p in Path.home().iterdir() if not any(p in q.parents or p == q for q in PYTHON)]
HIDDEN = [
    REPO_ROOT / "autograde",
    REPO_ROOT / "notebooks",
    REPO_ROOT / "workbook",
    REPO_ROOT / ".git",
    *HOME[:20],
]


def probes(port: int) -> dict[str, str]:
    """Cell name -> code that prints what it finds."""
    return {
        "identity": "import os, json\nprint(json.dumps({'uid': os.getuid(), 'env': sorted(os.environ)}))",
        "hidden": f"print([p for p in {[str(p) for p in HIDDEN]!r} if os.path.exists(p)])",
        "network": (
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=2); print('connected')\n"
            "except OSError as e:\n"
            "    print('refused', type(e).__name__)\n"
            "try:\n"
            "    print('resolved', socket.gethostbyname('example.com'))\n"
            "except OSError as e:\n"
            "    print('no dns', type(e).__name__)"
        ),
        "rlimits": (
            "import resource\n"
            "print(json.dumps({n: resource.getrlimit(getattr(resource, 'RLIMIT_' + n))[0] "
            "for n in ('AS', 'NPROC', 'FSIZE', 'NOFILE', 'CPU')}))"
        ),
        "file_size": (
            "try:\n"
            "    open('big.bin', 'wb').write(b'x' * (2 << 20)); print('wrote 2 MB')\n"
            "except OSError as e:\n"
            "    print('refused', e.errno)"
        ),
        "memory": (
            "try:\n"
            "    block = bytearray(3 << 30); print('allocated 3 GB')\n"
            "except MemoryError:\n"
            "    print('MemoryError')"
        ),
        "processes": (
            "import subprocess\n"
            "kids = []\n"
            "try:\n"
            "    for _ in range(200):\n"
            "        kids.append(subprocess.Popen(['sleep', '30']))\n"
            "    print('started 200')\n"
            "except OSError as e:\n"
            "    print('stopped after', len(kids))\n"
            "for k in kids:\n"
            "    k.kill(); k.wait()"
        ),
        "writes": (
            "out = []\n"
            "for p in ('/usr/x', '/etc/x', 'own.txt', '/tmp/own.txt', "
            f"'/tmp/{TOKEN}', {str(REPO_ROOT / 'course_lib' / TOKEN)!r}):\n"
            "    try:\n"
            "        open(p, 'w').write('x'); out.append(p)\n"
            "    except OSError:\n"
            "        pass\n"
            "print(out)"
        ),
        "detached": (
            "import subprocess\n"
            f"subprocess.Popen(['sh', '-c', 'sleep 600 # {TOKEN}'], start_new_session=True)\n"
            "print('started')"
        ),
        "output": "print('y' * 100_000)",
        "shared_memory": "import multiprocessing\nmultiprocessing.Lock()\nprint('lock ok')",
        "library": "import course_lib.unicode\nprint(course_lib.unicode.__file__)",
    }


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the probes once in a sandbox; their printed output by name, and the copy's folder."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    cells = probes(listener.getsockname()[1])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in cells.values()]
    work = tmp_path_factory.mktemp("submission")
    (work / "mine.txt").write_text("student file")
    result = sandbox.run_notebook(json.loads(nbformat.writes(nb)), work, "01_unicode", LIMITS)
    listener.settimeout(0.1)
    try:
        listener.accept()
        connected = True
    except OSError:
        connected = False
    listener.close()
    assert result.ok, result.reason
    printed = {}
    for name, ran in zip(cells, result.cells, strict=True):
        printed[name] = "".join(o.get("text", "") for o in ran["outputs"])
    return {"printed": printed, "work": work, "connected": connected, "result": result}


def test_runs_as_nobody_with_a_clean_environment(probed: dict) -> None:
    info = json.loads(probed["printed"]["identity"])
    want = sandbox.sandbox_uid(0) if os.getuid() == 0 else sandbox.NOBODY
    assert info["uid"] == want and want != 0
    assert not [k for k in info["env"] if k.startswith("WORKBOOK")], info["env"]
    assert os.environ.get("HOME", "/root") not in probed["printed"]["identity"]


def test_sees_no_course_folder_tooling_or_home(probed: dict) -> None:
    assert probed["printed"]["hidden"].strip() == "[]"


def test_has_no_network(probed: dict) -> None:
    text = probed["printed"]["network"]
    assert "refused" in text and "no dns" in text and "connected" not in text
    assert not probed["connected"]


def test_rlimits_are_set(probed: dict) -> None:
    got = json.loads(probed["printed"]["rlimits"])
    assert got == {
        "AS": LIMITS.memory_bytes,
        "NPROC": LIMITS.processes,
        "FSIZE": LIMITS.file_bytes,
        "NOFILE": LIMITS.open_files,
        "CPU": LIMITS.cpu_seconds,
    }


def test_limits_are_enforced(probed: dict) -> None:
    printed = probed["printed"]
    assert printed["file_size"].startswith("refused 27")  # EFBIG
    assert "MemoryError" in printed["memory"]
    assert printed["processes"].startswith("stopped after")


def test_only_the_copy_and_tmp_are_writable(probed: dict) -> None:
    written = probed["printed"]["writes"]
    assert "'own.txt'" in written and "'/tmp/own.txt'" in written
    assert "/usr/x" not in written and "/etc/x" not in written and "course_lib" not in written
    assert (probed["work"] / "own.txt").read_text() == "x"
    assert not (Path("/tmp") / TOKEN).exists() and not (REPO_ROOT / "course_lib" / TOKEN).exists()


def test_no_process_outlives_the_sandbox(probed: dict) -> None:
    assert probed["printed"]["detached"].strip() == "started"
    leftovers = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if TOKEN.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                leftovers.append(pid)
        except OSError:
            pass
    assert leftovers == []


def test_output_is_truncated_by_bytes(probed: dict) -> None:
    text = probed["printed"]["output"]
    assert "output truncated" in text and len(text) < 2 * LIMITS.output_bytes
    assert any("output truncated" in p for p in probed["result"].problems)


def test_multiprocessing_works_inside(probed: dict) -> None:
    assert probed["printed"]["shared_memory"] == "lock ok\n"  # /dev/shm for its semaphores


def test_the_reference_library_is_readable_only(probed: dict) -> None:
    assert probed["printed"]["library"].strip() == str(REPO_ROOT / "course_lib" / "unicode.py")


@pytest.mark.parametrize("confined", [True, False], ids=["sandbox", "no-sandbox"])
def test_a_timeout_kills_what_the_cell_started_and_nothing_else(
    tmp_path: Path, confined: bool
) -> None:
    """After a timeout the runner kills what the cells started; unconfined (--no-sandbox, the
    host's processes in view) never anything else: a bystander process of the grader's lives."""
    bystander = subprocess.Popen(["sleep", "120"])
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [
            nbformat.v4.new_code_cell(
                "import subprocess\nchild = subprocess.Popen(['sleep', '121'], start_new_session=True)"
            ),
            nbformat.v4.new_code_cell("while True:\n    pass"),
            nbformat.v4.new_code_cell("print('child', child.wait(timeout=10))"),
        ]
        limits = sandbox.Limits(cell_timeout=3, memory_bytes=2 << 30)
        result = sandbox.run_notebook(
            json.loads(nbformat.writes(nb)), tmp_path, "01_unicode", limits, sandbox=confined
        )
        assert result.ok, result.reason
        assert result.cells[1]["status"] == "timeout"
        assert result.cells[2]["outputs"][0]["text"] == "child -9\n"
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_limits_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="Limits.memory_bytes must be a positive number"):
        sandbox.Limits(memory_bytes=0)
    with pytest.raises(ValueError, match="Limits.cell_timeout"):
        sandbox.Limits(cell_timeout="10")  # type: ignore[arg-type]


def test_a_missing_bwrap_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="apt-get install bubblewrap"):
        sandbox.require_bwrap()


def test_results_of_another_notebook_are_not_graded() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("assert True")]
    ran = {"digest": "0" * 64, "cells": [{"index": 0, "outputs": [], "execution_count": 1}]}
    sandbox.apply_results(nb, ran)
    assert nb.cells[0].outputs[0]["ename"] == "NotGraded"
    ran["digest"] = sandbox.sources_digest(json.loads(nbformat.writes(nb)))
    nb.cells[0].outputs = []
    sandbox.apply_results(nb, ran)
    assert nb.cells[0].outputs == []


def test_hidden_test_lines_are_removed_from_outputs() -> None:
    nb = nbformat.v4.new_notebook()
    secret = "assert solve(12345) == reference(12345)"
    nb.cells = [
        nbformat.v4.new_code_cell(f"x = 1\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS")
    ]
    out = {"output_type": "stream", "name": "stdout", "text": f"leak:\n{secret}\n"}
    ran = {"cells": [{"index": 0, "outputs": [out], "execution_count": 1}]}
    ran["digest"] = sandbox.sources_digest(json.loads(nbformat.writes(nb)))
    sandbox.apply_results(nb, ran)
    assert secret not in nb.cells[0].outputs[0]["text"]


def test_held_out_stories_come_from_the_drawn_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = "held_out_stories(2_000, exclude_dir=data_dir, purpose='unit')"
    assert heldout.heldout_calls([call]) == [(2000, 0, "unit")]
    monkeypatch.setenv(heldout.SECRET_ENV, "unit-test-secret")
    (path,) = heldout.predraw([call], tmp_path)
    direct = heldout.held_out_stories(2000, purpose="unit", secret="unit-test-secret")
    monkeypatch.setenv(heldout.DRAWN_ENV, str(tmp_path))
    assert heldout.held_out_stories(2000, purpose="unit") == direct
    with pytest.raises(FileNotFoundError, match="no held-out stories drawn"):
        heldout.held_out_stories(3000, purpose="unit")


def test_the_sandbox_reads_the_graders_held_out_stories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hidden tests call `held_out_stories` inside; they get the stories the grader drew outside
    (equal to a direct draw with the secret), and see no other part of the tooling."""
    monkeypatch.setenv(heldout.SECRET_ENV, "unit-test-secret")
    call = "held_out_stories(5_000, exclude_dir=data_dir, purpose='unit')"
    heldout.predraw([call], tmp_path / "drawn")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import hashlib, json, os, workbook\n"
            "from workbook.heldout import held_out_stories\n"
            "stories = held_out_stories(5_000, purpose='unit')\n"
            "print(hashlib.sha256(json.dumps(stories).encode()).hexdigest())\n"
            "print(sorted(p for p in os.listdir(os.path.dirname(workbook.__file__)) "
            "if p.endswith('.py')))"
        )
    ]
    (tmp_path / "work").mkdir()
    result = sandbox.run_notebook(
        json.loads(nbformat.writes(nb)),
        tmp_path / "work",
        "05_training",
        LIMITS,
        tmp_path / "drawn",
    )
    assert result.ok, result.reason
    digest, files = result.cells[0]["outputs"][0]["text"].splitlines()
    direct = heldout.held_out_stories(5_000, purpose="unit", secret="unit-test-secret")
    assert digest == hashlib.sha256(json.dumps(direct).encode()).hexdigest()
    assert files == "['__init__.py', 'grader_guard.py', 'heldout.py', 'modules.py', 'target_lr.py']"


def test_the_held_out_calls_of_modules_05_and_07_are_found() -> None:
    """autograde pre-draws exactly what the hidden tests of 05 and 07 ask for."""
    found = {}
    for module in ("05_training", "07_ablations"):
        nb = nbformat.read(REPO_ROOT / "notebooks" / module / f"{module}.ipynb", as_version=4)
        found[module] = heldout.heldout_calls([c.source for c in nb.cells])
    assert found == {
        "05_training": [(300_000, 0, "final-model")],
        "07_ablations": [(300_000, 0, "07_leaderboard")],
    }
