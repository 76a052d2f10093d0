"""Generated names, Magnum style: ``<greek letter>-<two digits>-<kind>``."""

from __future__ import annotations

import random

_GREEK = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
]


def generate(kind: str) -> str:
    return f"{random.choice(_GREEK)}-{random.randint(0, 99):02d}-{kind}"
