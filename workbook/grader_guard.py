"""The grader's side of the kernel: runs each test cell itself, on a reference student code cannot swap.

Inside the grading sandbox `sandbox_runner.py` imports this file into the kernel *before any student
cell runs* (standard library only) and calls `install` with every test cell's source, the reference
modules and the graded `course_lib` functions. From then on a test cell never reaches the kernel as
text: the runner sends `run(index, nonce)`, and this module

- restores the reference first: the `course_lib` modules, their attributes and their functions' code
  as imported at install time, the `sys.modules` entries and `builtins`;
- compiles the test source it was given at install time with `compile()` (IPython's input
  transformers never see it) after rewriting its comparisons, `assert`s and call results into
  checks that refuse objects of the notebook's own classes posing as plain values (`check_value`,
  `compare`: a subclass of `bytes`, `dict`, a tensor ... defined in the notebook, a class that
  defines its own comparison or `__bool__`, or lies about `__class__`);
- fails the test when the graded names hold the reference itself, or when the reference's graded
  functions were called by the notebook's code or a visible test line (`install` put traps in
  their place; library code and hidden tests may call them);
- and only when the test ran to its end, emits a verdict signed with a key the runner gave at
  install time (HMAC of cell, nonce and "ok"): a cell whose code was rewritten, skipped or faked
  inside the kernel sends none and scores zero.

Everything here is in-process: code that runs in this kernel can in principle reach this module's
objects (the garbage collector, frames, `ctypes`). The README's grading section says which
guarantees hold and which risk remains.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import functools
import hashlib
import hmac
import importlib
import linecache
import os
import secrets
import sys
import types
from typing import Any

VERDICT_MIME = "application/vnd.workbook.verdict+json"
HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a `class` statement, not by C code
# dunders that decide a comparison, a truth test or a type test
COMPARING = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__class__")
PLAIN = (bytes, bytearray, str, int, float, complex, bool, tuple, list, dict, set, frozenset)
CONTAINERS = (list, tuple, set, frozenset)
# (module, class) of trusted libraries' value types a graded result may not subclass
LIBRARY_VALUES = (
    ("torch", "Tensor"),
    ("numpy", "ndarray"),
    ("numpy", "generic"),
    ("pandas", "DataFrame"),
    ("pandas", "Series"),
)


class GraderCheckError(AssertionError):
    """A test cell's value or reference failed the grader's checks (scores the cell zero)."""


class _State:
    """What `install` recorded; one per kernel."""

    def __init__(self) -> None:
        self.key = b""
        self.tests: dict[int, tuple[str, str, set[int], set[str]]] = {}
        self.modules: dict[str, types.ModuleType] = {}
        self.references: set[str] = set()  # modules of the graded functions and hidden imports
        self.module_dicts: dict[str, dict[str, Any]] = {}
        self.functions: list[tuple[types.FunctionType, tuple[Any, ...]]] = []
        self.builtins: dict[str, Any] = {}
        self.graded: dict[str, Any] = {}  # qualified name -> trap put in the module
        self.originals: dict[int, str] = {}  # id of a graded reference object -> its name
        self.reached: list[str] = []  # uses of the graded reference outside hidden tests
        self.trusted_roots: tuple[str, ...] = ()
        self.prefix = ""  # file name prefix of the test cells this guard compiles
        self.current: tuple[str, set[int]] | None = None
        self.seen: dict[tuple[int, int, bool], Any] = {}


_STATE = _State()


def _is_heap(cls: type) -> bool:
    return bool(cls.__flags__ & HEAP_TYPE)


@functools.lru_cache(maxsize=4096)
def _real(filename: str) -> str:
    return os.path.realpath(filename)


def _file_trusted(filename: str) -> bool:
    """Whether a code object's file lies in the Python environment or the reference library."""
    return bool(filename) and _real(filename).startswith(_STATE.trusted_roots)


