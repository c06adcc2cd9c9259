"""Domains of the embedded story corpus: each story's plot, recovered by telling the split again.

The story files hold only text, but the generator is seeded: telling a split's random stream again
(`course_lib.data.embedded.story_stream`) gives the same stories in the same order, each with its
plot (`Story.kind`). A story the builder skipped (a repeat, or one already in an earlier split) is
skipped here too: the file's stories are a subsequence of the stream, matched text for text, so
every tag is checked against the file rather than assumed. `DOMAINS` groups the plots into three
domains by what the stories are about; the grouping is the course's choice, not the generator's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from course_lib.checks import check_choice, check_int, check_type, read_json
from course_lib.data.embedded import GENERATOR_VERSION, SPLITS, story_stream
from course_lib.data.loaders import iter_stories
from course_lib.data.stories.teller import PLOTS, Teller
from course_lib.data.stories.world import build_world

# every plot of plots.yaml in exactly one domain (tests/test_merging_domains.py checks it)
DOMAINS: dict[str, tuple[str, ...]] = {
    "outdoors": (
        "season", "farm", "garden", "hunt", "seaside", "camping", "rainy", "snow", "river",
        "nature",
    ),
    "making": ("shop", "baking", "building", "contest", "band", "market", "workshop"),
    "people": (
        "problem", "lost", "fear", "sharing", "mistake", "friend", "dream", "birthday", "why",
        "sick", "school",
    ),
}  # fmt: skip
# the builder never skips this many stories in a row; more means the file is not its output
MAX_SKIPPED = 10_000


@dataclass(frozen=True)
class TaggedStory:
    """A story of a split file with the plot it was told from."""

    text: str
    kind: str


def check_domains(domains: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """{plot: domain} of a grouping that puts every known plot in exactly one domain."""
    check_type("domains", domains, Mapping, "a dict {domain: plots}")
    owner: dict[str, str] = {}
    for name, kinds in domains.items():
        check_type(f"domains[{name!r}]", kinds, list | tuple, "a list of plot names")
        for kind in kinds:
            if kind not in PLOTS["plots"]:
                raise ValueError(f"domains[{name!r}] names unknown plot {kind!r}")
            if kind in owner:
                raise ValueError(f"plot {kind!r} is in two domains: {owner[kind]!r} and {name!r}")
            owner[kind] = name
    missing = sorted(set(PLOTS["plots"]) - set(owner))
    if missing:
        raise ValueError(f"plots {missing} are in no domain: give each plot one domain")
    return owner


def embedded_seed(data_dir: str | Path) -> int:
    """The seed an embedded data folder was built with, after checking it was built by this
    generator version (only then does telling it again give the same stories)."""
    manifest = read_json(Path(data_dir) / "manifest.json", "embedded data manifest")
    if manifest.get("generator") != "course_lib.data.embedded":
        raise ValueError(
            f"{data_dir} is not an embedded data build: story plots can only be recovered for "
            "the embedded corpus"
        )
    if manifest.get("version") != GENERATOR_VERSION:
        raise ValueError(
            f"{data_dir} was built by generator version {manifest.get('version')}, this library "
            f"tells version {GENERATOR_VERSION}: rebuild the data folder"
        )
    return int(manifest["seed"])


def tagged_stories(data_dir: str | Path, split: str, limit: int | None = None) -> list[TaggedStory]:
    """The stories of `stories_<split>.txt` in file order, each with its plot (at most `limit`)."""
    check_choice("split", split, SPLITS)
    if limit is not None:
        check_int("limit", limit, minimum=1)
    seed = embedded_seed(data_dir)
    teller = Teller(build_world(seed), story_stream(seed, split))
    out: list[TaggedStory] = []
    for text in iter_stories(Path(data_dir) / f"stories_{split}.txt"):
        if limit is not None and len(out) >= limit:
            break
        for _ in range(MAX_SKIPPED):
            story = teller.story()
            if story.text.strip() == text:
                out.append(TaggedStory(text, story.kind))
                break
        else:
            raise ValueError(
                f"story {len(out)} of stories_{split}.txt is not in its split's stream: the file "
                "was changed after the build"
            )
    return out


def stories_by_domain(
    stories: list[TaggedStory], domains: Mapping[str, tuple[str, ...]] = DOMAINS
) -> dict[str, list[str]]:
    """The story texts of each domain, in file order."""
    owner = check_domains(domains)
    check_type("stories", stories, list | tuple, "a list of TaggedStory")
    out: dict[str, list[str]] = {name: [] for name in domains}
    for story in stories:
        check_type("story", story, TaggedStory, "a TaggedStory")
        out[owner[story.kind]].append(story.text)
    return out
