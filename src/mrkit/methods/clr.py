# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_clr-methods.R (mr_clr: mrTests, mrCI),
# github.com/cran/MendelianRandomization tag 0.10.0.
"""Weak-instrument robust confidence sets: the conditional likelihood ratio (CLR), Anderson-Rubin (AR) and Kleibergen
(K) tests inverted on a grid (Wang & Kang 2022), MendelianRandomization ``mr_clr``.

The summary statistics are first turned into joint estimates that allow for correlated variants (``ld``, J x J;
identity when not given): for the outcome ``a_j = 1 / (n_y byse_j^2 + by_j^2)``, ``A = (sqrt(a) sqrt(a)') * ld``,
``beta_y = A^-1 (a * by)`` and ``C_y = A^-1 (1 - (a by)' A^-1 (a by)) / (n_y - J + 1)``; the same for the exposure
with ``n_x``. For each ``beta0`` on the grid ``seq(-10, 10, by = 0.01)``:

* ``S = (C_y + beta0^2 C_x)^(-1/2) (beta_y - beta0 beta_x)``,
  ``T = (beta0^2 C_y^-1 + C_x^-1)^(-1/2) (beta0 C_y^-1 beta_y + C_x^-1 beta_x)`` (symmetric square roots),
  ``Q_S = S'S``, ``Q_T = T'T``, ``Q_ST = S'T``;
* AR = Q_S against chi2_J; K = Q_ST^2 / Q_T against chi2_1;
  CLR = (Q_S - Q_T + sqrt((Q_S + Q_T)^2 - 4 (Q_S Q_T - Q_ST^2))) / 2 with the conditional p-value
  ``1 - 2 c_J int_0^1 F_J((Q_T + CLR) / (1 + Q_T x^2 / CLR)) (1 - x^2)^((J - 3) / 2) dx``,
  ``c_J = Gamma(J/2) / (Gamma((J-1)/2) sqrt(pi))`` (for J = 1: CLR against chi2_1).

A value is in a set when its test does not reject at ``alpha``; each set is the union of its runs of accepted
grid points (R's ``mrCI``). There is no point estimate and no p-value (R reports none).

Where this differs from R, and why it still gives R's sets: R integrates with ``integrate()`` (QUADPACK);
here the integral, after ``x = sin t``, is a composite Gauss-Legendre rule on panels graded geometrically
towards t = 0 (where the integrand can change quickly when CLR << Q_T), accurate to about 1e-12, so only a grid
point whose p-value is within that of alpha could be decided differently. The integral is only evaluated where it
can decide: the conditional critical value of CLR lies between the chi2_1 and chi2_J quantiles (Moreira 2003), so a
CLR below the first is accepted and one above the second rejected without it. With ``ld`` the identity (the
default) every matrix is diagonal and the tests are computed in closed form.

Quirks of R kept here: a set that reaches the grid's end (-10 or 10) is cut there without notice (noted in the
row here); an empty AR set (AR rejects every value, which heterogeneity alone causes) is reported by R as
``numeric(0)`` (NaN bounds and a note here).

References
----------
Wang S, Kang H (2022). Weak-instrument robust tests in two-sample summary-data Mendelian randomization.
Biometrics 78:1699-1713.
Moreira MJ (2003). A conditional likelihood ratio test for structural models. Econometrica 71:1027-1048.
"""
from __future__ import annotations

import numpy as np
from scipy import special as sc

from ..errors import InputError
from .cml import gwas_sample_sizes
from .correlated import checked_ld
from .distributions import chi2_ppf
from .grid_search import accept_runs, grid_note, r_seq_by
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "QUIRKS", "mr_clr", "summary_joint"]

