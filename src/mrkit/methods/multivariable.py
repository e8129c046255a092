"""Multivariable MR: direct effects of K exposures on one outcome from J shared variants, one tidy table.

:func:`mv_mr` runs the multivariable methods of the registry (:func:`mrkit.methods.registry.register_mv`) on
checked input (:mod:`.mvdata`) and adds the diagnostics. Where each method is, ported from
MendelianRandomization 0.10.0 and MVMR 0.4 (formulas and sources in each module):

* MV-IVW and MV-Egger: :mod:`.mv_ivw`; MV weighted median: :mod:`.mv_median`; MV-Lasso: :mod:`.mrlasso`
  (glmnet's path, :mod:`.lasso_path`); MVMR-cML-BIC: :mod:`.mvcml`;
* conditional F and Q_A, with or without correlated exposure estimates (MVMR ``gencov``): :mod:`.mv_diagnostics`;
* the design check every one of them makes first (too few variants, collinear exposure effects, each refused
  with one line naming the exposures and the variants needed) and R's weighted least squares: :mod:`.mv_design`.

References
----------
Burgess S, Dudbridge F, Thompson SG (2015). Am J Epidemiol 181:290-291.
Rees JMB, Wood AM, Burgess S (2017). Stat Med 36:4705-4718.
Grant AJ, Burgess S (2021). Stat Med 40:5813-5830.
Sanderson E, Spiller W, Bowden J (2021). Stat Med 40:5434-5452.
Sanderson E, Davey Smith G, Windmeijer F, Bowden J (2019). Int J Epidemiol 48:713-727.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, NotEstimable
from ..rng import resolve_seed
from .conventions import get_convention
from .estimate import TABLE_COLUMNS
from .mv_design import check_design
from .mv_diagnostics import conditional_f, mv_diagnostics, q_a
from .mv_ivw import MV_IVW_SE, mr_mvegger, mr_mvivw, mv_ivw_fit
from .mv_median import lad_fit, mr_mvmedian
from .mvdata import MVData, as_mvdata
from .registry import Context, get_mv_method, mv_method_ids

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MV_DEFAULT_METHODS",
    "MV_IVW_SE",
    "MV_METHODS",
    "conditional_f",
    "lad_fit",
    "mr_mvegger",
    "mr_mvivw",
    "mr_mvmedian",
    "mv_diagnostics",
    "mv_ivw_fit",
    "mv_mr",
    "q_a",
]

#: Multivariable method ids of the registry, in display order.
MV_METHODS = mv_method_ids()
#: The methods :func:`mv_mr` runs unless asked: MV-IVW (two SE models), MV-Egger and the MV median (MV-Lasso and
#: MVMR-cML on request; MVMR-cML needs the GWAS sample size, option ``n``).
MV_DEFAULT_METHODS = ("mv_ivw", "mv_ivw_fe", "mv_egger", "mv_median")


# ------------------------------------------------------------------------------------------------
# the table
# ------------------------------------------------------------------------------------------------
def _nan_rows(data: MVData, reason: str) -> list[dict]:
    return [{"estimate": np.nan, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "p": np.nan, "nsnp": data.j,
             "se_model": "", "distribution": "", "ci_distribution": "", "weights": "", "n_boot": None, "seed": None,
             "note": reason, "exposure_index": i} for i in range(data.k)]


def _methods(methods) -> list[str]:
    if methods is None:
        return list(MV_DEFAULT_METHODS)
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    if list(methods) == ["all"]:
        return list(MV_METHODS)
    unknown = [m for m in methods if m not in MV_METHODS]  # the registry's ids
    if unknown:
        raise InputError(f"unknown multivariable method(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(MV_METHODS)} (or all)", column="methods")
    return list(dict.fromkeys(methods))


def mv_mr(data: Any, methods: Iterable[str] | str | None = None, convention: str = "twosamplemr",
          seed: int | None = None, n_boot: int | None = None, exposures: list[str] | None = None, *,
          phenocor: Any = None, options: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Multivariable MR estimates of every exposure, one tidy table.

    Parameters
    ----------
    data : MVData, DataFrame or dict (see :mod:`mrkit.methods.mvdata`; files:
        :func:`mrkit.gwas.io.multivariable.read_multivariable`)
    methods : ids from :data:`MV_METHODS` (default :data:`MV_DEFAULT_METHODS`; ``"all"`` for every one):
        ``mv_ivw`` (the convention's default SE: TwoSampleMR ``mv_multiple``'s lm SE, or MendelianRandomization's
        fixed-if-J<4-else-floored-random), ``mv_ivw_fe``, ``mv_egger``, ``mv_median``, ``mv_lasso``
        (``mr_mvlasso``), ``mv_cml`` (``mr_mvcML(DP = FALSE)``, needs option ``n``).
    convention : ``twosamplemr`` or ``mendelianrandomization`` (:mod:`.conventions`): the MV-IVW SE model,
        MV-Egger's p distribution (t(J-K-1) or normal) and the bootstrap size (1000 or 10000).
    seed, n_boot : the MV median bootstrap's seed (default :data:`mrkit.rng.DEFAULT_SEED`) and size.
    exposures : analyse only these exposures (names), in this order.
    phenocor : (K, K) array_like, optional
        The exposures' phenotypic correlation, in the order of the exposures analysed: the conditional F and Q_A
        then use MVMR's ``gencov = phenocov_mvmr(phenocor, bxse)`` (:func:`mrkit.methods.mv_diagnostics.q_a_gencov`)
        and MVMR-cML its ``rho``; None: uncorrelated exposure estimates (``gencov = 0``).
    options : mapping, optional
        Method options by name: ``lasso_lambda`` (MV-Lasso's fixed penalty, glmnet's scale), ``n`` (MVMR-cML's
        sample size).

    Returns
    -------
    pandas.DataFrame
        ``exposure``, ``outcome``, then :data:`mrkit.methods.estimate.TABLE_COLUMNS`, then the extra quantities of the
        methods asked for (their ``row_keys``: MV-Lasso's ``lambda``, ``n_valid``, ``reg_estimate``, MVMR-cML's ``n``,
        ``k_hat``); one row per method and exposure. ``attrs`` holds ``convention``, ``seed`` and the diagnostics of
        :func:`mv_diagnostics`. A method that cannot be estimated (too few variants) gives NaN rows with the reason in
        ``note``. ``nsnp`` is the number of variants in the fit (J) for every exposure; TwoSampleMR's ``mv_multiple``
        fits the same J variants but reports, per exposure, how many of them reach its ``pval_threshold`` for that
        exposure.

    Raises
    ------
    InputError
        Bad input (located: file, line, column; see :func:`mrkit.methods.mvdata.as_mvdata`), an unknown method
        convention, ``n_boot`` or ``phenocor``.
    NotEstimable
        A design no multivariable method can fit: J <= K, or collinear exposure effects (one line naming the
        exposures and the variants needed; :func:`mrkit.methods.mv_design.check_design`).
    """
    import pandas as pd

    conv = get_convention(convention)
    mv = as_mvdata(data, exposures)
    used = resolve_seed(seed)
    n_boot = conv.n_boot if n_boot is None else n_boot
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 2:
        raise InputError(f"n_boot must be an integer >= 2, got {n_boot!r}", column="n_boot")
    canon = mv.canonical()
    check_design(canon.bx, mv.exposures, method="multivariable MR")
    chosen = _methods(methods)
    opts = dict(options or {})
    if phenocor is not None:
        phenocor = np.asarray(phenocor, dtype=float)
        opts["phenocor"] = phenocor
    ctx = Context(convention=conv, seed=used, n_boot=int(n_boot), options=opts, snp=canon.snp,
                  requested=tuple(chosen))
    rows, extras = [], []
    for method_id in chosen:
        method = get_mv_method(method_id)
        try:
            res = method(canon, ctx)
        except NotEstimable as exc:
            res = _nan_rows(canon, str(exc))
        extras += [c for c in method.row_keys if c not in extras]
        for r in res:
            rows.append({"exposure": mv.exposures[r["exposure_index"]], "outcome": mv.outcome, "method": method_id,
                         **{c: r.get(c) for c in TABLE_COLUMNS if c not in ("method", "convention")},
                         "convention": conv.name, **{c: r.get(c) for c in method.row_keys}})
    table = pd.DataFrame(rows, columns=["exposure", "outcome", *TABLE_COLUMNS, *extras])
    for col in ("estimate", "se", "ci_lower", "ci_upper", "p"):
        table[col] = table[col].astype(float)
    table["nsnp"] = table["nsnp"].astype("int64")
    for col in ("n_boot", "seed"):
        table[col] = pd.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)
                               for v in table[col]], dtype="Int64")
    table.attrs.update({"convention": conv.name, "seed": used, **mv_diagnostics(mv, convention=conv, pcor=phenocor)})
    return table


