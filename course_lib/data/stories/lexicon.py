"""Word lists of the story world: names, creatures, things, places and the words around them."""

from __future__ import annotations

# Given names; each world draws its cast from these, so a name always means one character.
NAMES_SHE = """
Ada Alba Alma Amber Anna Aria Astrid Bea Bella Bess Bonnie Briar Bryony Camille Clara Clementine
Cora Daisy Dora Edie Elsa Ember Esme Etta Fern Fiona Flora Freya Gemma Greta Hazel Holly Honey
Ida Iris Ivy Jade Juniper Kira Lark Laurel Lena Lila Lottie Lucy Luna Mabel Maisie Maple Marigold
Matilda Maya Meadow Mila Millie Mina Minnie Molly Nell Nina Nora Olive Opal Penny Pearl Pippa
Polly Poppy Posy Primrose Rosa Rosie Ruby Saffron Sage Sally Sena Sienna Sophie Stella Sunny
Tansy Tess Thea Tilly Una Vera Violet Willa Winnie Wren Yara Zara Zinnia Agnes Beatrix Celeste
Dottie Elodie Fleur Gwen Harriet Imogen Josie Kitty Lulu Magnolia Nettie Odette Peony Queenie
Rhoda Selma Trixie Ursula Vivi Wilma Xenia Yvette Zelda
""".split()

NAMES_HE = """
Abel Alfie Arlo Barney Basil Ben Benny Bert Bramble Bruno Buster Caspar Cedric Chester Clem Cody
Dex Dudley Eli Elliot Ezra Felix Fergus Finn Fitz Flint Frankie Fred Gus Hamish Hank Harvey Hugo
Iggy Jasper Jem Jonah Jude Kip Leo Lenny Linus Louie Mack Max Milo Monty Ned Nico Noah Oscar
Otis Otto Ozzie Pablo Percy Pete Quill Ralph Reggie Remy Rex Robin Rollo Rory Rufus Sam Sid
Silas Sonny Stanley Teddy Theo Toby Tom Tuck Vic Wally Walter Wes Wilbur Will Yuri Zeke Ziggy
Ambrose Bartholomew Cosmo Digby Edmund Ferdinand Gideon Horace Ignatius Kermit Lionel
Mortimer Nigel Oliver Pickles Quentin Rupert Septimus Tobias Ulysses Virgil Winston Xavier
""".split()

# Creatures of the world: (kind, plural, home word, sound verb, body word for "could not see its own ...").
CREATURES = [
    ("rabbit", "rabbits", "burrow", "thumped", "paws"),
    ("fox", "foxes", "den", "yipped", "paws"),
    ("bear", "bears", "cave", "growled", "paws"),
    ("owl", "owls", "hollow", "hooted", "wings"),
    ("mouse", "mice", "nest", "squeaked", "paws"),
    ("hedgehog", "hedgehogs", "nest", "snuffled", "paws"),
    ("squirrel", "squirrels", "drey", "chattered", "paws"),
    ("badger", "badgers", "sett", "grunted", "paws"),
    ("duck", "ducks", "nest", "quacked", "wings"),
    ("frog", "frogs", "pond", "croaked", "feet"),
    ("turtle", "turtles", "shell", "sighed", "feet"),
    ("otter", "otters", "holt", "squealed", "paws"),
    ("deer", "deer", "thicket", "snorted", "hooves"),
    ("goat", "goats", "shed", "bleated", "hooves"),
    ("pig", "pigs", "sty", "oinked", "trotters"),
    ("cat", "cats", "basket", "purred", "paws"),
    ("dog", "dogs", "kennel", "barked", "paws"),
    ("lamb", "lambs", "pen", "bleated", "hooves"),
    ("pony", "ponies", "stable", "neighed", "hooves"),
    ("goose", "geese", "nest", "honked", "wings"),
    ("robin", "robins", "nest", "chirped", "wings"),
    ("beaver", "beavers", "lodge", "chattered", "paws"),
    ("mole", "moles", "tunnel", "sniffed", "paws"),
    ("raccoon", "raccoons", "hollow", "chittered", "paws"),
    ("kitten", "kittens", "basket", "mewed", "paws"),
    ("puppy", "puppies", "kennel", "yapped", "paws"),
    ("dragon", "dragons", "cave", "rumbled", "claws"),
    ("penguin", "penguins", "igloo", "squawked", "flippers"),
    ("elephant", "elephants", "hut", "trumpeted", "feet"),
    ("lion", "lions", "den", "roared", "paws"),
]

# Child characters are "a little girl" or "a boy"; they say and do the same things as the animals.
CHILD_KINDS = [("girl", "girls"), ("boy", "boys")]