def _resolves_to(cls: type) -> bool:
    """Whether `cls` is what its `__module__` and `__qualname__` name, in a trusted module."""
    module = sys.modules.get(getattr(cls, "__module__", "") or "")
    if module is None or not _trusted_module(module.__name__):
        return False
    obj: Any = module
    for part in str(getattr(cls, "__qualname__", "")).split("."):
        obj = getattr(obj, part, None) if part != "<locals>" else None
        if obj is None:
            return False
    return obj is cls


def _own_function(value: Any) -> bool:
    """Whether a class attribute is a function whose code was compiled outside trusted files."""
    func = getattr(value, "__func__", value)
    if isinstance(value, property):
        func = value.fget
    code = getattr(func, "__code__", None)
    return code is not None and not _file_trusted(code.co_filename)


def _trusted_module(name: str) -> bool:
    """Whether module `name` is loaded from C, the Python environment or `course_lib`."""
    module = sys.modules.get(name)
    if module is None or name == "__main__":
        return False
    origin = getattr(getattr(module, "__spec__", None), "origin", None)
    if name in sys.builtin_module_names or origin in ("built-in", "frozen"):
        return True
    return _file_trusted(getattr(module, "__file__", "") or "")


def redefined(cls: type) -> list[str]:
    """Members of `cls` itself that change how its objects behave: functions compiled in the
    notebook, and callables put in a dunder's place (`__eq__ = bool`)."""
    found = []
    for attr, member in vars(cls).items():
        if attr == "__new__":
            continue  # makes the object; a namedtuple's is generated
        if _own_function(member):
            found.append(attr)
        elif attr.startswith("__") and callable(member) and not hasattr(member, "__code__"):
            found.append(attr)
    return found


def notebook_class(cls: type) -> bool:
    """Whether `cls` was defined by the notebook's code (not C, the environment or `course_lib`),
    or is a library class whose comparisons the notebook replaced."""
    if not _is_heap(cls):
        return False
    if not _trusted_module(getattr(cls, "__module__", "") or ""):
        return True
    own = redefined(cls)
    if _resolves_to(cls):
        return any(name in own for name in COMPARING)
    return any(_own_function(vars(cls)[name]) for name in own)


def _generated_eq(cls: type) -> bool:
    """Whether `cls.__eq__` is the one `dataclasses` writes (compares fields of the same class)."""
    eq = cls.__dict__.get("__eq__")
    code = getattr(eq, "__code__", None)
    return (
        dataclasses.is_dataclass(cls)
        and code is not None
        and code.co_filename == "<string>"
        and getattr(code, "co_qualname", "").endswith("__create_fn__.<locals>.__eq__")
    )


def _library_value_bases() -> tuple[type, ...]:
    found = []
    for module, name in LIBRARY_VALUES:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def _why_refused(value: Any, compared: bool) -> str:
    """Why `value` may not stand for a result ("" when it may); `compared`: it is compared or tested."""
    cls = type(value)
    mro = cls.__mro__
    own = [c for c in mro if notebook_class(c)]
    if not own:
        return ""
    name = own[0].__qualname__
    for c in own:
        if "__class__" in c.__dict__:
            return f"an object of the notebook's class {name}, which changes its __class__"
    changed = [attr for c in own for attr in redefined(c)]
    for base in (*PLAIN, *_library_value_bases()):
        if base in mro and changed:
            return (
                f"an object of the notebook's class {name}, a subclass of {base.__qualname__} "
                f"that redefines {changed[0]}: return a plain {base.__qualname__}"
            )
    if compared:
        for c in own:
            defined = [n for n in COMPARING if n in redefined(c)]
            if defined and not (defined == ["__eq__"] and _generated_eq(c)):
                return (
                    f"an object of the notebook's class {name}, which defines {defined[0]}: "
                    "tests compare built-in values"
                )
    return ""


