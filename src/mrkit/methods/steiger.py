# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) directionality_test and mr_steiger, R/steiger.R, and steiger_filtering,
# R/steiger_filtering.R.
"""MR Steiger directionality test: do the instruments explain more of the exposure than of the outcome?

If the SNPs act on the outcome only through the exposure, they explain more variance in the
exposure than in the outcome. Hemani et al. compare the two (summed) correlations with the
Fisher z test for two *independent* correlations (``psych::r.test(n, r12, r34, n2)``), as
TwoSampleMR's ``directionality_test`` and ``mr_steiger`` do.

Which R2 rule reproduces the TwoSampleMR vignette (BMI -> CHD, r2 exposure 0.0158082, r2 outcome
0.0013505)? ``get_r_from_pn`` on both sides, treating CHD as quantitative: the sum of
``F/(n - 2 + F)`` with ``F = qf(pval, 1, n - 1, lower = FALSE)`` gives 0.01580819 and
0.00135049 on the files in ``validation/``. The ``F = (b/se)^2`` rule (``get_r_from_bsen``) gives
0.0158072 for the exposure, which does not round to the printed value. TwoSampleMR's own
``directionality_test`` uses ``get_r_from_pn`` when ``r.exposure``/``r.outcome`` are absent; that is
the default rule here (``rule="pn"``). ``rule="add_rsq"`` follows ``add_rsq`` (Steiger filtering):
liability scale for "log odds" units, ``2 b^2 f (1 - f)`` for SD units with EAF, else
``F/(n - 2 + F)`` from b and se. ``rule="bsen"`` takes ``F = (b/se)^2`` for every SNP
(``get_r_from_bsen``).

p-values stored as 0 (underflow in large GWAS, common for strong hits) cannot give r2 by the "pn"
rule: TwoSampleMR floors p at 1e-300, which caps F near 1366 and can reverse the direction (a SNP
with z = 100 counts as z = 37). When a p-value of the data lies below 1e-300, the test takes r2
from beta and SE on both sides (``rule="bsen"``, the same rule for exposure and outcome so that the
comparison stays fair) and says so in ``note``.

References
----------
Hemani G, Tilling K, Davey Smith G (2017). Orienting the causal relationship between imprecisely
measured traits using GWAS summary data. PLoS Genet 13:e1007081.
Steiger JH (1980). Tests for comparing elements of a correlation matrix. Psychol Bull 87:245-251.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from .distributions import norm_sf
from .mrdata import is_missing
from .strength import as_vector, r2_from_bsen, r2_from_eaf, r2_from_lor, r_from_pn

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["steiger", "steiger_directionality", "steiger_filtering", "snp_r2", "P_FLOOR"]

#: TwoSampleMR's floor of p-values before turning them into F statistics.
P_FLOOR = 1e-300


def steiger(r2_exposure: float, r2_outcome: float, n_exposure: float, n_outcome: float
            ) -> dict[str, Any]:
    """Fisher z test of ``sqrt(r2_exposure)`` against ``sqrt(r2_outcome)`` (independent samples).

    ``z = (atanh(r_x) - atanh(r_y)) / sqrt(1/(n_x - 3) + 1/(n_y - 3))``, two-sided normal p, as
    ``psych::r.test(n = n_exposure, r12 = r_x, r34 = r_y, n2 = n_outcome)``.

    Returns
    -------
    dict
        ``r2_exposure``, ``r2_outcome``, ``z``, ``steiger_pval`` and
        ``correct_causal_direction`` (True when r2_exposure > r2_outcome).

    References
    ----------
    Hemani G, Tilling K, Davey Smith G (2017). PLoS Genet 13:e1007081.
    """
    r2x = float(as_vector("r2_exposure", r2_exposure, lower=0.0, upper=1.0)[0])
    r2y = float(as_vector("r2_outcome", r2_outcome, lower=0.0, upper=1.0)[0])
    nx = float(as_vector("n_exposure", n_exposure, lower=3.0, open_interval=True)[0])
    ny = float(as_vector("n_outcome", n_outcome, lower=3.0, open_interval=True)[0])
    if r2x >= 1.0 or r2y >= 1.0:
        raise InputError("summed r2 reaches 1: are the SNPs clumped for LD?",
                         column="r2_exposure" if r2x >= 1.0 else "r2_outcome")
    z = _fisher_z(r2x, r2y, nx, ny)
    return {"r2_exposure": r2x, "r2_outcome": r2y, "z": float(z),
            "steiger_pval": float(2.0 * norm_sf(abs(z))),
            "correct_causal_direction": bool(r2x > r2y)}


def _fisher_z(r2x, r2y, nx, ny):
    """``(atanh(r_x) - atanh(r_y)) / sqrt(1/(n_x - 3) + 1/(n_y - 3))`` with ``r = sqrt(r2)``, elementwise
    (``psych::r.test(n, r12, r34, n2)``'s z for two independent correlations)."""
    return (np.arctanh(np.sqrt(r2x)) - np.arctanh(np.sqrt(r2y))) / np.sqrt(1 / (nx - 3) + 1 / (ny - 3))


def _as_columns(data) -> dict[str, np.ndarray]:
    """Column name -> numpy array (numbers as floats, missing NaN) of a DataFrame or of a mapping of
    columns (:class:`~mrkit.gwas.io.harmonised.HarmonisedTable`, a dict of arrays)."""
    if isinstance(data, Mapping):
        return {str(name): np.asarray(values) for name, values in data.items()}
    pd = sys.modules.get("pandas")  # a DataFrame implies pandas is imported
    if pd is None or not isinstance(data, pd.DataFrame):
        raise InputError("data must be a pandas DataFrame or a mapping of columns with TwoSampleMR names")
    return {str(name): (data[name].to_numpy(dtype=float, na_value=np.nan) if data[name].dtype.kind in "iuf"
                        else data[name].to_numpy()) for name in data.columns}


def _column(data: dict[str, np.ndarray], name: str, *, required: bool = True) -> np.ndarray | None:
    if name not in data:
        if required:
            why = ("missing: the Steiger test takes each SNP's r2 from p and n (TwoSampleMR get_r_from_pn): add "
                   "the p-values of exposure and outcome" if name.startswith("pval.")
                   else "missing: it is needed to compute r2 for the Steiger test")
            raise InputError(why, column=name)
        return None
    values = data[name]
    if values.dtype.kind in "iufb":
        return values.astype(float)
    return np.array([np.nan if is_missing(v) else v for v in values.tolist()], dtype=float)


def _checked(data: dict[str, np.ndarray], name: str, **bounds) -> np.ndarray:
    values = _column(data, name)
    missing = np.isnan(values)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError("missing value", row=row, column=name)
    return as_vector(name, values, **bounds)


def snp_r2(data: pd.DataFrame | Mapping, what: str = "exposure", *, rule: str = "pn") -> np.ndarray:
    """Per-SNP r2 for ``what`` ("exposure" or "outcome") of a TwoSampleMR-style table (a DataFrame or a
    mapping of columns).

    A ``r.<what>`` column, when present, is used as given (squared), as in TwoSampleMR.
    ``rule="pn"``: ``get_r_from_pn(pval, samplesize)^2``. ``rule="bsen"``: ``get_r_from_bsen(beta,
    se, samplesize)^2``. ``rule="add_rsq"``: TwoSampleMR
    ``add_rsq`` (``units.<what>`` "log odds" -> liability r2 with ``ncase``/``ncontrol``/
    ``prevalence`` columns; "SD" units with EAF -> 2 b^2 f (1-f); otherwise F/(n-2+F)).

    References
    ----------
    Hemani G, Tilling K, Davey Smith G (2017). PLoS Genet 13:e1007081.
    """
    if what not in ("exposure", "outcome"):
        raise InputError(f"what must be 'exposure' or 'outcome', got {what!r}")
    return _snp_r2(_as_columns(data), what, rule)


def _snp_r2(data: dict[str, np.ndarray], what: str, rule: str) -> np.ndarray:
    if f"r.{what}" in data:
        return _checked(data, f"r.{what}", lower=-1.0, upper=1.0) ** 2
    if rule == "pn":
        p = _checked(data, f"pval.{what}", lower=0.0, upper=1.0)
        n = _checked(data, f"samplesize.{what}", lower=2.0, open_interval=True)
        r = r_from_pn(np.maximum(p, P_FLOOR), n)  # TwoSampleMR floors p at 1e-300
        return r ** 2
    if rule == "bsen":
        return r2_from_bsen(_checked(data, f"beta.{what}"), _checked(data, f"se.{what}", positive=True),
                            _checked(data, f"samplesize.{what}", lower=2.0, open_interval=True))
    if rule == "add_rsq":
        units = ([None if is_missing(u) else str(u) for u in data[f"units.{what}"].tolist()]
                 if f"units.{what}" in data else None)
        beta = _checked(data, f"beta.{what}")
        if units is not None and units[0] == "log odds":
            prevalence = (_checked(data, f"prevalence.{what}") if f"prevalence.{what}"
                          in data else None)
            if prevalence is None:
                raise InputError(f"units.{what} is 'log odds': give prevalence.{what} (TwoSampleMR "
                                 "would silently assume 0.1)", column=f"prevalence.{what}")
            return r2_from_lor(beta, _checked(data, f"eaf.{what}"), _checked(data, f"ncase.{what}"),
                               _checked(data, f"ncontrol.{what}"), prevalence)
        eaf = _column(data, f"eaf.{what}", required=False)
        if (units is not None and all(u is not None and "SD" in u for u in units)
                and eaf is not None and not np.isnan(eaf).any()):
            return r2_from_eaf(beta, eaf)
        return r2_from_bsen(beta, _checked(data, f"se.{what}", positive=True),
                            _checked(data, f"samplesize.{what}", lower=2.0, open_interval=True))
    raise InputError(f"rule must be 'pn', 'bsen' or 'add_rsq', got {rule!r}", column="rule")


def steiger_directionality(data: pd.DataFrame | Mapping, *, rule: str = "pn") -> dict[str, Any]:
    """TwoSampleMR ``directionality_test`` on a harmonised table (rows with ``mr_keep`` False dropped): a
    DataFrame or a mapping of columns (:class:`~mrkit.gwas.io.harmonised.HarmonisedTable`; no pandas needed).

    Sums per-SNP r2 (see :func:`snp_r2`) on each side and applies :func:`steiger` with the mean
    sample sizes, like R's ``r.test(n = mean(samplesize.exposure), n2 = mean(samplesize.outcome),
    r12 = sqrt(sum(rsq.exposure)), r34 = sqrt(sum(rsq.outcome)))``.

    With ``rule="pn"``, a p-value below 1e-300 (stored as 0: underflow) switches both sides to
    ``rule="bsen"`` (r2 from beta and SE) when the table has them; ``note`` says so.

    Returns
    -------
    dict
        Keys of :func:`steiger` plus ``snp_r2_exposure``/``snp_r2_outcome`` (per-SNP arrays),
        ``n_snps``, ``rule`` (the rule used) and, when the rule was switched, ``note``.

    References
    ----------
    Hemani G, Tilling K, Davey Smith G (2017). PLoS Genet 13:e1007081.
    """
    data = _as_columns(data)
    if "mr_keep" in data:
        keep = data["mr_keep"].astype(bool)
        data = {name: values[keep] for name, values in data.items()}
    if not data or not len(next(iter(data.values()))):
        raise InputError("no SNPs left (all mr_keep False?)", column="mr_keep")
    note = ""
    if rule == "pn" and "r.exposure" not in data and "r.outcome" not in data:
        underflow = sum(int((_checked(data, f"pval.{w}", lower=0.0, upper=1.0) < P_FLOOR).sum())
                        for w in ("exposure", "outcome"))
        if underflow and all(f"{f}.{w}" in data for f in ("beta", "se") for w in ("exposure", "outcome")):
            rule = "bsen"
            note = (f"{underflow} p-value(s) below 1e-300 (underflow, stored as 0): r2 from beta and SE on both "
                    f"sides, F = (b/se)^2, r2 = F/(n - 2 + F), instead of from p and n")
        elif underflow:
            note = (f"{underflow} p-value(s) below 1e-300 floored at 1e-300 as TwoSampleMR does (no beta and SE "
                    f"columns): their r2 is underestimated")
    r2x = _snp_r2(data, "exposure", rule)
    r2y = _snp_r2(data, "outcome", rule)
    nx = _checked(data, "samplesize.exposure", lower=3.0, open_interval=True).mean()
    ny = _checked(data, "samplesize.outcome", lower=3.0, open_interval=True).mean()
    out = steiger(r2x.sum(), r2y.sum(), nx, ny)
    out.update(snp_r2_exposure=r2x, snp_r2_outcome=r2y, n_snps=int(r2x.size), rule=rule)
    if note:
        out["note"] = note
    return out


def steiger_filtering(data: pd.DataFrame | Mapping) -> dict[str, np.ndarray]:
    """TwoSampleMR ``steiger_filtering``: the Steiger test of each SNP on its own, for one exposure-outcome pair.

    ``data`` is a DataFrame or a mapping of columns with TwoSampleMR names (every row is tested; select
    the pair's ``mr_keep`` rows first). Per SNP, as ``add_rsq`` then ``psych::r.test`` in R: r2 from an
    ``rsq.<what>`` column when there is one, else by :func:`snp_r2` with ``rule="add_rsq"`` (``units.<what>``
    "log odds": liability r2, needs ``prevalence.<what>``; "SD" units with EAF: ``2 b^2 f (1 - f)``; otherwise
    ``F / (n - 2 + F)`` with ``F = (b/se)^2``, TwoSampleMR ``get_r_from_bsen``). Effective sample size: ``2 /
    (1/ncase + 1/ncontrol)`` for "log odds" units (TwoSampleMR ``effective_n``), else ``samplesize.<what>``.
    Note that :func:`steiger_directionality` (TwoSampleMR ``directionality_test``) takes r2 from p-values
    instead (``rule="pn"``), so the two give different r2 for the same SNP.

    Returns
    -------
    dict of (k,) arrays
        ``rsq.exposure``, ``rsq.outcome``, ``effective_n.exposure``, ``effective_n.outcome``, ``steiger_dir``
        (bool: r2 exposure > r2 outcome), ``steiger_pval`` (two-sided normal p of the Fisher z of the two
        correlations) and ``z``.

    References
    ----------
    Hemani G, Tilling K, Davey Smith G (2017). PLoS Genet 13:e1007081 (TwoSampleMR ``steiger_filtering``,
    R/steiger_filtering.R, and ``add_rsq``, R/add_rsq.r, 0.7.9).
    """
    data = _as_columns(data)
    if not data or not len(next(iter(data.values()))):
        raise InputError("no SNPs to test")
    out: dict[str, np.ndarray] = {}
    for what in ("exposure", "outcome"):
        if f"rsq.{what}" in data:
            r2 = _checked(data, f"rsq.{what}", lower=0.0, upper=1.0)
        else:
            r2 = _snp_r2(data, what, "add_rsq")
        units = data.get(f"units.{what}")
        log_odds = units is not None and len(units) and not is_missing(units[0]) and str(units[0]) == "log odds"
        if log_odds:
            n = 2.0 / (1.0 / _checked(data, f"ncase.{what}", positive=True)
                       + 1.0 / _checked(data, f"ncontrol.{what}", positive=True))
        else:
            n = _checked(data, f"samplesize.{what}", lower=3.0, open_interval=True)
        out[f"rsq.{what}"], out[f"effective_n.{what}"] = r2, n
    z = _fisher_z(out["rsq.exposure"], out["rsq.outcome"], out["effective_n.exposure"], out["effective_n.outcome"])
    out["steiger_dir"] = out["rsq.exposure"] > out["rsq.outcome"]
    out["steiger_pval"] = 2.0 * norm_sf(np.abs(z))
    out["z"] = z
    return out
