"""One seeding rule for every random draw in mrkit, so results say which seed made them."""
from __future__ import annotations

import numpy as np

from .errors import MRKitError

#: Seed used when the caller gives none. MendelianRandomization fixes the same number for its
#: bootstraps; mrkit uses it under every convention so that a default run is reproducible.
DEFAULT_SEED = 314159265


def resolve_seed(seed: int | None) -> int:
    """The seed actually used (the default when ``seed`` is None); record it with the result."""
    if seed is None:
        return DEFAULT_SEED
    seed = int(seed)
    if seed < 0:  # numpy refuses negative seeds; say so in the user's terms
        raise MRKitError(f"--seed must be a whole number >= 0, not {seed}")
    return seed


def make_rng(seed: int | None) -> np.random.Generator:
    """A numpy Generator for ``seed`` (the default seed when None)."""
    return np.random.default_rng(resolve_seed(seed))
