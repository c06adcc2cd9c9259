"""The world's fixed facts: places, shops with their good or bad ways, and problems with their fixes.

These tables are what makes the companion sets learnable: a problem is always solved by the same
tool, and a shop is always good or always bad in the same ways, in the stories and in the reviews.
"""

from __future__ import annotations

from dataclasses import dataclass

# Outdoor places: (name, kind, preposition, things seen there).
PLACES = [
    ("the Willow Pond", "pond", "by", ("lily pads", "tall reeds", "a family of ducks")),
    (
        "Maple Hill",
        "hill",
        "on",
        ("a bench at the top", "a view of the whole valley", "red leaves"),
    ),
    ("the Whispering Woods", "woods", "in", ("mossy logs", "tall pines", "a hidden path")),
    ("Bramble Lane", "lane", "on", ("blackberry bushes", "a crooked fence", "a red mailbox")),
    ("the Old Mill", "mill", "at", ("a creaking wheel", "sacks of grain", "a dusty loft")),
    ("Clover Meadow", "meadow", "in", ("clover flowers", "humming bees", "soft green grass")),
    ("the Crooked Bridge", "bridge", "on", ("wobbly planks", "a rushing stream", "mossy rails")),
    ("Pebble Beach", "beach", "on", ("smooth pebbles", "crabs in pools", "seaweed")),
    ("the Echo Cave", "cave", "in", ("dripping rocks", "a cool breeze", "a deep echo")),
    ("Foxglove Farm", "farm", "at", ("a red barn", "a muddy pig pen", "rows of cabbages")),
    ("the Misty Marsh", "marsh", "in", ("croaking frogs", "soft mud", "cattails")),
    ("Acorn Park", "park", "in", ("a swing set", "a round pond", "a sandbox")),
    ("the Town Square", "square", "in", ("a fountain", "a clock tower", "market stalls")),
    ("Riverbend", "riverbank", "at", ("a sandy bank", "a rope swing", "fishing boats")),
    ("the Hollow Oak", "tree", "by", ("a hole in the trunk", "wide branches", "an owl's door")),
    ("Starlight Hill", "hill", "on", ("a flat rock for star gazing", "cool grass", "a wide sky")),
    ("the Berry Patch", "garden", "in", ("ripe berries", "prickly stems", "busy bees")),
    ("Thistle Field", "field", "in", ("purple thistles", "a scarecrow", "a stone wall")),
    ("the Old Lighthouse", "lighthouse", "at", ("a winding stair", "a huge lamp", "salty wind")),
    ("Sunflower Garden", "garden", "in", ("tall sunflowers", "a watering can", "a sundial")),
    ("the Snowy Peak", "mountain", "on", ("deep snow", "icy rocks", "a little hut")),
    ("Moonlight Lake", "lake", "by", ("a wooden dock", "silver fish", "still water")),
    ("Mossy Glen", "glen", "in", ("ferns", "a trickling spring", "toadstools")),
    ("Windy Ridge", "ridge", "on", ("strong gusts", "a kite tangled on a bush", "bare rocks")),
]

