# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (github.com/MRCIEU/TwoSampleMR, commit c14776b; R/mr.R: mr_sign, mr_uwr; MIT) and of
# R's binom.test two-sided p-value (R 4.2, src/library/stats/R/binom.test.R; GPL-2 or later).
"""The sign concordance test and the unweighted regression: two simple TwoSampleMR checks.

* **Sign concordance test** (TwoSampleMR ``mr_sign``): among the n variants with non-zero ``bx`` and ``by``, x
  have ``sign(bx) == sign(by)``. Under no causal effect and balanced pleiotropy, x ~ Binomial(n, 1/2). The row's
  estimate is the concordance ``2 (x / n - 1/2)`` (from -1 to 1), its p-value the exact two-sided binomial test
  (R's ``binom.test``), and it has no SE. TwoSampleMR returns NA below 6 such variants.
* **Unweighted regression** (``mr_uwr``): ``lm(by ~ -1 + bx)`` with no weights, its ``lm`` SE divided by
  ``min(1, sigma)`` and a normal p-value, with ``Q = sigma^2 (k - 1)`` on k - 1 df.

Both are allele-coding invariant. R quirks reproduced: ``mr_uwr`` floors its SE as the weighted IVW does, but its
residual SE sigma is on the outcome-beta scale (about 0.01 for log odds), not a ratio to 1, so
``se / min(1, sigma)`` becomes ``1 / sqrt(sum bx^2)``: an SE that assumes a residual variance of 1 per outcome
unit, far too large (8.27 on the lipids data, against IVW's 0.53); and its "Q" is the raw unweighted residual sum of
squares, whose chi-squared p-value (1 on every dataset checked) tests nothing.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .distributions import chi2_sf
from .method_info import MethodInfo
from .registry import register
from .replicates import as_batch, make_result, not_estimable

__all__ = ["METHODS", "QUIRKS", "mr_sign", "mr_uwr", "binomial_test_half"]

#: TwoSampleMR's minimum number of variants with non-zero effects for ``mr_sign``.
MIN_SIGN_SNPS = 6


@lru_cache(maxsize=4096)
def binomial_test_half(x: int, n: int) -> float:
    """R's ``binom.test(x, n, p = 0.5)$p.value`` (two-sided), exactly.

    R sums the probabilities of all outcomes no more likely than x (``dbinom(i) <= dbinom(x) (1 + 1e-7)``); with
    p = 1/2 every probability is ``choose(n, i) / 2^n``, so the sum is taken in integers and rounded once.
    """
    if not 0 <= x <= n:
        raise ValueError(f"need 0 <= x <= n, got x = {x}, n = {n}")
    if 2 * x == n:
        return 1.0
    counts = [math.comb(n, i) for i in range(n + 1)]
    limit = counts[x] * (10 ** 7 + 1)  # dbinom(i) <= d * relErr, with relErr = 1 + 1e-7, times 1e7
    if 2 * x < n:
        y = sum(1 for i in range(math.ceil(n / 2), n + 1) if counts[i] * 10 ** 7 <= limit)
        tail = sum(counts[:x + 1]) + sum(counts[n - y + 1:])
    else:
        y = sum(1 for i in range(0, n // 2 + 1) if counts[i] * 10 ** 7 <= limit)
        tail = sum(counts[:y]) + sum(counts[x:])
    return min(1.0, tail / 2 ** n)


def mr_sign(bx, bxse, by, byse) -> dict:
    """Sign concordance test (TwoSampleMR ``mr_sign``).

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
        Only the signs of ``bx`` and ``by`` are used; a variant with ``by == 0`` is left out.

    Returns
    -------
    dict
        make_result with ``estimate`` = 2 (x / n - 1/2), ``se`` NaN, ``p`` the exact two-sided binomial p-value
        (``distribution`` "binomial"), ``nsnp`` = n (variants with non-zero effects), ``n_concordant`` = x.
        Replicates with fewer than 6 such variants are not estimable (R: NA).
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=1, method="the sign concordance test")
    used = by != 0
    n = used.sum(axis=1)
    x = (used & (np.sign(bx) == np.sign(by))).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = (x / n - 0.5) * 2
    p = np.array([binomial_test_half(int(a), int(b)) if b >= MIN_SIGN_SNPS else np.nan for a, b in zip(x, n)])
    result = make_result(estimate, np.full(estimate.shape, np.nan), nsnp=n, se_model="none",
                         weights="none", n_concordant=x)
    result["p"] = p
    result["distribution"] = "binomial"
    return not_estimable(result, n < MIN_SIGN_SNPS, f"fewer than {MIN_SIGN_SNPS} variants with non-zero effects "
                                                    "(TwoSampleMR returns NA)")


