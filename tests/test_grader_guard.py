"""The kernel-side test runner of the grading sandbox (`workbook/grader_guard.py`), without a kernel.

The checks a test cell's code is rewritten into run here on the same values a student's code could
return (the oracle: what Python's own `==` says for built-in values); the reference's snapshot and
traps run in a separate interpreter, because installing them changes `course_lib` for the process.
The end-to-end cases (a real kernel in the sandbox, through nbgrader) are in
`tests/test_grading_hostile.py`.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
import torch

from course_lib.paths import REPO_ROOT
from workbook import grader_guard, sandbox_runner


@pytest.fixture(autouse=True)
def trusted_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the Python environment and `course_lib`, as `install` does in the kernel."""
    roots = (sys.prefix, sys.base_prefix, str(REPO_ROOT / "course_lib"))
    monkeypatch.setattr(grader_guard._STATE, "trusted_roots", tuple(r + "/" for r in roots))


def run_test(source: str, **names: Any) -> dict[str, Any]:
    """Execute a test cell's source rewritten by the guard in a namespace holding `names`."""
    space = dict(names)
    space[grader_guard.HELPER] = grader_guard
    exec(grader_guard.rewrite(source, "<test>"), space)  # noqa: S102 (a fixed test source)
    return space


class AlwaysEqual(dict):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]


class Anything:
    def __eq__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return True


class PoisonedBytes(bytes):
    def __radd__(self, other: bytes) -> bytes:
        return b"\xff"


class BoolEqual(dict):
    __eq__ = bool  # a builtin in a dunder's place: `x == y` is `bool(y)`

    __hash__ = None  # type: ignore[assignment]


class PosingAsBytes:
    @property
    def __class__(self) -> type:  # noqa: D401 (what isinstance asks)
        return bytes


@dataclasses.dataclass(frozen=True)
class Example:
    prompt: str
    response: str


class Model:
    """A notebook class without comparisons of its own (an nn.Module, a tokenizer)."""

    def __init__(self, size: int) -> None:
        self.size = size


def test_honest_values_compare_as_python_compares_them() -> None:
    space = run_test(
        "a = f() == {'utf-8': 1}\n"
        "b = [1, 2.0, (3, 'x')] == [1, 2, (3, 'x')]\n"
        "c = 0 < 1 <= 1 < 2\n"
        "d = 3 in {1: 'a', 3: 'b'}\n"
        "e = (t == t).all().item()\n"
        "g = bool((n >= 0).all())\n"
        "h = b'ab' + b'cd' == b'abcd'\n"
        "i = f() != {'utf-8': 2}\n"
        "assert f()['utf-8'] == 1, 'plain dict'\n",
        f=lambda: {"utf-8": 1},
        t=torch.arange(4),
        n=np.arange(3),
    )
    assert [space[k] for k in "abcdeghi"] == [True] * 8, "expected Python's own answers"


def test_an_always_equal_dict_subclass_fails_the_comparison() -> None:
    with pytest.raises(
        grader_guard.GraderCheckError, match="AlwaysEqual, a subclass of dict that redefines __eq__"
    ):
        run_test("assert f('a') == {'utf-8': 1}", f=lambda text: AlwaysEqual())


def test_a_builtin_put_in_place_of_eq_is_refused() -> None:
    with pytest.raises(grader_guard.GraderCheckError, match="BoolEqual, a subclass of dict"):
        run_test("assert f() == {'utf-8': 1}", f=BoolEqual)


def test_an_object_that_defines_its_own_comparison_is_refused() -> None:
    for source in ("assert f() == 3", "assert 3 == f()", "assert f() < 2.0", "assert f() in [1]"):
        with pytest.raises(grader_guard.GraderCheckError, match="Anything, which defines"):
            run_test(source, f=Anything)


def test_an_always_equal_element_inside_a_container_is_refused() -> None:
    with pytest.raises(grader_guard.GraderCheckError, match="Anything"):
        run_test("assert f() == [1, 2]", f=lambda: [1, Anything()])


def test_a_bytes_subclass_returned_by_a_call_is_refused_before_it_is_used() -> None:
    source = "p = f()\nassert isinstance(p, bytes)\nq = (b'' + p).decode()\n"
    with pytest.raises(
        grader_guard.GraderCheckError,
        match="PoisonedBytes, a subclass of bytes that redefines __radd__",
    ):
        run_test(source, f=lambda: PoisonedBytes(b"ab"))


def test_an_object_that_lies_about_its_class_is_refused() -> None:
    with pytest.raises(grader_guard.GraderCheckError, match="changes its __class__"):
        run_test("p = f()", f=PosingAsBytes)


def test_a_global_value_of_the_notebook_is_checked_too() -> None:
    with pytest.raises(grader_guard.GraderCheckError, match="PoisonedBytes"):
        run_test("x = ANSWER", ANSWER=PoisonedBytes(b"a"))


