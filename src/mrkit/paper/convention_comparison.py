"""The conventions chapter: the same data through the TwoSampleMR and MendelianRandomization conventions,
method by method, with what differs; why their I²_GX differ (:func:`i2gx_decomposition`); their intervals
(:func:`interval_comparison`); and the quirks of R's code that mrkit reproduces (:func:`quirks_table`)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..rng import resolve_seed

__all__ = ["CONVENTION_METHODS", "convention_comparison", "example_data", "i2gx_decomposition",
           "interval_comparison", "quirks_table"]


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


def i2gx_decomposition(data: Any) -> pd.DataFrame:
    """Why the conventions' I²_GX differ: Cochran's Q of the "exposure estimates" y_j with SEs s_j is
    ``sum z_j^2 - (sum w_j y_j)^2 / sum w_j`` (z_j = y_j/s_j, w_j = s_j^-2); TwoSampleMR takes y = |bx|, s = bxse,
    MendelianRandomization y = |bx|/byse, s = bxse/byse. One row per convention: the first term (the same in both:
    z_j = |bx_j|/bxse_j either way), the part the fitted constant explains, Q = their difference, k and
    I²_GX = max(0, (Q - (k - 1))/Q) (what :func:`mrkit.methods.heterogeneity.i2_gx` computes, written out).

    References
    ----------
    Bowden J, et al. (2016). Int J Epidemiol 45:1961-1974; TwoSampleMR ``Isq`` (R/rucker.R), MendelianRandomization
    ``mr_egger`` (I.sq).
    """
    from ..methods.mrdata import as_mrdata

    d = as_mrdata(data)
    rows = []
    for name, scale in (("twosamplemr", None), ("mendelianrandomization", d.byse)):
        y, s = np.abs(d.bx), d.bxse
        if scale is not None:
            y, s = y / scale, s / scale
        w = s ** -2.0
        total = float(np.sum((y / s) ** 2))
        explained = float(np.sum(w * y) ** 2 / np.sum(w))
        q = total - explained
        i2 = max(0.0, (q - (d.k - 1)) / q)
        rows.append({"convention": name, "y": "|bx|" if scale is None else "|bx| / byse",
                     "sum z²": total, "explained by the mean": explained, "Q": q, "k": d.k, "I²_GX": i2})
    out = pd.DataFrame(rows)
    out.attrs["correlation |bx|, byse"] = float(np.corrcoef(np.abs(d.bx), d.byse)[0, 1])
    return out


def interval_comparison(data: Any, *, seed: int | None = None, methods: Iterable[str] = ("egger", "ivw",
                                                                                           "weighted_mode")
                        ) -> pd.DataFrame:
    """Each convention's 95 % interval of ``methods``: the estimate, SE, the p-value's distribution and the
    interval's (``ci_distribution``: under twosamplemr ``normal (1.96)``, TwoSampleMR's ``generate_odds_ratios``),
    its bounds, and the p-value, one row per method and convention."""
    from ..methods.estimate import mr

    used = resolve_seed(seed)
    cols = ["convention", "method", "estimate", "se", "distribution", "ci_distribution", "ci_lower", "ci_upper", "p"]
    return pd.concat([mr(data, methods=list(methods), convention=c, seed=used)[cols]
                      for c in ("twosamplemr", "mendelianrandomization")], ignore_index=True)


def quirks_table() -> pd.DataFrame:
    """The quirks of R's code the methods reproduce by default (each module's ``QUIRKS``,
    :func:`mrkit.methods.registry.method_quirks`): one row per method and quirk, the method's name and id."""
    from ..methods.registry import method_quirks
    from .labels import method_label

    return pd.DataFrame([{"method": method_label(m), "id": m, "quirk of R reproduced": q}
                         for m, quirks in method_quirks().items() for q in quirks])
