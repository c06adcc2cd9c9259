"""Companion sets drawn from the story world, each in the format of the real data set it stands in for.

- sentiment reviews (`sentence<TAB>label`, as the UCI sentiment files): a shop's reviews are as good or
  as bad as the stories say the shop is;
- multiple-choice endings in HellaSwag's JSONL: the right ending follows from the world's facts
  (the tool that fixes a problem, a character's favorite food, a shop's reputation);
- instruction/response pairs in Alpaca JSON;
- a document set with planted near-duplicates and the true duplicate pairs.
"""

from __future__ import annotations

import random

from course_lib.data.minhash import (
    hash_shingles,
    jaccard,
    make_permutations,
    minhash_signatures,
    shingles,
)
from course_lib.data.stories.teller import Teller, places_for
from course_lib.data.stories.world import FACTS, WORDS, Character, Shop, World, article, at, cap

# ---------------------------------------------------------------------- sentiment


def review(shop: Shop, rng: random.Random) -> str:
    """One short review; its sentiment is the shop's, told through its facts and a verdict."""
    mood = "good" if shop.good else "bad"
    pool = getattr(FACTS["shop_kinds"][shop.kind], mood)
    fact_list = list(shop.facts) if rng.random() < 0.75 else rng.sample(pool, 2)
    opener = rng.choice(WORDS["review_openers"]).format(
        shop=shop.name,
        day=rng.choice(WORDS["days"]),
        kin=rng.choice(WORDS["kin"]),
        at=at(shop.place),
    )
    style = rng.random()
    verdicts = FACTS[f"verdicts_{mood}"]
    neutral = WORDS["neutral"]
    parts = [opener] if opener else []
    if style < 0.1:
        # Name only: the reader must know the shop from elsewhere.
        parts = [f"We went to {shop.name} again.", rng.choice(neutral) or "It was a busy day."]
        if rng.random() < 0.5:
            parts.append(rng.choice(verdicts))
    elif style < 0.55:
        parts.append(cap(rng.choice(fact_list)) + ".")
        parts.append(rng.choice(verdicts))
    elif style < 0.8:
        f1, f2 = rng.sample(fact_list, 2)
        parts.append(f"{cap(f1)}, and {f2}.")
        if rng.random() < 0.5:
            parts.append(rng.choice(verdicts))
    else:
        parts.append(cap(rng.choice(fact_list)) + ".")
        parts.append(rng.choice(neutral))
        parts.append(rng.choice(verdicts))
    text = " ".join(p for p in parts if p)
    if not opener and shop.name not in text:
        text = f"At {shop.name}, " + text[:1].lower() + text[1:]
    return text


def sentiment_rows(world: World, rng: random.Random, n: int) -> list[tuple[str, int]]:
    """n distinct reviews with labels 1 (positive) and 0 (negative), alternating (balanced, as the
    real sets are)."""
    by_label = {label: [s for s in world.shops if s.good == label] for label in (True, False)}
    rows: list[tuple[str, int]] = []
    seen: set[str] = set()
    tries = 0
    while len(rows) < n and tries < 50 * n:
        tries += 1
        shop = rng.choice(by_label[len(rows) % 2 == 0] or world.shops)
        text = review(shop, rng)
        if text in seen:
            continue
        seen.add(text)
        rows.append((text, 1 if shop.good else 0))
    return rows


# ---------------------------------------------------------------------- multiple choice


def _problem_item(teller: Teller) -> dict:
    s, (_, p2, p3) = teller.tell("problem_setup")
    p, decoy = s["p"], s["decoy"]
    rng = teller.rng
    others = rng.sample([q for q in FACTS["problems"] if q.tool not in (p.tool, decoy.tool)], 2)
    # the moment the tool is needed, told as the stories tell it: most name the tool, some leave
    # the reader to know which one fixes this trouble
    carrier = s["carrier"].name
    pivot = rng.choice(
        [
            f"Then {carrier} remembered the {p.tool}.",
            f'"Don\'t worry, I have the {p.tool}!" said {carrier}.',
            f"Luckily, {carrier} had brought the {p.tool}.",
            f"Then {carrier} had an idea.",
            f"{carrier} knew just what to do.",
        ]
    )
    return {
        "activity_label": p.label,
        # the going and the two tools packed (the scenery left out, so that context and ending fit
        # a small model's window), the trouble, and the moment the right tool is needed
        "ctx_a": " ".join([*p2[:3], *p3, pivot]),
        "ctx_b": s["carrier"].name,
        "endings": [f"{q.fix}. {q.result}." for q in (p, decoy, *others)],
    }


