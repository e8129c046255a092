# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from RadialMR 1.2.3 (github.com/WSpiller/RadialMR, commit e0d01fe; R/ivw_radial.R: iterative_ivw, PL2,
# PLfunc, BootVar, CIfunc; GPL-3; W. Spiller, J. Bowden, T. Palmer).
"""Radial IVW with iterated and exact second-order weights: RadialMR's "Iterative", "Exact (FE)", "Exact (RE)".

With second-order weights at the causal effect b, ``W_j(b) = bx_j^2 / (phi byse_j^2 + b^2 bxse_j^2)``, Cochran's
Q becomes a function of b, ``Q(b) = sum_j W_j(b) (ratio_j - b)^2`` (Bowden et al. 2019):

* **Iterative**: start at b = 0 and refit the radial IVW regression with ``W(b)`` until b moves by less than
  ``tol`` (RadialMR's coded default 1e-5; its help page says 1e-4); ``lm`` SE, normal p.
* **Exact (FE)**: ``b = argmin Q(b)`` with phi = 1, found by R's ``optimize`` on the interval (-2, 2): RadialMR
  searches no further, so an effect outside (-2, 2) comes back as the interval's edge (1.99994 on the lipids data,
  whose Q keeps falling up to 2.934). SE ``1 / sqrt(sum W(b))``, normal p; RadialMR's interval inverts Q against
  ``qchisq(1 - 2 (1 - pnorm(qt(0.975, k - 1))), k - 1)`` on each side of b (``radial_ci_*``).
* **Exact (RE)**: over-dispersion phi (searched between the squared residual SEs of the first- and second-order
  fits, each at least 1) chosen so that ``min_b Q_phi(b) = k - 1``, then ``b = argmin Q_phi``; both searches use
  ``b_FE -/+ 10 SE_FE``. Its SE is the SD of b over ``n_boot`` (RadialMR: 1000) nonparametric bootstrap
  resamples of the variants, each refitted the same way; p from t(k - 1), interval b -/+ qt(0.975, k - 1) SE.
  RadialMR's bootstrap searches phi's inner minimum over ``c(-lb, ub)`` instead of ``c(lb, ub)`` (a sign slip in
  its code, kept: it moves the bootstrap SE, not the estimate).

Every ``optimize`` here is R's (:func:`mrkit.methods.brent.r_optimize`), step for step, so the deterministic rows
equal R's to rounding although R's tolerance is only 1.2e-4; the bootstrap resamples (R's ``sample()``) are
drawn from :mod:`mrkit.rng` instead, so the RE SE agrees with R within Monte Carlo error. R computes the RE
p-value as ``2 * (1 - pt(|t|, k - 1))``, which is 0 below about 1e-16; here it is the exact tail.

References
----------
Bowden J, Del Greco MF, Minelli C, et al. (2019). Improving the accuracy of two-sample summary-data Mendelian
randomization: moving beyond the NOME assumption. Int J Epidemiol 48:728-742.
Bowden J, Spiller W, Del Greco MF, et al. (2018). Int J Epidemiol 47:1264-1278.
"""
from __future__ import annotations

import numpy as np

from .brent import R_OPTIMIZE_TOL, r_optimize
from .distributions import chi2_isf, norm_sf, t_ppf
from .method_info import MethodInfo
from .radial import origin_fit, radial_weights
from .registry import register
from .replicates import as_batch, make_result, not_estimable, replicate_rngs, replicate_seeds

__all__ = ["METHODS", "QUIRKS", "ivw_radial_iterative", "ivw_radial_exact", "exact_q"]

#: RadialMR's coded default ``tol`` of the iterative fit (``if (missing(tol)) tol <- 0.00001``).
ITERATIVE_TOL = 1e-5
#: The interval RadialMR's Exact (FE) searches.
EXACT_INTERVAL = (-2.0, 2.0)


