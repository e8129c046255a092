"""The conventions chapter: the same data through the TwoSampleMR and MendelianRandomization conventions,
method by method, with what differs; why their I²_GX differ (:func:`i2gx_decomposition`); their intervals
(:func:`interval_comparison`); and the quirks of R's code that mrkit reproduces (:func:`quirks_table`)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..rng import resolve_seed

__all__ = ["CONVENTION_METHODS", "convention_comparison", "example_data", "first_variants", "ivw_floor",
           "estimates_sentence", "reasons_table", "i2gx_decomposition", "interval_comparison", "quirks_table"]


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


def first_variants(data: pd.DataFrame, n_variants: int | None) -> pd.DataFrame:
    """The first ``n_variants`` rows of ``data`` (all when None): the page's parameter ``n_variants``.

    Raises :class:`~mrkit.errors.InputError` for fewer than 3 (MR-Egger and the medians need three) or more
    than the data have."""
    if n_variants is None:
        return data
    n = int(n_variants)
    if not 3 <= n <= len(data):
        raise InputError(f"n_variants must be from 3 to {len(data)} (the variants of the data), got {n_variants!r}",
                         column="n_variants")
    return data.iloc[:n].reset_index(drop=True)


def ivw_floor(data: pd.DataFrame, outcome_se_factor: float, *, seed: int | None = None
              ) -> tuple[pd.DataFrame, float]:
    """IVW (floored random effects, fixed effect, unfloored random effects) on ``data`` with every outcome SE
    multiplied by ``outcome_se_factor``, and the residual standard error σ̂ = √(Q/df) of the IVW fit there."""
    from ..methods.estimate import mr
    from ..methods.heterogeneity import heterogeneity

    if not outcome_se_factor > 0:
        raise InputError(f"outcome_se_factor must be above 0, got {outcome_se_factor!r}", column="outcome_se_factor")
    scaled = data.assign(byse=outcome_se_factor * data["byse"])
    het = heterogeneity(scaled).set_index("method")
    return (mr(scaled, methods=["ivw", "ivw_fe", "ivw_mre"], seed=seed),
            float(np.sqrt(het.loc["ivw", "q"] / het.loc["ivw", "df"])))


def _differs(side: pd.DataFrame, what: str) -> list[str]:
    return [m for m, d in zip(side["method"], side["differs"]) if what in str(d).split(", ")]


def estimates_sentence(side: pd.DataFrame, labels: dict[str, str]) -> str:
    """Which point estimates the two conventions give differently on these data, counted from ``side``
    (:func:`convention_comparison`), and which they share."""
    differ = _differs(side, "estimate")
    names = [labels.get(m, m) for m in differ]
    same = len(side) - len(differ)
    if not differ:
        return f"On these data the two conventions give the same point estimate for all {len(side)} methods."
    se_or_p = set(_differs(side, "SE")) | set(_differs(side, "p"))
    return (f"On these data the point estimates differ for {len(differ)} of the {len(side)} methods "
            f"({', '.join(names)}) and agree for the other {same}; standard errors or p-values differ for "
            f"{len(se_or_p)} of them.")


def reasons_table(side: pd.DataFrame) -> pd.DataFrame:
    """Where the conventions differ on these data: the values under each (TwoSampleMR first) and why, from the
    packages' code (TwoSampleMR ``R/mr.R``, ``R/mr_mode.R``; MendelianRandomization ``R/mr_*-methods.R``).
    Only the rows whose quantity differs in ``side`` (:func:`convention_comparison`) are listed."""
    s = side.set_index("method")
    diff = dict(zip(side["method"], side["differs"]))
    rows = []

    def add(method: str, what: str, quantity: str, values: str, why: str) -> None:
        if method in s.index and what in str(diff.get(method, "")).split(", "):
            rows.append((quantity, values, why))

    add("egger", "p", "MR-Egger p-value", f"{s.loc['egger', 'p_tsmr']:.3g} vs {s.loc['egger', 'p_mr']:.3g}"
        if "egger" in s.index else "",
        "TwoSampleMR takes the p-value of the slope (and intercept) from a t distribution with k − 2 degrees "
        "of freedom, as lm does; MendelianRandomization uses the normal by default. Same estimate and SE.")
    for m, name in (("weighted_median", "Weighted median estimate"),
                    ("penalised_weighted_median", "Penalised weighted median estimate")):
        add(m, "estimate", name, f"{s.loc[m, 'estimate_tsmr']:.4f} vs {s.loc[m, 'estimate_mr']:.4f}"
            if m in s.index else "",
            "The weights of the ratio estimates: TwoSampleMR uses second-order weights 1/(σY²/βX² + βY²σX²/βX⁴), "
            "which account for the uncertainty of the SNP-exposure effect; MendelianRandomization first-order "
            "weights (βX/σY)²." + (" The penalised median multiplies each package's own weights by min(1, 20 p_j), "
                                   "p_j the χ² p-value of the variant's distance from that package's weighted "
                                   "median, so it inherits the difference." if m.startswith("penalised") else ""))
    add("ml", "SE", "Maximum-likelihood SE", f"{s.loc['ml', 'se_tsmr']:.3f} vs {s.loc['ml', 'se_mr']:.3f}"
        if "ml" in s.index else "",
        "TwoSampleMR reports the Hessian (fixed-effect) SE; MendelianRandomization's mr_maxlik multiplies it by "
        "√max(1, Q_ML/(k − 1)) when k ≥ 4, with Q_ML twice the minimised negative log-likelihood (its Heter.Stat), "
        "a multiplicative random-effects correction for heterogeneity.")
    add("weighted_mode", "SE", "Mode SE and p",
        f"{s.loc['weighted_mode', 'se_tsmr']:.3f} vs {s.loc['weighted_mode', 'se_mr']:.3f}"
        if "weighted_mode" in s.index else "",
        "Both take the median absolute deviation of bootstrap modes, but from 1,000 (TwoSampleMR) or 10,000 "
        "(MendelianRandomization) draws, so the SEs differ by Monte Carlo error; TwoSampleMR's p-value uses "
        "t(k − 1) while its confidence interval uses the normal, so the two can disagree.")
    add("simple_median", "SE", "Median SEs",
        f"{s.loc['simple_median', 'se_tsmr']:.3f} vs {s.loc['simple_median', 'se_mr']:.3f} (simple)"
        if "simple_median" in s.index else "",
        "Parametric bootstrap in both; different numbers of draws (1,000 vs 10,000), hence Monte Carlo "
        "differences of a few per cent.")
    if "ivw" in s.index:
        rows.append(("IVW SE", f"{s.loc['ivw', 'se_tsmr']:.3f} vs {s.loc['ivw', 'se_mr']:.3f}",
                     "Both use multiplicative random effects with the SE floored at the fixed-effect one when k ≥ 4. "
                     "They part when k < 4 (MendelianRandomization switches to fixed effect) and TwoSampleMR's "
                     "mr_ivw_mre drops the floor: see below."))
    return pd.DataFrame(rows, columns=["quantity", "this dataset", "why"])


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
