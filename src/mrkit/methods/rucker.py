# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (github.com/MRCIEU/TwoSampleMR, commit c14776b; R/rucker.R: mr_rucker_internal,
# mr_rucker_cooksdistance; MIT).
"""Rücker's model-selection framework: IVW or MR-Egger, fixed or random effects, chosen by Q tests.

On the standardised scale ``y_j = by_j / byse_j``, ``x_j = bx_j / byse_j``, ``i_j = 1 / byse_j`` (alleles oriented
so that bx > 0), TwoSampleMR fits IVW ``lm(y ~ 0 + x)`` and MR-Egger ``lm(y ~ 0 + i + x)``, with Cochran's Q
(k - 1 df), Rücker's Q' (k - 2 df) and ``Q - Q'`` (1 df), and picks (``Qthresh`` = 0.05):

* **A** IVW fixed effect, when Q is not significant;
* **B** IVW random effects, when Q is significant but Q - Q' is not;
* **C** MR-Egger fixed effect, when Q and Q - Q' are significant but Q' is not;
* **D** MR-Egger random effects, when all three are.

Standard errors as TwoSampleMR (``test_dist = "z"``): "fixed effects" = ``lm SE / max(sigma, 1)``, "random
effects" = the ``lm`` SE (not floored). p-values: IVW normal; the Egger slope from t(k - 2) in both models (its
fixed-effect p ignores ``test_dist``); intercept normal.

**Cook's distance variant** (``mr_rucker_cooksdistance``): the Cook's distances of the selected model's ``lm``
(IVW for A/B, Egger for C/D) flag variants with D > 4 / k; they are removed and the framework refitted, as long as
some are flagged and more than 3 variants would remain.

R quirks reproduced: when sigma < 1 the "fixed effects" SE is the ``lm`` SE, i.e. smaller than the true
fixed-effect SE ``1/sqrt(sum x^2)`` (sigma times it); the Egger fixed-effect slope p uses t(k - 2) although
``test_dist`` is "z". ``mr_rucker`` prints ``qnorm(0.975)`` intervals; a row's interval follows the convention.

References
----------
Rücker G, Schwarzer G, Carpenter JR, Binder H, Schumacher M (2011). Biostatistics 12:122-142.
Bowden J, Del Greco MF, Minelli C, et al. (2017). A framework for the investigation of pleiotropy in two-sample
summary data Mendelian randomization. Stat Med 36:1783-1802.
"""
from __future__ import annotations

import numpy as np

from .conventions import p_value
from .distributions import chi2_sf
from .method_info import MethodInfo
from .radial import outlier_ids
from .registry import register
from .replicates import as_batch, make_result

__all__ = ["METHODS", "QUIRKS", "MODELS", "rucker_fit", "mr_rucker", "mr_rucker_cooksdistance"]

#: The four models, in TwoSampleMR's order.
MODELS = ("A", "B", "C", "D")
_MODEL_NAMES = ("ivw_fe", "ivw_re", "egger_fe", "egger_re")


def _sums(a, b, keep):
    return np.sum(np.where(keep, a * b, 0.0), axis=1)


