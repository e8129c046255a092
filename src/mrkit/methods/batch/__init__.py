"""MR estimators over many replicates at once: every input is an ``(n_rep, k)`` array.

A simulation study fits each method to thousands of simulated datasets. Calling the 1-D
estimators in a Python loop would take minutes per scenario; here each method is written once on
2-D arrays (one row per replicate, one column per SNP) and computes all replicates with a few
numpy operations, so the teaching chapter's full design runs in minutes on two cores.

Each function reproduces its 1-D counterpart in :mod:`mrkit.methods` (TwoSampleMR 0.7.9 defaults unless
said otherwise) row by row:

* :func:`ivw` -- :mod:`mrkit.methods.ivw` (fixed, floored and unfloored multiplicative random effects);
* :func:`egger` -- :mod:`mrkit.methods.egger` (orientation on bx, SE floored at min(1, sigma), t(k-2));
* :func:`simple_median`, :func:`weighted_median`, :func:`penalised_weighted_median` -- the
  point estimates exactly; the SE is the standard deviation of a parametric bootstrap
  (``bx* ~ N(bx, bxse)``, ``by* ~ N(by, byse)``, weights held fixed, as TwoSampleMR's
  ``weighted_median_bootstrap``), drawn for all replicates at once as ``(n_rep, n_boot, k)``;
* :func:`mode` -- simple and weighted mode-based estimate (MBE), point estimate via the R
  ``density()`` port :func:`mrkit.methods.density.density_mode` exactly; SE = MAD of a bootstrap of the
  ratio estimates drawn from ``N(ratio, second-order se)`` (TwoSampleMR ``mr_mode``);
* :func:`ml` -- two-sample maximum likelihood: the optimum of the joint likelihood, found as the
  minimum of its profile over the true SNP-exposure effects (one parameter instead of k + 1),
  by a vectorised safeguarded Newton iteration; SE from the Hessian of the joint likelihood,
  which at the optimum equals the curvature of the profile (Schur complement);
* :func:`raps` -- MR-RAPS (Huber loss, over-dispersion, no shrinkage) solving the estimating
  equations of :mod:`mrkit.methods.raps` with vectorised bracketing and Illinois root finding.

The bootstraps draw their standard normals from one generator seeded through :mod:`mrkit.rng`
(replicate r uses slice ``r`` of one ``(n_rep, n_boot, k)`` draw), so a batch result is
reproducible from its seed; it equals the 1-D estimator's bootstrap SE within Monte Carlo error,
and equals exactly the same algorithm fed the same deviates (see ``tests/test_batch.py``).

References
----------
Burgess S, Butterworth A, Thompson SG (2013). Genet Epidemiol 37:658-665 (IVW).
Bowden J, Davey Smith G, Burgess S (2015). Int J Epidemiol 44:512-525 (MR-Egger).
Bowden J, Davey Smith G, Haycock PC, Burgess S (2016). Consistent estimation in Mendelian
randomization with some invalid instruments using a weighted median estimator. Genet Epidemiol
40:304-314.
Hartwig FP, Davey Smith G, Bowden J (2017). Robust inference in summary data Mendelian
randomization via the zero modal pleiotropy assumption. Int J Epidemiol 46:1985-1998.
Burgess S, Butterworth A, Thompson SG (2013); Hemani G et al. (2018) eLife 7:e34408
(two-sample maximum likelihood as in TwoSampleMR ``mr_two_sample_ml``).
Zhao Q, Wang J, Hemani G, Bowden J, Small DS (2020). Ann Stat 48:1742-1769 (MR-RAPS).

Modules: input checks :mod:`.common`; IVW and MR-Egger :mod:`.regression`; medians and modes
:mod:`.robust`; maximum likelihood and MR-RAPS :mod:`.likelihood`; :func:`fit_methods` here.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...errors import InputError
from ...rng import resolve_seed
from .common import as_batch
from .likelihood import ml, raps
from .regression import egger, ivw
from .robust import (
    median_weights,
    mode,
    penalised_weighted_median,
    simple_median,
    weighted_median,
    weighted_median_rows,
)

__all__ = ["as_batch", "ivw", "egger", "weighted_median_rows", "median_weights", "simple_median",
           "weighted_median", "penalised_weighted_median", "mode", "ml", "raps", "fit_methods",
           "BATCH_METHODS"]

#: Methods :func:`fit_methods` knows, in display order.
BATCH_METHODS = ("ivw", "ivw_fe", "egger", "simple_median", "weighted_median",
                 "penalised_weighted_median", "simple_mode", "weighted_mode", "ml", "raps")


def fit_methods(bx, bxse, by, byse, methods: Iterable[str] = BATCH_METHODS, *,
                n_boot: int = 1000, seed: int | None = None) -> pd.DataFrame:
    """Fit several methods to every replicate; one row per (replicate, method).

    Columns ``replicate, method, estimate, se, ci_lower, ci_upper, p, seed``. TwoSampleMR
    conventions: ``ivw`` = multiplicative random effects floored, ``ivw_fe`` fixed effect, Egger
    and mode p from t, medians with second-order weights. Bootstrap methods share ``seed``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3)
    used = resolve_seed(seed)
    fns = {
        "ivw": lambda: ivw(bx, bxse, by, byse),
        "ivw_fe": lambda: ivw(bx, bxse, by, byse, se_model="fixed"),
        "egger": lambda: egger(bx, bxse, by, byse),
        "simple_median": lambda: simple_median(bx, bxse, by, byse, n_boot=n_boot, seed=used),
        "weighted_median": lambda: weighted_median(bx, bxse, by, byse, n_boot=n_boot, seed=used),
        "penalised_weighted_median": lambda: penalised_weighted_median(
            bx, bxse, by, byse, n_boot=n_boot, seed=used),
        "simple_mode": lambda: mode(bx, bxse, by, byse, weighted=False, n_boot=n_boot, seed=used),
        "weighted_mode": lambda: mode(bx, bxse, by, byse, n_boot=n_boot, seed=used),
        "ml": lambda: ml(bx, bxse, by, byse),
        "raps": lambda: raps(bx, bxse, by, byse),
    }
    frames = []
    for m in methods:
        if m not in fns:
            raise InputError(f"unknown batch method {m!r}; choose from {', '.join(fns)}",
                             column="methods")
        res = fns[m]()
        frames.append(pd.DataFrame({
            "replicate": np.arange(bx.shape[0]), "method": m, "estimate": res["estimate"],
            "se": res["se"], "ci_lower": res["ci_lower"], "ci_upper": res["ci_upper"],
            "p": res["p"], "seed": used}))
    return pd.concat(frames, ignore_index=True)
