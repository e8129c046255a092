# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from MendelianRandomization 0.10.0 (GPL-2 | GPL-3), R/mr_divw-methods.R (mr_divw) and R/mr_pivw-methods.R
# (mr_pivw, BF_dist), github.com/cran/MendelianRandomization tag 0.10.0.
"""Debiased and penalised inverse-variance weighted estimates (dIVW, pIVW): IVW without the weak-instrument bias.

The IVW estimate divides ``sum(w bx by)`` by ``sum(w bx^2)``; ``bx^2`` over-estimates the squared true effect by
``bxse^2`` on average, which biases IVW towards zero when instruments are weak. dIVW subtracts that bias:

* **dIVW** (Ye, Shao & Kang 2021; ``mr_divw``): ``beta = sum(by bx / byse^2) / sum((bx^2 - bxse^2) / byse^2)``.
  With ``mu_j = bx_j / bxse_j``, ``r_j = bxse_j / byse_j`` and the over-dispersion
  ``tau^2 = max(0, sum(((by - beta bx)^2 - byse^2 - beta^2 bxse^2) / byse^2) / sum(byse^-2))`` (0 when
  ``over_dispersion`` is false), the SE is ``sqrt(V1) / |V2|`` with
  ``V1 = sum(r^2 mu^2 + beta^2 r^4 (mu^2 + 1) + tau^2 r^2 mu^2 / byse^2)`` and ``V2 = sum(r^2 (mu^2 - 1))``; normal
  p and CI. ``condition = (mean(mu^2) - 1) sqrt(k)`` (R's ``Condition``; the paper asks for more than about 20).
* **pIVW** (Xu, Wang, Kang & Gu 2022; ``mr_pivw``, ``delta = 0``): with ``mu1 = sum(by bx / byse^2)``,
  ``mu2 = sum((bx^2 - bxse^2) / byse^2)``, ``v2 = sum(byse^-4 (4 (bx^2 - bxse^2) bxse^2 + 2 bxse^4))`` and
  ``v12 = sum(2 byse^-4 by bx bxse^2)``, the penalised denominator is
  ``mu2' = mu2 / 2 + sign(mu2) sqrt(mu2^2 / 4 + lambda v2)`` and ``beta = (mu1 + (v12 / v2)(mu2' - mu2)) / mu2'``;
  ``tau^2`` as for dIVW at the pIVW estimate; ``se = sqrt(sum(bx^2 / byse^2 (1 + tau^2 / byse^2)
  + beta^2 bxse^2 / byse^4 (bx^2 + bxse^2))) / |mu2'|``. Estimate and SE are deterministic. The default interval
  (``fieller=True``) is R's bootstrap Fieller interval: ``n_boot`` parametric draws of the Fieller statistic at
  the estimate (``BF_dist``) give its ``1 - alpha`` quantile ``q``; the interval is the set of beta with
  ``(mu1' - beta mu2')^2 <= q (v1' - 2 beta v12' + beta^2 v2')`` and ``p`` is the share of draws above
  ``mu1'^2 / v1'``. Those three numbers are Monte Carlo (R draws them after its own ``set.seed(1)``; here from
  ``seed``, so they agree with R within Monte Carlo error only). ``fieller=False`` gives R's normal CI and p.

Batches: every function takes ``(n_rep, k)`` arrays (or ``(k,)``, one replicate) and returns ``(n_rep,)`` arrays
(:func:`mrkit.methods.replicates.make_result`). Replicate r's Fieller draws come from its own generator
(:func:`mrkit.methods.replicates.replicate_rngs`: seed + r), so a batch's row equals the batch of one seeded s + r.

Quirks of R kept here (see the conventions page): a Fieller interval that is two rays ("A <= 0 and D > 0") is
reported by R as ``CILower = c(-Inf, r2)``, ``CIUpper = c(r1, Inf)``; here as ``ci_lower = -inf``, ``ci_upper = inf``
with the two rays in the note. ``mr_divw(over.dispersion = FALSE)`` differs from the default only when tau^2 > 0.

References
----------
Ye T, Shao J, Kang H (2021). Debiased inverse-variance weighted estimator in two-sample summary-data Mendelian
randomization. Ann Stat 49:2079-2100.
Xu S, Wang P, Fung WK, Liu Z (2022). A novel penalized inverse-variance weighted estimator for Mendelian
randomization with applications to COVID-19 outcomes. Biometrics 79:2184-2195.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result, replicate_rngs, replicate_seeds

__all__ = ["METHODS", "QUIRKS", "mr_divw", "mr_pivw", "fieller_interval"]

METHODS = (
    MethodInfo(
        id="divw", label="Debiased inverse variance weighted", short_label="dIVW", family="none (all valid)",
        r_function="MendelianRandomization 0.10.0 mr_divw(over.dispersion = TRUE)",
        idea=("IVW's denominator sum(bx^2 / byse^2) is inflated by the exposure SEs, which pulls IVW towards zero "
              "when instruments are weak. dIVW subtracts that inflation, giving an estimate that stays unbiased "
              "with many weak instruments."),
        formula=r"\hat\beta_{dIVW} = \frac{\sum_j \hat\beta_{Yj}\hat\beta_{Xj}\sigma_{Yj}^{-2}}"
                r"{\sum_j (\hat\beta_{Xj}^2 - \sigma_{Xj}^2)\sigma_{Yj}^{-2}}",
        trades=("Keeps IVW's assumption that every variant is valid (or that pleiotropy is balanced, via tau^2); "
                "gives up IVW's need for strong instruments (NOME)."),
        when=("Many weak instruments (e.g. a relaxed p-value threshold), with the condition number "
              "(mean F - 1) sqrt(k) above about 20."),
        extra_keys=("tau2", "condition")),
    MethodInfo(
        id="pivw", label="Penalized inverse variance weighted", short_label="pIVW", family="none (all valid)",
        r_function="MendelianRandomization 0.10.0 mr_pivw(lambda = 1, over.dispersion = TRUE, delta = 0, "
                   "Boot.Fieller = TRUE)",
        idea=("dIVW's denominator can come close to zero when instruments are very weak. pIVW penalises it away "
              "from zero and reports a bootstrap Fieller interval that stays valid when the denominator is small."),
        formula=r"\hat\beta_{pIVW} = \frac{\hat\mu_1 + (\hat v_{12}/\hat v_2)(\hat\mu_2' - \hat\mu_2)}{\hat\mu_2'},"
                r"\quad \hat\mu_2' = \tfrac{\hat\mu_2}{2} + \operatorname{sign}(\hat\mu_2)"
                r"\sqrt{\hat\mu_2^2/4 + \lambda \hat v_2}",
        trades="As dIVW (all variants valid, balanced pleiotropy); robust to very weak instruments.",
        when="Very weak instruments, where dIVW's denominator is unstable; prefer its Fieller interval.",
        extra_keys=("tau2", "condition")),
)
#: R behaviours reproduced although they look unintended (for the conventions page), by method id.
QUIRKS = {"pivw": ("The Fieller interval and p-value are Monte Carlo (R: 1000 draws after its own set.seed(1)); the "
                   "p-value is the share of draws above the statistic at 0, so R reports p = 0 when none is.",
                   "A Fieller set of two rays is reported by R as CILower = c(-Inf, r2), CIUpper = c(r1, Inf).")}


def _divw_parts(bx, bxse, by, byse):
    w = byse ** -2.0
    return w, np.sum(by * bx * w, axis=-1), np.sum((bx * bx - bxse * bxse) * w, axis=-1)


def _tau2(beta, bx, bxse, by, byse, over_dispersion: bool) -> np.ndarray:
    if not over_dispersion:
        return np.zeros(bx.shape[0])
    w = byse ** -2.0
    b = beta[:, None]
    tau2 = np.sum(((by - b * bx) ** 2 - byse ** 2 - b ** 2 * bxse ** 2) * w, axis=-1) / np.sum(w, axis=-1)
    return np.maximum(tau2, 0.0)


def _condition(bx, bxse) -> np.ndarray:
    k = bx.shape[-1]
    return (np.mean((bx / bxse) ** 2, axis=-1) - 1.0) * np.sqrt(k)


def mr_divw(bx, bxse, by, byse, *, over_dispersion: bool = True) -> dict[str, np.ndarray]:
    """Debiased IVW estimate, MendelianRandomization ``mr_divw``.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
        Harmonised SNP-exposure and SNP-outcome effects and their SEs (one replicate per row).
    over_dispersion : bool
        Estimate the additive over-dispersion tau^2 of the pleiotropic effects (R's default) or fix it at 0.

    Returns
    -------
    dict
        The contract's result (:func:`mrkit.methods.replicates.make_result`): ``estimate, se, ci_lower, ci_upper,
        p`` (normal) of shape (n_rep,), and ``tau2``, ``condition`` (n_rep,).

    Raises
    ------
    mrkit.errors.InputError
        Non-finite input, SEs <= 0, bx == 0, or shapes that do not broadcast.
    mrkit.errors.NotEstimable
        Fewer than 2 variants.

    References
    ----------
    Ye T, Shao J, Kang H (2021). Ann Stat 49:2079-2100; MendelianRandomization ``mr_divw``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="dIVW")
    w, num, den = _divw_parts(bx, bxse, by, byse)
    beta = num / den
    tau2 = _tau2(beta, bx, bxse, by, byse, over_dispersion)
    mu2 = (bx / bxse) ** 2
    r2 = (bxse / byse) ** 2
    b = beta[:, None]
    v1 = np.sum(r2 * mu2 + b ** 2 * r2 ** 2 * (mu2 + 1.0) + tau2[:, None] * r2 * w * mu2, axis=-1)
    v2 = np.sum(r2 * (mu2 - 1.0), axis=-1)
    return make_result(beta, np.sqrt(v1 / v2 ** 2), nsnp=bx.shape[1], se_model="divw_delta", weights="first_order",
                       tau2=tau2, condition=_condition(bx, bxse))


