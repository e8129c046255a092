# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_ivw-methods.R and R/mr_egger-methods.R (the
# correl = TRUE branches of mr_ivw and mr_egger), github.com/cran/MendelianRandomization tag 0.10.0.
"""IVW and MR-Egger with correlated variants: generalised least squares with the LD matrix, as
MendelianRandomization's ``mr_ivw`` and ``mr_egger`` fit them when the ``MRInput`` has a correlation matrix.

With ``rho`` the (k, k) LD (correlation) matrix of the variants, on the alleles as given, the outcome associations
have covariance ``Omega = (byse byse^T) * rho`` (elementwise). Then

* **IVW** (``ivw_correl``): ``b = (bx^T Omega^-1 by) / (bx^T Omega^-1 bx)``, SE ``sqrt(1 / bx^T Omega^-1 bx)``, times
  ``max(1, rse)`` under the random-effects model (R's default when k >= 4; fixed below), with the residual SE
  ``rse = sqrt(r^T Omega^-1 r / (k - 1))``, ``r = by - b bx``;
* **MR-Egger** (``egger_correl``): variants oriented to ``bx > 0`` first (``by`` and the rows and columns of
  ``rho`` multiplied by ``sign(bx)``, as R does), then the GLS fit of ``by`` on ``(1, |bx|)``; SEs
  ``sqrt(diag((X^T Omega^-1 X)^-1)) max(1, rse)`` with ``rse`` on k - 2 df.

Both use normal intervals and p-values (R's default ``distribution = "normal"``). Cochran's Q is ``(k - 1) rse^2``
(MR-Egger: ``(k - 2) rse^2``), as R's ``Heter.Stat``. With ``rho`` the identity they are the IVW and MR-Egger
of ``mr_ivw`` and ``mr_egger`` without correlation (first-order weights).

References
----------
Burgess S, Dudbridge F, Thompson SG (2016). Combining information on multiple instrumental variables in Mendelian
randomization: comparison of allele score and summarized data methods. Stat Med 35:1880-1906.
Yavorska OO, Burgess S (2017). MendelianRandomization: an R package for performing Mendelian randomization
analyses using summarized data. Int J Epidemiol 46:1734-1739.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, NotEstimable
from .distributions import chi2_sf, norm_cdf, norm_ppf
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "NEEDS_LD", "checked_ld", "mr_ivw_correl", "mr_egger_correl"]

METHODS = (
    MethodInfo(
        id="ivw_correl", label="IVW (correlated variants)", short_label="IVW correl.", family="none (all valid)",
        r_function="MendelianRandomization 0.10.0 mr_ivw(correl = TRUE)",
        idea=("IVW assumes the variants are independent. With variants in LD, the outcome associations are "
              "correlated, and the generalised least-squares fit with the LD matrix weights them correctly."),
        formula=r"\hat\beta = \frac{\hat\beta_X^\top\Omega^{-1}\hat\beta_Y}{\hat\beta_X^\top\Omega^{-1}"
                r"\hat\beta_X},\quad \Omega = (\sigma_Y\sigma_Y^\top)\circ\rho",
        trades="Keeps IVW's assumption that every variant is valid; drops its need for independent variants.",
        when=("Variants in LD with one another (chosen at a lenient LD threshold, or from one gene region), with "
              "their LD matrix (--ld)."),
        extra_keys=("rse", "q", "q_p")),
    MethodInfo(
        id="egger_correl", label="MR-Egger (correlated variants)", short_label="Egger correl.", family="InSIDE",
        r_function="MendelianRandomization 0.10.0 mr_egger(correl = TRUE)",
        idea=("MR-Egger's regression with an intercept, fitted by generalised least squares with the LD matrix. "
              "Variants in LD with one another then count as correlated evidence, not as independent evidence."),
        formula=r"(\hat\beta_0, \hat\beta) = (X^\top\Omega^{-1}X)^{-1}X^\top\Omega^{-1}\hat\beta_Y,\quad "
                r"X = (1, |\hat\beta_X|)",
        trades="Keeps InSIDE (pleiotropy independent of instrument strength); drops independent variants.",
        when="As MR-Egger, for variants in LD, with their LD matrix (--ld).",
        extra_keys=("intercept", "intercept_se", "intercept_p", "rse", "q", "q_p")),
)

#: The ids that run only with an LD matrix (on independent variants they are IVW and MR-Egger).
NEEDS_LD = tuple(info.id for info in METHODS)


def checked_ld(ld, k: int) -> np.ndarray:
    """``ld`` as a (k, k) float array; raises :class:`~mrkit.errors.InputError` (column ``ld``) unless it is a
    symmetric positive definite k x k matrix."""
    ld = np.asarray(ld, dtype=float)
    if ld.shape != (k, k) or not np.all(np.isfinite(ld)) or not np.allclose(ld, ld.T) \
            or np.any(np.linalg.eigvalsh(ld) <= 0):
        raise InputError(f"ld must be a symmetric positive definite {k} x {k} matrix", column="ld")
    return ld


def _gls(x, y, omega):
    """GLS of y (R, k) on x (R, k, p) with covariances omega (R, k, k): coefficients (R, p), (X^T O^-1 X)^-1
    (R, p, p) and r^T O^-1 r (R,)."""
    oi_x = np.linalg.solve(omega, x)
    oi_y = np.linalg.solve(omega, y[..., None])[..., 0]
    info = np.einsum("rki,rkj->rij", x, oi_x)
    inv = np.linalg.inv(info)
    coef = np.einsum("rij,rj->ri", inv, np.einsum("rki,rk->ri", x, oi_y))
    res = y - np.einsum("rki,ri->rk", x, coef)
    return coef, inv, np.einsum("rk,rk->r", res, np.linalg.solve(omega, res[..., None])[..., 0])


def _omega(byse, rho):
    return byse[:, :, None] * byse[:, None, :] * rho


def mr_ivw_correl(bx, bxse, by, byse, ld, *, model: str = "default") -> dict[str, np.ndarray]:
    """IVW with correlated variants, MendelianRandomization ``mr_ivw`` with an LD matrix (``correl = TRUE``).

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
    ld : array_like, shape (k, k)
        LD (correlation) matrix of the variants, on the alleles of ``bx`` as given.
    model : {"default", "random", "fixed"}
        ``default``: fixed when k < 4, else random (SE times ``max(1, rse)``).

    Returns
    -------
    dict
        The contract's result (normal CI and p) with ``rse``, ``q = (k - 1) rse^2`` and ``q_p``, each (n_rep,).

    Raises
    ------
    mrkit.errors.InputError
        Bad input, an LD matrix that is not symmetric positive definite, or an unknown model.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="IVW (correlated variants)")
    n_rep, k = bx.shape
    rho = checked_ld(ld, k)
    if model not in ("default", "random", "fixed"):
        raise InputError(f"model must be default, random or fixed, got {model!r}", column="model")
    if model == "default":
        model = "fixed" if k < 4 else "random"
    coef, inv, rss = _gls(bx[:, :, None], by, _omega(byse, rho))
    rse = np.sqrt(rss / (k - 1))
    se = np.sqrt(inv[:, 0, 0]) * (np.maximum(rse, 1.0) if model == "random" else 1.0)
    q = (k - 1) * rse ** 2
    return make_result(coef[:, 0], se, nsnp=k, se_model=f"gls_{model}" + ("_floored" if model == "random" else ""),
                       weights="ld_gls", rse=rse, q=q, q_p=chi2_sf(q, k - 1))


