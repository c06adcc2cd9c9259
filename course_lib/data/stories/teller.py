"""Tell stories from the templates of plots.yaml, drawing every choice from one random stream.

plots.yaml's header is the reference for its items and slots; this module is their only reader.
When it loads, it translates each part and plot into a Python function (`print(SOURCE)` shows
them all, and tracebacks quote them) whose statements tell the items in order, so the draws from
the stream follow the order of the items and a seed gives the same stories everywhere.
Translating once, rather than walking the templates for every story, keeps telling about as fast
as code written by hand.
"""

from __future__ import annotations

import linecache
import random
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import accumulate
from types import SimpleNamespace
from typing import Any

from course_lib.data.stories import load
from course_lib.data.stories.world import FACTS, PLACES, WORDS, Character, World, article, at, cap

PLOTS = load("plots")
PARAGRAPH = "---"
SLOT = re.compile(r"\{([^{}]*)\}")
SMALL_WORDS = {"a", "an", "the", "and", "of", "to", "in", "on", "at", "by"}
# Names every story can use besides its own: the data files' lists and tables, and the world's.
WORLD_NAMES = ("cast", "shops", "characters", "grownups", "treasure_spots")
GLOBAL_NAMES = {*WORDS, *FACTS, *WORLD_NAMES}
GLOBAL_LISTS = {n for n, v in (WORDS | FACTS).items() if isinstance(v, list)} | {
    "cast",
    "shops",
    "grownups",
    "treasure_spots",
}

Scope = dict[str, Any]
Paragraphs = list[list[str]]
Say = Callable[["Teller", Scope, Paragraphs], Any]  # a plot's also returns its title and summary


@dataclass
class Story:
    """A told story: its text and what it was about."""

    text: str
    kind: str
    title: str
    summary: str
    names: tuple[str, ...]


def title_case(text: str) -> str:
    """Title Case For Story Titles, leaving small words lower case."""
    words = text.split()
    return " ".join(
        w if (i and w in SMALL_WORDS) else w[:1].upper() + w[1:] for i, w in enumerate(words)
    )


def singular(noun: str) -> str:
    """Crude singular of a plural vegetable name: "tomatoes" -> "tomato"."""
    if noun.endswith(("oes", "shes")):
        return noun[:-2]
    if noun.endswith("s"):
        return noun[:-1]
    return noun


def places_for(problem: SimpleNamespace) -> list[str]:
    """The places where a problem can come up."""
    return [name for name, place in PLACES.items() if place.kind in problem.places]


def _choices(seq: Sequence | dict, skip: tuple) -> Sequence:
    """The items of a list (or keys of a table) but those in skip, characters told apart by name."""
    if skip:
        names = [getattr(y, "name", y) for y in skip]
        return [x for x in seq if getattr(x, "name", x) not in names]
    return seq if isinstance(seq, list | tuple) else list(seq)


# The filters of a slot, `{x|an}`, each a function of the value.
FILTERS: dict[str, Callable[[Any], Any]] = {
    "cap": cap,
    "an": lambda word: f"{article(word)} {word}",
    "at": at,
    "comma": lambda line: line[:-1] + "," if line.endswith(".") else line,
    "noun": lambda phrase: phrase.split(" ", 1)[1],
    "singular": singular,
    "number": lambda n: WORDS["numbers"][n],
    "coins": lambda n: f"{WORDS['numbers'][n]} {'coin' if n == 1 else 'coins'}",
}

# The calls of a slot, `{pick xs}`, each given the teller, the story's names and the arguments
# (the word "except" dropped).
CALLS: dict[str, Callable[..., Any]] = {
    "pick": lambda t, s, seq, *skip: t.pick(_choices(seq, skip)),
    "sample": lambda t, s, seq, k, *skip: t.rng.sample(_choices(seq, skip), k),
    "shuffle": lambda t, s, seq: t.rng.shuffle(seq) or seq,
    "other": lambda t, s, *not_these: t.other(*not_these),
    "randint": lambda t, s, lo, hi: t.rng.randint(lo, hi),
    "total": lambda t, s, *xs: sum(xs),
    "places_for": lambda t, s, problem: places_for(problem),
    "fill": lambda t, s, text: text.format_map(s),
}


def told(say: Say, t: Teller, s: Scope) -> str:
    """What a part or item says, as one string."""
    out: Paragraphs = [[]]
    say(t, s, out)
    return " ".join(sentence for paragraph in out for sentence in paragraph)


def matches(value: Any, patterns: list[str]) -> bool:
    """Whether a value, as text, matches one of the shell-style patterns."""
    return any(fnmatchcase(str(value), p) for p in patterns)