def check_value(value: Any, compared: bool = False, depth: int = 0) -> Any:
    """`value` unchanged, or a GraderCheckError when it (or an element, a field) may not be graded."""
    if depth > 20:
        return value
    cls = type(value)
    if cls in (int, float, str, bytes, bool, type(None)):
        return value  # the common case, kept cheap
    if not _is_heap(cls) and not isinstance(value, CONTAINERS + (dict,)):
        return value  # a C type (a function, a tensor's base, numpy's scalars) has no Python parts
    why = _why_refused(value, compared)
    if why:
        raise GraderCheckError(f"grader: the test got {why}")
    key = (id(value), len(value) if isinstance(value, CONTAINERS + (dict,)) else -1, compared)
    if key in _STATE.seen and _STATE.seen[key] is value:
        return value
    if isinstance(value, dict):
        for k, v in value.items():
            check_value(k, True, depth + 1)
            check_value(v, compared, depth + 1)
    elif isinstance(value, CONTAINERS):
        for item in value:
            check_value(item, compared, depth + 1)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            check_value(value.__dict__.get(f.name), compared, depth + 1)
    if isinstance(value, CONTAINERS + (dict,)) or dataclasses.is_dataclass(value):
        _STATE.seen[key] = value
    return value


_OPS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "is": lambda a, b: a is b,
    "is not": lambda a, b: a is not b,
}
_AST_OPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


def compare(ops: tuple[str, ...], *values: Any) -> Any:
    """A chained comparison `values[0] ops[0] values[1] ...` on checked operands."""
    result: Any = True
    for op, left, right in zip(ops, values, values[1:], strict=False):
        if op not in ("is", "is not"):
            check_value(left, True)
            check_value(right, True)
        result = _OPS[op](left, right)
        if len(ops) == 1:
            return result  # a tensor or an array of booleans, as Python would give it
        if not truth(result):
            return result
    return result


def truth(value: Any) -> Any:
    """An `assert`'s condition, checked before Python asks it for its truth."""
    return check_value(value, True)