def rucker_fit(bx, by, byse, keep=None, q_threshold: float = 0.05) -> dict:
    """The four models, the Q tests, the selected model and the Cook's distances, row-wise.

    ``bx, by, byse``: ``(n_rep, k)``, oriented so that bx > 0; ``keep``: ``(n_rep, k)`` variants in the fit (all
    when None). Returns ``(n_rep,)`` arrays ``estimate_<m>``, ``se_<m>``, ``p_<m>`` for m in ivw_fe, ivw_re,
    egger_fe, egger_re, ``intercept``, ``intercept_se_fe``/``_re``, ``intercept_p_fe``/``_re``, ``q_ivw``,
    ``q_egger``, ``q_diff`` and their ``_p``, ``model`` (index 0-3 into :data:`MODELS`) and ``cooks_distance``
    ``(n_rep, k)`` (NaN outside ``keep``).
    """
    keep = np.ones(bx.shape, dtype=bool) if keep is None else keep
    n = keep.sum(axis=1)
    y, x, i = by / byse, bx / byse, 1.0 / byse
    sxx, sxy = _sums(x, x, keep), _sums(x, y, keep)
    b_ivw = sxy / sxx
    r_ivw = np.where(keep, y - b_ivw[:, None] * x, 0.0)
    q_ivw = np.sum(r_ivw ** 2, axis=1)
    sigma_ivw = np.sqrt(q_ivw / (n - 1))
    se_ivw_lm = sigma_ivw / np.sqrt(sxx)
    sii, six = _sums(i, i, keep), _sums(i, x, keep)
    siy = _sums(i, y, keep)
    det = sii * sxx - six ** 2
    b1 = (sii * sxy - six * siy) / det  # slope
    b0 = (sxx * siy - six * sxy) / det  # intercept
    r_egger = np.where(keep, y - b0[:, None] * i - b1[:, None] * x, 0.0)
    q_egger = np.sum(r_egger ** 2, axis=1)
    sigma_egger = np.sqrt(q_egger / (n - 2))
    se1_lm = sigma_egger * np.sqrt(sii / det)
    se0_lm = sigma_egger * np.sqrt(sxx / det)
    q_diff = np.maximum(0.0, q_ivw - q_egger)
    out = {"estimate_ivw_fe": b_ivw, "se_ivw_fe": se_ivw_lm / np.maximum(sigma_ivw, 1.0),
           "estimate_ivw_re": b_ivw, "se_ivw_re": se_ivw_lm,
           "estimate_egger_fe": b1, "se_egger_fe": se1_lm / np.maximum(sigma_egger, 1.0),
           "estimate_egger_re": b1, "se_egger_re": se1_lm,
           "intercept": b0, "intercept_se_fe": se0_lm / np.maximum(sigma_egger, 1.0), "intercept_se_re": se0_lm,
           "q_ivw": q_ivw, "q_ivw_p": chi2_sf(q_ivw, n - 1), "q_egger": q_egger, "q_egger_p": chi2_sf(q_egger, n - 2),
           "q_diff": q_diff, "q_diff_p": chi2_sf(q_diff, 1)}
    for m in ("ivw_fe", "ivw_re"):
        out[f"p_{m}"] = p_value(out[f"estimate_{m}"], out[f"se_{m}"])
    for m in ("egger_fe", "egger_re"):
        out[f"p_{m}"] = p_value(out[f"estimate_{m}"], out[f"se_{m}"], n - 2)
    out["intercept_p_fe"] = p_value(b0, out["intercept_se_fe"])
    out["intercept_p_re"] = p_value(b0, se0_lm)
    significant = [out[key] <= q_threshold for key in ("q_ivw_p", "q_diff_p", "q_egger_p")]
    out["model"] = np.where(~significant[0], 0, np.where(~significant[1], 1, np.where(~significant[2], 2, 3)))
    # Cook's distance of the selected lm: r^2 / (p s^2) * h / (1 - h)^2
    h_ivw = x * x / sxx[:, None]
    h_egger = (sxx[:, None] * i * i - 2 * six[:, None] * i * x + sii[:, None] * x * x) / det[:, None]
    cd_ivw = r_ivw ** 2 / (1 * sigma_ivw[:, None] ** 2) * h_ivw / (1 - h_ivw) ** 2
    cd_egger = r_egger ** 2 / (2 * sigma_egger[:, None] ** 2) * h_egger / (1 - h_egger) ** 2
    cd = np.where((out["model"] <= 1)[:, None], cd_ivw, cd_egger)
    out["cooks_distance"] = np.where(keep, cd, np.nan)
    out["nsnp"] = n
    return out


def _selected(fit: dict, **extra) -> dict:
    model = fit["model"]
    pick = np.arange(model.size)
    estimate = np.stack([fit[f"estimate_{m}"] for m in _MODEL_NAMES], axis=1)[pick, model]
    se = np.stack([fit[f"se_{m}"] for m in _MODEL_NAMES], axis=1)[pick, model]
    df = np.where(model >= 2, fit["nsnp"] - 2, np.nan)  # Egger rows: t(k - 2); IVW rows: normal
    result = make_result(estimate, se, nsnp=fit["nsnp"], se_model="rucker_selected", weights="first_order", df=df,
                         model=np.array(MODELS, dtype=object)[model], **extra)
    for key, value in fit.items():
        if key not in ("model", "nsnp"):
            result[key] = value
    return result