# ---------------------------------------------------------------- translation into Python


def fields(code: str, names: list[str]) -> str:
    """The code of a value's fields in turn: indices of lists, attributes of everything else."""
    for key in names:
        if not (key.isdigit() or key.isidentifier()):
            raise ValueError(f"{key!r} is not a field name (in {code})")
        code += f"[{key}]" if key.isdigit() else f".{key}"
    return code


def path(text: str) -> str:
    """The code of a name and its fields: "kit.who.name" -> "s['kit'].who.name"."""
    root, *names = text.split(".")
    return fields(f"t.names[{root!r}]" if root in GLOBAL_NAMES else f"s[{root!r}]", names)


def slot(expr: str) -> str:
    """The code of a slot: a choice of words, a part's text, a call, or a name with filters."""
    if "/" in expr:
        return f"t.pick({tuple(expr.split('/'))!r})"
    if expr in PLOTS["parts"]:
        return f"told(part_{expr}, t, s)"
    head, *args = expr.split()
    if head == "pick" and len(args) == 1 and args[0] in GLOBAL_LISTS:  # the commonest call
        return f"t.pick({path(args[0])})"
    if head in CALLS:
        codes = [a if a.isdigit() else slot(a) for a in args if a != "except"]
        return f"{head}(t, s, {', '.join(codes)})"
    name, *filters = expr.split("|")
    code = path(name)
    for f in filters:
        table, *names = f.split(".")  # a filter not in FILTERS looks the value up in a table
        code = f"{f}({code})" if f in FILTERS else fields(f"t.names[{table!r}][{code}]", names)
    return code


def sentence(text: str) -> str:
    """The code of a sentence: a template with its first letter capitalized."""
    first = SLOT.split(text)[0][:1]
    return template(text) if first and first.upper() == first else f"cap({template(text)})"


def template(text: str) -> str:
    """The code of text with its slots filled in; a slot alone gives its value, which need not be text."""
    pieces = SLOT.split(text)
    if len(pieces) == 3 and pieces[0] == pieces[2] == "":
        return slot(pieces[1])
    if len(pieces) == 1:
        return repr(text)
    form = "%s".join(p.replace("%", "%%") for p in pieces[::2])
    return f"{form!r} % ({''.join(slot(p) + ', ' for p in pieces[1::2])})"


def part_named(text: str) -> str | None:
    """The part a text names when it is one slot naming a part: "{scene}" -> "scene"."""
    name = text[1:-1]
    return name if text[:1] == "{" and text[-1:] == "}" and name in PLOTS["parts"] else None


class Translator:
    """Turns the items of plots.yaml into the source of Python functions."""

    def __init__(self) -> None:
        self.functions: list[str] = []

    def function(self, name: str, body: list[str]) -> str:
        """Add a function `name(t, s, out)` with these statements; return its name."""
        self.functions.append("\n".join([f"def {name}(t, s, out):", *body]) + "\n")
        return name

    def text(self, node: Any) -> str:
        """The code of what an item says, as one string."""
        if isinstance(node, str):
            part = part_named(node)
            return f"told(part_{part}, t, s)" if part else sentence(node)
        helper = self.function(f"text_{len(self.functions)}", self.statements(node, "    "))
        return f"told({helper}, t, s)"

    def value(self, node: Any) -> str:
        """The code of a `let` value: a template, or a list or mapping of them."""
        if isinstance(node, str):
            return template(node)
        if isinstance(node, list):
            return f"[{', '.join(self.value(v) for v in node)}]"
        if isinstance(node, dict):
            return f"SimpleNamespace({', '.join(f'{k}={self.value(v)}' for k, v in node.items())})"
        return repr(node)

    def test(self, condition: str | dict) -> str:
        """The code of an `if`: a name's truth, or whether its value matches one of the patterns."""
        if isinstance(condition, str):
            return slot(condition)
        ((name, patterns),) = condition.items()
        patterns = patterns if isinstance(patterns, list) else [patterns]
        return f"matches({slot(name)}, {[str(p) for p in patterns]!r})"

    def block(self, node: Any, pad: str) -> list[str]:
        """The statements of a branch, one level deeper (`pass` when it tells nothing)."""
        return self.statements(node, pad + "    ") or [f"{pad}    pass"]

    def statements(self, node: Any, pad: str) -> list[str]:
        """The statements that tell an item, or a list of items, at indentation `pad`."""
        if node == PARAGRAPH:
            return [f"{pad}out.append([])"]
        if isinstance(node, str):
            if part := part_named(node):
                return [f"{pad}part_{part}(t, s, out)"]
            return [f"{pad}out[-1].append({sentence(node)})"]
        if isinstance(node, list):
            return [line for n in node for line in self.statements(n, pad)]
        if "one of" in node:
            options = ", ".join(self.text(n) for n in node["one of"])
            return [f"{pad}out[-1].append(t.pick([{options}]))"]
        if "chance" in node or "if" in node:
            test = (
                f"t.rng.random() < {node['chance']!r}"
                if "chance" in node
                else self.test(node["if"])
            )
            lines = [f"{pad}if {test}:", *self.block(node.get("then", []), pad)]
            return lines + (
                [f"{pad}else:", *self.block(node["else"], pad)] if "else" in node else []
            )
        if "roll" in node:
            lines = [f"{pad}r = t.rng.random()"]
            for i, (bound, n) in enumerate(node["roll"].items()):
                head = "else:" if bound == "else" else f"{'el' if i else ''}if r < {bound!r}:"
                lines += [f"{pad}{head}", *self.block(n, pad)]
            return lines
        if "let" in node:
            return [f"{pad}s[{name!r}] = {self.value(v)}" for name, v in node["let"].items()]
        if "for" in node:
            name, _, seq = node["for"].split(" ", 2)
            return [f"{pad}for s[{name!r}] in {slot(seq)}:", *self.block(node["say"], pad)]
        ((tag, line),) = node.items()  # a line of dialogue, its tag placed by the `quote` part
        who, verb = tag.split(" ", 1)
        said = f"{self.text(line)}, {template(verb)}, {path(who)}"
        return [f"{pad}s['line'], s['verb'], s['speaker'] = {said}", f"{pad}part_quote(t, s, out)"]

    def source(self) -> str:
        """All parts as `part_<name>` and plots as `plot_<kind>` (returning title and summary)."""
        for name, node in PLOTS["parts"].items():
            self.function(f"part_{name}", self.statements(node, "    "))
        for kind, plot in PLOTS["plots"].items():
            about = f"    return {template(plot['title'])}, {template(plot['summary'])}"
            self.function(f"plot_{kind}", [*self.statements(plot["story"], "    "), about])
        return "\n".join(self.functions)