def test_notebook_classes_that_compare_honestly_are_allowed() -> None:
    space = run_test(
        "m = Model(3)\nsame = m == m\nsize = m.size == 3\n"
        "ex = Example('a', 'b') == Example('a', 'b')\n",
        Model=Model,
        Example=Example,
    )
    assert (space["same"], space["size"], space["ex"]) == (True, True, True), "dataclass eq"


def test_library_results_and_harmless_subclasses_are_allowed() -> None:
    import collections
    import time

    pair = collections.namedtuple("Pair", "left right")

    class Plain(bytes):
        pass

    space = run_test(
        "a = f() == (1, 2)\nb = g() == b'ab'\nc = torch.topk(t, 1).values == t[:1]\n"
        "d = time.localtime(0).tm_year >= 1969\ne = bool((np.linalg.svd(np.eye(2)).S == 1).all())\n",
        f=lambda: pair(1, 2),
        g=lambda: Plain(b"ab"),
        torch=torch,
        t=torch.tensor([3.0, 1.0]),
        time=time,
        np=np,
    )
    assert space["a"] and space["b"] and space["d"] and space["e"], "honest values compare equal"
    assert bool(space["c"].all()), "a tensor comparison stays a tensor"


def test_a_wrong_honest_answer_still_fails_with_its_message() -> None:
    with pytest.raises(AssertionError, match="expected 1 byte"):
        run_test("assert f() == 1, 'expected 1 byte'", f=lambda: 2)


def test_hidden_line_numbers() -> None:
    source = "a\n### BEGIN HIDDEN TESTS\nb\nc\n### END HIDDEN TESTS\nd\n"
    assert grader_guard.hidden_line_numbers(source) == {3, 4}, "lines 3 and 4 are hidden"


def test_verdicts_are_checked_for_cell_nonce_and_key() -> None:
    mac = grader_guard.expected_mac("k", 3, "n")
    assert sandbox_runner.verdict_ok([{"cell": 3, "mac": mac}], "k", 3, "n")
    assert not sandbox_runner.verdict_ok([{"cell": 4, "mac": mac}], "k", 4, "n"), "other cell"
    assert not sandbox_runner.verdict_ok([{"cell": 3, "mac": mac}], "k", 3, "m"), "other nonce"
    assert not sandbox_runner.verdict_ok([{"cell": 3, "mac": mac}], "j", 3, "n"), "other key"
    assert not sandbox_runner.verdict_ok([], "k", 3, "n"), "no verdict at all"


def test_the_reference_imports_of_the_tests_are_found() -> None:
    sources = [
        "from course_lib.unicode import encoded_lengths as _r\nimport os",
        "import course_lib.model.layers\nx = 1",
        "def broken(:",
    ]
    assert sandbox_runner.reference_imports(sources) == [
        "course_lib.model.layers",
        "course_lib.unicode",
    ]


INSTALLED = textwrap.dedent(
    """
    import importlib, json, sys
    from workbook import grader_guard as g
    g.install("key", {}, [], ["course_lib.unicode:encoded_lengths"], [sys.prefix, sys.base_prefix])
    out = {}
    mod = importlib.import_module("course_lib." + "unicode")
    try:
        mod.encoded_lengths("a")
        out["called"] = "ran"
    except g.GraderCheckError as err:
        out["called"] = str(err)
    out["held"] = g._holds_reference(mod.encoded_lengths)
    import functools
    def deco(f):
        @functools.wraps(f)
        def wrapper(*a):
            return f(*a)
        return wrapper
    @deco
    def mine(text):
        return {}
    g._STATE.originals[id(deco(len).__code__)] = "wrapper code shared by every decorated function"
    out["decorated"] = g._holds_reference(mine)
    def fake(text):
        return {}
    sys.modules["course_lib.unicode"].encoded_lengths = fake
    sys.modules["course_lib.unicode"].ENCODINGS = ()
    original_check = mod.check_type.__code__
    mod.check_type.__code__ = fake.__code__
    sys.modules["course_lib.unicode"] = None
    import builtins
    builtins.len = lambda x: 2
    g.restore()
    out["restored"] = sys.modules["course_lib.unicode"] is mod and mod.encoded_lengths is not fake
    out["data"] = mod.ENCODINGS != ()
    out["code"] = mod.check_type.__code__ is original_check
    out["len"] = len("abc")
    print(json.dumps(out))
    """
)


def test_the_reference_is_trapped_and_restored() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", INSTALLED], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "was called from the notebook's code" in out["called"], out
    assert out["held"] == "course_lib.unicode:encoded_lengths", out
    assert out["decorated"] == "", f"a decorator's shared code is no reference: {out}"
    assert out["restored"] and out["data"] and out["code"], out
    assert out["len"] == 3, f"builtins.len restored: expected 3, got {out['len']}"
