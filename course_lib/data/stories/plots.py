"""Story plots: each one turns a seeded random stream and the world into a short children's story.

A plot returns its paragraphs and a small record (kind, title, summary, characters) that the
instruction set reuses. Every sentence pattern here was written for this workbook.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from course_lib.data.stories import facts, lexicon
from course_lib.data.stories.world import Character, Shop, World, article, cap

PLACE_INFO = {name: (kind, prep, things) for name, kind, prep, things in facts.PLACES}
HOME_WORD = {c[0]: c[2] for c in lexicon.CREATURES} | {"girl": "house", "boy": "house"}


@dataclass
class Story:
    """A told story: its text and what it was about."""

    text: str
    kind: str
    title: str
    summary: str
    names: tuple[str, ...]


SMALL_WORDS = {"a", "an", "the", "and", "of", "to", "in", "on", "at", "by"}


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


def at(place: str) -> str:
    """The place with its own preposition: "by the Willow Pond"."""
    return f"{PLACE_INFO[place][1]} {place}"


class Teller:
    """Tells stories about one world, drawing every choice from one random stream."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.plots: list[tuple[Callable[[], Story], float]] = [
            (self.problem_trip, 5.0),
            (self.lost_treasure, 2.0),
            (self.facing_fear, 1.5),
            (self.sharing, 1.5),
            (self.baking, 1.2),
            (self.building, 1.2),
            (self.contest, 1.2),
            (self.mistake, 1.2),
            (self.new_friend, 1.2),
            (self.shop_visit, 1.5),
            (self.season_day, 1.0),
            (self.bedtime, 0.8),
            (self.birthday, 1.0),
            (self.farm_day, 1.0),
            (self.garden, 1.0),
            (self.wise_owl, 1.0),
            (self.band, 0.8),
            (self.treasure_hunt, 0.8),
            (self.sick_day, 0.8),
            (self.school_day, 0.8),
            (self.seaside, 0.8),
            (self.camping, 0.8),
            (self.rainy_day, 0.8),
            (self.market, 0.7),
            (self.snow_day, 0.7),
            (self.river_trip, 0.7),
            (self.workshop, 1.2),
            (self.nature_walk, 1.0),
        ]
        self._plot_fns = [p for p, _ in self.plots]
        self._cum = []
        total = 0.0
        for _, w in self.plots:
            total += w
            self._cum.append(total)

    # ------------------------------------------------------------------ small helpers
    def pick(self, seq: Sequence):
        return seq[int(self.rng.random() * len(seq))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def hero(self) -> Character:
        return self.pick(self.world.cast)

    def other(self, *not_these: Character) -> Character:
        names = {c.name for c in not_these}
        while True:
            c = self.pick(self.world.cast)
            if c.name not in names:
                return c

    def story(self) -> Story:
        """One story from a plot drawn by weight."""
        x = self.rng.random() * self._cum[-1]
        for fn, c in zip(self._plot_fns, self._cum):
            if x < c:
                return fn()
        return self._plot_fns[-1]()

    def quote(self, who: Character, line: str, verb: str = "said") -> str:
        """A line of dialogue with its tag before, after or around it."""
        r = self.rng.random()
        if line[-1] == ".":
            inner = line[:-1] + ","
        else:
            inner = line
        if r < 0.45:
            return f'"{inner}" {verb} {who.name}.'
        if r < 0.7:
            return f'"{inner}" {who.name} {verb}.'
        if r < 0.85:
            return f'{who.name} {verb}, "{line}"'
        return f'{who.name} looked up and {verb}, "{line}"'

    def opening(self, a: Character) -> str:
        o = self.pick(lexicon.OPENINGS)
        r = self.rng.random()
        home = at(a.home)
        if r < 0.35:
            s = f"{o}there was {a.intro()} who lived {home}."
        elif r < 0.6:
            s = f"{o}{a.intro()} lived in a cozy {HOME_WORD[a.kind]} {home}."
        elif r < 0.8:
            return f"{a.name} was {article(a.trait)} {a.trait} {a.kind} who lived {home}."
        else:
            return f"In a cozy {HOME_WORD[a.kind]} {home}, there lived {a.intro()}."
        return cap(s)

    def trait_line(self, a: Character) -> str:
        behaviour, _ = lexicon.TRAITS[a.trait]
        return self.pick(
            (
                f"{a.name} {behaviour}.",
                f"Everyone knew that {a.name} {behaviour}.",
                f"{cap(a.he)} was so {a.trait} that {a.he} {behaviour}.",
            )
        )

    def fact_line(self, a: Character) -> str:
        r = self.rng.random()
        if r < 0.12:
            return self.pick(
                (
                    f"{a.name} had {a.look}.",
                    f"{cap(a.he)} had {a.look}.",
                    f"Everyone in the village knew {a.name} by {a.his} {a.look}.",
                )
            )
        if r < 0.3:
            return self.pick(
                (
                    f"{a.name} loved {a.food} more than anything.",
                    f"{cap(a.his)} favorite food was {a.food}.",
                    f"Nothing made {a.name} happier than a plate of {a.food}.",
                )
            )
        if r < 0.52:
            return self.pick(
                (
                    f"{cap(a.he)} liked {a.hobby} best of all.",
                    f"Every day, {a.name} spent hours {a.hobby}.",
                    f"{a.name}'s favorite thing to do was {a.hobby}.",
                )
            )
        if r < 0.75:
            return self.trait_line(a)
        f = self.world.friend_of(a)
        return self.pick(
            (
                f"{cap(a.his)} best friend was {f.title()}.",
                f"{a.name} and {f.name} the {f.kind} were best friends.",
                f"{a.name} played with {f.name} the {f.kind} every afternoon.",
            )
        )

    def scene(self, place: str) -> str:
        """One sentence of what is seen, heard or smelled at a place."""
        kind, _, things = PLACE_INFO[place]
        r = self.rng.random()
        if r < 0.15:
            return (
                f"The sky was {self.pick(lexicon.SKY)}, "
                f"and the air smelled of {self.pick(lexicon.SMELLS)}."
            )
        if r < 0.3:
            a, b = self.rng.sample(things, 2)
            return self.pick(
                (f"At {place} there were {a} and {b}.", f"{cap(at(place))}, they saw {a} and {b}.")
            )
        if r < 0.42:
            return f"They could hear {self.pick(lexicon.SOUNDS)}."
        if r < 0.52:
            return (
                f"{cap(self.pick(lexicon.FLOWERS))} grew all around, "
                f"and {self.pick(lexicon.BUGS)} moved among them."
            )
        if r < 0.75:
            return self.pick(
                (
                    f"Nearby, {self.pick(lexicon.WILDLIFE)}.",
                    f"They stopped to watch as {self.pick(lexicon.WILDLIFE)}.",
                    f"{cap(self.pick(lexicon.WILDLIFE))}.",
                )
            )
        if r < 0.87:
            weather, word = self.pick(lexicon.WEATHER)
            return self.pick((f"It was a {word} day, and {weather}.", f"Outside, {weather}."))
        tree = self.pick(lexicon.TREES)
        return (
            f"A few {self.pick(lexicon.BIRDS)} watched them from {article(tree)} {tree} tree "
            f"with {self.pick(('rough', 'bumpy', 'scratchy', 'smooth', 'silvery', 'knobbly'))} bark."
        )

    def move(self, a: Character, place: str) -> str:
        """Going somewhere the way this kind of character goes."""
        verb = lexicon.MOVES[a.kind]
        return self.pick(
            (
                f"{a.name} {verb} all the way to {place}.",
                f"{a.name} {verb} {self.pick(lexicon.ADVERBS)} toward {place}.",
                f"Off {a.he} {verb}, down the path to {place}.",
            )
        )

    def indoors(self) -> str:
        return f"Inside, {self.pick(lexicon.INDOORS)}."

    def ending(self, a: Character, b: Character | None, mood: str = "happy") -> list[str]:
        _, lesson = lexicon.TRAITS[a.trait]
        out = []
        r = self.rng.random()
        if b is not None and r < 0.35:
            out.append(
                self.pick(
                    (
                        f"From that day on, {a.name} and {b.name} were the best of friends.",
                        f"After that, {a.name} and {b.name} did everything together.",
                        f"{a.name} hugged {b.name} and said thank you.",
                    )
                )
            )
        elif r < 0.65:
            out.append(f"{a.name} felt {mood} all the way home.")
        else:
            out.append(
                self.pick(
                    (
                        f"That night, {a.name} fell asleep with a big smile.",
                        f"It was the best day {a.name} had ever had.",
                        f"{a.name} would remember that day for a long time.",
                        f"When {a.he} got home, {a.he} told the whole story to {a.his} mother.",
                    )
                )
            )
        if self.chance(0.5):
            out.append(f"{a.name} learned that {lesson}.")
        if self.chance(0.08):
            out.append("The end.")
        return out

    @staticmethod
    def join(paragraphs: list[list[str]]) -> str:
        return "\n".join(" ".join(p) for p in paragraphs if p)

    # ------------------------------------------------------------------ plots
    def problem_setup(self, problem: facts.Problem | None = None) -> dict:
        """The first part of a problem story, up to the moment the right tool is needed.

        The multiple-choice set cuts stories here: which tool fixes the trouble follows from the
        world's facts, and both tools were named earlier in the context.
        """
        a = self.hero()
        b = self.world.friend_of(a) if self.chance(0.6) else self.other(a)
        p = problem or self.pick(facts.PROBLEMS)
        places = [n for n, k, _, _ in facts.PLACES if k in p.places]
        place = self.pick(places)
        decoy = self.pick([q for q in facts.PROBLEMS if q.tool != p.tool])
        carrier, other = (a, b) if self.chance(0.5) else (b, a)
        p1 = [self.opening(a), self.fact_line(a)]
        if self.chance(0.5):
            p1.append(self.fact_line(a))
        when = self.pick(lexicon.TIMES)
        go = self.pick(("went to", "set off for", "walked to", "decided to visit"))
        p2 = [f"{when}, {a.name} and {b.intro() if self.chance(0.4) else b.name} {go} {place}."]
        tools = [(carrier, p.tool), (other, decoy.tool)]
        self.rng.shuffle(tools)
        for who, tool in tools:
            p2.append(
                self.pick(
                    (
                        f"{who.name} brought {article(tool)} {tool}.",
                        f"{who.name} carried {article(tool)} {tool} in {who.his} bag.",
                        f"{who.name} took {article(tool)} {tool}, just in case.",
                    )
                )
            )
        p2.append(self.scene(place))
        if self.chance(0.5):
            p2.append(self.scene(place))
        if self.chance(0.5):
            p2.append(
                self.quote(
                    a, self.pick(("What a lovely day!", "I love this place.", "Let's explore!"))
                )
            )
        who = f"{a.name} and {b.name}"
        p3 = [self.pick(p.setups).format(who=who, place=place)]
        p3.append(
            self.pick(
                (
                    f"{a.name} felt {p.bad_feeling}.",
                    f"Both friends felt {p.bad_feeling}.",
                    self.quote(other, "What shall we do now?", "asked"),
                    self.quote(a, "Oh no! What can we do?", "cried"),
                )
            )
        )
        return dict(
            a=a, b=b, p=p, place=place, decoy=decoy, carrier=carrier, other=other, pars=[p1, p2, p3]
        )

    def problem_trip(self, problem: facts.Problem | None = None) -> Story:
        """Two friends go somewhere, meet a problem, and the one with the right tool fixes it."""
        s = self.problem_setup(problem)
        a, b, p, carrier, other = s["a"], s["b"], s["p"], s["carrier"], s["other"]
        p1, p2, p3 = s["pars"]
        p3.append(
            self.pick(
                (
                    f"Then {carrier.name} remembered the {p.tool}.",
                    self.quote(carrier, f"Don't worry, I have the {p.tool}!"),
                    f"Luckily, {carrier.name} had brought the {p.tool}.",
                )
            )
        )
        p3.append(f"{carrier.name} {p.fix}. {p.result}.")
        p4 = [
            self.pick(
                (
                    f"Everyone felt {p.good_feeling} again.",
                    f"{a.name} and {b.name} felt {p.good_feeling} and {self.pick(lexicon.FEELINGS_GOOD)}.",
                    self.quote(other, f"Thank you, {carrier.name}! You were so smart to bring it."),
                )
            )
        ]
        p4 += self.ending(a, b, p.good_feeling)
        title = title_case(f"{a.name} and the {p.tool}")
        summary = (
            f"{a.name} and {b.name} went to {s['place']}, where trouble came up, and "
            f"{carrier.name} {p.fix} to fix it."
        )
        return Story(self.join([p1, p2, p3, p4]), "problem", title, summary, (a.name, b.name))

    def lost_treasure(self) -> Story:
        """A treasure goes missing and is found where such things end up."""
        a = self.hero()
        b = self.world.friend_of(a)
        t = a.treasure
        place = self.pick([n for n, *_ in facts.PLACES])
        p1 = [self.opening(a)]
        p1.append(
            self.pick(
                (
                    f"{a.name} had {article(t)} {t} that {a.he} loved more than anything.",
                    f"{cap(a.his)} most special thing was {article(t)} {t}.",
                    f"{a.name} took {a.his} {t} everywhere {a.he} went.",
                )
            )
        )
        p2 = [f"{self.pick(lexicon.TIMES)}, {a.name} went to play {at(place)}."]
        p2.append(self.scene(place))
        if self.chance(0.5):
            p2.append(self.scene(place))
        p2.append(
            self.pick(
                (
                    f"When it was time to go home, {a.name} looked for the {t}, but it was gone!",
                    f"Suddenly {a.name} noticed that {a.his} {t} was missing.",
                    f"After a while, {a.name} reached for {a.his} {t}. It was not there!",
                )
            )
        )
        p2.append(f"{a.name} felt {self.pick(('sad', 'worried', 'upset'))}.")
        p2.append(self.quote(a, f"Where is my {t}?", self.pick(("cried", "asked", "whispered"))))
        p3 = [
            self.pick(
                (
                    f"Just then, {a.his} friend {b.name} came by.",
                    f"{a.name}'s friend {b.name} heard {a.him} and ran over.",
                    f"{b.title()} saw that {a.name} was {self.pick(('sad', 'upset', 'worried'))}.",
                )
            )
        ]
        p3.append(self.quote(b, "Don't cry. I will help you look.", "said"))
        wrong = self.rng.sample([s for _, s, _ in lexicon.TREASURES if s != a.treasure_spot], 2)
        p3.append(f"They looked {wrong[0]}. They looked {wrong[1]}. But they did not find it.")
        p3.append(
            self.pick(
                (
                    f"Then {b.name} had an idea.",
                    f"{b.name} thought hard.",
                    f"At last {b.name} spotted something {a.treasure_color}.",
                )
            )
        )
        p3.append(f"There was the {t}, {a.treasure_spot}!")
        p4 = [
            self.quote(
                a,
                self.pick(("You found it! Thank you!", "Hooray! My treasure is back!")),
                "shouted",
            )
        ]
        p4.append(
            self.pick(
                (
                    f"{a.name} promised to take better care of {a.his} {t}.",
                    f"From then on, {a.name} kept the {t} in a safe place.",
                    f"{a.name} gave {b.name} a big hug.",
                )
            )
        )
        p4 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3, p4]),
            "lost",
            title_case(f"the lost {a.treasure_item}"),
            f"{a.name} lost {a.his} {t} {at(place)}, and {b.name} helped find it {a.treasure_spot}.",
            (a.name, b.name),
        )

    def facing_fear(self) -> Story:
        """A character meets the thing they fear and, with a friend, finds courage."""
        a = self.hero()
        b = self.world.friend_of(a)
        place = self.pick([n for n, *_ in facts.PLACES])
        p1 = [self.opening(a)]
        p1.append(
            self.pick(
                (
                    f"{a.name} was afraid of {a.fear}.",
                    f"There was one thing {a.name} was afraid of: {a.fear}.",
                    f"More than anything, {a.name} was scared of {a.fear}.",
                )
            )
        )
        if self.chance(0.5):
            p1.append(self.fact_line(a))
        p2 = [f"{self.pick(lexicon.TIMES)}, {a.name} and {b.name} were playing {at(place)}."]
        p2.append(self.scene(place))
        if self.chance(0.4):
            p2.append(self.scene(place))
        p2.append(
            self.pick(
                (
                    f"All of a sudden, {a.name} had to face {a.fear}.",
                    f"Then, right in front of them, there was {a.fear}!",
                    f"Before long, {a.fear} came along, just as {a.name} had feared.",
                )
            )
        )
        p2.append(f"{a.name}'s {self.pick(('knees shook', 'heart beat fast', 'ears went flat'))}.")
        p2.append(self.quote(a, "I want to go home!", self.pick(("cried", "whispered"))))
        p3 = [
            self.pick(
                (
                    f"{b.name} held {a.name}'s hand.",
                    f"{b.name} sat down next to {a.him}.",
                    f"{b.name} smiled a warm smile.",
                )
            )
        ]
        p3.append(
            self.quote(
                b,
                self.pick(
                    (
                        "It is all right to be scared. I am here with you.",
                        "Let's count to ten together. Then it won't feel so big.",
                        "Take a deep breath. We can be brave together.",
                    )
                ),
            )
        )
        p3.append(
            self.pick(
                (
                    f"{a.name} took a deep breath. Slowly, {a.he} felt a little braver.",
                    f"They counted together, and {a.name}'s heart grew calm.",
                    f"{a.name} squeezed {b.name}'s hand and stood up tall.",
                )
            )
        )
        p3.append(f"Soon {a.fear} did not seem so scary after all.")
        p4 = [self.quote(a, "I did it! I was brave!", "laughed")]
        p4 += self.ending(a, b, "brave")
        return Story(
            self.join([p1, p2, p3, p4]),
            "fear",
            f"{a.name} Is Brave",
            f"{a.name} was afraid of {a.fear}, but with {b.name}'s help {a.he} found courage.",
            (a.name, b.name),
        )

    def sharing(self) -> Story:
        """One character has a treat; sharing (sooner or later) makes both happy."""
        a = self.hero()
        b = self.other(a)
        p1 = [self.opening(a), f"{a.name} loved {a.food}."]
        place = self.pick([n for n, *_ in facts.PLACES])
        p2 = [
            f"{self.pick(lexicon.TIMES)}, {a.name} packed a basket of {a.food}.",
            self.move(a, place),
            self.scene(place),
            f"There {a.he} met {b.intro()}.",
        ]
        p2.append(f"{b.name} looked at the basket with big, hungry eyes.")
        p2.append(
            self.quote(
                b,
                f"Those {a.food} smell so good!"
                if a.food.endswith("s")
                else f"That {a.food} smells so good!",
            )
        )
        if a.trait in ("greedy", "grumpy", "proud", "stubborn", "bossy"):
            p3 = [
                self.quote(a, "They are all mine!", "said")
                if self.chance(0.5)
                else f"{a.name} hid the basket behind {a.his} back.",
                f"{b.name} walked away, {self.pick(lexicon.FEELINGS_BAD)}.",
                f"{a.name} ate alone, but the {a.food} did not taste as good as before.",
                f"{a.name} felt {self.pick(('lonely', 'sorry', 'ashamed'))}.",
                f"So {a.he} ran after {b.name}.",
                self.quote(a, "I am sorry. Will you share my food with me?", "said"),
            ]
            p4 = [
                f"{b.name} smiled, and they sat down together.",
                f"This time, the {a.food} tasted wonderful.",
            ]
            kindness = "learned to share"
        else:
            p3 = [
                self.quote(a, "Please have some. There is plenty for both of us.", "said"),
                f"{b.name}'s face lit up.",
                f"They sat {self.pick(('under a tree', 'on the grass', 'on a log', 'by the water'))} and shared the {a.food}.",
            ]
            p4 = [self.quote(b, "This is the best snack ever. Thank you!", "said")]
            kindness = "shared"
        p4 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3, p4]),
            "sharing",
            f"{a.name} Shares",
            f"{a.name} {kindness} {a.his} {a.food} with {b.name}.",
            (a.name, b.name),
        )

    def baking(self) -> Story:
        """Baking with a mishap and a fix, then sharing the result."""
        a = self.hero()
        b = self.world.friend_of(a)
        bake = self.pick(lexicon.BAKES)
        ings = self.rng.sample(lexicon.INGREDIENTS, 4)
        p1 = [self.opening(a)]
        p1.append(f"{self.pick(lexicon.TIMES)}, {a.name} wanted to bake {bake} for {b.name}.")
        p2 = [
            self.indoors(),
            f"{cap(a.he)} put on an apron and got out {ings[0]}, {ings[1]}, {ings[2]} and {ings[3]}.",
            self.pick(
                (
                    f"{a.name} mixed everything in a big bowl.",
                    f"{cap(a.he)} stirred and stirred until the batter was smooth.",
                    f"{a.name} poured, stirred and tasted.",
                )
            ),
        ]
        mishap = self.rng.random()
        if mishap < 0.33:
            p2 += [
                f"Oh no! {cap(a.he)} had forgotten the {ings[1]}.",
                f"{a.name} added it quickly and stirred again.",
            ]
        elif mishap < 0.66:
            p2 += [
                "The oven was too hot, and a smoky smell filled the kitchen.",
                f"{a.name} opened the window and started again, more {self.pick(('slowly', 'carefully'))} this time.",
            ]
        else:
            p2 += [
                f"{a.name} tripped, and the bowl of {ings[0]} flew into the air.",
                f"Everything was covered in {ings[0]}! {a.name} laughed, cleaned up, and began again.",
            ]
        p3 = [
            f"At last, the {bake.split(' ', 1)[1]} came out of the oven, warm and golden.",
            f"{a.name} carried it to {b.name}'s {HOME_WORD[b.kind]} {at(b.home)}.",
            self.quote(b, "You made this for me? Thank you!", self.pick(("said", "cried"))),
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "baking",
            title_case(f"{a.name} bakes {bake}"),
            f"{a.name} baked {bake} for {b.name}, and after a small mishap it turned out well.",
            (a.name, b.name),
        )

    def building(self) -> Story:
        """Making something that fails once and works with help."""
        a = self.hero()
        b = self.world.friend_of(a)
        c = self.other(a, b)
        thing, stuff, part = self.pick(lexicon.BUILDS)
        place = self.pick([n for n, *_ in facts.PLACES])
        p1 = [self.opening(a), self.trait_line(a)]
        p2 = [
            f"{self.pick(lexicon.TIMES)}, {a.name} decided to make {article(thing)} {thing} {at(place)}.",
            f"{cap(a.he)} gathered {stuff}.",
            self.quote(a, "This will be the finest one anyone has ever seen!"),
        ]
        p2.append(
            self.pick(
                (
                    "But when it was almost done, it wobbled and fell down with a crash.",
                    "But the pieces would not stay together, and everything tumbled down.",
                    "But a gust of wind knocked it over.",
                )
            )
        )
        p2.append(f"{a.name} felt {self.pick(('sad', 'cross', 'upset'))}.")
        p3 = [
            f"Then {b.name} and {c.intro()} came along.",
            self.quote(b, "We can help you!", "said"),
            f"{b.name} held the pieces steady, and {c.name} found more {part}.",
            "Working together, they built it again, bigger and stronger than before.",
        ]
        p4 = [f"This time, the {thing} stood firm."]
        p4 += self.ending(a, b, "proud")
        return Story(
            self.join([p1, p2, p3, p4]),
            "building",
            title_case(f"{a.name} builds {article(thing)} {thing}"),
            f"{a.name} tried to build {article(thing)} {thing}, it fell down, and with {b.name} and {c.name} it was built again.",
            (a.name, b.name, c.name),
        )

    def contest(self) -> Story:
        """A contest where patience and care beat hurry."""
        a = self.hero()
        b = self.other(a)
        name, verb, best, goal = self.pick(lexicon.CONTESTS)
        verb_a, verb_b = verb.format(his=a.his), verb.format(his=b.his)
        place = self.pick([n for n, *_ in facts.PLACES])
        p1 = [self.opening(a), self.trait_line(a)]
        p2 = [
            f"Every year there was a {name} {at(place)}.",
            f"This year, {a.name} wanted to win a shiny {self.pick(('ribbon', 'medal', 'cup', 'rosette'))}.",
            f"{b.title()} wanted to win too.",
        ]
        hurry = a.trait in ("impatient", "lazy", "proud", "bossy", "clumsy", "stubborn")
        if hurry:
            p3 = [
                f"{a.name} rushed and did not take care.",
                f"{b.name} {verb_b} slowly and carefully, step by step.",
                f"In the end, {b.name} had the {best}, and {b.name} won.",
                f"{a.name} was {self.pick(('sad', 'cross', 'disappointed'))} at first.",
                self.quote(b, "Next time we can practice together.", "said"),
                f"{a.name} smiled. Winning was not everything.",
            ]
            winner = b
        else:
            p3 = [
                f"{a.name} practiced every day for a week.",
                f"On the big day, {a.name} {verb_a} with all {a.his} heart.",
                f"Everyone cheered when {a.name} {goal}.",
                f"{a.name} had the {best}, and {a.he} won!",
                f"{b.name} clapped the loudest of all.",
            ]
            winner = a
        p4 = self.ending(a, b)
        return Story(
            self.join([p1, p2, p3, p4]),
            "contest",
            title_case(f"the {name}"),
            f"{a.name} and {b.name} entered the {name} {at(place)}, and {winner.name} won.",
            (a.name, b.name),
        )

    def mistake(self) -> Story:
        """Borrowing, breaking, hiding, telling the truth, mending."""
        a = self.hero()
        b = self.world.friend_of(a)
        t = b.treasure
        p1 = [
            self.opening(a),
            f"{b.name} had {article(t)} {t}, and {a.name} wished it was {a.hers}.",
        ]
        p2 = [
            f"{self.pick(lexicon.TIMES)}, {a.name} borrowed the {t} without asking.",
            f"{cap(a.he)} played with it {self.pick(('too roughly', 'in the rain', 'near the fence'))}, and it broke.",
            f"{a.name} hid the pieces under {a.his} bed.",
            f"All day {a.he} felt {self.pick(('sorry', 'ashamed', 'worried'))}, and {a.his} tummy felt funny.",
        ]
        p3 = [
            f"At last, {a.name} went to {b.name}.",
            self.quote(a, f"I took your {t} and I broke it. I am very sorry.", "said"),
            f"{b.name} was quiet for a moment.",
            self.quote(b, "Thank you for telling me the truth. Let's fix it together.", "said"),
            "So they got out a needle and thread and sewed up the tear."
            if b.treasure_soft
            else "So they got out the glue pot and stuck the pieces back together.",
            f"Soon the {t} was as good as new.",
        ]
        p4 = self.ending(a, b)
        return Story(
            self.join([p1, p2, p3, p4]),
            "mistake",
            f"{a.name} Tells the Truth",
            f"{a.name} broke {b.name}'s {t}, told the truth, and they mended it together.",
            (a.name, b.name),
        )

    def new_friend(self) -> Story:
        """A newcomer is shy until someone asks them to play."""
        a = self.hero()
        b = self.other(a)
        game = self.pick(lexicon.GAMES)
        p1 = [self.opening(a), self.fact_line(a)]
        p2 = [
            f"{self.pick(lexicon.TIMES)}, a new neighbor moved in next door.",
            f"It was {b.intro()}.",
            f"{b.name} stood alone and looked at {b.his} feet.",
        ]
        p3 = [
            f"{a.name} walked over {self.pick(lexicon.ADVERBS)}.",
            self.quote(a, f"Hello! I am {a.name}. Do you want to play {game}?", "asked"),
            f"{b.name} gave a small smile and nodded.",
            f"They played {game} until the sun went down.",
            self.quote(
                b,
                f"I was {self.pick(lexicon.FEELINGS_BAD)} today, but now I am {self.pick(lexicon.FEELINGS_GOOD)}.",
                "said",
            ),
        ]
        p4 = self.ending(a, b)
        return Story(
            self.join([p1, p2, p3, p4]),
            "friend",
            f"{a.name} Makes a Friend",
            f"{a.name} asked the new neighbor {b.name} to play {game}, and they became friends.",
            (a.name, b.name),
        )

    def shop_visit(self, shop: Shop | None = None) -> Story:
        """A visit to a shop, which is as good or as bad as it always is."""
        a = self.hero()
        b = self.world.friend_of(a)
        s = shop or self.pick(self.world.shops)
        owner = self.world.by_name[s.owner]
        p1 = [self.opening(a)]
        p1.append(
            f"{self.pick(lexicon.TIMES)}, {a.name} and {a.his} friend {b.name} went to {s.name} {at(s.place)}."
        )
        p1.append(
            f"{s.name[:1].upper() + s.name[1:]} was known for its {s.offers}, and {owner.title()} ran it."
        )
        f1, f2, f3 = s.facts
        p2 = [f"{cap(f1)}.", f"{cap(f2)}, and {f3}." if self.chance(0.5) else f"{cap(f2)}."]
        if s.good:
            p2.append(
                self.quote(
                    a, self.pick(("This is wonderful!", "I love it here!", "What a great place!"))
                )
            )
            p3 = [
                f"{a.name} and {b.name} left {self.pick(facts.LEAVE_GOOD)}.",
                f"They promised to come back to {s.name} very soon.",
            ]
            mood = "happy"
        else:
            p2.append(
                self.quote(
                    b,
                    self.pick(
                        ("This is awful!", "I don't like it here.", "What a terrible place!")
                    ),
                )
            )
            p3 = [
                f"{a.name} and {b.name} left {self.pick(facts.LEAVE_BAD)}.",
                f"Next time, they decided, they would stay at home instead of going to {s.name}.",
            ]
            mood = "tired"
        p3 += self.ending(a, b, mood)
        return Story(
            self.join([p1, p2, p3]),
            "shop",
            title_case(f"a visit to {s.name}"),
            f"{a.name} and {b.name} visited {s.name}, where {f1}.",
            (a.name, b.name),
        )

    def season_day(self) -> Story:
        """A day shaped by the season."""
        a = self.hero()
        b = self.world.friend_of(a)
        season = self.pick(list(lexicon.SEASONS))
        sight, act, treat = lexicon.SEASONS[season]
        place = self.pick([n for n, *_ in facts.PLACES])
        p1 = [self.opening(a)]
        p1.append(f"It was {season}, and {sight}.")
        p2 = [
            f"{a.name} and {a.his} friend {b.name} ran to {place} as fast as they could.",
            f"They {act} and laughed and laughed.",
            self.scene(place),
            self.quote(b, f"I love {season}!", "shouted"),
            self.quote(a, f"Me too! {cap(season)} is the best time of the year.", "said"),
        ]
        p3 = [
            f"When the day was over, they went home to enjoy {treat} and {a.food}.",
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "season",
            title_case(f"{a.name}'s {season} day"),
            f"In {season}, {a.name} and {b.name} {act} {at(place)}.",
            (a.name, b.name),
        )

    def bedtime(self) -> Story:
        """A sleepless night and a dream about the world's places."""
        a = self.hero()
        places = self.rng.sample([n for n, *_ in facts.PLACES], 3)
        p1 = [self.opening(a), f"One night, {a.name} could not fall asleep.", self.indoors()]
        p1.append(
            self.pick(
                (
                    f"{cap(a.he)} counted sheep, then stars, then {self.pick(lexicon.BIRDS)}.",
                    f"{cap(a.he)} tossed and turned in {a.his} bed.",
                    f"Outside, {self.pick(lexicon.SOUNDS)} kept {a.him} awake.",
                )
            )
        )
        p2 = [
            f"At last {a.his} eyes closed, and {a.name} began to dream.",
            f"In the dream, {a.he} could fly! {cap(a.he)} flew over {places[0]} and {places[1]}.",
            f"{cap(a.he)} landed softly {at(places[2])}, where the moon was as big as a {self.pick(('plate', 'wheel', 'pumpkin'))}.",
            self.quote(a, "I wish I could stay here forever.", "whispered"),
        ]
        p3 = [
            f"In the morning, {a.name} woke up feeling {self.pick(lexicon.FEELINGS_GOOD)}.",
            f"{cap(a.he)} told {self.world.friend_of(a).name} all about the dream over a bowl of {a.food}.",
        ]
        if self.chance(0.3):
            p3.append("The end.")
        return Story(
            self.join([p1, p2, p3]),
            "dream",
            f"{a.name}'s Dream",
            f"{a.name} could not sleep, then dreamed of flying over {places[0]} and {places[1]}.",
            (a.name,),
        )

    def birthday(self) -> Story:
        """A birthday party with a surprise and a present that fits the guest."""
        a = self.hero()
        b = self.world.friend_of(a)
        guests = [self.other(a, b) for _ in range(2)]
        things = self.rng.sample(lexicon.PARTY_THINGS, 3)
        gift = self.pick(lexicon.GIFTS)
        p1 = [
            self.opening(a),
            f"Tomorrow would be {a.name}'s birthday, and {a.he} could hardly wait.",
        ]
        p2 = [
            f"When the day came, {a.name}'s {HOME_WORD[a.kind]} was full of {things[0]}, {things[1]} and {things[2]}.",
            f"{b.name}, {guests[0].name} and {guests[1].intro()} all came to the party.",
            f"They played {self.pick(lexicon.GAMES)} and {self.pick(lexicon.GAMES)}.",
        ]
        p3 = [
            f"Then {b.name} gave {a.name} a box tied with {self.pick(lexicon.COLORS)} string.",
            f"Inside was {gift}!",
            self.quote(a, "How did you know? It is just what I wanted!", "cried"),
            self.quote(b, f"I know you love {a.hobby}, so I thought you would like it.", "said"),
            f"Last of all, there was a cake with {self.pick(('three', 'five', 'seven', 'six', 'four'))} candles.",
            f"{a.name} made a wish and blew them all out in one big puff.",
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "birthday",
            title_case(f"{a.name}'s birthday"),
            f"At {a.name}'s birthday party, {b.name} gave {a.him} {gift}.",
            (a.name, b.name),
        )

    def farm_day(self) -> Story:
        """Helping on the farm: every chore has a result."""
        a = self.hero()
        b = self.world.friend_of(a)
        farmer = self.other(a, b)
        chores = self.rng.sample(lexicon.CHORES, 3)
        p1 = [
            self.opening(a),
            f"{self.pick(lexicon.TIMES)}, {a.name} went to help {farmer.title()} at Foxglove Farm.",
        ]
        p2 = [self.quote(farmer, "There is a lot of work today. Will you help me?", "asked")]
        p2.append(self.quote(a, "Yes! I love the farm.", "said"))
        first = True
        for chore, result in chores:
            lead = "First" if first else self.pick(("Next", "Then", "After that"))
            first = False
            p2.append(f"{lead}, {a.name} {chore}, so {result}.")
        p3 = [
            f"By evening, {a.name} was tired but {self.pick(lexicon.FEELINGS_GOOD)}.",
            f"{farmer.name} gave {a.him} a basket of {self.pick(lexicon.VEGETABLES)} to take home.",
            self.quote(farmer, "Thank you. Hard work makes a farm grow.", "said"),
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "farm",
            title_case(f"{a.name} helps on the farm"),
            f"{a.name} helped {farmer.name} at Foxglove Farm: {a.he} {chores[0][0]} and {chores[1][0]}.",
            (a.name, farmer.name),
        )

    def garden(self) -> Story:
        """Seeds need water and time; patience brings a harvest."""
        a = self.hero()
        b = self.world.friend_of(a)
        veg = self.pick(lexicon.VEGETABLES)
        p1 = [
            self.opening(a),
            f"In spring, {a.name} planted a row of {singular(veg)} seeds in the garden.",
        ]
        p2 = [f"Every morning, {a.he} filled the watering can and gave the seeds a drink."]
        if a.trait in ("impatient", "lazy", "forgetful"):
            p2 += [
                f"But nothing came up, and {a.name} grew cross.",
                self.quote(a, "Why won't they grow?", "grumbled"),
                self.quote(b, "Seeds need water, sun and time. Just wait a little longer.", "said"),
            ]
        else:
            p2.append(
                f"{a.name} waited {self.pick(('patiently', 'quietly', 'happily'))} and pulled out every weed."
            )
        p2.append("One day, tiny green shoots poked up out of the soil.")
        p3 = [
            f"By the end of summer, the garden was full of {veg}.",
            f"{a.name} and {b.name} picked them and made a big pot of soup.",
            self.quote(b, "Food you grow yourself tastes the best.", "said"),
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "garden",
            title_case(f"{a.name}'s garden"),
            f"{a.name} planted {veg}, watered them every day, and made soup with {b.name}.",
            (a.name, b.name),
        )

    def wise_owl(self) -> Story:
        """A question and the wise owl's answer."""
        a = self.hero()
        q, answer = self.pick(lexicon.WHY)
        p1 = [self.opening(a), self.pick((f"{a.name} was full of questions.", self.fact_line(a)))]
        p2 = [
            f"{self.pick(lexicon.TIMES)}, {a.name} wondered {q}.",
            f'{cap(a.he)} asked {a.his} mother, but she said, "Go and ask the wise old owl."',
            self.move(a, "the Hollow Oak"),
            "That was where the owl lived.",
            self.quote(a, f"Owl, can you tell me {q}?", "asked"),
        ]
        p3 = [f'The owl blinked {self.pick(("slowly", "twice", "wisely"))} and said, "{answer}"']
        p3.append(
            self.pick(
                (
                    f"{a.name} thought about it all the way home.",
                    f"{a.name} thanked the owl and hurried off to tell {self.world.friend_of(a).name}.",
                    f'"I understand now," said {a.name}, and {a.he} smiled.',
                )
            )
        )
        p3 += self.ending(a, None)
        return Story(
            self.join([p1, p2, p3]),
            "why",
            title_case(f"{a.name} asks the owl"),
            f"{a.name} asked the wise owl {q}, and the owl explained it.",
            (a.name,),
        )

    def band(self) -> Story:
        """Friends start a band; practice turns noise into music."""
        a = self.hero()
        b = self.world.friend_of(a)
        c = self.other(a, b)
        i1, i2, i3 = self.rng.sample(lexicon.INSTRUMENTS, 3)
        p1 = [self.opening(a), f"{a.name} wanted to start a band."]
        p2 = [
            f"{a.name} played the {i1}, {b.name} played the {i2}, and {c.title()} played the {i3}.",
            "At first, their music sounded like a cat sitting on a piano.",
            self.quote(c, "That was terrible!", "laughed"),
            self.quote(a, "Let's practice every day. We will get better.", "said"),
        ]
        p3 = [
            "So they practiced every single afternoon.",
            f"Slowly the {i1}, the {i2} and the {i3} began to sound good together.",
            "At the end of the month, they played a concert in the Town Square.",
            "Everyone clapped and danced.",
        ]
        p3 += self.ending(a, b, "proud")
        return Story(
            self.join([p1, p2, p3]),
            "band",
            title_case(f"the {a.name} band"),
            f"{a.name}, {b.name} and {c.name} started a band and practiced until they could play a concert.",
            (a.name, b.name, c.name),
        )

    def treasure_hunt(self) -> Story:
        """Rhyming clues lead from place to place."""
        a = self.hero()
        b = self.world.friend_of(a)
        clues = self.rng.sample(lexicon.CLUES, 3)
        prize = self.pick(lexicon.GIFTS)
        p1 = [
            self.opening(a),
            f"{self.pick(lexicon.TIMES)}, {a.name} found a note under {a.his} door.",
        ]
        p1.append(f'It said: "Look {clues[0][0]}."')
        p2 = [
            self.quote(a, "A treasure hunt!", "shouted"),
            f"{a.name} and {b.name} ran to {clues[0][1]}.",
        ]
        for (_, place), (hint, _) in zip(clues[:-1], clues[1:]):
            p2.append(f'At {place} they found another note: "Now look {hint}."')
        p2.append(f"So they hurried to {clues[-1][1]}.")
        p3 = [
            f"There, in a little box, was {prize}.",
            f'A card said: "For {a.name}, from all your friends."',
            self.quote(b, "Surprise!", "laughed"),
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "hunt",
            title_case(f"{a.name}'s treasure hunt"),
            f"{a.name} and {b.name} followed clues from {clues[0][1]} to {clues[-1][1]} and found {prize}.",
            (a.name, b.name),
        )

    def sick_day(self) -> Story:
        """Feeling ill, being cared for, getting better."""
        a = self.hero()
        b = self.world.friend_of(a)
        ill, sign = self.pick(lexicon.SICK)
        cures = self.rng.sample(lexicon.CURES, 2)
        p1 = [self.opening(a), f"{self.pick(lexicon.TIMES)}, {a.name} woke up with {ill}."]
        p1.append(f"{cap(a.he)} {sign}, and {a.he} could not go out to play.")
        p2 = [
            self.indoors(),
            f"{a.name}'s mother tucked {a.him} into bed and brought {cures[0]}.",
            f"Later, {b.name} came to visit with {cures[1]} and some {self.pick(lexicon.FLOWERS)}.",
            self.quote(b, "I missed you today. Get well soon!", "said"),
        ]
        p3 = [
            f"{a.name} rested all day and all night.",
            f"The next morning, {a.he} felt much better and ran outside to find {b.name}.",
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "sick",
            title_case(f"{a.name} gets well"),
            f"{a.name} had {ill}, rested, and got better with help from {b.name}.",
            (a.name, b.name),
        )

    def school_day(self) -> Story:
        """A day at the village school."""
        a = self.hero()
        b = self.world.friend_of(a)
        teacher = self.other(a, b)
        (s1, d1), (s2, d2) = self.rng.sample(lexicon.SCHOOL, 2)
        p1 = [
            self.opening(a),
            f"Every morning, {a.name} walked to the little school {at(self.pick([n for n, *_ in facts.PLACES]))}.",
        ]
        p2 = [
            f"Their teacher was {teacher.title()}, who was very {teacher.trait}.",
            f"In the morning, the class had {s1}, and {a.name} {d1}.",
            f"After lunch, they had {s2}. {b.name} {d2}.",
            self.quote(teacher, "Well done, everyone!", "said"),
        ]
        p3 = [
            f"On the way home, {a.name} and {b.name} talked about all the things they had learned."
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "school",
            title_case(f"{a.name} at school"),
            f"At school, {a.name} had {s1} and {s2} with {teacher.name}.",
            (a.name, b.name, teacher.name),
        )

    def seaside(self) -> Story:
        """A day at the beach: the tide comes in and takes something away."""
        a = self.hero()
        b = self.world.friend_of(a)
        finds = self.rng.sample(lexicon.SEASIDE, 3)
        p1 = [
            self.opening(a),
            f"{self.pick(lexicon.TIMES)}, {a.name} and {b.name} went to Pebble Beach.",
        ]
        p2 = [
            self.scene("Pebble Beach"),
            f"They looked in the rock pools and found {finds[0]}, {finds[1]} and {finds[2]}.",
            "Then they built a tall sand castle with a moat and a flag on top.",
        ]
        p2.append(
            self.pick(
                (
                    "But the tide was coming in. Wave after wave rolled up the sand.",
                    "Slowly, quietly, the sea crept closer and closer.",
                )
            )
        )
        p2.append("Whoosh! A big wave washed the castle away.")
        p3 = [
            self.quote(b, "Our castle is gone!", "cried"),
            self.quote(
                a,
                "That's all right. The sea wanted a castle too. We can build another one tomorrow.",
                "said",
            ),
            "They laughed and ran home with their pockets full of treasures.",
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "seaside",
            title_case(f"{a.name} at the seaside"),
            f"{a.name} and {b.name} built a sand castle at Pebble Beach, and the tide washed it away.",
            (a.name, b.name),
        )

    def camping(self) -> Story:
        """A night under the stars."""
        a = self.hero()
        b = self.world.friend_of(a)
        acts = self.rng.sample(lexicon.CAMPING, 3)
        star = self.pick(lexicon.STARS)
        place = self.pick(("Starlight Hill", "Mossy Glen", "Moonlight Lake", "Clover Meadow"))
        p1 = [self.opening(a), f"{a.name} and {b.name} were going camping {at(place)}!"]
        p2 = [
            self.move(a, place),
            f"First they {acts[0]}. Then they {acts[1]}, and after that they {acts[2]}.",
        ]
        p2.append(self.scene(place))
        p3 = [
            f"When it was dark, {a.name} pointed at the sky.",
            self.quote(a, f"Look! That is {star}.", "whispered"),
            f"{b.name} had never seen so many stars.",
        ]
        if a.fear in (
            "the dark",
            "owls hooting at night",
            "the wind at night",
            "shadows on the wall",
        ):
            p3 += [
                f"Then {a.name} remembered that {a.he} was afraid of {a.fear}.",
                f"{b.name} moved closer, and the campfire crackled, and {a.name} felt safe.",
            ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "camping",
            title_case(f"camping {at(place)}"),
            f"{a.name} and {b.name} camped {at(place)} and looked at {star}.",
            (a.name, b.name),
        )

    def rainy_day(self) -> Story:
        """Stuck indoors, friends find something to do."""
        a = self.hero()
        b = self.world.friend_of(a)
        g1, g2 = self.rng.sample(lexicon.INDOOR_GAMES, 2)
        p1 = [
            self.opening(a),
            f"{self.pick(('One rainy day', 'One wet afternoon', 'One gray morning'))}, the rain would not stop.",
        ]
        p1.append(self.indoors())
        p2 = [
            self.quote(a, "There is nothing to do!", self.pick(("grumbled", "sighed", "said"))),
            f"Just then, {b.name} knocked on the door, dripping wet.",
            self.quote(b, "I have an idea.", "said"),
            f"So they {g1}. Then they {g2}.",
        ]
        p3 = [
            f"By the time the rain stopped, {a.name} did not even want to go outside.",
            self.quote(a, "Rainy days are fun after all.", "said"),
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "rainy",
            title_case(f"{a.name}'s rainy day"),
            f"On a rainy day, {a.name} and {b.name} {g1}.",
            (a.name, b.name),
        )

    def market(self) -> Story:
        """Counting coins at the market."""
        a = self.hero()
        (item1, p1c), (item2, p2c) = self.rng.sample(lexicon.MARKET, 2)
        coins = p1c + p2c + self.rng.randint(0, 3)
        left = coins - p1c - p2c
        n = lexicon.NUMBERS
        p1 = [
            self.opening(a),
            f"{self.pick(lexicon.TIMES)}, {a.name}'s mother sent {a.him} to the market in the Town Square.",
        ]
        p1.append(f"{cap(a.he)} had {n[coins]} coins in {a.his} pocket.")
        p2 = [
            f"First {a.name} bought {item1} for {n[p1c]} {'coin' if p1c == 1 else 'coins'}.",
            f"Then {a.he} bought {item2} for {n[p2c]} {'coin' if p2c == 1 else 'coins'}.",
            f"{a.name} counted carefully. There {'was' if left == 1 else 'were'} {n[left]} {'coin' if left == 1 else 'coins'} left.",
        ]
        if left:
            p2.append(
                f"With the rest, {a.name} bought a sticky bun, which {a.he} shared with a hungry sparrow."
            )
        else:
            p2.append("Every coin was spent, just right.")
        p3 = [f"{a.name}'s mother was proud that {a.he} had counted so well."]
        p3 += self.ending(a, None)
        return Story(
            self.join([p1, p2, p3]),
            "market",
            title_case(f"{a.name} goes to market"),
            f"{a.name} took {n[coins]} coins to market and bought {item1} and {item2}.",
            (a.name,),
        )

    def snow_day(self) -> Story:
        """Snow changes the whole village."""
        a = self.hero()
        b = self.world.friend_of(a)
        w1, w2 = self.rng.sample(lexicon.WINTER, 2)
        p1 = [self.opening(a), "One morning, everything outside was white."]
        p1.append(self.quote(a, "Snow!", "shouted"))
        p2 = [
            "{} put on {} and {} and ran out to find {}.".format(
                a.name, *self.rng.sample(lexicon.CLOTHES, 2), b.name
            ),
            f"Together they {w1}, and then they {w2}.",
            f"{cap(self.pick(lexicon.WILDLIFE))}, even in the snow."
            if self.chance(0.2)
            else "Their cheeks turned pink in the cold air.",
        ]
        p3 = ["When they came home, there were mugs of hot cocoa waiting for them."]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "snow",
            title_case(f"{a.name}'s snow day"),
            f"On a snowy day, {a.name} and {b.name} {w1}.",
            (a.name, b.name),
        )

    def river_trip(self) -> Story:
        """A rowing trip to an island."""
        a = self.hero()
        b = self.world.friend_of(a)
        r1, r2 = self.rng.sample(lexicon.RIVER, 2)
        p1 = [self.opening(a), f"{a.name} and {b.name} borrowed a little rowing boat at Riverbend."]
        p2 = [
            f"{b.name} rowed, and {a.name} held the map.",
            f"{cap(r1)}, and {r2}.",
            "At last they reached the little island in the middle of the river.",
            f"There they ate {a.food} under a willow tree and watched the water go by.",
        ]
        if "deep water" == a.fear:
            p2.append(
                f"{a.name} was afraid of deep water, so {a.he} sat very still in the middle of the boat."
            )
        p3 = ["As the sun went down, they rowed slowly home."]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "river",
            title_case(f"{a.name} on the river"),
            f"{a.name} and {b.name} rowed from Riverbend to the island and had a picnic.",
            (a.name, b.name),
        )

    def workshop(self) -> Story:
        """A visit to a grown-up at work; the trade's steps, a first try and a gift."""
        a = self.hero()
        workers = [c for c in self.world.cast if c.job and c.name != a.name]
        w = self.pick(workers)
        job, shop, stuff, steps, made = next(j for j in lexicon.JOBS if j[0] == w.job)
        p1 = [
            self.opening(a),
            f"{a.name} wondered what it would be like to be {article(job)} {job}.",
        ]
        p2 = [
            f"{self.pick(lexicon.TIMES)}, {a.name} visited {w.title()}, who was the {job} of the village.",
            f"{w.name}'s {shop} was full of {stuff}.",
            self.quote(w, "Come in! Watch closely, and then you can try.", "said"),
            f"First {w.name} {steps[0]}. Then {w.he} {steps[1]}. At last {w.he} {steps[2]}.",
            f"Before long, there was {made} on the bench.",
        ]
        if a.trait in ("clumsy", "impatient", "lazy", "silly"):
            p3 = [
                f"When it was {a.name}'s turn, {a.he} hurried, and everything went wrong.",
                f'{w.name} laughed kindly. "Slowly, slowly. Every {job} starts out like that."',
                f"The second time, {a.name} went step by step, and it worked.",
            ]
        else:
            p3 = [
                f"When it was {a.name}'s turn, {a.he} {self.pick(('copied every step', 'worked slowly and carefully', 'listened to every tip'))}.",
                f"{a.name} made {made} too. It was a little crooked, but {a.he} was proud of it.",
            ]
        p3.append(self.quote(a, f"When I grow up, I want to be {article(job)} {job}!", "said"))
        p3 += self.ending(a, w)
        return Story(
            self.join([p1, p2, p3]),
            "workshop",
            title_case(f"{a.name} and the {job}"),
            f"{a.name} visited {w.name} the {job} and learned to make {made}.",
            (a.name, w.name),
        )

    def nature_walk(self) -> Story:
        """A walk to collect small things and name what lives there."""
        a = self.hero()
        b = self.world.friend_of(a)
        place = self.pick([n for n, *_ in facts.PLACES])
        finds = self.rng.sample(lexicon.NATURE_FINDS, 3)
        size = self.pick(("big", "mossy", "hollow", "fallen", "old"))
        p1 = [
            self.opening(a),
            f"{self.pick(lexicon.TIMES)}, {a.name} and {b.name} went for a nature walk {at(place)}.",
        ]
        p2 = [
            self.move(a, place),
            self.scene(place),
            f"{a.name} found {finds[0]}, and {b.name} found {finds[1]}.",
            f"Under {article(size)} {size} log they discovered something special: it was {finds[2]}.",
            self.quote(b, "Let's make a nature table at home!", "said"),
            self.scene(place),
        ]
        p3 = [
            "Back home, they put everything in a row and wrote a little label for each thing.",
            f"{a.name}'s favorite was {finds[2]}.",
        ]
        p3 += self.ending(a, b)
        return Story(
            self.join([p1, p2, p3]),
            "nature",
            title_case(f"a walk {at(place)}"),
            f"{a.name} and {b.name} collected {finds[0]} and {finds[1]} {at(place)}.",
            (a.name, b.name),
        )
