"""Normal, t, chi-squared and F probabilities from :mod:`scipy.special`, without importing ``scipy.stats``.

``import scipy.stats`` costs about a second of start-up (it builds every distribution and parses
their docstrings); mrkit needs only tail probabilities and quantiles of four distributions. Each
function here calls the same :mod:`scipy.special` routine that ``scipy.stats`` calls internally
(scipy 1.17, ``_continuous_distns.py``) and reproduces the ``rv_continuous`` wrapper around it:
values at and beyond the ends of the support (``sf(x <= a) = 1``, ``ppf(0) = a``, ...), NaN for
invalid parameters (df <= 0) and for NaN input, ``+ 0.0`` after quantiles (``ppf * scale + loc``),
and a numpy scalar for scalar input. The numbers are therefore bit-for-bit those of
``scipy.stats`` (``tests/test_distributions.py`` checks that on grids that include the edge cases).

=================  ===========================================  ======================================
function           scipy.stats                                   scipy.special
=================  ===========================================  ======================================
norm_cdf(x)        ``norm.cdf(x)``                               ``ndtr(x)``
norm_sf(x)         ``norm.sf(x)``                                ``ndtr(-x)``
norm_logsf(x)      ``norm.logsf(x)``                             ``log_ndtr(-x)``
norm_ppf(q)        ``norm.ppf(q)``                               ``ndtri(q)``
norm_isf(q)        ``norm.isf(q)``                               ``-ndtri(q)``
norm_pdf(x)        ``norm.pdf(x)``                               ``exp(-x**2/2) / sqrt(2 pi)``
t_sf(x, df)        ``t.sf(x, df)``                               ``stdtr(df, -x)``
t_ppf(q, df)       ``t.ppf(q, df)``                              ``stdtrit(df, q)``
chi2_sf(x, df)     ``chi2.sf(x, df)``                            ``chdtrc(df, x)``
chi2_isf(q, df)    ``chi2.isf(q, df)``                           ``chdtri(df, q)``
chi2_ppf(q, df)    ``chi2.ppf(q, df)``                           ``2 gammaincinv(df/2, q)``
f_sf(x, d1, d2)    ``f.sf(x, d1, d2)``                           ``fdtrc(d1, d2, x)``
=================  ===========================================  ======================================

May import: numpy and scipy.special only (the methods layer; no mrkit module).

References
----------
Virtanen P et al. (2020). SciPy 1.0: fundamental algorithms for scientific computing in Python.
Nat Methods 17:261-272 (``scipy.stats.rv_continuous``, ``scipy.special``).
"""
from __future__ import annotations

import numpy as np
from scipy import special as sc

__all__ = ["norm_cdf", "norm_sf", "norm_logsf", "norm_ppf", "norm_isf", "norm_pdf", "t_sf", "t_ppf",
           "chi2_sf", "chi2_isf", "chi2_ppf", "f_sf"]

_SQRT_2PI = np.sqrt(2 * np.pi)  # scipy.stats' _norm_pdf_C


def _out(value):
    """A numpy scalar for 0-d results, as ``rv_continuous`` returns (``output[()]``)."""
    value = np.asarray(value, dtype=float)
    return value[()] if value.ndim == 0 else value


def _valid(*params) -> np.ndarray:
    """``rv_continuous._argcheck``: every shape parameter > 0 (NaN is invalid)."""
    ok = np.asarray(True)
    for p in params:
        ok = ok & (np.asarray(p, dtype=float) > 0)
    return ok


def _sf(x, value, lower: float, params=(), at_lower: float = 1.0):
    """The ``rv_continuous.sf`` wrapper: 1 (log: 0) at and below the lower end, NaN for bad input."""
    x = np.asarray(x, dtype=float)
    ok = _valid(*params)
    with np.errstate(invalid="ignore"):
        out = np.where(ok & (x <= lower), at_lower, value)
    return _out(np.where(~ok | np.isnan(x), np.nan, out))


