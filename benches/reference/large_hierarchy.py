#!/usr/bin/env python3
"""Data and reference posterior of the fixture in tests/fixtures/large_hierarchy/.

The fixture is the hierarchical logistic regression of
examples/textbook/hierarchical_logistic/ grown from 50 to 120 groups (20 rows
each, three common slopes), so that the model has 125 unconstrained
parameters: more than the textbook suite reaches, enough to exercise the
paths of the engine that only apply to larger hierarchies. The data set is
drawn with a fixed seed from the same generating process as the textbook one
(textbook_data.hierarchical_logistic, only J changed), and its reference is
computed by NumPyro NUTS on the textbook's NumPyro form of the model
(textbook_references.MODELS["hierarchical_logistic"]), with the settings and
output format of textbook_references.py.

    python benches/reference/large_hierarchy.py data [--check]   # write (or compare) data.json
    python benches/reference/large_hierarchy.py references [textbook_references options]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import textbook_references as tr  # noqa: E402
from summarize import REPO  # noqa: E402
from textbook_data import hierarchical_logistic, write_data_sets  # noqa: E402

ROOT = os.path.join(REPO, "tests", "fixtures", "large_hierarchy")
SCRIPTS = ("large_hierarchy.py", "large_hierarchy.py")
NAME = "hierarchical_logistic_120"


# ---------------------------------------------------------------- data

def hierarchical_logistic_120(rng):
    """The textbook design (20 rows per group, three slopes) with 120 groups."""
    return hierarchical_logistic(rng, J=120)


# folder -> (generator, seed)
DATA_SETS = {NAME: (hierarchical_logistic_120, 120)}


def write_data(check):
    sets = {folder: (generate, seed, [folder]) for folder, (generate, seed) in DATA_SETS.items()}
    return write_data_sets(sets, ROOT, check)


# ---------------------------------------------------------------- NumPyro form

# The textbook builder reads J and K from the data, so it serves unchanged.
MODELS = {NAME: tr.MODELS["hierarchical_logistic"]}


def main(argv):
    if argv[:1] == ["data"]:
        return write_data("--check" in argv[1:])
    if argv[:1] == ["references"]:
        return tr.main(argv[1:], models=MODELS, root=ROOT, scripts=SCRIPTS,
                       description="Reference posterior of tests/fixtures/large_hierarchy/ by NumPyro NUTS.")
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
