"""Module 11: branch, train, merge — a shared seed, domain branches, weight averaging, ensembles.

Import what you need from its module (`course_lib.merging.merge`, `.seed`, ...): this file imports
nothing, so `import course_lib.merging` stays light.
"""
