"""Mode-based estimates assuming NOME: the simple and weighted mode with first-order ratio SEs.

The mode-based estimate (Hartwig et al. 2017; :mod:`mrkit.methods.mode`) weights and bootstraps the ratio
estimates ``by_j / bx_j`` with their standard errors. "NOME" (no measurement error in ``bx``) takes the first-order
SE ``byse_j / |bx_j|`` for both, instead of the second-order (delta) one that :mod:`mrkit.methods.mode` uses by
default:

* TwoSampleMR 0.7.9 ``mr_simple_mode_nome`` / ``mr_weighted_mode_nome`` (``mr_mode``'s "Simple mode (NOME)" and
  "Weighted mode (NOME)" rows): 1000 draws, p from t(k - 1), interval from the normal;
* MendelianRandomization 0.10.0 ``mr_mbe(weighting = "simple"/"weighted", stderror = "simple")``: 10000 draws,
  normal p and interval.

The convention picks the number of draws and the p-value's distribution; the algorithm is the same. The simple
NOME mode has the simple mode's point estimate (weights are equal either way); only its SE differs.

References
----------
Hartwig FP, Davey Smith G, Bowden J (2017). Robust inference in summary data Mendelian randomization via the zero
modal pleiotropy assumption. Int J Epidemiol 46:1985-1998.
"""
from __future__ import annotations

from .method_info import MethodInfo
from .mode import mr_mode
from .registry import register
from .replicates import as_batch

__all__ = ["METHODS", "QUIRKS", "mr_mode_nome"]


def mr_mode_nome(bx, bxse, by, byse, *, kinds=("simple", "weighted"), n_boot: int = 1000, seed=None,
                 t_dist: bool = True, phi: float = 1.0) -> dict[str, dict]:
    """Simple and/or weighted mode-based estimates with first-order (NOME) ratio SEs, sharing their draws.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
    kinds : sequence of {"simple", "weighted"}
    n_boot : int
        Bootstrap draws of the ratio estimates (TwoSampleMR 1000, MendelianRandomization 10000).
    seed : int, (n_rep,) ints or None
        Replicate r draws from ``default_rng(seed + r)``; the draws do not depend on ``kinds``.
    t_dist : bool
        p from t(k - 1) (TwoSampleMR) or the normal (MendelianRandomization); the interval is normal.
    phi : float
        Bandwidth factor (1 in both packages).

    Returns
    -------
    dict
        ``{"simple_mode_nome": result, "weighted_mode_nome": result}`` for the kinds asked, each make_result
        (SE = MAD of the bootstrap modes, ``se_model`` "bootstrap_mad").

    Raises
    ------
    NotEstimable
        Fewer than 3 variants.
    """
    if not kinds or any(kind not in ("simple", "weighted") for kind in kinds):
        raise ValueError(f"kinds must be 'simple' and/or 'weighted', got {kinds!r}")
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="the mode-based estimate")
    out = mr_mode(bx, bxse, by, byse, kinds=tuple(kinds), n_boot=n_boot, seed=seed, t_dist=t_dist, phi=phi,
                  se_order=1)
    return {f"{kind}_mode_nome": out[f"{kind}_mode"] for kind in kinds}


def _nome(data, ctx, method_id: str) -> dict:
    """One NOME mode, computed with the other when both were asked (the same draws: the same numbers, half the
    cost)."""
    asked = tuple(kind for kind in ("simple", "weighted")
                  if f"{kind}_mode_nome" in ctx.requested or f"{kind}_mode_nome" == method_id)
    results = ctx.shared(("mode_nome", asked), lambda: mr_mode_nome(
        *data, kinds=asked, n_boot=ctx.n_boot, seed=ctx.seed, t_dist=ctx.convention.mode_t))
    return results[method_id]


_COMMON = dict(family="plurality valid",
               trades="Needs only that the largest group of variants with the same ratio estimate is the valid one "
                      "(ZEMPA); NOME: ignores the uncertainty in the exposure betas when weighting and "
                      "bootstrapping.",
               when="As the mode-based estimate when instruments are strong (mean F well above 10), where first- "
                    "and second-order SEs agree; it is what MendelianRandomization's mr_mbe(stderror = 'simple') "
                    "gives.")
#: One record per method id of this module.
METHODS = (
    MethodInfo(id="simple_mode_nome", label="Simple mode (NOME)", short_label="Simple mode (NOME)",
               r_function="TwoSampleMR 0.7.9 mr_simple_mode_nome; MendelianRandomization 0.10.0 "
                          "mr_mbe(weighting = 'simple', stderror = 'simple')",
               idea="The mode of the smoothed distribution of the ratio estimates, all weighted equally. Its SE "
                    "bootstraps the ratios with first-order SEs.",
               formula=r"\hat\beta = \arg\max_\beta \sum_j \frac{1}{k}\,\phi_h(\beta - \hat\beta_j),\ "
                       r"h = 0.9\min(s, \mathrm{mad})\,k^{-1/5}", **_COMMON),
    MethodInfo(id="weighted_mode_nome", label="Weighted mode (NOME)", short_label="Weighted mode (NOME)",
               r_function="TwoSampleMR 0.7.9 mr_weighted_mode_nome; MendelianRandomization 0.10.0 "
                          "mr_mbe(weighting = 'weighted', stderror = 'simple')",
               idea="The mode of the smoothed distribution of the ratio estimates, weighted by their first-order "
                    "inverse variances. Its SE bootstraps the ratios with the same SEs.",
               formula=r"\hat\beta = \arg\max_\beta \sum_j w_j\,\phi_h(\beta - \hat\beta_j),\ "
                       r"w_j \propto \hat\beta_{Xj}^2/\sigma_{Yj}^2", **_COMMON),
)

_NOME = ("TwoSampleMR's simple mode (NOME) has exactly the simple mode's point estimate (R reuses beta_SimpleMode); "
         "only its SE (first-order draws) differs. p from t(k - 1), interval normal (mr_mode); under the "
         "twosamplemr convention the row's interval is 1.96 SE.")
#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {"simple_mode_nome": (_NOME,), "weighted_mode_nome": (_NOME,)}

for _info in METHODS:
    register(_info.id, lambda data, ctx, method_id=_info.id: _nome(data, ctx, method_id), reference=_info.r_function)
