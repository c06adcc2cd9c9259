"""A seeded story world: a cast of characters with fixed traits, homes and friends, and shops.

The same seed gives the same world; every story and companion set of one build draws on one world,
so what a story says about a character or a shop stays true everywhere else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from course_lib.data.stories import facts, lexicon


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

    @property
    def he(self) -> str:
        return "she" if self.she else "he"

    @property
    def him(self) -> str:
        return "her" if self.she else "him"

    @property
    def his(self) -> str:
        return "her" if self.she else "his"

    @property
    def hers(self) -> str:
        return "hers" if self.she else "his"

    @property
    def treasure(self) -> str:
        return f"{self.treasure_color} {self.treasure_item}"

    def intro(self) -> str:
        """First mention: "a shy little rabbit named Pip"."""
        little = "" if self.kind in ("dragon", "elephant", "bear", "boy") else "little "
        return f"{article(self.trait)} {self.trait} {little}{self.kind} named {self.name}"

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


def build_world(seed: int) -> World:
    """Make the world of a seed: every name gets a kind, a trait, a fear, a home and a best friend."""
    rng = random.Random(f"world-{seed}")
    names = [(n, True) for n in lexicon.NAMES_SHE] + [(n, False) for n in lexicon.NAMES_HE]
    rng.shuffle(names)
    traits = list(lexicon.TRAITS)
    cast: list[Character] = []
    for i, (name, she) in enumerate(names):
        if i % 5 == 0:
            kind = "girl" if she else "boy"
            is_child = True
        else:
            kind = rng.choice(lexicon.CREATURES)[0]
            is_child = False
        item, spot, soft = rng.choice(lexicon.TREASURES)
        job = "" if is_child else rng.choice(lexicon.JOBS)[0]
        covering, features = lexicon.LOOKS[kind]
        if covering in ("skin", "shell", "scales"):
            look = (
                f"{rng.choice(features)} and {rng.choice(('smooth', 'shiny', 'bumpy'))} {covering}"
            )
        else:
            shade = rng.choice(lexicon.SHADES)
            look = f"{rng.choice(lexicon.TEXTURES[:2] + lexicon.TEXTURES[8:10])} {shade} {covering} and {rng.choice(features)}"
        cast.append(
            Character(
                name=name,
                kind=kind,
                she=she,
                trait=rng.choice(traits),
                food=rng.choice(lexicon.FOODS),
                hobby=rng.choice(lexicon.HOBBIES),
                fear=rng.choice(lexicon.FEARS),
                home=rng.choice(facts.PLACES)[0],
                treasure_color=rng.choice(lexicon.COLORS),
                treasure_item=item,
                treasure_spot=spot,
                treasure_soft=soft,
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
    kinds = list(facts.SHOP_KINDS)
    parts = list(facts.SHOP_NAME_PARTS)
    rng.shuffle(parts)
    for i, part in enumerate(parts):
        kind = kinds[i % len(kinds)]
        offers, good_facts, bad_facts = facts.SHOP_KINDS[kind]
        good = rng.random() < 0.5
        pool = good_facts if good else bad_facts
        shops.append(
            Shop(
                name=f"the {part} {kind}",
                kind=kind,
                offers=offers,
                good=good,
                facts=tuple(rng.sample(pool, 3)),
                owner=rng.choice(cast).name,
                place=rng.choice(facts.PLACES)[0],
            )
        )
    return World(seed=seed, cast=cast, shops=shops)
