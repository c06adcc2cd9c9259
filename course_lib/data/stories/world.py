"""A seeded story world: a cast of characters with fixed traits, homes and friends, and shops.

The same seed gives the same world; every story and companion set of one build draws on one world,
so what a story says about a character or a shop stays true everywhere else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from course_lib.data.stories import load, tables

WORDS = tables(load("words"))
FACTS = tables(load("world"))
PLACES = FACTS["places"]
KINDS = WORDS["animals"] | WORDS["children"]


def article(word: str) -> str:
    """Return "a" or "an" for the word that follows."""
    w = word.lower()
    if w.startswith(("honest", "hour")):
        return "an"
    if w.startswith(("uni", "use", "one")):
        return "a"
    return "an" if w[:1] in "aeiou" else "a"


def cap(text: str) -> str:
    """Capitalize the first letter only."""
    return text[:1].upper() + text[1:]


def at(place: str) -> str:
    """The place with its own preposition: "by the Willow Pond"."""
    return f"{PLACES[place].prep} {place}"


def _pronoun(she: str, he: str) -> property:
    return property(lambda self: she if self.she else he)


@dataclass(frozen=True)
class Character:
    """One member of the cast; every field is a fact that never changes within a world."""

    name: str
    kind: str  # "rabbit", "girl", ...
    she: bool
    trait: str
    food: str
    hobby: str
    fear: str
    home: str  # a place name
    treasure_color: str
    treasure_item: str  # "kite"
    treasure_spot: str  # where it ends up when lost
    treasure_soft: bool  # mended with needle and thread (else glue)
    look: str = ""  # "soft ginger fur and long floppy ears"
    job: str = ""  # the trade of a grown-up character; "" for children
    friend: str = ""
    is_child: bool = False

    he = _pronoun("she", "he")
    him = _pronoun("her", "him")
    his = _pronoun("her", "his")
    hers = _pronoun("hers", "his")

    @property
    def treasure(self) -> str:
        return f"{self.treasure_color} {self.treasure_item}"

    @property
    def dwelling(self) -> str:
        """Where this kind of character lives: "burrow", "house"."""
        return KINDS[self.kind].home

    @property
    def moves(self) -> str:
        """How this kind of character goes somewhere: "hopped"."""
        return KINDS[self.kind].moves

    @property
    def behaviour(self) -> str:
        """What the character does that shows the trait."""
        return WORDS["traits"][self.trait].shows

    @property
    def lesson(self) -> str:
        """The lesson the character's trait leads to."""
        return WORDS["traits"][self.trait].lesson

    @property
    def intro(self) -> str:
        """First mention: "a shy little rabbit named Pip"."""
        little = "" if self.kind in ("dragon", "elephant", "bear", "boy") else "little "
        return f"{article(self.trait)} {self.trait} {little}{self.kind} named {self.name}"

    @property
    def title(self) -> str:
        """A second-style mention: "Pip the rabbit" (a child is just "Mia")."""
        return self.name if self.is_child else f"{self.name} the {self.kind}"


@dataclass(frozen=True)
class Shop:
    """A shop of the town; good or bad, always in the same ways."""

    name: str  # "the Honey Pot Bakery"
    kind: str
    offers: str
    good: bool
    facts: tuple[str, ...]
    owner: str  # a character name
    place: str


@dataclass
class World:
    """The whole cast, the shops and lookups the plots need."""

    seed: int
    cast: list[Character]
    shops: list[Shop]
    by_name: dict[str, Character] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {c.name: c for c in self.cast}

    def friend_of(self, who: Character) -> Character:
        return self.by_name[who.friend]


def _look(kind: str, rng: random.Random) -> str:
    """A character's look: "soft ginger fur and long floppy ears", "big bulging eyes and bumpy skin"."""
    covering, features = KINDS[kind].covering, KINDS[kind].features
    if covering in WORDS["bare_coverings"]:
        return f"{rng.choice(features)} and {rng.choice(WORDS['bare_textures'])} {covering}"
    shade = rng.choice(WORDS["shades"])
    return f"{rng.choice(WORDS['coat_textures'])} {shade} {covering} and {rng.choice(features)}"


def build_world(seed: int) -> World:
    """Make the world of a seed: every name gets a kind, a trait, a fear, a home and a best friend."""
    rng = random.Random(f"world-{seed}")
    names = [(n, True) for n in WORDS["names_she"]] + [(n, False) for n in WORDS["names_he"]]
    rng.shuffle(names)
    animals, traits, jobs, places = map(
        list, (WORDS["animals"], WORDS["traits"], WORDS["jobs"], PLACES)
    )
    cast: list[Character] = []
    for i, (name, she) in enumerate(names):
        is_child = i % 5 == 0
        kind = ("girl" if she else "boy") if is_child else rng.choice(animals)
        treasure = rng.choice(WORDS["treasures"])
        job = "" if is_child else rng.choice(jobs)
        look = _look(kind, rng)
        cast.append(
            Character(
                name=name,
                kind=kind,
                she=she,
                trait=rng.choice(traits),
                food=rng.choice(WORDS["foods"]),
                hobby=rng.choice(WORDS["hobbies"]),
                fear=rng.choice(WORDS["fears"]),
                home=rng.choice(places),
                treasure_color=rng.choice(WORDS["colors"]),
                treasure_item=treasure.item,
                treasure_spot=treasure.spot,
                treasure_soft=treasure.soft,
                look=look,
                job=job,
                is_child=is_child,
            )
        )
    # Best friends come in pairs; an odd one out befriends the first.
    order = list(range(len(cast)))
    rng.shuffle(order)
    friends: dict[int, int] = {}
    for a, b in zip(order[0::2], order[1::2]):
        friends[a], friends[b] = b, a
    if len(order) % 2:
        friends[order[-1]] = order[0]
    cast = [replace(c, friend=cast[friends[i]].name) for i, c in enumerate(cast)]

    shops: list[Shop] = []
    shop_kinds = FACTS["shop_kinds"]
    kinds = list(shop_kinds)
    parts = list(FACTS["shop_names"])
    rng.shuffle(parts)
    for i, part in enumerate(parts):
        kind = kinds[i % len(kinds)]
        good = rng.random() < 0.5
        pool = shop_kinds[kind].good if good else shop_kinds[kind].bad
        shops.append(
            Shop(
                name=f"the {part} {kind}",
                kind=kind,
                offers=shop_kinds[kind].offers,
                good=good,
                facts=tuple(rng.sample(pool, 3)),
                owner=rng.choice(cast).name,
                place=rng.choice(places),
            )
        )
    return World(seed=seed, cast=cast, shops=shops)