# Shop kinds: (what it sells or offers, good facts, bad facts). A world makes each shop good or bad.
SHOP_KINDS = {
    "Bakery": (
        "bread and buns",
        [
            "the bread was still warm from the oven",
            "the honey buns were soft and sweet",
            "the baker gave every child a free cookie",
            "the shop smelled of cinnamon and butter",
            "the pies had crisp golden crusts",
        ],
        [
            "the bread was hard as a stone",
            "the buns tasted stale and dusty",
            "the baker grumbled and never smiled",
            "there was a burnt smell in the shop",
            "the pies were soggy and cold",
        ],
    ),
    "Cafe": (
        "soup and tea",
        [
            "the soup was hot and tasty",
            "the tea came with a little jug of honey",
            "the waiter was friendly and quick",
            "the tables were clean and bright",
            "the sandwiches were big and fresh",
        ],
        [
            "the soup was cold and far too salty",
            "the tea was weak and bitter",
            "we waited an hour for our food",
            "the tables were sticky and dirty",
            "the waiter was rude to us",
        ],
    ),
    "Toy Shop": (
        "toys and games",
        [
            "the shelves were full of wonderful toys",
            "the owner let us try every game",
            "the wooden trains were beautifully made",
            "the prices were fair and low",
            "the dolls had lovely hand-sewn dresses",
        ],
        [
            "the toys broke the very same day",
            "the owner shooed us out of the shop",
            "the shelves were dusty and half empty",
            "everything cost far too much",
            "the paint on the toys was peeling",
        ],
    ),
    "Library": (
        "books and stories",
        [
            "the librarian read us a wonderful story",
            "the chairs were soft and cozy",
            "there were books about every animal",
            "it was calm and quiet inside",
            "the reading corner had big warm cushions",
        ],
        [
            "the librarian hushed us all the time",
            "the chairs were hard and wobbly",
            "half the pages were torn out of the books",
            "the roof leaked onto the tables",
            "it was cold and gloomy inside",
        ],
    ),
    "Inn": (
        "beds for tired travellers",
        [
            "the beds were soft and warm",
            "the fire crackled all night long",
            "breakfast was hearty and delicious",
            "the rooms were tidy and snug",
            "the innkeeper welcomed us with a smile",
        ],
        [
            "the beds were lumpy and damp",
            "the rooms were drafty and cold",
            "breakfast was burnt and greasy",
            "mice ran across the floor at night",
            "the innkeeper forgot our room",
        ],
    ),
    "Ice Cream Stand": (
        "ice cream",
        [
            "the ice cream was creamy and cold",
            "there were twenty yummy flavors",
            "the cones were crunchy and sweet",
            "the scoops were huge",
            "the lady at the stand was very kind",
        ],
        [
            "the ice cream was melted and runny",
            "the cones were soft and soggy",
            "there were only two dull flavors",
            "the scoops were tiny",
            "the man at the stand was cross with us",
        ],
    ),
    "Puppet Theater": (
        "puppet shows",
        [
            "the puppets were funny and clever",
            "we laughed from start to finish",
            "the songs were catchy and cheerful",
            "the seats had a perfect view",
            "the show ended with a happy surprise",
        ],
        [
            "the puppets kept falling over",
            "the story was dull and confusing",
            "the songs were too loud and screechy",
            "we could not see past the big post",
            "the show ended far too soon",
        ],
    ),
    "Tea Room": (
        "cakes and tea",
        [
            "the cakes were light and fluffy",
            "the cups were pretty and painted with flowers",
            "the garden tables had a lovely view",
            "the scones came with fresh cream",
            "the staff were gentle and polite",
        ],
        [
            "the cakes were dry and crumbly",
            "the cups were chipped and cracked",
            "wasps buzzed around every table",
            "the scones were heavy as bricks",
            "the staff ignored us",
        ],
    ),
    "Boat Rides": (
        "rides on the water",
        [
            "the boats were safe and sturdy",
            "the captain sang sea songs for us",
            "we saw otters and swans on the way",
            "the ride was smooth and calm",
            "the life vests fit us perfectly",
        ],
        [
            "the boats leaked and we got soaked",
            "the captain yelled at the children",
            "the ride was bumpy and made us sick",
            "the life vests smelled of old fish",
            "we waited all morning on the dock",
        ],
    ),
    "Market Stall": (
        "fruit and vegetables",
        [
            "the apples were crisp and juicy",
            "the berries were ripe and sweet",
            "the farmer gave us a fair price",
            "everything was fresh from the fields",
            "the carrots were crunchy and bright",
        ],
        [
            "the apples were bruised and soft",
            "the berries were moldy",
            "the farmer charged us twice",
            "the lettuce was brown and wilted",
            "the carrots were rubbery and old",
        ],
    ),
}

SHOP_NAME_PARTS = [
    "Honey Pot",
    "Golden Spoon",
    "Rusty Kettle",
    "Blue Door",
    "Silver Bell",
    "Crooked Chimney",
    "Happy Acorn",
    "Sleepy Owl",
    "Red Lantern",
    "Green Gate",
    "Copper Pan",
    "Painted Pony",
    "Little Star",
    "Old Oak",
    "Cozy Corner",
    "Windmill",
    "Bright Button",
    "Dusty Boot",
    "Merry Mole",
    "Twisted Twig",
    "Pepper Pot",
    "Lucky Clover",
    "Round Robin",
    "Velvet Plum",
    "Whistling Kettle",
    "Three Wishes",
    "Sunny Side",
    "Polka Dot",
    "Candle End",
    "Lazy Daisy",
]

# How visitors leave a good or a bad shop; stories and multiple-choice endings share these.
LEAVE_GOOD = [
    "with happy smiles and promised to come back very soon",
    "with big smiles and told all their friends about it",
    "feeling cheerful and already planning their next visit",
]
LEAVE_BAD = [
    "feeling grumpy and decided to stay at home next time",
    "feeling disappointed and told their friends to stay away",
    "feeling cross and wished they had never gone",
]