def _pivw_moments(bx, bxse, by, byse, lam: float):
    """mu1, mu2, v2, v12, mu2' and mu1' of R's mr_pivw (each (n_rep,)), for data of shape (n_rep, k)."""
    w = byse ** -2.0
    w2 = w * w
    v2 = np.sum(w2 * (4.0 * (bx * bx - bxse * bxse) * bxse * bxse + 2.0 * bxse ** 4), axis=-1)
    v12 = np.sum(2.0 * w2 * by * bx * bxse * bxse, axis=-1)
    mu1 = np.sum(w * by * bx, axis=-1)
    mu2 = np.sum(w * (bx * bx - bxse * bxse), axis=-1)
    mu2p = mu2 / 2.0 + np.sign(mu2) * np.sqrt(mu2 * mu2 / 4.0 + lam * v2)
    mu1p = mu1 + (v12 / v2) * (mu2p - mu2)
    return mu1, mu2, v2, v12, mu2p, mu1p


def fieller_interval(q, mu1p, mu2p, v1p, v2p, v12p):
    """The set of beta with ``(mu1' - beta mu2')^2 <= q (v1' - 2 beta v12' + beta^2 v2')`` (R's mr_pivw).

    All arguments broadcast; returns ``(lower, upper, kind)``: kind 0 is the interval ``[lower, upper]``; kind 1
    is two rays ``(-inf, upper] U [lower, inf)`` (R's ``CIUpper[1]`` and ``CILower[2]``); kind 2 is the whole
    line (lower = -inf, upper = inf).
    """
    a = mu2p ** 2 - q * v2p
    b = 2.0 * (q * v12p - mu1p * mu2p)
    c = mu1p ** 2 - q * v1p
    d = b * b - 4.0 * a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        root = np.sqrt(d)
        r1 = (-b - root) / 2.0 / a
        r2 = (-b + root) / 2.0 / a
    kind = np.where(a > 0, 0, np.where(d > 0, 1, 2))
    lower = np.where(kind == 0, r1, np.where(kind == 1, r2, -np.inf))
    upper = np.where(kind == 0, r2, np.where(kind == 1, r1, np.inf))
    return lower, upper, kind


