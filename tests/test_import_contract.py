"""The import contract: module N's library code never needs an answer of a later module.

A student's release of module N strips the answers of N and later modules, so library code of
module N may reach (through its imports, transitively) no file of a later module's part that holds
a marked answer; the release tests check the same by running every released notebook. Each part of
`course_lib` belongs to the first module that teaches it; a new part must be added here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workbook.modules import LIB_DIR, available_modules
from workbook.solutions import BEGIN, module_refs

# the module each part of course_lib belongs to; "00" is infrastructure every notebook may use
OWNER = {
    "checks": "00",
    "device": "00",
    "paths": "00",
    "plots": "00",
    "runs": "00",
    "unicode": "01",
    "widgets": "01",
    "tokenizer": "02",
    "data": "03",
    "model": "04",
    "training": "05",
    "accounting": "06",
    "sweeps": "07",
    "hparam": "08",
    "generation": "09",
    "finetune": "10",
    "merging": "11",
}


def part_of(module_name: str) -> str:
    """`course_lib.training.losses` → `training`; `course_lib` itself → `""`."""
    parts = module_name.split(".")
    return parts[1] if len(parts) > 1 else ""


def library_files() -> list[Path]:
    return sorted(p for p in LIB_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def imports_of(path: Path) -> set[str]:
    """Every course_lib module a file imports, at any depth (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("course_lib"):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("course_lib"))
    return found


def module_name(path: Path) -> str:
    rel = path.relative_to(LIB_DIR.parent).with_suffix("")
    return ".".join(rel.parts).removesuffix(".__init__")


def test_every_part_of_the_library_has_an_owner() -> None:
    parts = {part_of(module_name(p)) for p in library_files()} - {""}
    assert parts <= set(OWNER), (
        f"add these parts of course_lib to OWNER: {sorted(parts - set(OWNER))}"
    )


def test_each_part_belongs_to_the_first_module_that_teaches_it() -> None:
    for module, refs in module_refs().items():
        for ref in refs:
            owner = OWNER[part_of(ref.module)]
            assert owner <= module, f"{ref} is taught in {module} but its part belongs to {owner}"


def file_of(name: str) -> Path | None:
    base = LIB_DIR.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def reachable(path: Path) -> set[Path]:
    """Every course_lib file that importing `path` imports, transitively."""
    seen: set[Path] = set()
    todo = [path]
    while todo:
        for name in imports_of(todo.pop()):
            target = file_of(name)
            if target is not None and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def owner_of(path: Path) -> str:
    return OWNER.get(part_of(module_name(path)), "00")


@pytest.mark.parametrize("path", library_files(), ids=lambda p: module_name(p))
def test_library_code_reaches_no_answer_of_a_later_module(path: Path) -> None:
    owner = owner_of(path)
    later_answers = sorted(
        module_name(f) for f in reachable(path) if owner_of(f) > owner and BEGIN in f.read_text()
    )
    assert not later_answers, (
        f"{module_name(path)} (module {owner}) imports {later_answers}, which hold answers of a "
        "later module: that module's release would strip what this code needs"
    )


def test_owners_name_existing_modules() -> None:
    """An owner is a module with a notebook, or a later one whose library is being written ahead of
    its notebook; the parts of those hold no answers yet (every release ships them whole)."""
    numbers = {m[:2] for m in available_modules()} | {"00"}
    last = max(numbers)
    for owner in set(OWNER.values()) - numbers:
        assert owner > last, f"owner {owner} names no module; modules: {sorted(numbers)}"
    for path in library_files():
        owner = OWNER.get(part_of(module_name(path)), "00")
        if owner not in numbers:
            assert BEGIN not in path.read_text(), (
                f"{module_name(path)} holds an answer of module {owner}, which has no notebook"
            )


def notebook_imports(module: str) -> set[str]:
    """Every course_lib module the code cells of a source notebook import functions or classes
    from (a module imported only for its constants runs no answer: 05 reads 06's token budget)."""
    import nbformat

    from workbook.modules import notebook_path

    found: set[str] = set()
    for cell in nbformat.read(notebook_path(module), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                constants = all(a.name.isupper() for a in node.names)
                if node.module.startswith("course_lib") and not constants:
                    found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("course_lib"))
    return found


@pytest.mark.parametrize("module", available_modules())
def test_a_notebook_reaches_no_answer_of_a_later_module(module: str) -> None:
    """A notebook may use a later module's given code (08's experiment table scores multiple
    choice with 09's evaluator) only from files that hold no answer: its release keeps them whole."""
    number = module[:2]
    files = set()
    for name in notebook_imports(module):
        target = file_of(name)
        if target is not None:
            files |= {target, *reachable(target)}
    later_answers = sorted(
        module_name(f) for f in files if owner_of(f) > number and BEGIN in f.read_text()
    )
    assert not later_answers, (
        f"notebook {module} imports {later_answers}, which hold answers of a later module: its "
        "release would strip them (move the given code to a file without answers)"
    )