METHODS = (
    MethodInfo(
        id="clr", label="Conditional likelihood ratio (weak-instrument robust)", short_label="CLR",
        family="none (all valid)",
        r_function="MendelianRandomization 0.10.0 mr_clr(nx, ny, CIMin = -10, CIMax = 10, CIStep = 0.01)",
        idea=("Instead of an estimate plus or minus its SE, test every candidate effect with a test whose size does "
              "not depend on instrument strength, and keep the values not rejected. The conditional likelihood "
              "ratio test is the most powerful of these; AR and K sets come with it."),
        formula=r"\mathrm{CLR}(\beta_0) = \tfrac12\left(Q_S - Q_T + \sqrt{(Q_S+Q_T)^2 - 4(Q_S Q_T - Q_{ST}^2)}\right)",
        trades=("Keeps 'all variants valid' (AR also tests that); gives up the need for strong instruments: its "
                "coverage holds however weak they are."),
        when=("Weak instruments (low F), where IVW's interval under-covers; an empty AR set signals heterogeneity "
              "(invalid variants)."),
        extra_keys=("ar_lower", "ar_upper", "k_lower", "k_upper")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"clr": ("Sets are read off the grid -10...10 and cut at its ends without notice.",
                  "An empty AR set (every value rejected) is numeric(0) in R.")}

# Gauss-Legendre rule for the CLR integral: panels [0, h 2^-m], ..., [h/2, h] with h = pi/2.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_PANELS = 40


def _clr_nodes():
    edges = (np.pi / 2) * np.concatenate([[0.0], 2.0 ** -np.arange(_PANELS - 1, -1, -1)])
    a, b = edges[:-1, None], edges[1:, None]
    t = ((b - a) / 2 * _GL_X[None, :] + (a + b) / 2).ravel()
    w = ((b - a) / 2 * _GL_W[None, :]).ravel()
    return t, w


_T, _W = _clr_nodes()


def _clr_pvalue(clr: np.ndarray, qt: np.ndarray, k: int) -> np.ndarray:
    """R's CLR p-value ``1 - 2 K integral`` for arrays of CLR and Q_T (k > 1 variants)."""
    const = np.exp(sc.gammaln(k / 2) - sc.gammaln((k - 1) / 2)) / np.sqrt(np.pi)
    x2 = np.sin(_T) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = (qt[:, None] + clr[:, None]) / (1 + qt[:, None] * x2[None, :] / clr[:, None])
    arg = np.where(clr[:, None] > 0, arg, 0.0)
    integrand = sc.gammainc(k / 2, arg / 2) * np.cos(_T)[None, :] ** (k - 2)
    return 1 - 2 * const * (integrand @ _W)


def summary_joint(b, se, n, ld):
    """(beta, C) of the joint model from marginal summary statistics (R's mr_clr / mr_pcgmm preamble)."""
    a = 1.0 / (n * se ** 2 + b ** 2)
    big_a = np.sqrt(np.outer(a, a)) * ld
    ab = a * b
    inv = np.linalg.inv(big_a)
    p = b.size
    cov = inv * (1 - ab @ inv @ ab) / (n - p + 1)
    return inv @ ab, cov


def _tests_diagonal(grid, by_, cy, bx_, cx):
    """Q_S, Q_T, Q_ST on the grid when C_y and C_x are diagonal (given as vectors)."""
    b0 = grid[:, None]
    s = cy[None, :] + b0 ** 2 * cx[None, :]
    r = b0 ** 2 / cy[None, :] + 1 / cx[None, :]
    g = by_[None, :] - b0 * bx_[None, :]
    h = b0 * by_[None, :] / cy[None, :] + bx_[None, :] / cx[None, :]
    return np.sum(g * g / s, axis=1), np.sum(h * h / r, axis=1), np.sum(g * h / np.sqrt(s * r), axis=1)


def _inv_sqrt(m):
    lam, vec = np.linalg.eigh(m)
    return np.einsum("gij,gj,gkj->gik", vec, 1 / np.sqrt(lam), vec)


def _tests_general(grid, by_, cy, bx_, cx, block: int = 256):
    cy_inv, cx_inv = np.linalg.inv(cy), np.linalg.inv(cx)
    qs, qt, qst = (np.empty(grid.size) for _ in range(3))
    for start in range(0, grid.size, block):
        b0 = grid[start:start + block, None, None]
        sn = _inv_sqrt(cy[None] + b0 ** 2 * cx[None]) @ (by_[None, :, None] - b0 * bx_[None, :, None])
        rn = _inv_sqrt(b0 ** 2 * cy_inv[None] + cx_inv[None]) @ (b0 * (cy_inv @ by_)[None, :, None]
                                                                   + (cx_inv @ bx_)[None, :, None])
        sl = slice(start, start + block)
        qs[sl] = np.sum(sn[..., 0] ** 2, axis=1)
        qt[sl] = np.sum(rn[..., 0] ** 2, axis=1)
        qst[sl] = np.sum(sn[..., 0] * rn[..., 0], axis=1)
    return qs, qt, qst


def _bounds(accepted, grid):
    left, right = accept_runs(accepted, grid)
    if left.size == 0:
        return np.nan, np.nan, left, right
    return left.min(), right.max(), left, right


def mr_clr(bx, bxse, by, byse, *, nx, ny, ld=None, grid_min: float = -10.0, grid_max: float = 10.0,
           grid_step: float = 0.01, alpha: float = 0.05) -> dict[str, np.ndarray]:
    """CLR, AR and K confidence sets, MendelianRandomization ``mr_clr(nx, ny)``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
    nx, ny : float
        Sample sizes of the exposure and outcome GWAS (R's ``nx``, ``ny``).
    ld : array_like, shape (k, k), optional
        Correlation (LD) matrix of the variants, in the alleles of ``bx``; the identity when None.
    grid_min, grid_max, grid_step : float
        The grid (R's ``CIMin = -10``, ``CIMax = 10``, ``CIStep = 0.01``).
    alpha : float
        Size of the tests.

    Returns
    -------
    dict
        The contract's result: ``estimate``, ``se``, ``p`` NaN (there is none); ``ci_lower``, ``ci_upper`` (the CLR
        set's outer bounds), ``ar_lower``, ``ar_upper``, ``k_lower``, ``k_upper`` (NaN for an empty set), each
        (n_rep,); ``sets`` (n_rep,) objects, each a dict name -> (lefts, rights) of every run; ``note`` (n_rep,).

    Raises
    ------
    mrkit.errors.InputError
        Bad input, sample sizes not above k - 1, an ``ld`` of the wrong shape or not positive definite, or a bad
        grid.
    mrkit.errors.NotEstimable
        No variant.

    References
    ----------
    Wang S, Kang H (2022). Biometrics 78:1699-1713; MendelianRandomization ``mr_clr``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=1, method="CLR")
    n_rep, k = bx.shape
    for name, n in (("nx", nx), ("ny", ny)):
        if not (np.isfinite(n) and n > k - 1):
            raise InputError(f"{name} must be a sample size above k - 1 = {k - 1}, got {n!r}", column=name)
    diagonal = ld is None
    if not diagonal:
        ld = checked_ld(ld, k)
    try:
        grid = r_seq_by(grid_min, grid_max, grid_step)
    except ValueError as exc:
        raise InputError(f"CLR grid: {exc}", column="grid") from None
    crit_ar, crit_1 = float(chi2_ppf(1 - alpha, k)), float(chi2_ppf(1 - alpha, 1))
    keys = ("ci_lower", "ci_upper", "ar_lower", "ar_upper", "k_lower", "k_upper")
    out = {key: np.full(n_rep, np.nan) for key in keys}
    sets, notes = [], []
    for r in range(n_rep):
        if diagonal:
            ay = 1.0 / (ny * byse[r] ** 2 + by[r] ** 2)
            ax = 1.0 / (nx * bxse[r] ** 2 + bx[r] ** 2)
            cy = (1 - np.sum(ay * by[r] ** 2)) / (ny - k + 1) / ay
            cx = (1 - np.sum(ax * bx[r] ** 2)) / (nx - k + 1) / ax
            qs, qt, qst = _tests_diagonal(grid, by[r], cy, bx[r], cx)
        else:
            beta_y, cy = summary_joint(by[r], byse[r], ny, ld)
            beta_x, cx = summary_joint(bx[r], bxse[r], nx, ld)
            qs, qt, qst = _tests_general(grid, beta_y, cy, beta_x, cx)
        ar_accept = ~(qs > crit_ar)
        with np.errstate(divide="ignore", invalid="ignore"):
            k_accept = ~(qst ** 2 / qt > crit_1)
        clr = 0.5 * (qs - qt + np.sqrt(np.maximum((qs + qt) ** 2 - 4 * (qs * qt - qst ** 2), 0.0)))
        clr_accept = ~(clr > crit_1)
        if k > 1:  # the conditional critical value lies between chi2_1's and chi2_k's quantiles (Moreira 2003)
            undecided = np.flatnonzero((clr > crit_1 * (1 - 1e-9)) & ~(clr > crit_ar * (1 + 1e-9)))
            clr_accept = ~(clr > crit_ar * (1 + 1e-9))
            clr_accept[undecided] = ~(_clr_pvalue(clr[undecided], qt[undecided], k) < alpha)
        found, note = {}, []
        for name, accepted, lo_key, hi_key in (("CLR", clr_accept, "ci_lower", "ci_upper"),
                                               ("AR", ar_accept, "ar_lower", "ar_upper"),
                                               ("K", k_accept, "k_lower", "k_upper")):
            lo, hi, lefts, rights = _bounds(accepted, grid)
            out[lo_key][r], out[hi_key][r] = lo, hi
            found[name] = (lefts, rights)
            if lefts.size == 0:
                note.append(f"{name} set empty (every value on the grid rejected"
                            + (": heterogeneity)" if name == "AR" else ")"))
            elif lefts.size > 1:
                note.append(f"{name} set is a union of {lefts.size} intervals")
            cut = grid_note(lefts, rights, grid[0], grid[-1], f"{name} set")
            if cut:
                note.append(cut)
        sets.append(found)
        notes.append("; ".join(note))
    all_sets = np.empty(n_rep, dtype=object)
    all_sets[:] = sets
    result = make_result(np.full(n_rep, np.nan), np.full(n_rep, np.nan), nsnp=k, se_model="none (test inversion)",
                         weights="none", note=np.array(notes, dtype=object), sets=all_sets,
                         **{key: out[key] for key in keys[2:]})
    result["ci_lower"], result["ci_upper"] = out["ci_lower"], out["ci_upper"]
    result["distribution"], result["ci_distribution"] = "none", "CLR test inversion on the grid"
    return result


def _run_clr(data, ctx):
    nx, ny = gwas_sample_sizes(ctx, "CLR")
    return mr_clr(*data, nx=nx, ny=ny, ld=ctx.options.get("ld"))


# order "given": an LD matrix (option "ld") is in the user's rows and alleles
register("clr", _run_clr, order="given", row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function,
         uses_ld=True)
