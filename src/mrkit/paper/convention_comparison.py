"""The conventions chapter: the same data through the TwoSampleMR and MendelianRandomization conventions,
method by method, with what differs."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..rng import resolve_seed

__all__ = ["CONVENTION_METHODS", "convention_comparison", "example_data"]


# ---------------------------------------------------------------------------------------------
# conventions side by side
# ---------------------------------------------------------------------------------------------
CONVENTION_METHODS = ("ivw", "ivw_fe", "ivw_mre", "egger", "simple_median", "weighted_median",
                      "penalised_weighted_median", "simple_mode", "weighted_mode", "ml")


def convention_comparison(data: Any, *, seed: int | None = None,
                          methods: Iterable[str] = CONVENTION_METHODS) -> pd.DataFrame:
    """The same data through ``convention="twosamplemr"`` and ``"mendelianrandomization"``.

    Each package's own default bootstrap size is used (1,000 and 10,000 draws), with one seed.
    One row per method: estimate, SE, p, p-value distribution and weights under each convention
    (suffixes ``_tsmr`` and ``_mr``), and which of estimate, SE and p differ (relative 1e-9).
    """
    from ..methods.estimate import mr

    used = resolve_seed(seed)
    methods = list(methods)
    cols = ["method", "estimate", "se", "p", "distribution", "weights", "se_model", "n_boot"]
    a = mr(data, methods=methods, convention="twosamplemr", seed=used)[cols]
    b = mr(data, methods=methods, convention="mendelianrandomization", seed=used)[cols]
    out = a.merge(b, on="method", suffixes=("_tsmr", "_mr"))

    def differs(x, y):
        return ~np.isclose(out[x].to_numpy(float), out[y].to_numpy(float), rtol=1e-9, atol=0.0)

    out["differs"] = [", ".join(w for w, d in zip(("estimate", "SE", "p"), flags) if d) or "nothing"
                      for flags in zip(differs("estimate_tsmr", "estimate_mr"),
                                       differs("se_tsmr", "se_mr"), differs("p_tsmr", "p_mr"))]
    out.attrs["seed"] = used
    return out


def example_data(validation_dir: Path | None, *, seed: int | None = None) -> tuple[pd.DataFrame, str]:
    """The chapter's data and where they come from: the LDL-c and CHD example of MendelianRandomization from the
    validation folder (``harmonised/lipids_chd_ldlc.csv``), or, without that folder, a simulated stand-in of 28
    variants with balanced pleiotropy (:func:`mrkit.simulate.scenarios.simulate_mr_summary`, ``seed``)."""
    if validation_dir is not None:
        return (pd.read_csv(Path(validation_dir) / "harmonised" / "lipids_chd_ldlc.csv"),
                "the shared validation folder (harmonised/lipids_chd_ldlc.csv)")
    from ..simulate.scenarios import simulate_mr_summary

    used = resolve_seed(seed)
    sim = simulate_mr_summary(1, 28, beta=0.5, scenario="balanced_pleiotropy", seed=used)
    return sim.replicate(0), f"a simulated stand-in (seed {used})"