def mr_rucker(bx, bxse, by, byse, *, q_threshold: float = 0.05) -> dict:
    """Rücker's framework (TwoSampleMR ``mr_rucker``): the selected model's estimate, SE and p.

    Parameters
    ----------
    bx, bxse, by, byse : array_like, shape (n_rep, k) or (k,)
    q_threshold : float
        TwoSampleMR's ``Qthresh``.

    Returns
    -------
    dict
        make_result of the selected model (``model`` "A"-"D"; p normal for A/B, t(k - 2) for C/D) plus every
        quantity of :func:`rucker_fit`.

    Raises
    ------
    NotEstimable
        Fewer than 3 variants (R: "Need at least 3 SNPs").
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="Rucker's framework")
    sign = np.where(bx < 0, -1.0, 1.0)
    return _selected(rucker_fit(np.abs(bx), by * sign, byse, q_threshold=q_threshold))


def mr_rucker_cooksdistance(bx, bxse, by, byse, *, q_threshold: float = 0.05) -> dict:
    """Rücker's framework after removing influential variants by Cook's distance (``mr_rucker_cooksdistance``).

    Returns
    -------
    dict
        As :func:`mr_rucker` on the variants kept, plus ``removed`` ``(n_rep, k)`` (True for a removed variant)
        and ``n_removed``; ``nsnp`` counts the variants kept.
    """
    bx, bxse, by, byse = as_batch(bx, bxse, by, byse, min_snps=3, method="Rucker's framework")
    sign = np.where(bx < 0, -1.0, 1.0)
    bx, by = np.abs(bx), by * sign
    keep = np.ones(bx.shape, dtype=bool)
    fit = rucker_fit(bx, by, byse, keep, q_threshold)
    flagged = fit["cooks_distance"] > 4.0 / keep.sum(axis=1)[:, None]
    go = flagged.any(axis=1) & ((keep & ~flagged).sum(axis=1) > 3)
    while go.any():
        keep = np.where(go[:, None], keep & ~flagged, keep)
        new = rucker_fit(bx, by, byse, keep, q_threshold)
        fit = {key: np.where(go if value.ndim == 1 else go[:, None], value, fit[key]) for key, value in new.items()}
        flagged = np.where(go[:, None], fit["cooks_distance"] > 4.0 / keep.sum(axis=1)[:, None], False)
        go = go & flagged.any(axis=1) & ((keep & ~flagged).sum(axis=1) > 3)
    return _selected(fit, removed=~keep, n_removed=(~keep).sum(axis=1))


def _with_removed(result: dict, ctx) -> dict:
    result["removed_snps"] = outlier_ids(result["removed"], ctx.snp)
    return result


_ROW_KEYS = ("model", "q_ivw", "q_ivw_p", "q_egger", "q_egger_p", "q_diff", "q_diff_p", "intercept")
_IDEA = ("Picks IVW or MR-Egger, each with fixed or random effects, by three heterogeneity tests: Cochran's Q, "
         "Rucker's Q' and their difference.")
_FORMULA = (r"A: Q \le \chi^2_{k-1};\ B: Q - Q' \le \chi^2_1;\ C: Q' \le \chi^2_{k-2};\ D: \text{otherwise}"
            r"\ (\text{5\% critical values})")
#: One record per method id of this module.
METHODS = (
    MethodInfo(id="rucker", label="Rucker", short_label="Rucker", family="InSIDE",
               r_function="TwoSampleMR 0.7.9 mr_rucker (Qthresh 0.05, test_dist 'z')",
               idea=_IDEA + " The selected model's estimate is reported, with the model's letter (A-D).",
               formula=_FORMULA,
               trades="Uses IVW while the data show no sign of directional pleiotropy and MR-Egger (InSIDE) when "
                      "Q - Q' says the intercept is needed.",
               when="To let the heterogeneity statistics choose between IVW and MR-Egger in a pre-specified way.",
               extra_keys=_ROW_KEYS),
    MethodInfo(id="rucker_cd", label="Rucker (CD)", short_label="Rucker (CD)", family="outlier removal",
               r_function="TwoSampleMR 0.7.9 mr_rucker_cooksdistance",
               idea=_IDEA + " Before that, variants with Cook's distance above 4/k in the selected model are removed, "
                            "repeatedly, while more than three remain.",
               formula=_FORMULA + r",\ \text{removing } D_j > 4/k",
               trades="Assumes the influential variants are the invalid ones; then as Rucker (IVW or InSIDE).",
               when="As a sensitivity analysis when a few variants dominate the fit.",
               extra_keys=(*_ROW_KEYS, "n_removed", "removed_snps")),
)

_RUCKER = ("TwoSampleMR's mr_rucker: the 'fixed effects' SE is lm SE / max(sigma, 1), for sigma < 1 the lm SE, "
           "smaller than the true fixed-effect SE; the Egger fixed-effect slope p uses t(k - 2) although test_dist = "
           "'z'; the intercept p is normal; it prints qnorm(0.975) intervals where generate_odds_ratios would give "
           "1.96 (the row follows the convention); rows for models C/D have t(k - 2), A/B normal.")
#: R behaviours reproduced (the conventions page), by method id.
QUIRKS = {"rucker": (_RUCKER,), "rucker_cd": (_RUCKER,)}

register("rucker", lambda data, ctx: mr_rucker(*data), row_keys=METHODS[0].extra_keys,
         reference=METHODS[0].r_function)
register("rucker_cd", lambda data, ctx: _with_removed(mr_rucker_cooksdistance(*data), ctx),
         row_keys=METHODS[1].extra_keys, reference=METHODS[1].r_function)
