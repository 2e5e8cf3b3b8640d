"""A module of inline functions: the whole file travels, and runs as a module of its own."""

import math

WEIGHTS = {"wasm": 3.0, "wire": 2.0}


def score(inp):
    total = sum(WEIGHTS.get(word, 1.0) for word in inp["words"])
    return round(math.log1p(total), 3)