def exact_q(b, ratio, bx, bxse, byse, phi=1.0) -> np.ndarray:
    """``Q_phi(b) = sum_j (ratio_j - b)^2 / ((phi byse_j^2 + b^2 bxse_j^2) / bx_j^2)`` row-wise (RadialMR ``PL2``).

    ``b`` and ``phi`` are ``(n,)`` (one per row) or scalars; the data ``(n, k)``.
    """
    return _ExactQ(ratio, bx, bxse, byse)(b, phi)


class _ExactQ:
    """``Q_phi(b)`` for fixed data, with the per-variant terms ``byse^2/bx^2`` and ``bxse^2/bx^2`` computed once."""

    def __init__(self, ratio, bx=None, bxse=None, byse=None, *, a=None, c=None):
        self.ratio = ratio
        self.a = byse ** 2 / bx ** 2 if a is None else a
        self.c = bxse ** 2 / bx ** 2 if c is None else c

    def __call__(self, b, phi=1.0) -> np.ndarray:
        return self.at(phi)(b)

    def rows(self, idx: np.ndarray) -> _ExactQ:
        """The same statistic for the rows ``idx`` only."""
        return _ExactQ(self.ratio[idx], a=self.a[idx], c=self.c[idx])

    def at(self, phi):
        """``q(b, idx=None) = Q_phi(b)`` for one ``phi`` per row (or a scalar), on all rows or on the rows ``idx``
        (:func:`~mrkit.methods.brent.r_optimize` with ``lanes=True``): ``phi byse^2/bx^2`` is formed once, and the
        rows of the last ``idx`` are kept, since an optimisation asks for the same unfinished rows many times."""
        pa = np.asarray(phi, dtype=float)[..., None] * self.a
        cache = {}

        def q(b, idx=None):
            if idx is None:
                ratio, c, p = self.ratio, self.c, pa
            else:
                if cache.get("n") != idx.size:
                    cache.update(n=idx.size, ratio=self.ratio[idx], c=self.c[idx], pa=pa[idx])
                ratio, c, p = cache["ratio"], cache["c"], cache["pa"]
            b = np.asarray(b, dtype=float)[..., None]
            d = ratio - b
            np.multiply(d, d, out=d)
            den = c * (b * b)
            np.add(den, p, out=den)
            np.divide(d, den, out=d)
            return d.sum(axis=-1)

        return q


def ivw_radial_iterative(bx, bxse, by, byse, *, tol: float = ITERATIVE_TOL, max_iter: int = 1000) -> dict:
    """RadialMR's "Iterative" row: radial IVW refitted with second-order weights at the last estimate.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
    tol : float
        Stop when the estimate moves by less than ``tol`` (RadialMR ``while (Diff >= tol)``).
    max_iter : int
        Safety limit (R has none); a replicate that reaches it is not estimable.

    Returns
    -------
    dict
        make_result (lm SE, normal p) plus ``q``, ``iterations``, ``radial_ci_lower/upper`` (t(k - 1) confint).
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="iterative radial IVW")
    n_rep, k = bx.shape
    ratio = by / bx
    b = np.zeros(n_rep)
    fit = origin_fit(radial_weights(bx, bxse, by, byse, 3, b), ratio)
    count = np.ones(n_rep, dtype=int)
    active = np.abs(fit["slope"]) >= tol
    b = fit["slope"].copy()
    for _ in range(max_iter):
        if not active.any():
            break
        new = origin_fit(radial_weights(bx, bxse, by, byse, 3, b), ratio)
        for key in ("slope", "se", "q"):
            fit[key] = np.where(active, new[key], fit[key])
        count += active
        moved = np.abs(b - new["slope"])
        b = np.where(active, new["slope"], b)
        active &= moved >= tol
    t = float(t_ppf(0.975, k - 1))
    result = make_result(fit["slope"], fit["se"], nsnp=k, se_model="random_unfloored",
                         weights="iterated_second_order", q=fit["q"], iterations=count,
                         radial_ci_lower=fit["slope"] - t * fit["se"], radial_ci_upper=fit["slope"] + t * fit["se"])
    return not_estimable(result, active, f"no convergence in {max_iter} iterations")


def _exact_fe(q_of: _ExactQ, interval) -> tuple[np.ndarray, np.ndarray]:
    n = q_of.ratio.shape[0]
    lo, hi = (np.full(n, float(v)) for v in interval)
    b = r_optimize(q_of, lo, hi)
    se = np.sqrt(1.0 / np.sum(1.0 / (q_of.a + (b * b)[:, None] * q_of.c), axis=1))
    return b, se


def _exact_re_estimate(q_of: _ExactQ, lb, ub, phi_low, phi_high, inner_lb=None):
    """``(phi, b)``: phi with ``min_b Q_phi(b) = k - 1`` (searched on ``(phi_low, phi_high)``), then
    ``b = argmin_b Q_phi`` on ``(lb, ub)``; the inner search of phi uses ``(inner_lb, ub)`` (RadialMR's bootstrap:
    ``-lb``)."""
    df = q_of.ratio.shape[1] - 1
    inner_lb = lb if inner_lb is None else inner_lb

    def phi_gap(phi, idx):
        q_phi = q_of.rows(idx).at(phi)
        return (q_phi(r_optimize(q_phi, inner_lb[idx], ub[idx], lanes=True)) - df) ** 2

    phi = r_optimize(phi_gap, phi_low, phi_high, lanes=True)
    return phi, r_optimize(q_of.at(phi), lb, ub, lanes=True)


def _residual_phis(ratio, bx, bxse, by, byse):
    """RadialMR's phi search range: squared residual SEs of the first- and second-order radial fits, floored at 1."""
    phi1 = origin_fit(radial_weights(bx, bxse, by, byse, 1), ratio)
    phi2 = origin_fit(radial_weights(bx, bxse, by, byse, 2), ratio)
    return phi1, np.maximum(1.0, phi2["sigma"] ** 2), np.maximum(1.0, phi1["sigma"] ** 2)