# Traits, each with the behaviour that shows it and the lesson it leads to.
TRAITS = {
    "brave": ("never ran away from trouble", "being brave means helping even when you feel afraid"),
    "shy": ("hid behind a tree when someone new came by", "a small hello can open a big door"),
    "curious": (
        "wanted to know what was behind every hill",
        "asking questions is a fine way to learn",
    ),
    "kind": ("always shared what little there was", "kindness comes back to the one who gives it"),
    "grumpy": ("frowned at almost everything", "a smile is easier to carry than a frown"),
    "clever": ("could solve any riddle", "a clever plan works best with a friend"),
    "clumsy": ("tripped over twigs and dropped cups", "mistakes are just steps on the way"),
    "cheerful": ("sang songs from morning till night", "a happy song can make a long road short"),
    "patient": ("could wait a long time without fussing", "good things grow slowly"),
    "greedy": ("wanted to keep every treat", "sharing makes a snack taste sweeter"),
    "bossy": ("liked to tell everyone what to do", "friends like to be asked, not told"),
    "gentle": ("spoke softly and moved slowly", "a soft voice can calm a stormy heart"),
    "lazy": ("napped whenever there was work to do", "a job done together is half a job"),
    "honest": ("always told the truth", "the truth is the best way out of a mess"),
    "playful": ("turned every chore into a game", "play is sweeter after the work is done"),
    "forgetful": ("often forgot where things were", "a little list can save a lot of worry"),
    "proud": ("did not like to ask for help", "there is no shame in asking for help"),
    "silly": ("told jokes that made everyone giggle", "laughter is a gift you can share"),
    "careful": ("looked twice before every step", "slow and steady keeps you safe"),
    "impatient": ("could never wait for anything", "waiting is hard, but it is worth it"),
    "generous": ("gave presents to all the neighbours", "giving feels as good as getting"),
    "stubborn": ("never changed a plan once it was made", "it is wise to listen to others"),
    "helpful": ("fixed things for anyone who asked", "many hands make light work"),
    "noisy": ("was louder than a drum", "sometimes the quiet way is the best way"),
}

# Fears, phrased after "afraid of".
FEARS = [
    "thunder",
    "the dark",
    "deep water",
    "big dogs",
    "spiders",
    "loud bangs",
    "tall ladders",
    "the wind at night",
    "buzzing bees",
    "shadows on the wall",
    "getting lost",
    "the old well",
    "crowds",
    "ghost stories",
    "falling leaves",
    "owls hooting at night",
]

# Favourite foods, as mass or plural nouns that read after "loved".
FOODS = [
    "carrot cake",
    "honey buns",
    "apple pie",
    "blueberry muffins",
    "pumpkin soup",
    "cheese toast",
    "plum jam",
    "acorn cookies",
    "pear tarts",
    "warm milk",
    "strawberries",
    "walnut bread",
    "oatmeal with raisins",
    "pea soup",
    "cherry pancakes",
    "clover tea",
    "lemon biscuits",
    "sweet corn",
    "mushroom pie",
    "seed cakes",
    "banana bread",
    "peach slices",
    "rice pudding",
    "hazelnut fudge",
    "berry crumble",
    "tomato sandwiches",
    "ginger snaps",
    "maple syrup",
    "cinnamon rolls",
    "fig pudding",
    "buttered peas",
    "raspberry tarts",
    "potato pancakes",
    "vegetable stew",
    "almond cookies",
    "cherry pie",
    "barley soup",
    "cornbread",
    "pickled beets",
    "sunflower seeds",
    "cranberry muffins",
    "gooseberry jam",
    "poppy seed cake",
    "parsnip fritters",
]

# Hobbies as "-ing" phrases.
HOBBIES = [
    "painting pictures",
    "singing songs",
    "building towers",
    "collecting shells",
    "reading books",
    "flying kites",
    "counting stars",
    "picking flowers",
    "skipping stones",
    "making hats",
    "drawing maps",
    "playing the flute",
    "baking bread",
    "dancing in the rain",
    "telling jokes",
    "climbing trees",
    "knitting scarves",
    "watching clouds",
    "growing beans",
    "playing hide and seek",
    "fishing in the stream",
    "sewing quilts",
    "carving little boats",
    "whistling tunes",
    "pressing flowers",
    "juggling pebbles",
    "doing cartwheels",
    "writing poems",
    "solving puzzles",
    "feeding the ducks",
    "playing checkers",
    "spotting birds",
    "making paper boats",
]

