"""The seeding rule of mrkit: two seeds, each with one default defined here.

* ``seed`` seeds the random draws of an analysis (bootstrap standard errors, MR-PRESSO's simulated
  distributions, simulation studies). Changing it changes only those draws, never the data.
* ``panel_seed`` picks the synthetic data: the simulated GWAS panel (and the phenome drawn over it).
  Changing it generates other data, and a new panel in the cache.

Every result records the seed it used, so a number can always be re-made.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import MRKitError

if TYPE_CHECKING:
    import numpy as np

#: Seed of an analysis's random draws when the caller gives none. MendelianRandomization fixes the same number
#: for its bootstraps; mrkit uses it under every convention so that a default run is reproducible.
DEFAULT_SEED = 314159265

#: Seed of the synthetic panel when the caller gives none: the panel every book build so far was computed on.
#: Independent of :data:`DEFAULT_SEED` (it has the same value only because both were once one seed).
DEFAULT_PANEL_SEED = 314159265


def resolve_seed(seed: int | None, *, name: str = "--seed", default: int = DEFAULT_SEED) -> int:
    """The seed actually used (``default`` when ``seed`` is None); record it with the result.

    Raises :class:`~mrkit.errors.MRKitError` naming ``name`` (the command-line flag by default) for a negative
    or non-integer seed.
    """
    if seed is None:
        return default
    if isinstance(seed, bool) or not float(seed).is_integer():
        raise MRKitError(f"{name} must be a whole number >= 0, not {seed!r}")
    seed = int(seed)
    if seed < 0:  # numpy refuses negative seeds; say so in the user's terms
        raise MRKitError(f"{name} must be a whole number >= 0, not {seed}")
    return seed


def resolve_panel_seed(panel_seed: int | None) -> int:
    """The synthetic panel's seed actually used (:data:`DEFAULT_PANEL_SEED` when None)."""
    return resolve_seed(panel_seed, name="panel_seed", default=DEFAULT_PANEL_SEED)


def make_rng(seed: int | None) -> np.random.Generator:
    """A numpy Generator for ``seed`` (the default seed when None)."""
    import numpy as np

    return np.random.default_rng(resolve_seed(seed))