def _food_item(teller: Teller) -> dict:
    a = teller.hero()
    rng = teller.rng
    foods = [a.food] + rng.sample([f for f in WORDS["foods"] if f != a.food], 3)
    opening = " ".join(teller.tell("opening", a=a)[1][0])
    ctx_a = (
        f"{opening} {a.name} spent the whole morning {a.hobby}. "
        f"By lunchtime {a.he} was very hungry."
    )
    endings = [f"had some {f}, which {a.he} loved more than anything." for f in foods]
    return {
        "activity_label": "Eating a favorite food",
        "ctx_a": ctx_a,
        "ctx_b": f"{cap(a.he)} ran home and",
        "endings": endings,
    }


# what a visitor says of a good (True) or a bad shop in the stories' shop visits
REACTIONS = {
    True: ['"This is wonderful!"', '"I love it here!"', '"What a great place!"'],
    False: ['"This is awful!"', '"I don\'t like it here."', '"What a terrible place!"'],
}


def _shop_item(teller: Teller) -> dict:
    rng = teller.rng
    a = teller.hero()
    b = teller.world.friend_of(a)
    shop = rng.choice(teller.world.shops)
    right, wrong = ("good", "bad") if shop.good else ("bad", "good")
    endings = [rng.choice(FACTS[f"leave_{right}"]) + "."] + [
        e + "." for e in FACTS[f"leave_{wrong}"]
    ]
    return {
        "activity_label": "Visiting a shop",
        "ctx_a": (
            f"{a.name} and {b.name} went to {shop.name} {at(shop.place)} for {shop.offers}. "
            f"{cap(rng.choice(shop.facts))}. {rng.choice(REACTIONS[shop.good])}"
        ),
        "ctx_b": f"After a while, {a.name} and {b.name} left",
        "endings": endings,
    }


def hellaswag_items(teller: Teller, n: int, split: str = "val") -> list[dict]:
    """n items in HellaSwag's JSONL shape; endings[label] is the one the world supports."""
    items = []
    seen: set[str] = set()
    rng = teller.rng
    while len(items) < n:
        r = rng.random()
        item = (
            _problem_item(teller)
            if r < 0.6
            else _food_item(teller)
            if r < 0.8
            else _shop_item(teller)
        )
        key = item["ctx_a"] + item["ctx_b"]
        if key in seen:
            continue
        seen.add(key)
        right = item["endings"][0]
        endings = item["endings"][:]
        rng.shuffle(endings)
        ind = len(items)
        items.append(
            {
                "ind": ind,
                "activity_label": item["activity_label"],
                "ctx_a": item["ctx_a"],
                "ctx_b": item["ctx_b"],
                "ctx": f"{item['ctx_a']} {item['ctx_b']}",
                "split": split,
                "split_type": "indomain",
                "label": endings.index(right),
                "endings": endings,
                "source_id": f"storyworld~{teller.world.seed}-{ind}",
            }
        )
    return items


# ---------------------------------------------------------------------- instructions


def _qa(world: World, a: Character, rng: random.Random) -> tuple[str, str]:
    f = world.friend_of(a)
    kinds = [
        (f"What is {a.name} afraid of?", f"{a.name} is afraid of {a.fear}."),
        (f"Where does {a.name} live?", f"{a.name} lives {at(a.home)}."),
        (f"What is {a.name}'s favorite food?", f"{a.name}'s favorite food is {a.food}."),
        (f"Who is {a.name}'s best friend?", f"{a.name}'s best friend is {f.title}."),
        (
            f"What kind of character is {a.name}?",
            f"{a.name} is {article(a.trait)} {a.trait} {a.kind}.",
        ),
        (f"What does {a.name} look like?", f"{a.name} has {a.look}."),
        (f"What does {a.name} like to do?", f"{a.name} likes {a.hobby}."),
    ]
    return rng.choice(kinds)


def alpaca_items(teller: Teller, n: int) -> list[dict]:
    """n instruction/response pairs in Alpaca's JSON shape, all answered from the world."""
    rng = teller.rng
    world = teller.world
    out: list[dict] = []
    while len(out) < n:
        r = rng.random()
        if r < 0.5:
            st = teller.story()
            if r < 0.25:
                task = (f'Write a short story for children titled "{st.title}".', "", st.text)
            elif r < 0.4:
                task = ("Summarize this story in one sentence.", st.text, st.summary)
            else:
                task = ("Give this story a short title.", st.text, st.title)
        elif r < 0.7:
            q, ans = _qa(world, rng.choice(world.cast), rng)
            task = (q, "", ans)
        elif r < 0.8:
            p = rng.choice(FACTS["problems"])
            place = rng.choice(places_for(p))
            task = (
                "What should the friends use to solve this problem, and what happens?",
                rng.choice(p.setups).format(who="the friends", place=place),
                f"They should use the {p.tool}. Someone {p.fix}. {p.result}.",
            )
        elif r < 0.9:
            shop = rng.choice(world.shops)
            answer = "Positive." if shop.good else "Negative."
            task = ("Is this review positive or negative?", review(shop, rng), answer)
        else:
            mc = _problem_item(teller)
            task = (
                "Continue the story with one or two sentences.",
                f"{mc['ctx_a']} {mc['ctx_b']}",
                f"{mc['ctx_b']} {mc['endings'][0]}",
            )
        out.append(dict(zip(("instruction", "input", "output"), task)))
    return out