COLORS = [
    "red",
    "blue",
    "green",
    "yellow",
    "orange",
    "purple",
    "pink",
    "brown",
    "white",
    "silver",
    "golden",
    "gray",
    "black",
    "striped",
    "spotted",
    "sky blue",
    "bright red",
    "pale green",
]

# Treasures a character owns and can lose: (noun, where it might roll or fall, mended by sewing).
TREASURES = [
    ("kite", "up in the branches", True),
    ("ball", "under the bushes", False),
    ("scarf", "on a thorny hedge", True),
    ("hat", "in the tall grass", True),
    ("whistle", "beside the path", False),
    ("toy boat", "among the reeds", False),
    ("teddy bear", "behind the woodpile", True),
    ("drum", "in the barn", False),
    ("music box", "under the bed", False),
    ("ribbon", "in the hay", True),
    ("bucket", "by the well", False),
    ("storybook", "under a bench", False),
    ("yo-yo", "in a flower pot", False),
    ("bell", "inside an old boot", False),
    ("spinning top", "under the table", False),
    ("paintbrush", "in the mud", False),
    ("wooden horse", "behind the door", False),
    ("necklace", "in the moss", False),
    ("little flag", "on the fence", True),
    ("magnifying glass", "by the log", False),
    ("rag doll", "in the laundry basket", True),
    ("glove puppet", "under a cushion", True),
    ("toy train", "in the sandbox", False),
    ("pinwheel", "in the flower bed", False),
]

# Things in nature, to paint a scene.
FLOWERS = [
    "daisies",
    "tulips",
    "poppies",
    "bluebells",
    "buttercups",
    "violets",
    "sunflowers",
    "roses",
    "lilies",
    "daffodils",
    "clover",
    "lavender",
    "marigolds",
    "snowdrops",
    "foxgloves",
    "primroses",
]
TREES = ["oak", "willow", "birch", "pine", "maple", "apple", "elm", "beech", "cherry", "chestnut"]
BIRDS = [
    "robins",
    "sparrows",
    "wrens",
    "blackbirds",
    "finches",
    "swallows",
    "larks",
    "doves",
    "magpies",
    "crows",
    "thrushes",
    "jays",
    "woodpeckers",
    "starlings",
]
BUGS = [
    "ladybugs",
    "butterflies",
    "bumblebees",
    "grasshoppers",
    "dragonflies",
    "beetles",
    "ants",
    "fireflies",
    "crickets",
    "moths",
    "snails",
    "caterpillars",
]
SMELLS = [
    "fresh bread",
    "wet grass",
    "pine needles",
    "wild roses",
    "warm hay",
    "rain",
    "mint",
    "wood smoke",
    "ripe apples",
    "the sea",
    "cut flowers",
    "honey",
    "baking cookies",
    "spring mud",
    "lilac",
    "toasted nuts",
    "fresh paint",
    "clover honey",
    "salty seaweed",
    "orange peel",
]
SOUNDS = [
    "birds singing",
    "leaves rustling",
    "a brook bubbling",
    "bees humming",
    "a bell ringing far away",
    "frogs croaking",
    "wind chimes tinkling",
    "a woodpecker tapping",
    "rain pattering on the roof",
    "crickets chirping",
    "the river rushing",
    "a cow mooing",
    "children laughing",
    "an owl hooting softly",
    "a cart rattling down the lane",
    "a kettle whistling",
    "sheep bleating on the hill",
    "waves splashing on the rocks",
]
SKY = [
    "bright blue",
    "soft pink",
    "pale gray",
    "deep orange",
    "clear and blue",
    "full of fluffy clouds",
    "streaked with gold",
    "dark and heavy",
    "sparkling with stars",
    "misty and white",
]

SEASONS = {
    "spring": ("the flowers were waking up", "planted seeds", "muddy puddles"),
    "summer": ("the sun was hot and high", "splashed in the water", "long golden evenings"),
    "autumn": ("the leaves were turning red and gold", "raked big piles of leaves", "crisp apples"),
    "winter": ("snow covered the roofs", "built a snowman", "frosty windows"),
}

TIMES = [
    "One morning",
    "One sunny morning",
    "One rainy afternoon",
    "Early one day",
    "One windy day",
    "Late one evening",
    "One quiet Sunday",
    "On the first day of spring",
    "One chilly morning",
    "After breakfast one day",
    "One bright summer day",
    "On a gray autumn day",
    "One snowy morning",
    "Just before lunch",
    "One day",
]

OPENINGS = [
    "Once upon a time, ",
    "Long ago, ",
    "Not so long ago, ",
    "",
    "",
    "In a little village, ",
    "Far away, over the hills, ",
]