def mr_uwr(bx, bxse, by, byse) -> dict:
    """Unweighted regression of ``by`` on ``bx`` through the origin (TwoSampleMR ``mr_uwr``).

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)

    Returns
    -------
    dict
        make_result (SE = lm SE / min(1, sigma), normal p) plus ``q`` = sigma^2 (k - 1), ``q_df``, ``q_p``.
        An exact fit (sigma = 0; R: SE 0/0 = NaN) gets ``1 / sqrt(sum bx^2)``, the limit of R's SE.

    Raises
    ------
    NotEstimable
        Fewer than 2 variants (R: NA).
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=2, method="the unweighted regression")
    k = bx.shape[1]
    sxx = np.sum(bx * bx, axis=1)
    estimate = np.sum(bx * by, axis=1) / sxx
    q = np.sum((by - estimate[:, None] * bx) ** 2, axis=1)
    sigma = np.sqrt(q / (k - 1))
    se = np.maximum(1.0, sigma) / np.sqrt(sxx)  # lm SE sigma / sqrt(sxx), divided by min(1, sigma)
    return make_result(estimate, se, nsnp=k, se_model="random_floored", weights="none",
                       note="TwoSampleMR's SE floor min(1, sigma) on an unweighted fit (sigma in outcome units); "
                            "Q is the unweighted residual sum of squares",
                       q=q, q_df=k - 1, q_p=chi2_sf(q, k - 1))


#: One record per method id of this module.
METHODS = (
    MethodInfo(id="sign", label="Sign concordance test", short_label="Sign concordance", family="none (all valid)",
               r_function="TwoSampleMR 0.7.9 mr_sign (binom.test, p = 0.5)",
               idea="Counts the variants whose effects on exposure and outcome have the same sign. With no causal "
                    "effect and balanced pleiotropy each variant agrees with probability one half.",
               formula=r"x = \#\{j: \mathrm{sign}\,\hat\beta_{Xj} = \mathrm{sign}\,\hat\beta_{Yj}\},\ "
                       r"x \sim \mathrm{Bin}(n, 1/2),\ \hat b = 2(x/n - 1/2)",
               trades="Needs no weights and no NOME, only that pleiotropy is balanced (as likely positive as "
                      "negative); it tests for an effect and does not estimate one.",
               when="As a crude, assumption-light check of whether there is any effect; not for effect sizes.",
               extra_keys=("n_concordant",)),
    MethodInfo(id="uwr", label="Unweighted regression", short_label="Unweighted regr.", family="none (all valid)",
               r_function="TwoSampleMR 0.7.9 mr_uwr",
               idea="Regresses the outcome betas on the exposure betas through the origin with equal weights. It "
                    "shows what ignoring the variants' precision does.",
               formula=r"\hat\beta = \frac{\sum_j \hat\beta_{Xj}\hat\beta_{Yj}}{\sum_j \hat\beta_{Xj}^2},\ "
                       r"\mathrm{SE} = \frac{\mathrm{SE}_{lm}}{\min(1, \hat\sigma)}",
               trades="Assumes every variant is valid, as IVW, but gives up its efficiency; its SE (TwoSampleMR's "
                      "floor on an unweighted fit) is far too large.",
               when="Teaching only: to contrast with IVW; not for inference.", extra_keys=("q", "q_df", "q_p")),
)

#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {
    "sign": ("TwoSampleMR's mr_sign returns NA below 6 variants with non-zero effects (mrkit: not estimable, with "
             "the reason); the estimate is the concordance 2 (x/n - 1/2), with no SE, and the p-value R's exact "
             "two-sided binom.test.",),
    "uwr": ("TwoSampleMR's mr_uwr floors the SE of an unweighted fit at se / min(1, sigma) with sigma in outcome "
            "units (about 0.06 on the lipids data), so its SE becomes 1/sqrt(sum bx^2): 8.27 against IVW's 0.53 "
            "there; its 'Q' is the raw unweighted residual sum of squares, p = 1 on every dataset.",),
}

register("sign", lambda data, ctx: mr_sign(*data), row_keys=METHODS[0].extra_keys, reference=METHODS[0].r_function)
register("uwr", lambda data, ctx: mr_uwr(*data), row_keys=METHODS[1].extra_keys, reference=METHODS[1].r_function)