def _quantile(q, value, lower: float, upper: float, params=(), upper_tail: bool = False):
    """The ``rv_continuous.ppf``/``isf`` wrapper: the support's ends at q = 0 and 1, NaN outside."""
    q = np.asarray(q, dtype=float)
    ok = _valid(*params)
    at_lower, at_upper = (q == 1, q == 0) if upper_tail else (q == 0, q == 1)
    with np.errstate(invalid="ignore"):
        out = np.where(ok & (q > 0) & (q < 1), value + 0.0, np.nan)  # R-style ppf * scale + loc
    out = np.where(ok & at_lower, lower, out)
    return _out(np.where(ok & at_upper, upper, out))


# -- normal --------------------------------------------------------------------------------------------
def norm_cdf(x):
    """Standard normal CDF (``scipy.stats.norm.cdf``)."""
    return _out(sc.ndtr(np.asarray(x, dtype=float)))


def norm_sf(x):
    """Standard normal upper tail P(Z > x) (``scipy.stats.norm.sf``)."""
    return _out(sc.ndtr(-np.asarray(x, dtype=float)))


def norm_logsf(x):
    """log P(Z > x), accurate far in the tail (``scipy.stats.norm.logsf``)."""
    x = np.asarray(x, dtype=float)
    return _sf(x, sc.log_ndtr(-x), -np.inf, at_lower=0.0)


def norm_ppf(q):
    """Standard normal quantile (``scipy.stats.norm.ppf``)."""
    q = np.asarray(q, dtype=float)
    return _quantile(q, sc.ndtri(q), -np.inf, np.inf)


def norm_isf(q):
    """Upper-tail standard normal quantile, z with P(Z > z) = q (``scipy.stats.norm.isf``)."""
    q = np.asarray(q, dtype=float)
    return _quantile(q, -sc.ndtri(q), -np.inf, np.inf, upper_tail=True)


def norm_pdf(x):
    """Standard normal density (``scipy.stats.norm.pdf``)."""
    x = np.asarray(x, dtype=float)
    return _out(np.exp(-x ** 2 / 2.0) / _SQRT_2PI)


# -- Student t -----------------------------------------------------------------------------------------
def t_sf(x, df):
    """Upper tail of Student's t with ``df`` degrees of freedom (``scipy.stats.t.sf``)."""
    x = np.asarray(x, dtype=float)
    return _sf(x, sc.stdtr(df, -x), -np.inf, (df,))


def t_ppf(q, df):
    """Quantile of Student's t (``scipy.stats.t.ppf``)."""
    q = np.asarray(q, dtype=float)
    return _quantile(q, sc.stdtrit(df, q), -np.inf, np.inf, (df,))


# -- chi-squared and F ---------------------------------------------------------------------------------
def chi2_sf(x, df):
    """Upper tail of the chi-squared distribution (``scipy.stats.chi2.sf``; 1 for x <= 0)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        return _sf(x, sc.chdtrc(df, x), 0.0, (df,))


def chi2_isf(q, df):
    """Upper-tail chi-squared quantile, c with P(X > c) = q (``scipy.stats.chi2.isf``)."""
    q = np.asarray(q, dtype=float)
    return _quantile(q, sc.chdtri(df, q), 0.0, np.inf, (df,), upper_tail=True)


def chi2_ppf(q, df):
    """Chi-squared quantile (``scipy.stats.chi2.ppf``)."""
    q = np.asarray(q, dtype=float)
    return _quantile(q, 2 * sc.gammaincinv(np.asarray(df, dtype=float) / 2, q), 0.0, np.inf, (df,))


def f_sf(x, dfn, dfd):
    """Upper tail of the F distribution (``scipy.stats.f.sf``; 1 for x <= 0)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        return _sf(x, sc.fdtrc(dfn, dfd, x), 0.0, (dfn, dfd))