FEELINGS_GOOD = [
    "happy",
    "proud",
    "glad",
    "excited",
    "calm",
    "grateful",
    "cheerful",
    "delighted",
    "warm inside",
    "relieved",
    "joyful",
    "brave",
]
FEELINGS_BAD = [
    "sad",
    "worried",
    "scared",
    "lonely",
    "cross",
    "upset",
    "nervous",
    "tired",
    "grumpy",
    "sorry",
    "ashamed",
    "frightened",
]

SAY_VERBS = ["said", "asked", "cried", "whispered", "called", "shouted", "laughed", "replied"]

ADVERBS = [
    "slowly",
    "quickly",
    "carefully",
    "quietly",
    "happily",
    "bravely",
    "gently",
    "softly",
    "proudly",
    "eagerly",
    "suddenly",
    "finally",
    "patiently",
    "loudly",
    "sadly",
    "kindly",
]

# Snacks, meals and cooking words for the baking and picnic plots.
INGREDIENTS = [
    "flour",
    "sugar",
    "eggs",
    "butter",
    "milk",
    "oats",
    "honey",
    "salt",
    "raisins",
    "nuts",
    "cinnamon",
    "berries",
    "cream",
    "apples",
    "cocoa",
    "vanilla",
]
BAKES = [
    "a cake",
    "a pie",
    "some cookies",
    "a loaf of bread",
    "some muffins",
    "a tart",
    "some buns",
    "a batch of scones",
    "a crumble",
    "some pancakes",
]

# Things to build or make.
# Things to build: (thing, what it is made of, the part a helper fetches more of).
BUILDS = [
    ("tree house", "boards and nails", "boards"),
    ("raft", "logs and rope", "logs"),
    ("sand castle", "sand and shells", "wet sand"),
    ("bird house", "wood and glue", "wood"),
    ("snow fort", "packed snow", "snow"),
    ("den", "sticks and leaves", "sticks"),
    ("kite", "paper and string", "string"),
    ("boat", "bark and a leaf sail", "bark"),
    ("swing", "rope and a plank", "rope"),
    ("scarecrow", "straw and old clothes", "straw"),
    ("bridge of stones", "flat stones", "flat stones"),
    ("wagon", "a box and four wheels", "wheels"),
    ("snowman", "snow and a carrot nose", "snow"),
    ("tower of blocks", "wooden blocks", "blocks"),
]

GAMES = [
    "tag",
    "hide and seek",
    "hopscotch",
    "leapfrog",
    "catch",
    "follow the leader",
    "marbles",
    "jump rope",
    "musical chairs",
    "treasure hunt",
]

# Contests: (name, what one does, what the winner has, how it ends); {his} is the doer's.
CONTESTS = [
    ("race", "ran", "fastest legs", "crossed the finish line first"),
    ("pie contest", "baked {his} pie", "tastiest pie", "carried the pie to the judges' table"),
    ("kite contest", "flew {his} kite", "highest kite", "sent the kite above the clouds"),
    ("singing contest", "sang {his} song", "sweetest song", "sang the last note on the stage"),
    ("pumpkin contest", "grew {his} pumpkin", "biggest pumpkin", "rolled the pumpkin to the scale"),
    ("boat race", "sailed {his} boat", "quickest boat", "reached the far side of the pond"),
    (
        "painting contest",
        "painted {his} picture",
        "brightest picture",
        "hung the picture on the wall",
    ),
    ("hopping race", "hopped", "biggest hops", "hopped over the line"),
]

VEGETABLES = [
    "carrots",
    "beans",
    "peas",
    "pumpkins",
    "potatoes",
    "radishes",
    "lettuce",
    "cabbages",
    "onions",
    "beets",
    "turnips",
    "cucumbers",
    "tomatoes",
    "zucchini",
    "spinach",
    "parsnips",
    "leeks",
    "squash",
]
FRUITS = [
    "apples",
    "pears",
    "plums",
    "cherries",
    "grapes",
    "peaches",
    "oranges",
    "lemons",
    "berries",
    "melons",
    "apricots",
    "figs",
    "gooseberries",
    "blackberries",
]

# Farm chores: (chore, what happens because of it).
CHORES = [
    ("fed the hens", "the hens laid a basket of brown eggs"),
    ("milked the cow", "there was a pail of creamy milk for breakfast"),
    ("brushed the pony", "the pony's coat shone like a new penny"),
    ("swept the barn", "the barn was neat and tidy"),
    ("stacked the hay", "the animals would have food all winter"),
    ("gave the pigs fresh water", "the pigs rolled happily in the mud"),
    ("mended the fence", "the sheep could not wander away"),
    ("picked the apples", "there were enough apples for a dozen pies"),
    ("weeded the carrot rows", "the carrots grew long and orange"),
    ("collected the goat's milk", "they could make soft white cheese"),
]