SOURCE = Translator().source()
linecache.cache["<plots.yaml>"] = (len(SOURCE), None, SOURCE.splitlines(True), "<plots.yaml>")
_namespace: dict[str, Any] = {**FILTERS, **CALLS, "cap": cap, "told": told}
_namespace |= {"matches": matches, "SimpleNamespace": SimpleNamespace}
exec(compile(SOURCE, "<plots.yaml>", "exec"), _namespace)
PARTS: dict[str, Say] = {name: _namespace[f"part_{name}"] for name in PLOTS["parts"]}
STORIES: dict[str, Say] = {kind: _namespace[f"plot_{kind}"] for kind in PLOTS["plots"]}


class Teller:
    """Tells stories about one world, drawing every choice from one random stream."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.names: Scope = {
            **WORDS,
            **FACTS,
            "cast": world.cast,
            "shops": world.shops,
            "characters": world.by_name,
            "grownups": [c for c in world.cast if c.job],
            "treasure_spots": [t.spot for t in WORDS["treasures"]],
        }
        self.kinds = list(PLOTS["plots"])
        self.bounds = list(accumulate(plot["weight"] for plot in PLOTS["plots"].values()))

    def pick(self, seq: Sequence) -> Any:
        """One item of a list (a draw)."""
        return seq[int(self.rng.random() * len(seq))]

    def hero(self) -> Character:
        """Any character of the cast (a draw)."""
        return self.pick(self.world.cast)

    def other(self, *not_these: Character) -> Character:
        """Any character but these (draws until one fits)."""
        names = {c.name for c in not_these}
        while True:
            c = self.pick(self.world.cast)
            if c.name not in names:
                return c

    def tell(self, name: str, **names: Any) -> tuple[Scope, Paragraphs]:
        """Tell a part with these names bound; return all the names and the paragraphs."""
        scope = {**PLOTS["defaults"], **names}
        out: Paragraphs = [[]]
        PARTS[name](self, scope, out)
        return scope, out

    def story(self) -> Story:
        """One story from a plot drawn by weight."""
        x = self.rng.random() * self.bounds[-1]
        kind = self.kinds[min(bisect_right(self.bounds, x), len(self.kinds) - 1)]
        scope = dict(PLOTS["defaults"])
        paragraphs: Paragraphs = [[]]
        title, summary = STORIES[kind](self, scope, paragraphs)
        return Story(
            text="\n".join(" ".join(p) for p in paragraphs if p),
            kind=kind,
            title=title_case(title),
            summary=summary,
            names=tuple(scope[name].name for name in PLOTS["plots"][kind]["names"]),
        )