def _fieller_stats(z, bx, bxse, byse, beta, tau2, lam):
    """The Fieller statistics of R's ``BF_dist`` for standard normals ``z`` (m, 3, k) of one replicate."""
    w = byse ** -2.0
    w2, sx2 = w * w, bxse * bxse
    by_hat = bx * beta + np.sqrt(tau2) * z[:, 0] + byse * z[:, 1]  # R: rnorm(alpha), rnorm(By_hat), rnorm(Bx_hat)
    bx_hat = bx + bxse * z[:, 2]
    v1 = np.sum(w2 * (by_hat ** 2 * bx_hat ** 2 - (by_hat ** 2 - byse ** 2 - tau2) * (bx_hat ** 2 - sx2)), axis=-1)
    v2 = np.sum(w2 * (4.0 * (bx_hat ** 2 - sx2) * sx2 + 2.0 * sx2 * sx2), axis=-1)
    v12 = np.sum(2.0 * w2 * by_hat * bx_hat * sx2, axis=-1)
    mu1 = np.sum(w * by_hat * bx_hat, axis=-1)
    mu2 = np.sum(w * (bx_hat ** 2 - sx2), axis=-1)
    mu2p = mu2 / 2.0 + np.sign(mu2) * np.sqrt(mu2 ** 2 / 4.0 + lam * v2)
    mu1p = mu1 + (v12 / v2) * (mu2p - mu2)
    wt = mu2p / (2.0 * mu2p - mu2)
    return (mu1p - beta * mu2p) ** 2 / (v1 - 2.0 * beta * wt * v12 + beta ** 2 * wt ** 2 * v2)