INSTRUMENTS = [
    "drum",
    "flute",
    "fiddle",
    "trumpet",
    "harp",
    "banjo",
    "tambourine",
    "xylophone",
    "whistle",
    "triangle",
    "piano",
    "guitar",
    "accordion",
    "bells",
    "cello",
]

PARTY_THINGS = [
    "balloons",
    "paper crowns",
    "streamers",
    "candles",
    "party hats",
    "lanterns",
    "a piñata",
    "a big cake with frosting",
    "lemonade",
    "sandwiches cut into stars",
    "a pile of presents",
]
GIFTS = [
    "a wooden whistle",
    "a book of fairy tales",
    "a knitted hat",
    "a jar of jam",
    "a set of paints",
    "a little red wagon",
    "a puzzle",
    "a bag of marbles",
    "a kite with a long tail",
    "a music box",
    "a pair of warm mittens",
    "a shiny compass",
    "a picture frame",
    "a bunch of flowers",
    "a spinning top",
    "a tin drum",
    "a pencil box",
    "a toy telescope",
    "a woolly lamb",
    "a kaleidoscope",
    "a bag of colored chalk",
    "a sketchbook",
]

CLOTHES = [
    "boots",
    "mittens",
    "a scarf",
    "a raincoat",
    "a sweater",
    "a sun hat",
    "a cloak",
    "an apron",
    "slippers",
    "a woolly hat",
    "overalls",
    "a party dress",
    "a bow tie",
    "socks with stars",
]

SICK = [
    ("a runny nose", "sneezed all morning"),
    ("a sore throat", "could only whisper"),
    ("a cough", "coughed and coughed"),
    ("a fever", "felt hot and sleepy"),
    ("a tummy ache", "did not want to eat"),
]
CURES = [
    "a bowl of warm soup",
    "a cup of honey tea",
    "a soft pillow",
    "a long nap",
    "a cool cloth",
    "a funny story",
    "a pot of ginger tea",
]

# Why-questions a wise old owl answers; all explanations written for this world.
WHY = [
    (
        "why the leaves fall in autumn",
        "When the days grow short and cold, the trees rest for the winter. They let their leaves "
        "go, and new ones grow in the spring.",
    ),
    (
        "why there is a rainbow after the rain",
        "When the sun shines through tiny drops of rain, the light splits into many colors. That "
        "is a rainbow.",
    ),
    (
        "why the moon changes shape",
        "The moon does not really change. We see only the part the sun lights up, and that part "
        "grows and shrinks over the month.",
    ),
    (
        "why bees visit flowers",
        "Bees drink sweet nectar from flowers and make it into honey. As they fly from flower to "
        "flower, they help the flowers make seeds.",
    ),
    (
        "why we have to sleep",
        "Sleep lets your body rest and grow. While you sleep, your mind tidies up everything you "
        "learned during the day.",
    ),
    (
        "why the sea is salty",
        "Rivers carry tiny bits of salt from the rocks down to the sea. The water goes up as "
        "clouds, but the salt stays behind.",
    ),
    (
        "why birds fly south in winter",
        "In winter there are few bugs and seeds to eat. Many birds fly to warm places where food "
        "is easy to find, and come back in spring.",
    ),
    (
        "why ice melts in the sun",
        "Ice is water that got so cold it turned hard. The warm sun heats it up, and it turns "
        "back into water.",
    ),
    (
        "why thunder follows lightning",
        "Lightning is a giant spark that heats the air very fast. The air bursts with a boom, "
        "and that boom is thunder.",
    ),
    (
        "why plants need water",
        "Plants drink water through their roots. The water carries food up the stem to every "
        "leaf, so the plant can grow tall and green.",
    ),
    (
        "why the wind blows",
        "When the sun warms some places more than others, the air starts to move from cool "
        "places to warm ones. Moving air is wind.",
    ),
    (
        "why caterpillars spin cocoons",
        "A caterpillar wraps itself up in a cocoon to change. After many days, it comes out as "
        "a butterfly with bright wings.",
    ),
]