class _Rewrite(ast.NodeTransformer):
    """Comparisons, `assert` conditions, call results and global names of a test go through checks."""

    def __init__(self, helper: str, assigned: set[str]) -> None:
        self.helper = helper
        self.assigned = assigned

    def _call(self, name: str, *args: ast.expr) -> ast.Call:
        func = ast.Attribute(ast.Name(self.helper, ast.Load()), name, ast.Load())
        return ast.Call(func, list(args), [])

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        ops = ast.Tuple([ast.Constant(_AST_OPS[type(op)]) for op in node.ops], ast.Load())
        return ast.copy_location(self._call("compare", ops, node.left, *node.comparators), node)

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        self.generic_visit(node)
        node.test = ast.copy_location(self._call("truth", node.test), node.test)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not isinstance(node.func, ast.Name):  # a called name needs no check: its result gets one
            node.func = self.visit(node.func)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        if isinstance(node.func, ast.Name) and node.func.id == "super":
            return node
        return ast.copy_location(self._call("check_value", node), node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if (
            isinstance(node.ctx, ast.Load)
            and node.id not in self.assigned
            and node.id != self.helper
            and not hasattr(builtins, node.id)
        ):
            return ast.copy_location(self._call("check_value", node), node)
        return node


def _assigned(tree: ast.AST) -> set[str]:
    """Names a test cell binds itself (its own helpers need no check on every use)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


HELPER = "__workbook_grader__"


def rewrite(source: str, filename: str) -> types.CodeType:
    """`source` compiled with its comparisons, asserts, calls and global names checked."""
    tree = ast.parse(source, filename)
    tree = _Rewrite(HELPER, _assigned(tree)).visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, "exec", dont_inherit=True)


def hidden_line_numbers(source: str) -> set[int]:
    """1-based numbers of the lines between BEGIN and END HIDDEN TESTS markers."""
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), 1):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif inside:
            lines.add(number)
    return lines


def _visible_names(source: str) -> set[str]:
    """Names the visible part of a test cell reads (the graded objects it calls)."""
    hidden = hidden_line_numbers(source)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.lineno not in hidden
    }


def _allowed_caller(frame: types.FrameType | None) -> bool:
    """Whether the caller of a graded reference may call it: library code (given functions use
    their module's answers), or a hidden line of the running test cell; not the notebook's code."""
    if frame is None:
        return False
    if _file_trusted(frame.f_code.co_filename):
        return True
    if _STATE.current is None:
        return False
    filename, hidden = _STATE.current
    return frame.f_code.co_filename == filename and frame.f_lineno in hidden


def _trap(name: str, original: Any) -> Any:
    """A stand-in for a graded reference function: it works when a hidden test or library code
    calls it, and refuses the notebook's own code."""

    @functools.wraps(original)
    def graded_reference(*args: Any, **kwargs: Any) -> Any:
        if not _allowed_caller(sys._getframe(1)):
            _STATE.reached.append(name)
            raise GraderCheckError(
                f"grader: the reference {name} was called from the notebook's code"
            )
        return original(*args, **kwargs)

    del graded_reference.__wrapped__  # nothing leads from the stand-in to the reference
    return graded_reference


def _snapshot_functions(module: types.ModuleType) -> None:
    for value in list(vars(module).values()):
        candidates = [value]
        if isinstance(value, type) and getattr(value, "__module__", "") == module.__name__:
            candidates += list(vars(value).values())
        for obj in candidates:
            func = getattr(obj, "__func__", obj)
            if isinstance(func, types.FunctionType):
                _STATE.functions.append(
                    (func, (func.__code__, func.__defaults__, func.__kwdefaults__))
                )


def install(
    key: str,
    tests: dict[int, str],
    modules: list[str],
    graded: list[str],
    trusted_roots: list[str],
) -> None:
    """Record the test sources, import and snapshot the reference, put traps on the graded
    functions (`module:name`); run once per kernel, before any student code."""
    _STATE.key = key.encode()
    _STATE.prefix = f"<grader test {secrets.token_hex(8)}"
    for index, source in tests.items():
        filename = f"{_STATE.prefix} {index}>"
        _STATE.tests[int(index)] = (
            source,
            filename,
            hidden_line_numbers(source),
            _visible_names(source),
        )
    _STATE.references = {*modules, *(g.split(":")[0] for g in graded)}
    for name in ["course_lib", *sorted(_STATE.references)]:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 (a reference that cannot load fails its own tests)
            pass
    library = sys.modules.get("course_lib")
    roots = [*trusted_roots, os.path.dirname(os.path.abspath(__file__))]
    if library is not None and getattr(library, "__file__", None):
        roots.append(os.path.dirname(library.__file__))
    _STATE.trusted_roots = tuple(os.path.realpath(r).rstrip(os.sep) + os.sep for r in roots)
    for qualified in graded:
        module_name, _, attr = qualified.partition(":")
        module = sys.modules.get(module_name)
        original = getattr(module, attr, None)
        if original is None:
            continue
        _STATE.originals[id(original)] = qualified
        if isinstance(original, types.FunctionType):
            inner = _unwrapped(original)  # a decorator's code is shared by every function it wraps
            _STATE.originals[id(inner)] = qualified
            _STATE.originals[id(inner.__code__)] = qualified
            trap = _trap(qualified, original)
            setattr(module, attr, trap)
            _STATE.graded[qualified] = trap
            _STATE.originals[id(trap)] = qualified
            for other, loaded in list(sys.modules.items()):  # `from ... import` bindings too
                if other.split(".")[0] == "course_lib" and vars(loaded).get(attr) is original:
                    setattr(loaded, attr, trap)
        else:  # a class: it stays, and holding it (or a subclass) in a graded name is refused
            _STATE.graded[qualified] = original
    for name, module in list(sys.modules.items()):
        if name == "course_lib" or name.startswith("course_lib."):
            _STATE.modules[name] = module
            _STATE.module_dicts[name] = dict(vars(module))
            _snapshot_functions(module)
    _STATE.builtins = dict(vars(builtins))


def _binding(value: Any) -> bool:
    """Whether a module attribute is code (function, class, module) rather than data it may
    legitimately rebind (a cache, a setting)."""
    return isinstance(
        value, types.FunctionType | types.BuiltinFunctionType | type | types.ModuleType
    )


def restore() -> None:
    """Put the reference and `builtins` back as `install` recorded them."""
    for name, module in _STATE.modules.items():
        sys.modules[name] = module
        current = vars(module)
        everything = name in _STATE.references
        for attr, value in _STATE.module_dicts[name].items():
            if current.get(attr, _State) is not value and (everything or _binding(value)):
                current[attr] = value
    for func, (code, defaults, kwdefaults) in _STATE.functions:
        if func.__code__ is not code:
            func.__code__ = code
        func.__defaults__ = defaults
        func.__kwdefaults__ = kwdefaults
    space = vars(builtins)
    for name, value in _STATE.builtins.items():
        if space.get(name, _State) is not value:
            space[name] = value


def _unwrapped(func: Any) -> Any:
    """The function at the end of a chain of `__wrapped__` (decorators), or `func` itself."""
    for _ in range(20):
        inner = getattr(func, "__wrapped__", None) if isinstance(func, types.FunctionType) else None
        if inner is None:
            break
        func = inner
    return func


def _holds_reference(value: Any) -> str:
    """The graded reference `value` is, wraps or subclasses ("" when none)."""
    partial = value.func if isinstance(value, functools.partial) else None
    for obj in (value, getattr(value, "__func__", None), partial):
        if obj is None:
            continue
        inner = _unwrapped(obj)
        for candidate in (obj, inner, getattr(inner, "__code__", None)):
            if candidate is not None and id(candidate) in _STATE.originals:
                return _STATE.originals[id(candidate)]
    if isinstance(value, type):
        for qualified, ref in _STATE.graded.items():
            if isinstance(ref, type) and ref in value.__mro__:
                return qualified
    return ""


def _sign(index: int, nonce: str) -> str:
    return hmac.new(_STATE.key, f"{index}:{nonce}:ok".encode(), hashlib.sha256).hexdigest()


def run(index: int, nonce: str) -> None:
    """Run test cell `index` as recorded at install time in the notebook's namespace; on success
    display the signed verdict, on failure raise (the cell then scores zero)."""
    from IPython import get_ipython
    from IPython.display import display

    source, filename, hidden, visible = _STATE.tests[index]
    restore()
    shell = get_ipython()
    space = shell.user_ns
    for name in sorted(visible):
        if name in space:
            held = _holds_reference(space[name])
            if held:
                raise GraderCheckError(f"grader: {name} is the reference {held}, not your code")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = rewrite(source, filename)
    _STATE.reached.clear()
    _STATE.seen.clear()
    _STATE.current = (filename, hidden)
    space[HELPER] = sys.modules[__name__]
    try:
        exec(code, space)  # noqa: S102 (the grader's own test source, as recorded at install)
    finally:
        _STATE.current = None
        _STATE.seen.clear()
        space.pop(HELPER, None)
    if _STATE.reached:
        raise GraderCheckError(
            f"grader: the reference {_STATE.reached[0]} was called from the notebook's code"
        )
    display({VERDICT_MIME: {"cell": index, "mac": _sign(index, nonce)}}, raw=True)


def expected_mac(key: str, index: int, nonce: str) -> str:
    """The verdict the runner expects for a passed test cell (computed outside the kernel)."""
    return hmac.new(key.encode(), f"{index}:{nonce}:ok".encode(), hashlib.sha256).hexdigest()