def mr_egger_correl(bx, bxse, by, byse, ld) -> dict[str, np.ndarray]:
    """MR-Egger with correlated variants, MendelianRandomization ``mr_egger`` with an LD matrix (``correl = TRUE``).

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k), k >= 3
    ld : array_like, shape (k, k)
        LD (correlation) matrix of the variants, on the alleles of ``bx`` as given (oriented here with them).

    Returns
    -------
    dict
        The contract's result for the slope (normal CI, R's p ``2 (1 - pnorm(|z|))``) with ``intercept``,
        ``intercept_se``, ``intercept_p``, ``rse``, ``q = (k - 2) rse^2`` and ``q_p``, each (n_rep,).

    Raises
    ------
    mrkit.errors.InputError
        Bad input or an LD matrix that is not symmetric positive definite.
    mrkit.errors.NotEstimable
        Fewer than 3 variants.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="MR-Egger (correlated variants)")
    n_rep, k = bx.shape
    rho = checked_ld(ld, k)
    sign = np.where(bx < 0, -1.0, 1.0)
    x = np.stack([np.ones((n_rep, k)), np.abs(bx)], axis=2)
    coef, inv, rss = _gls(x, by * sign, _omega(byse, rho * sign[:, :, None] * sign[:, None, :]))
    rse = np.sqrt(rss / (k - 2))
    se = np.sqrt(np.diagonal(inv, axis1=1, axis2=2)) * np.maximum(rse, 1.0)[:, None]
    z = float(norm_ppf(0.975))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_int = 2.0 * (1.0 - norm_cdf(np.abs(coef[:, 0] / se[:, 0])))
        p_slope = 2.0 * (1.0 - norm_cdf(np.abs(coef[:, 1] / se[:, 1])))
    q = (k - 2) * rse ** 2
    out = make_result(coef[:, 1], se[:, 1], nsnp=k, se_model="gls_random_floored", weights="ld_gls",
                      intercept=coef[:, 0], intercept_se=se[:, 0], intercept_ci_lower=coef[:, 0] - z * se[:, 0],
                      intercept_ci_upper=coef[:, 0] + z * se[:, 0], intercept_p=p_int, rse=rse, q=q,
                      q_p=chi2_sf(q, k - 2))
    out["p"] = p_slope  # R's 2 * (1 - pnorm(|z|))
    return out


def _ld(ctx):
    ld = ctx.options.get("ld")
    if ld is None:
        raise NotEstimable("needs the LD matrix of the variants (mrkit estimate --ld FILE.csv; option ld)")
    return ld


# order "given": the LD matrix is in the user's rows and alleles
register("ivw_correl", lambda data, ctx: mr_ivw_correl(*data, ld=_ld(ctx)), order="given",
         row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function, uses_ld=True)
register("egger_correl", lambda data, ctx: mr_egger_correl(*data, ld=_ld(ctx)), order="given",
         row_keys=METHODS[1].extra_keys, reference=METHODS[1].r_function, uses_ld=True)