# Words for describing things, so scenes are not always alike.
SIZES = ["tiny", "small", "little", "big", "huge", "enormous", "tall", "long", "wide", "round"]
TEXTURES = [
    "soft",
    "fuzzy",
    "prickly",
    "smooth",
    "rough",
    "sticky",
    "shiny",
    "bumpy",
    "fluffy",
    "silky",
    "crunchy",
    "slippery",
    "squishy",
    "scratchy",
]
WEATHER = [
    ("the wind whistled through the trees", "windy"),
    ("a light drizzle was falling", "drizzly"),
    ("the sun peeked out from behind a cloud", "sunny"),
    ("frost sparkled on every blade of grass", "frosty"),
    ("a warm breeze carried the smell of flowers", "breezy"),
    ("thick fog hid the tops of the trees", "foggy"),
    ("the air was still and quiet", "calm"),
]
SCHOOL = [
    ("letters", "wrote every letter from A to Z"),
    ("numbers", "counted all the way to one hundred"),
    ("painting", "painted a picture of the whole village"),
    ("singing", "learned a new song about the seasons"),
    ("nature", "collected leaves and named every one"),
    ("reading", "read a whole book without any help"),
]

# Treasure hunts lead from clue to clue; each clue names a thing at a place.
CLUES = [
    ("where the water falls and the ducks are found", "the Willow Pond"),
    ("where the wheel goes round and round", "the Old Mill"),
    ("where the stars are close and the grass is cool", "Starlight Hill"),
    ("where the berries hide among the thorns", "the Berry Patch"),
    ("where your voice comes back to you", "the Echo Cave"),
    ("where the clock looks down on the fountain", "the Town Square"),
    ("where the tall yellow faces follow the sun", "Sunflower Garden"),
    ("where the great light shines for the ships", "the Old Lighthouse"),
    ("where the old tree has a door", "the Hollow Oak"),
    ("where the pebbles are smooth and the waves say hush", "Pebble Beach"),
]

# How each kind of character moves, so "hopped" always goes with rabbits.
MOVES = {
    "rabbit": "hopped",
    "fox": "trotted",
    "bear": "lumbered",
    "owl": "flew",
    "mouse": "scurried",
    "hedgehog": "shuffled",
    "squirrel": "scampered",
    "badger": "trundled",
    "duck": "waddled",
    "frog": "leaped",
    "turtle": "plodded",
    "otter": "slid",
    "deer": "bounded",
    "goat": "clambered",
    "pig": "trotted",
    "cat": "padded",
    "dog": "bounded",
    "lamb": "skipped",
    "pony": "cantered",
    "goose": "waddled",
    "robin": "fluttered",
    "beaver": "paddled",
    "mole": "tunneled",
    "raccoon": "crept",
    "kitten": "pounced",
    "puppy": "scampered",
    "dragon": "stomped",
    "penguin": "waddled",
    "elephant": "stomped",
    "lion": "prowled",
    "girl": "skipped",
    "boy": "ran",
}

# Small sights of the wild, each a whole clause.
WILDLIFE = [
    "a heron stood on one leg in the shallows",
    "a snail left a silver trail across a leaf",
    "two squirrels chased each other around a trunk",
    "a woodpecker drummed on a dead branch",
    "a kingfisher flashed past like a blue spark",
    "a fat bumblebee bumbled from clover to clover",
    "a spider spun a web between two twigs",
    "a hare sat up and twitched its long ears",
    "a pair of swans glided across the water",
    "a toad blinked from under a stone",
    "a lizard warmed itself on a rock",
    "a line of ants marched past carrying crumbs",
    "a shy deer peeked out from the ferns",
    "a magpie hopped about looking for shiny things",
    "a crab scuttled sideways into a pool",
    "a seagull cried overhead",
    "a field mouse nibbled a seed",
    "a dragonfly hovered over the reeds",
    "an old tortoise munched on a dandelion",
    "geese flew over in a long line",
    "a caterpillar inched along a stem",
    "a butterfly landed on a thistle",
    "a robin tugged a worm out of the ground",
    "a fox cub pounced on a leaf",
    "fish jumped and made rings on the water",
    "a ladybug crawled up a blade of grass",
    "a mole poked its pink nose out of a molehill",
    "a family of quails hurried across the path",
    "a cricket chirped from somewhere in the grass",
    "a squirrel buried an acorn and patted the soil",
    "a hedgehog curled into a prickly ball",
    "an otter floated on its back",
    "a wasp buzzed around a fallen pear",
    "a mother duck led her ducklings in a wobbly line",
    "a grasshopper sprang from stem to stem",
    "a newt wriggled under a leaf",
    "an owl dozed in a hollow branch",
    "a pheasant strutted past",
    "a badger's footprints crossed the mud",
    "two rabbits nibbled clover side by side",
]