def _bootstrap_re(ratio, bx, bxse, by, byse, n_boot, rngs) -> np.ndarray:
    """SD of the RE estimate over ``n_boot`` resamples of the variants per replicate (RadialMR ``BootVar``)."""
    n_rep, k = ratio.shape
    pick = np.stack([g.integers(0, k, size=(n_boot, k)) for g in rngs])  # (n_rep, n_boot, k)
    rows = np.repeat(np.arange(n_rep), n_boot)
    idx = pick.reshape(n_rep * n_boot, k)
    take = [a[rows[:, None], idx] for a in (ratio, bx, bxse, by, byse)]
    fit1, phi2, phi1 = _residual_phis(*take)
    lb = fit1["slope"] - 10 * fit1["se"]
    ub = fit1["slope"] + 10 * fit1["se"]
    flat = lb == ub  # every resampled variant the same one: R's optimize stops ('xmin' not less than 'xmax')
    ub = np.where(flat, lb + 1.0, ub)
    _, b = _exact_re_estimate(_ExactQ(take[0], take[1], take[2], take[4]), lb, ub, phi2, phi1 + 0.001, inner_lb=-lb)
    b = np.where(flat, fit1["slope"], b)
    return b.reshape(n_rep, n_boot).std(axis=1, ddof=1)


