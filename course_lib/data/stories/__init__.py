"""The story world behind the embedded data: lexicon, facts, world, plots and companion sets."""