# Indoor sights for stories at home.
INDOORS = [
    "a kettle whistled on the stove",
    "the clock ticked on the shelf",
    "a cat dozed by the fire",
    "a jug of daisies stood on the table",
    "the curtains fluttered in the breeze",
    "bread was cooling on the windowsill",
    "a patchwork quilt lay across the bed",
    "rain tapped against the window",
    "the lamp made a warm circle of light",
    "a pot of soup bubbled in the kitchen",
    "the floorboards creaked softly",
    "a row of boots stood by the door",
    "a cuckoo clock called out the hour",
    "a basket of yarn sat by the rocking chair",
    "the stove crackled and popped",
    "shelves of jam jars glowed like jewels",
    "a mobile of paper birds turned slowly",
    "a basket of yarn sat by the rocking chair",
    "the stove crackled and popped",
    "shelves of jam jars glowed like jewels",
    "a mobile of paper birds turned slowly",
]

# Things for the seaside, camping and rainy-day plots.
SEASIDE = [
    "starfish",
    "crabs",
    "seashells",
    "smooth pebbles",
    "seaweed",
    "driftwood",
    "sand dollars",
    "little fish",
    "a sea glass marble",
    "a crab shell",
]
CAMPING = [
    "put up the tent",
    "gathered sticks for the campfire",
    "toasted marshmallows",
    "unrolled the sleeping bags",
    "told stories by the fire",
    "looked for shooting stars",
]
STARS = ["the Great Bear", "the Little Dipper", "the Hunter's Belt", "the North Star", "the Swan"]
INDOOR_GAMES = [
    "built a fort out of blankets and chairs",
    "did a puzzle with a hundred pieces",
    "drew pictures with crayons",
    "played a game of cards",
    "made puppets out of old socks",
    "baked little jam tarts",
    "read a book about pirates",
    "put on a show for the teddy bears",
]
MARKET = [
    ("a bag of apples", 3),
    ("a loaf of bread", 2),
    ("a pot of honey", 4),
    ("a bunch of carrots", 1),
    ("a wedge of cheese", 5),
    ("a box of eggs", 3),
    ("a jar of pickles", 2),
    ("a basket of plums", 4),
]
NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
]
WINTER = [
    "raced down the hill on a sled",
    "threw soft snowballs",
    "made angels in the snow",
    "skated on the frozen pond",
    "built a snowman with a carrot nose",
    "caught snowflakes on their tongues",
    "counted the icicles on the roof",
]
RIVER = [
    "the current pulled the boat along",
    "a little island rose in the middle of the river",
    "willow branches trailed in the water",
    "a fish splashed next to the oar",
    "the water sparkled in the sun",
    "a frog watched them from a lily pad",
]

# What each kind of character looks like: (covering, features to choose from).
LOOKS = {
    "rabbit": ("fur", ("long floppy ears", "a twitchy pink nose", "a puffy white tail")),
    "fox": ("fur", ("a bushy tail with a white tip", "pointed black ears", "sharp amber eyes")),
    "bear": ("fur", ("big round ears", "a honey-colored snout", "huge padded paws")),
    "owl": ("feathers", ("round golden eyes", "tufted ears", "a hooked little beak")),
    "mouse": ("fur", ("tiny round ears", "long whiskers", "a thin pink tail")),
    "hedgehog": ("spines", ("a pointed snout", "bright black eyes", "tiny quick feet")),
    "squirrel": ("fur", ("a fluffy curled tail", "tufted ears", "busy little paws")),
    "badger": ("fur", ("a black and white striped face", "strong digging claws", "a short tail")),
    "duck": ("feathers", ("orange webbed feet", "a flat yellow bill", "a curly tail feather")),
    "frog": ("skin", ("big bulging eyes", "long springy legs", "a wide smiling mouth")),
    "turtle": ("shell", ("a wrinkly neck", "a shell with green patterns", "slow sleepy eyes")),
    "otter": ("fur", ("webbed paws", "a long strong tail", "bristly whiskers")),
    "deer": ("fur", ("spotted sides", "big dark eyes", "thin quick legs")),
    "goat": ("hair", ("curly horns", "a little beard", "clever yellow eyes")),
    "pig": ("skin", ("a round pink snout", "a curly tail", "floppy ears")),
    "cat": ("fur", ("green eyes", "soft white paws", "a long swishing tail")),
    "dog": ("fur", ("a waggy tail", "floppy ears", "a wet black nose")),
    "lamb": ("wool", ("a fluffy white coat", "black knobbly knees", "a small pink nose")),
    "pony": ("hair", ("a long flowing mane", "a shiny coat", "a star on its forehead")),
    "goose": ("feathers", ("a long neck", "an orange beak", "strong wide wings")),
    "robin": ("feathers", ("a bright red chest", "thin twiggy legs", "a cheerful beak")),
    "beaver": ("fur", ("a flat paddle tail", "two big front teeth", "webbed back feet")),
    "mole": ("fur", ("tiny eyes", "big pink digging paws", "a pointy nose")),
    "raccoon": ("fur", ("a black mask around the eyes", "a ringed tail", "nimble fingers")),
    "kitten": ("fur", ("tiny needle claws", "big blue eyes", "a stubby tail")),
    "puppy": ("fur", ("oversized paws", "a wiggly body", "soft velvet ears")),
    "dragon": (
        "scales",
        ("small leathery wings", "a puff of smoke in each nostril", "a spiky tail"),
    ),
    "penguin": ("feathers", ("a white tummy", "little flippers", "pink webbed feet")),
    "elephant": ("skin", ("a long trunk", "huge flapping ears", "two small tusks")),
    "lion": ("fur", ("a shaggy golden mane", "a tufted tail", "a deep rumbly voice")),
    "girl": ("hair", ("a gap in her front teeth", "freckles on her nose", "muddy knees")),
    "boy": ("hair", ("a gap in his front teeth", "freckles on his nose", "scuffed knees")),
}
SHADES = [
    "brown",
    "gray",
    "white",
    "golden",
    "black",
    "red",
    "sandy",
    "silver",
    "cream",
    "speckled",
    "honey",
    "ginger",
    "chestnut",
    "dusty",
    "snowy",
    "coppery",
]