def _fieller_draws(bx, bxse, byse, beta, tau2, lam: float, n_boot: int, rngs) -> np.ndarray:
    """R's ``BF_dist``: ``n_boot`` non-negative Fieller statistics per replicate, sorted, (n_rep, n_boot).

    Replicate r draws from ``rngs[r]`` alone; a draw with a negative statistic is skipped and the stream continues,
    as R's ``while`` loop does (a NaN statistic is kept, as in R).
    """
    n_rep, k = bx.shape
    out = np.empty((n_rep, n_boot))
    for r in range(n_rep):
        kept, have = [], 0
        while have < n_boot:
            stat = _fieller_stats(rngs[r].standard_normal((n_boot - have, 3, k)), bx[r], bxse[r], byse[r], beta[r],
                                  tau2[r], lam)
            stat = stat[~(stat < 0)]
            kept.append(stat)
            have += stat.size
        out[r] = np.concatenate(kept)[:n_boot]
    return np.sort(out, axis=-1)


def mr_pivw(bx, bxse, by, byse, *, lam: float = 1.0, over_dispersion: bool = True, fieller: bool = True,
            n_boot: int = 1000, alpha: float = 0.05, seed: int | None = None) -> dict[str, np.ndarray]:
    """Penalised IVW estimate, MendelianRandomization ``mr_pivw`` (``delta = 0``: no instrument selection).

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (k,) or (n_rep, k)
    lam : float
        The penalty lambda >= 0 (R's ``lambda``, default 1).
    over_dispersion : bool
        Estimate tau^2 (R's default) or fix it at 0.
    fieller : bool
        Bootstrap Fieller interval and p-value (R's ``Boot.Fieller = TRUE``, default) or normal ones.
    n_boot : int
        Fieller draws (R's 1000).
    alpha : float
        1 - confidence level.
    seed : int or None
        Seed of the Fieller draws (:data:`mrkit.rng.DEFAULT_SEED` when None).

    Returns
    -------
    dict
        The contract's result: ``estimate, se, ci_lower, ci_upper, p`` (the bootstrap Fieller interval and p, or
        normal ones without Fieller), ``tau2``, ``condition`` (R's eta), ``fieller_q`` (the bootstrap quantile; NaN
        without Fieller), ``ci_kind`` (0 interval, 1 two rays, 2 whole line), each (n_rep,); ``n_boot`` and the
        replicates' ``seed``; ``note`` (n_rep,) for rays and whole lines.

    Raises
    ------
    mrkit.errors.InputError
        Bad input (see :func:`mr_divw`), ``lam < 0``, ``n_boot < 10`` or alpha outside (0, 1).
    mrkit.errors.NotEstimable
        Fewer than 2 variants.

    References
    ----------
    Xu S, Wang P, Fung WK, Liu Z (2022). Biometrics 79:2184-2195; MendelianRandomization ``mr_pivw``, ``BF_dist``.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="pIVW")
    if not lam >= 0:
        raise InputError(f"lambda must be >= 0, got {lam!r}", column="lambda")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must lie in (0, 1), got {alpha!r}", column="alpha")
    if fieller and (isinstance(n_boot, bool) or int(n_boot) < 10):
        raise InputError(f"n_boot must be an integer >= 10, got {n_boot!r}", column="n_boot")
    n_rep, k = bx.shape
    mu1, mu2, v2, v12, mu2p, mu1p = _pivw_moments(bx, bxse, by, byse, lam)
    beta = mu1p / mu2p
    tau2 = _tau2(beta, bx, bxse, by, byse, over_dispersion)
    w = byse ** -2.0
    b = beta[:, None]
    se = np.sqrt(np.sum(bx ** 2 * w * (1.0 + tau2[:, None] * w) + b ** 2 * bxse ** 2 * w * w * (bx ** 2 + bxse ** 2),
                        axis=-1)) / np.abs(mu2p)
    condition = (np.mean((bx / bxse) ** 2, axis=-1) - 1.0) * np.sqrt(k)
    if not fieller:
        out = make_result(beta, se, nsnp=k, se_model="pivw_delta", weights="first_order", tau2=tau2,
                          condition=condition, fieller_q=np.full(n_rep, np.nan), ci_kind=np.zeros(n_rep, dtype=int))
        if alpha != 0.05:
            from .distributions import norm_ppf
            z = float(norm_ppf(1 - alpha / 2))
            out["ci_lower"], out["ci_upper"] = beta - z * se, beta + z * se
        return out
    n_boot = int(n_boot)
    z_b = _fieller_draws(bx, bxse, byse, beta, tau2, lam, n_boot, replicate_rngs(seed, n_rep))
    v1p = np.sum(w * w * (by ** 2 * bx ** 2 - (by ** 2 - byse ** 2 - tau2[:, None]) * (bx ** 2 - bxse ** 2)), axis=-1)
    wt = mu2p / (2.0 * mu2p - mu2)
    z0 = mu1p ** 2 / v1p
    q = z_b[:, int(np.round(n_boot * (1 - alpha))) - 1]  # R: z_b[round(length(z_b) * (1 - alpha))]
    lower, upper, kind = fieller_interval(q, mu1p, mu2p, v1p, wt ** 2 * v2, wt * v12)
    notes = np.array(["" if kd == 0 else
                      f"bootstrap Fieller set is two rays (-inf, {hi:.6g}] U [{lo:.6g}, inf)" if kd == 1 else
                      "bootstrap Fieller set is the whole line" for lo, hi, kd in zip(lower, upper, kind)],
                     dtype=object)
    out = make_result(beta, se, nsnp=k, se_model="pivw_delta", weights="first_order", n_boot=n_boot,
                      seed=replicate_seeds(seed, n_rep), note=notes, tau2=tau2, condition=condition, fieller_q=q,
                      ci_kind=kind)
    out["ci_lower"] = np.where(kind == 1, -np.inf, lower)
    out["ci_upper"] = np.where(kind == 1, np.inf, upper)
    out["p"] = np.mean(z0[:, None] < z_b, axis=-1)
    out["distribution"] = out["ci_distribution"] = "bootstrap Fieller"
    return out


register("divw", lambda data, ctx: mr_divw(*data), row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function)
register("pivw", lambda data, ctx: mr_pivw(*data, n_boot=ctx.options.get("pivw_n_boot", 1000), seed=ctx.seed),
         row_keys=METHODS[1].extra_keys, reference=METHODS[1].r_function)