VERDICTS_GOOD = [
    "We will come back soon!",
    "I loved every minute.",
    "Five stars from our whole family.",
    "It was the best day of the summer.",
    "Everyone should go there.",
    "What a treat!",
    "I can't wait to visit again.",
    "We left with big smiles.",
    "It is my new favorite place.",
    "Highly recommended.",
]
VERDICTS_BAD = [
    "We will not go back.",
    "I would not go again.",
    "What a waste of a Saturday.",
    "It was the worst day of the summer.",
    "Stay away from it.",
    "Never again!",
    "I want my money back.",
    "We left feeling grumpy.",
    "It is my least favorite place.",
    "Not recommended at all.",
]


@dataclass(frozen=True)
class Problem:
    """A trouble that comes up in a story and the one tool that fixes it."""

    key: str
    tool: str  # noun phrase after "the"
    places: tuple[str, ...]  # place kinds where it happens
    setups: tuple[str, ...]  # sentences; {who} is the group, {place} the place name
    fix: str  # what the tool holder did, after the name: "lit the lantern"
    result: str  # what happened next
    bad_feeling: str
    good_feeling: str
    label: str  # activity label for the multiple-choice set


PROBLEMS = [
    Problem(
        "dark",
        "lantern",
        ("cave", "woods", "mill", "lighthouse"),
        (
            "Soon it grew so dark that {who} could not see the path.",
            "Inside {place} it was as dark as a pocket.",
            "The sun went down, and everything turned black.",
        ),
        "lit the lantern",
        "A warm yellow glow filled the air, and the path appeared again",
        "scared",
        "safe",
        "Finding the way in the dark",
    ),
    Problem(
        "rain",
        "umbrella",
        ("meadow", "lane", "park", "square", "field", "garden"),
        (
            "Big gray clouds rolled in, and rain began to pour.",
            "Drip, drop, splash! A heavy shower came down on {place}.",
            "All at once the sky opened and it started to rain hard.",
        ),
        "opened the umbrella",
        "The rain drummed on top of it, but everyone underneath stayed dry",
        "wet",
        "cozy",
        "Staying dry in the rain",
    ),
    Problem(
        "tree",
        "ladder",
        ("park", "tree", "farm", "garden", "woods"),
        (
            "A tiny kitten was stuck high up in a tree and could not get down.",
            "The poor kitten mewed from the top branch, too scared to climb down.",
            "High in the branches, a little kitten was crying for help.",
        ),
        "set up the ladder",
        "One careful step at a time, the kitten was carried safely down to the ground",
        "worried",
        "relieved",
        "Rescuing a kitten from a tree",
    ),
    Problem(
        "lost",
        "map",
        ("woods", "marsh", "glen", "ridge", "field"),
        (
            "Every path looked the same, and {who} did not know which way was home.",
            "The trail split into three, and nobody could remember the way back.",
            "After a while {who} realized they were lost.",
        ),
        "unfolded the map",
        "The map showed the right trail, and soon the rooftops of home came into view",
        "lost",
        "glad",
        "Finding the way home",
    ),
    Problem(
        "cold",
        "wool blanket",
        ("mountain", "hill", "lake", "ridge", "beach"),
        (
            "An icy wind began to blow, and {who} started to shiver.",
            "It was so cold that their noses turned pink and their teeth chattered.",
            "Snowflakes swirled around {place}, and the air grew bitter cold.",
        ),
        "spread out the wool blanket",
        "Wrapped up together, everyone was warm again in no time",
        "cold",
        "warm",
        "Keeping warm in the cold",
    ),
    Problem(
        "hungry",
        "picnic basket",
        ("hill", "meadow", "beach", "lake", "riverbank", "park"),
        (
            "After the long walk, everyone's tummy began to rumble.",
            "By noon {who} were so hungry they could hardly think.",
            "Grumble, grumble went their bellies far from any kitchen.",
        ),
        "opened the picnic basket",
        "There was plenty of food inside, and they all ate until they were full",
        "hungry",
        "full",
        "Having a picnic",
    ),
    Problem(
        "dry",
        "watering can",
        ("garden", "farm", "field"),
        (
            "The flowers were drooping, and the soil was dry and cracked.",
            "It had not rained for weeks, and the little plants were thirsty.",
            "The leaves in the garden had turned brown and limp.",
        ),
        "filled the watering can",
        "The thirsty plants drank deeply, and by evening they stood tall again",
        "sad",
        "cheerful",
        "Gardening",
    ),
    Problem(
        "locked",
        "brass key",
        ("mill", "farm", "lighthouse", "square"),
        (
            "The old door was locked tight, and no one could open it.",
            "They pushed and pulled, but the heavy door would not budge.",
            "A big rusty lock hung on the door.",
        ),
        "turned the brass key",
        "With a click and a creak, the door swung open",
        "stuck",
        "pleased",
        "Opening a locked door",
    ),
    Problem(
        "torn",
        "needle and thread",
        ("square", "park", "farm", "meadow"),
        (
            "With a loud rip, the teddy bear's arm tore at the seam.",
            "The kite's cloth caught on a branch and ripped in two.",
            "A big hole appeared in the sack, and beans spilled everywhere.",
        ),
        "took out the needle and thread",
        "Stitch by stitch, the tear was sewn up as good as new",
        "upset",
        "happy",
        "Mending something torn",
    ),
    Problem(
        "hurt",
        "bandage",
        ("park", "lane", "hill", "woods", "beach"),
        (
            "Someone tripped on a root and scraped a knee.",
            "There was a yelp as a sharp stone cut a little paw.",
            "Ouch! A thorn scratched an arm, and it began to sting.",
        ),
        "wrapped the bandage around it",
        "The hurt felt better at once, and soon they were smiling again",
        "hurt",
        "better",
        "Caring for a scrape",
    ),
    Problem(
        "pond",
        "fishing net",
        ("pond", "lake", "park", "riverbank"),
        (
            "The ball bounced away and landed in the middle of the pond.",
            "Plop! The toy boat drifted far out onto the water.",
            "A hat blew off and floated away across the water.",
        ),
        "reached out with the fishing net",
        "With one long scoop, the lost thing was pulled back to shore",
        "worried",
        "delighted",
        "Getting something back from the water",
    ),
    Problem(
        "snow",
        "shovel",
        ("mountain", "lane", "square", "farm"),
        (
            "Deep snow had piled up in front of the door overnight.",
            "The path was buried under a thick white blanket of snow.",
            "Snow drifts as tall as a fence blocked the way.",
        ),
        "dug with the shovel",
        "Scoop by scoop, a clear path appeared through the snow",
        "stuck",
        "proud",
        "Clearing snow",
    ),
    Problem(
        "sun",
        "straw hat",
        ("beach", "field", "meadow", "farm"),
        (
            "The sun blazed down, and there was no shade anywhere.",
            "It was so hot that the ground felt like a stove.",
            "By midday the sun was burning bright over {place}.",
        ),
        "put on the straw hat",
        "Its wide brim made a cool shadow, and the heat did not bother anyone again",
        "hot",
        "comfortable",
        "Staying cool in the sun",
    ),
    Problem(
        "fog",
        "brass bell",
        ("marsh", "lake", "beach", "lighthouse", "riverbank"),
        (
            "A thick fog rolled in, and a little lamb got lost in it.",
            "The fog was so thick that the lost duckling could not find its mother.",
            "White mist hid everything, and somewhere a lost lamb was bleating.",
        ),
        "rang the brass bell",
        "The lost little one followed the ringing sound and came safely back",
        "worried",
        "thankful",
        "Calling the lost home in the fog",
    ),
    Problem(
        "broken",
        "hammer and nails",
        ("farm", "bridge", "mill", "park"),
        (
            "Crack! One of the boards on the fence snapped in half.",
            "The wagon lost a plank and wobbled to a stop.",
            "A loose board on the bridge shook under their feet.",
        ),
        "fetched the hammer and nails",
        "Bang, bang, bang! The board was fixed and strong again",
        "stuck",
        "proud",
        "Fixing with a hammer",
    ),
    Problem(
        "bees",
        "jar of honey",
        ("meadow", "garden", "field"),
        (
            "A swarm of bees buzzed angrily around the picnic.",
            "Busy bees circled the blanket and would not leave.",
            "The bees wanted the sweet smell of the lunch.",
        ),
        "set the jar of honey far away on a stump",
        "The bees flew over to the honey and left the picnic in peace",
        "nervous",
        "calm",
        "Sharing with the bees",
    ),
]

PROBLEM_BY_KEY = {p.key: p for p in PROBLEMS}