# ---------------------------------------------------------------------- planted near-duplicates


def near_copy(text: str, rng: random.Random) -> str:
    """A lightly edited copy: one or two of word swaps, a dropped sentence, an added line, spacing."""
    ops = rng.sample(["swap", "drop", "add_head", "add_tail", "para", "space"], rng.choice((1, 2)))
    out = text
    if "drop" in ops:
        sentences = out.split(". ")
        if len(sentences) > 8:
            del sentences[rng.randrange(1, len(sentences) - 1)]
        out = ". ".join(sentences)
    if "swap" in ops:
        words = out.split(" ")
        for i, w in enumerate(words):
            if w in WORDS["swaps"] and rng.random() < 0.5:
                words[i] = WORDS["swaps"][w]
        out = " ".join(words)
    if "add_head" in ops:
        out = rng.choice(WORDS["copy_heads"]) + out
    if "add_tail" in ops:
        out = out + rng.choice(WORDS["copy_tails"])
    if "para" in ops:
        out = out.replace("\n", "\n\n")
    if "space" in ops:
        out = out.replace(", ", " , ")
    return out


def _far_apart_stories(teller: Teller, n: int, max_jaccard: float = 0.3) -> list[str]:
    """n stories of 100+ words, no two with word 5-shingle Jaccard >= max_jaccard.

    The generator sometimes tells nearly the same story twice; screening them out leaves the planted
    copies as the only duplicates. New stories are checked against earlier ones that share an LSH
    bucket (32 bands of 2 rows catch a pair at Jaccard 0.3 with probability 0.95, at 0.45 with 0.999).
    """
    a, b = make_permutations(64, seed=12345)
    bands, rows = 32, 2
    buckets: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]
    texts: list[str] = []
    sets: list[set[str]] = []
    while len(texts) < n:
        text = teller.story().text
        if len(text.split()) < 100:
            continue
        sh = shingles(text, 5)
        sig = minhash_signatures([hash_shingles(sh)], a, b)[0]
        keys = [sig[i * rows : (i + 1) * rows].tobytes() for i in range(bands)]
        near = {c for band, key in enumerate(keys) for c in buckets[band].get(key, ())}
        if any(jaccard(sh, sets[c]) >= max_jaccard for c in near):
            continue
        for band, key in enumerate(keys):
            buckets[band].setdefault(key, []).append(len(texts))
        texts.append(text)
        sets.append(sh)
    return texts


def dedup_docs(
    teller: Teller, n_docs: int, dup_fraction: float = 0.1
) -> tuple[list[dict], list[tuple[str, str, str]]]:
    """Documents with planted duplicates, and every true duplicate pair (a, b, exact|near)."""
    rng = teller.rng
    n_sources = max(1, int(n_docs * dup_fraction / 1.5))
    n_base = n_docs - int(n_sources * 1.5)
    base = _far_apart_stories(teller, n_base)
    groups: list[list[tuple[str, str]]] = [[(t, "source")] for t in base]
    for gi in rng.sample(range(len(base)), n_sources):
        k = 1 if rng.random() < 0.5 else 2
        for _ in range(k):
            if rng.random() < 0.25:
                groups[gi].append((base[gi], "exact"))
            else:
                groups[gi].append((near_copy(base[gi], rng), "near"))
    flat = [(gi, text, kind) for gi, g in enumerate(groups) for text, kind in g]
    rng.shuffle(flat)
    docs = []
    members: dict[int, list[tuple[str, str]]] = {}
    for i, (gi, text, _) in enumerate(flat):
        doc_id = f"doc-{i:05d}"
        docs.append({"id": doc_id, "text": text})
        members.setdefault(gi, []).append((doc_id, text))
    truth: list[tuple[str, str, str]] = []
    for gi in sorted(members):
        m = sorted(members[gi])
        for x in range(len(m)):
            for y in range(x + 1, len(m)):
                kind = "exact" if m[x][1] == m[y][1] else "near"
                truth.append((m[x][0], m[y][0], kind))
    return docs, truth