# Crafts and trades: (worker, workshop, materials, three steps of the work, what comes out).
JOBS = [
    (
        "potter",
        "pottery",
        "wet gray clay",
        ("kneaded the clay", "spun the wheel", "shaped the walls with wet fingers"),
        "a round bowl",
    ),
    (
        "blacksmith",
        "forge",
        "iron bars",
        (
            "heated the iron until it glowed",
            "hammered it on the anvil",
            "cooled it in a bucket with a hiss",
        ),
        "a horseshoe",
    ),
    (
        "carpenter",
        "workshop",
        "planks of pine",
        ("measured twice", "sawed along the line", "sanded the edges smooth"),
        "a little stool",
    ),
    (
        "weaver",
        "weaving room",
        "spools of wool",
        ("threaded the loom", "passed the shuttle back and forth", "pressed each row tight"),
        "a striped blanket",
    ),
    (
        "beekeeper",
        "apiary",
        "wooden hives",
        ("put on a veil", "puffed gentle smoke", "lifted out a frame dripping with honey"),
        "a jar of golden honey",
    ),
    (
        "cobbler",
        "shoe shop",
        "soft leather",
        ("traced the foot on paper", "cut the leather", "stitched the sole with strong thread"),
        "a pair of boots",
    ),
    (
        "clockmaker",
        "clock shop",
        "tiny brass gears",
        ("opened the back of the clock", "cleaned every gear", "wound the spring"),
        "a ticking clock",
    ),
    (
        "baker",
        "bakehouse",
        "sacks of flour",
        ("mixed the dough", "let it rise under a cloth", "slid the loaves into the oven"),
        "a basket of crusty loaves",
    ),
    (
        "painter",
        "studio",
        "pots of paint",
        ("stretched the canvas", "mixed the colors", "painted with long soft strokes"),
        "a picture of the hills",
    ),
    (
        "gardener",
        "greenhouse",
        "seed trays",
        ("filled the pots with soil", "pressed in the seeds", "misted them with water"),
        "a row of seedlings",
    ),
    (
        "shepherd",
        "hillside",
        "a flock of sheep",
        ("counted the sheep", "led them to fresh grass", "sheared the thick wool"),
        "a sack of fleece",
    ),
    (
        "candlemaker",
        "chandlery",
        "blocks of wax",
        ("melted the wax", "dipped the wicks again and again", "hung the candles to cool"),
        "a bundle of candles",
    ),
    (
        "fisher",
        "boathouse",
        "nets and lines",
        ("mended the nets", "rowed out at dawn", "pulled the nets in"),
        "a bucket of silver fish",
    ),
    (
        "miller",
        "mill",
        "sacks of wheat",
        (
            "poured the wheat into the hopper",
            "let the great stones turn",
            "caught the flour in a sack",
        ),
        "a sack of soft flour",
    ),
    (
        "tailor",
        "sewing shop",
        "bolts of cloth",
        ("measured the cloth", "cut out the pattern", "sewed the seams"),
        "a smart new coat",
    ),
]

NATURE_FINDS = [
    "a feather",
    "an acorn cap",
    "a snail shell",
    "a pine cone",
    "a smooth white stone",
    "a four-leaf clover",
    "a robin's blue eggshell",
    "a curly fern",
    "a conker",
    "a bit of sheep's wool",
    "a crooked stick",
    "a beetle with a green back",
    "a mushroom shaped like an umbrella",
    "a maple seed that spun like a propeller",
]