def ivw_radial_exact(bx, bxse, by, byse, *, random: bool = False, interval=EXACT_INTERVAL, n_boot: int = 1000,
                     seed=None) -> dict:
    """RadialMR's "Exact (FE)" (``random=False``) or "Exact (RE)" row: b minimising the exact Q statistic.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
    random : bool
        The random-effects version (over-dispersion phi, bootstrap SE) instead of the fixed-effect one.
    interval : (float, float)
        Where the fixed-effect estimate is searched: RadialMR's (-2, 2) by default (a wider one reproduces no R
        but finds effects beyond +-2). The RE searches start from the FE estimate.
    n_boot : int
        Nonparametric bootstrap resamples of the RE SE (RadialMR: 1000).
    seed : int, (n_rep,) ints or None
        Seeds of the RE bootstrap (:func:`mrkit.methods.replicates.replicate_rngs`).

    Returns
    -------
    dict
        make_result: FE with ``1/sqrt(sum W)`` SE and normal p, RE with bootstrap SE and t(k - 1) p; plus ``q``
        (exact Q at the estimate: ``Q_1(b)`` for FE, ``Q_phi(b)`` for RE), ``phi`` (RE), ``radial_ci_lower/upper``
        (RadialMR's interval), and a note when the FE estimate sits on the search interval's edge.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3 if random else 2, method="exact radial IVW")
    n_rep, k = bx.shape
    ratio = by / bx
    q_of = _ExactQ(ratio, bx, bxse, byse)
    b_fe, se_fe = _exact_fe(q_of, interval)
    lo, hi = min(interval), max(interval)
    tol1 = np.sqrt(np.finfo(float).eps) * np.abs(b_fe) + R_OPTIMIZE_TOL / 3  # R's Brent_fmin tol1
    at_edge = np.minimum(b_fe - lo, hi - b_fe) < 4 * tol1
    edge_note = np.where(at_edge, f"RadialMR's Exact (FE) searches only ({lo:g}, {hi:g}): this estimate is the "
                         "interval's edge, not the minimum of Q (reproduced)", "")
    lb, ub = b_fe - 10 * se_fe, b_fe + 10 * se_fe
    if not random:
        df = k - 1
        target = float(chi2_isf(2.0 * norm_sf(float(t_ppf(0.975, df))), df))  # qchisq(1 - z2, DF)

        def gap(x):
            return (q_of(x) - target) ** 2

        low, high = r_optimize(gap, lb, b_fe), r_optimize(gap, b_fe, ub)
        return make_result(b_fe, se_fe, nsnp=k, se_model="fixed", weights="exact_second_order",
                           note=edge_note.astype(object), q=q_of(b_fe),
                           radial_ci_lower=low, radial_ci_upper=high)
    _, phi2, phi1 = _residual_phis(ratio, bx, bxse, by, byse)
    phi, b_re = _exact_re_estimate(q_of, lb, ub, phi2, phi1 + 0.001)
    se = _bootstrap_re(ratio, bx, bxse, by, byse, int(n_boot), replicate_rngs(seed, n_rep))
    note = np.where(at_edge, f"starts from the Exact (FE) estimate, which sits on the edge of ({lo:g}, {hi:g})", "")
    t = float(t_ppf(0.975, k - 1))
    return make_result(b_re, se, nsnp=k, se_model="bootstrap", weights="exact_second_order_overdispersed",
                       df=k - 1, n_boot=int(n_boot), seed=replicate_seeds(seed, n_rep), note=note.astype(object),
                       q=q_of(b_re, phi), phi=phi,
                       radial_ci_lower=b_re - t * se, radial_ci_upper=b_re + t * se)


_COMMON = dict(family="none (all valid)",
               trades="Assumes every variant is valid; relaxes IVW's no-measurement-error (NOME) assumption by "
                      "weighting each ratio with its second-order variance at the estimate itself.",
               when="With weak instruments or a large effect, where first-order weights understate the ratio "
                    "variances and IVW and Cochran's Q are biased (Bowden et al. 2019).")
_Q = (r"Q_\phi(\beta) = \sum_j \frac{(\hat\beta_j - \beta)^2}"
      r"{(\phi\,\sigma_{Yj}^2 + \beta^2\sigma_{Xj}^2)/\hat\beta_{Xj}^2}")
#: One record per method id of this module.
METHODS = (
    MethodInfo(id="ivw_radial_iterative", label="IVW radial (iterative)", short_label="IVW radial iter.",
               r_function="RadialMR 1.2.3 ivw_radial(), 'Iterative' row (tol 1e-5 as coded)",
               idea="Radial IVW refitted with second-order weights evaluated at the previous estimate, from 0 "
                    "until the estimate moves by less than 1e-5. The weights then account for the exposure "
                    "betas' uncertainty at the estimated effect.",
               formula=r"\hat\beta^{(t+1)} = \frac{\sum_j W_j(\hat\beta^{(t)})\hat\beta_j}{\sum_j "
                       r"W_j(\hat\beta^{(t)})},\ W_j(\beta) = \frac{\hat\beta_{Xj}^2}{\sigma_{Yj}^2 + \beta^2"
                       r"\sigma_{Xj}^2}", extra_keys=("q", "iterations"), **_COMMON),
    MethodInfo(id="ivw_radial_exact_fe", label="IVW radial (exact, FE)", short_label="IVW radial exact FE",
               r_function="RadialMR 1.2.3 ivw_radial(), 'Exact (FE)' row: optimize() on (-2, 2)",
               idea="The effect that minimises the exact (second-order) Cochran's Q, a fixed-effect estimate. "
                    "RadialMR searches only (-2, 2), so a larger effect comes back as the interval's edge.",
               formula=r"\hat\beta = \arg\min_{-2<\beta<2} Q_1(\beta),\ " + _Q, extra_keys=("q",), **_COMMON),
    MethodInfo(id="ivw_radial_exact_re", label="IVW radial (exact, RE)", short_label="IVW radial exact RE",
               r_function="RadialMR 1.2.3 ivw_radial(), 'Exact (RE)' row (bootstrap SE, 1000 resamples)",
               idea="Exact Q with a multiplicative over-dispersion phi chosen so that the minimum of Q equals its "
                    "degrees of freedom; the effect minimises that Q. Its SE comes from a nonparametric bootstrap "
                    "of the variants.",
               formula=r"\min_\beta Q_\phi(\beta) = k - 1,\ \hat\beta = \arg\min_\beta Q_{\hat\phi}(\beta),\ " + _Q,
               extra_keys=("q", "phi"), **_COMMON),
)

_OPTIMIZE = ("R's optimize finds each exact estimate to its default tol (about 1.2e-4) only; mrkit ports R's "
             "Brent_fmin step for step (brent.r_optimize) and returns R's very iterate, not a more exact minimum.")
#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {
    "ivw_radial_iterative": ("RadialMR's ivw_radial uses tol = 1e-5 when tol is missing (if (missing(tol)) tol <- "
                             "0.00001) although its help page says 1e-4; mrkit uses the coded 1e-5.",),
    "ivw_radial_exact_fe": ("RadialMR's Exact (FE) searches only (-2, 2) (optimize(PL2, interval = c(-2, 2))): an "
                            "effect outside comes back as the interval's edge (1.99994 on the lipids data, where "
                            "the minimum of Q is at 3.1733); the row's note says so, option interval= widens it.",
                            _OPTIMIZE,
                            "Its interval (fe.confint) inverts Q against a t-based chi-square target; with "
                            "heterogeneous data Q already exceeds the target at the estimate and the interval "
                            "collapses onto it (BMI: [0.45798, 0.45813]); kept as radial_ci_lower/upper, the row's "
                            "CI follows the convention."),
    "ivw_radial_exact_re": ("The Exact (RE) row searches b_FE -/+ 10 SE_FE around the Exact (FE) value, i.e. around "
                            "the (-2, 2) edge when that clipped.",
                            "RadialMR's bootstrap searches phi in c(-lb, ub) instead of c(lb, ub) (a sign slip; R's "
                            "optimize sorts the interval): reproduced, it moves only the bootstrap SE, and R's "
                            "resampling (sample()) itself is Monte Carlo.",
                            _OPTIMIZE,
                            "RadialMR's p-value 2 * (1 - pt(|t|, k - 1)) prints 0 below about 1e-16; not reproduced: "
                            "mrkit gives the exact tail."),
}

register("ivw_radial_iterative", lambda data, ctx: ivw_radial_iterative(*data), row_keys=("q", "iterations"),
         reference=METHODS[0].r_function)
register("ivw_radial_exact_fe", lambda data, ctx: ivw_radial_exact(*data), row_keys=("q",),
         reference=METHODS[1].r_function)
register("ivw_radial_exact_re", lambda data, ctx: ivw_radial_exact(
    *data, random=True, n_boot=ctx.options.get("radial_n_boot", 1000), seed=ctx.seed), row_keys=("q", "phi"),
    reference=METHODS[2].r_function)
