"""The exercises of the teaching chapters: how MR methods fail (simulation study), harmonisation by example, and
why the packages disagree (conventions). For each page: what it observes and how it solves an exercise
(:mod:`mrkit.paper.exercises`)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..simulation_report import pooled_coverage
from ..simulation_study import DEFAULT_SETTINGS, run_simulation, simulation_design, summarise_simulation
from .core import Exercise, Solver, fmt, moved, pct, sig, solver

__all__ = ["TEACHING", "HARMONISATION_TRUTH", "simulation_observed", "simulation_solver", "harmonisation_observed",
           "harmonisation_solver", "conventions_observed", "conventions_solver"]


# -- How MR methods fail (notebooks/simulation_study.py) -------------------------------------------------------
def simulation_observed(summary: pd.DataFrame) -> dict[str, float]:
    """``bias-<scenario>-<method>`` and ``power-<scenario>-<method>`` at the non-null effect, and
    ``coverage-<scenario>-<method>`` averaged over the effects (the coverage table's number)."""
    beta = float(summary["beta"].max())
    alt = summary[summary["beta"] == beta]
    out = {f"bias-{s}-{m}": float(b) for s, m, b in zip(alt["scenario"], alt["method"], alt["bias"])}
    out |= {f"power-{s}-{m}": float(r) for s, m, r in zip(alt["scenario"], alt["method"], alt["rejection"])}
    cov = pooled_coverage(summary)
    out |= {f"coverage-{s}-{m}": float(c) for s, m, c in zip(cov["scenario"], cov["method"], cov["coverage"])}
    return out


def simulation_solver(parameters: Mapping[str, Any]) -> Solver:
    """The simulation page's numbers under changed parameters: only the scenarios and methods asked for, in this
    process (a block's data and each method's numbers depend on neither the other scenarios nor the other
    methods: :func:`mrkit.paper.simulation_study.run_simulation`)."""
    def compute(p: dict[str, Any], names: tuple[str, ...]) -> Mapping[str, float]:
        design = simulation_design(quick=bool(p["quick"]), **{k: p[k] for k in DEFAULT_SETTINGS if k in p})
        parsed = [n.split("-") for n in names]
        fits = run_simulation(list(dict.fromkeys(s for _, s, _ in parsed)), design, seed=int(p["seed"]),
                              methods=list(dict.fromkeys(m for _, _, m in parsed)), workers=1)
        obs = simulation_observed(summarise_simulation(fits))
        return obs
    return solver(parameters, compute)


_SIM = [
    Exercise(
        "simulation_study", 1, "Directional pleiotropy in more instruments",
        "With directional {term}`horizontal pleiotropy` that respects {term}`InSIDE`, 30 % of the instruments "
        "are pleiotropic on this page. What happens to the bias of {term}`IVW` and of {term}`MR-Egger` when 60 % "
        "are? Run the one scenario only, so the run takes a seventh of the page's time.",
        {"scenario": "directional_pleiotropy", "pleiotropy_fraction": 0.6},
        ("bias-directional_pleiotropy-ivw", "bias-directional_pleiotropy-egger"),
        lambda b, a: a["bias-directional_pleiotropy-ivw"] > b["bias-directional_pleiotropy-ivw"]
        and abs(a["bias-directional_pleiotropy-egger"]) < a["bias-directional_pleiotropy-ivw"],
        lambda b, a, c: (
            f"IVW's bias {moved(b['bias-directional_pleiotropy-ivw'], a['bias-directional_pleiotropy-ivw'])} "
            f"from {fmt(b['bias-directional_pleiotropy-ivw'])} to {fmt(a['bias-directional_pleiotropy-ivw'])} "
            "(SD of outcome per SD of exposure, true effect 0.05): every pleiotropic instrument adds a positive "
            "direct effect, and IVW averages them into its estimate, so twice as many roughly double the bias. "
            f"MR-Egger's bias goes from {fmt(b['bias-directional_pleiotropy-egger'])} to "
            f"{fmt(a['bias-directional_pleiotropy-egger'])}: its intercept absorbs directional pleiotropy whatever "
            "the fraction, as long as InSIDE holds; it pays with a wider interval.")),
    Exercise(
        "simulation_study", 2, "Stronger instruments",
        "The weak-instrument scenario has a mean {term}`F statistic` of 10. Raise it to 30 (`mean_f`). What "
        "happens to IVW's bias and to its power?",
        {"scenario": "weak", "mean_f": 30.0},
        ("bias-weak-ivw", "power-weak-ivw"),
        lambda b, a: a["power-weak-ivw"] > b["power-weak-ivw"],
        lambda b, a, c: (
            f"In the simulated data, IVW's power {moved(b['power-weak-ivw'], a['power-weak-ivw'])} from "
            f"{pct(b['power-weak-ivw'])} to "
            f"{pct(a['power-weak-ivw'])}: three times the variance explained makes the SE about √3 times "
            f"smaller. Its bias goes from {fmt(b['bias-weak-ivw'])} to {fmt(a['bias-weak-ivw'])} (compare with the "
            "Monte Carlo SEs of the bias table): in two separate samples, weak instruments dilute the estimate "
            "towards the null by roughly β/F̄, here 0.05/10 = 0.005 and 0.05/30 ≈ 0.002, less than the Monte Carlo "
            "error of the simulated bias at this size. The power is what a stronger instrument set buys.")),
    Exercise(
        "simulation_study", 3, "Balanced pleiotropy and maximum likelihood's SE",
        "Under balanced pleiotropy, maximum likelihood with TwoSampleMR's fixed-effect (Hessian) SE covers the "
        "truth less often than 95 %. What happens to its coverage, and to random-effects IVW's, when 60 % of the "
        "instruments are pleiotropic instead of 30 %?",
        {"scenario": "balanced_pleiotropy", "pleiotropy_fraction": 0.6},
        ("coverage-balanced_pleiotropy-ml", "coverage-balanced_pleiotropy-ivw"),
        lambda b, a: a["coverage-balanced_pleiotropy-ml"] < b["coverage-balanced_pleiotropy-ml"]
        and a["coverage-balanced_pleiotropy-ivw"] >= 0.9,
        lambda b, a, c: (
            "In the simulated data, maximum likelihood's coverage "
            f"{moved(b['coverage-balanced_pleiotropy-ml'], a['coverage-balanced_pleiotropy-ml'])} from "
            f"{pct(b['coverage-balanced_pleiotropy-ml'])} to {pct(a['coverage-balanced_pleiotropy-ml'])}: more "
            "pleiotropic instruments add more variance between instruments, which a fixed-effect SE ignores. "
            f"Random-effects IVW's coverage goes from {pct(b['coverage-balanced_pleiotropy-ivw'])} to "
            f"{pct(a['coverage-balanced_pleiotropy-ivw'])}: its SE is scaled by the residual standard error "
            "(see {term}`Cochran's Q`), so it stays near 95 %. MendelianRandomization scales the ML SE the same "
            "way (see the conventions chapter).")),
]


# -- Harmonisation by example (notebooks/harmonisation_by_example.py) ----------------------------------------
def harmonisation_observed(by_action: pd.DataFrame, action: int, fit_naive: pd.DataFrame, fit_aligned: pd.DataFrame,
                           swapped) -> dict[str, float]:
    """``used-action<a>`` (rows used in MR under each action), ``used-chosen`` and ``wrong-chosen`` (used, and
    used with the wrong sign, under the page's ``action``), ``naive-ivw`` and ``harmonised-ivw`` (IVW without
    and with harmonisation) and ``swapped`` (variants coded on the other allele)."""
    out = {f"used-action{a}": float(by_action[f"used (action {a})"].sum()) for a in (1, 2, 3)}
    used = by_action[f"used (action {action})"]
    out["used-chosen"] = float(used.sum())
    out["wrong-chosen"] = float((used & (by_action[f"beta.outcome (action {action})"] < 0)).sum())
    out["naive-ivw"] = float(fit_naive.set_index("method").loc["ivw", "estimate"])
    out["harmonised-ivw"] = float(fit_aligned.set_index("method").loc["ivw", "estimate"])
    out["swapped"] = float(sum(bool(v) for v in swapped))
    return out


def harmonisation_solver(parameters: Mapping[str, Any]) -> Solver:
    """The harmonisation page's numbers under changed parameters, by the page's own calls."""
    from ...methods.estimate import mr
    from .. import harmonisation_examples as hx

    def compute(p: dict[str, Any], names: tuple[str, ...]) -> Mapping[str, float]:
        exposure, outcome = hx.harmonisation_cases(palindrome_eaf=float(p["palindrome_eaf"]))
        by_action = exposure[["SNP", "case"]].merge(hx.harmonisation_by_action(exposure, outcome), on="SNP")
        x, y, swapped = hx.allele_coding_example(n_snps=30, beta=HARMONISATION_TRUTH,
                                              swap_fraction=float(p["swap_fraction"]), seed=int(p["seed"]))
        fit_naive = mr(x.merge(y, on="SNP"), methods=["ivw"], seed=int(p["seed"]))
        fit_aligned = mr(hx.harmonised(x, y, action=2), methods=["ivw"], seed=int(p["seed"]))
        obs = harmonisation_observed(by_action, int(p["action"]), fit_naive, fit_aligned, swapped)
        return obs
    return solver(parameters, compute)


#: The true causal effect of the harmonisation page's example.
HARMONISATION_TRUTH = 0.3

_HARM = [
    Exercise(
        "harmonisation_by_example", 1, "Into the ambiguity band",
        "The A/T palindrome whose exposure EAF is 0.40 has an outcome EAF of 0.41, just outside TwoSampleMR's "
        "band of ambiguity (0.42 to 0.58). Move it to 0.43 (`palindrome_eaf`). How many of the ten rows does each "
        "action use now, and why?",
        {"palindrome_eaf": 0.43},
        ("used-action1", "used-action2", "used-action3"),
        lambda b, a: a["used-action2"] == b["used-action2"] - 1 and a["used-action1"] == b["used-action1"]
        and a["used-action3"] == b["used-action3"],
        lambda b, a, c: (
            f"Action 2 uses {a['used-action2']:.0f} rows instead of {b['used-action2']:.0f}: the variant is now "
            "ambiguous (0.42 < 0.43 < 0.58), so its strand cannot be read from the frequencies and it is left out; "
            "one EAF inside the band is enough. Action 1 still uses "
            f"{a['used-action1']:.0f} (it never drops a palindrome, trusting that both studies report the forward "
            f"strand), and action 3 still uses {a['used-action3']:.0f} (it dropped every palindrome already).")),
    Exercise(
        "harmonisation_by_example", 2, "How many swapped alleles does it take?",
        "In the example of 30 instruments, about half are reported for the other allele in the outcome GWAS "
        "(`swap_fraction = 0.5`). Re-run with a quarter. What happens to the IVW estimate without "
        "harmonisation, and with it?",
        {"swap_fraction": 0.25},
        ("naive-ivw", "harmonised-ivw", "swapped"),
        lambda b, a: a["harmonised-ivw"] == b["harmonised-ivw"] and a["swapped"] < b["swapped"]
        and abs(a["naive-ivw"] - HARMONISATION_TRUTH) < abs(b["naive-ivw"] - HARMONISATION_TRUTH),
        lambda b, a, c: (
            f"With {a['swapped']:.0f} of 30 variants swapped (instead of {b['swapped']:.0f}) the naive IVW estimate "
            f"is {fmt(a['naive-ivw'])} instead of {fmt(b['naive-ivw'])}, for a true effect of "
            f"{HARMONISATION_TRUTH}: {a['naive-ivw'] / HARMONISATION_TRUTH:.2f} of the truth instead of "
            f"{b['naive-ivw'] / HARMONISATION_TRUTH:.2f}. A swapped variant's ratio estimate is about minus the "
            "truth, so with equal weights the naive estimate would be (1 − 2q) times the truth for a swapped share "
            f"q: {1 - 2 * a['swapped'] / 30:.2f} and {1 - 2 * b['swapped'] / 30:.2f} here; the weights are not "
            "equal, so the run's numbers differ from that rough guide. After harmonisation the estimate is "
            f"{fmt(a['harmonised-ivw'])} both times, to the last digit: harmonisation undoes the coding exactly, "
            "whatever the share.")),
    Exercise(
        "harmonisation_by_example", 3, "Which action is lenient?",
        "A user on a forum is told to use `action = 3` \"to be less strict\". Re-run the flow table with "
        "`action = 1` instead of 2: how many of the ten rows enter MR, and how many with the wrong sign?",
        {"action": 1},
        ("used-chosen", "wrong-chosen"),
        lambda b, a: a["used-chosen"] > b["used-chosen"] and a["wrong-chosen"] >= 1 and b["wrong-chosen"] == 0,
        lambda b, a, c: (
            f"With action 1, {a['used-chosen']:.0f} rows enter MR instead of {b['used-chosen']:.0f}, "
            f"{a['wrong-chosen']:.0f} of them with the wrong sign (action 2: {b['wrong-chosen']:.0f}): action 1 "
            "is the lenient one, it never drops or flips a palindrome, so a palindrome reported on the other strand "
            "enters with its effect reversed. Action 3 is the strict one (it drops every palindrome); the forum "
            "advice has the numbering backwards.")),
]


# -- Why the packages disagree (notebooks/conventions.py) ------------------------------------------------------
def conventions_observed(side: pd.DataFrame | None, floor_rows: pd.DataFrame | None = None,
                         sigma: float | None = None, het: pd.DataFrame | None = None) -> dict[str, float]:
    """From the side-by-side table: ``egger-p-tsmr/mr``, ``wm-estimate-tsmr``, ``wm-se-tsmr/mr``, ``ivw-se-tsmr``,
    ``ml-se-tsmr/mr``; from the IVW floor section: ``floor-ivw-se``, ``floor-ivw_mre-se``, ``floor-sigma``; and
    Cochran's Q of IVW on the data with its number of variants, ``ivw-q``, ``n-variants``."""
    out: dict[str, float] = {}
    if side is not None:
        t = side.set_index("method")
        for key, method, col in (("egger-p-tsmr", "egger", "p_tsmr"), ("egger-p-mr", "egger", "p_mr"),
                                 ("wm-estimate-tsmr", "weighted_median", "estimate_tsmr"),
                                 ("wm-se-tsmr", "weighted_median", "se_tsmr"), ("wm-se-mr", "weighted_median", "se_mr"),
                                 ("ivw-se-tsmr", "ivw", "se_tsmr"), ("ml-se-tsmr", "ml", "se_tsmr"),
                                 ("ml-se-mr", "ml", "se_mr")):
            if method in t.index:
                out[key] = float(t.loc[method, col])
    if floor_rows is not None:
        f = floor_rows.set_index("method")
        out["floor-ivw-se"], out["floor-ivw_mre-se"] = float(f.loc["ivw", "se"]), float(f.loc["ivw_mre", "se"])
        out["floor-sigma"] = float(sigma)
    if het is not None:
        ivw = het.set_index("method").loc["ivw"]
        out["ivw-q"], out["n-variants"] = float(ivw["q"]), float(ivw["nsnp"])
    return out


def conventions_solver(parameters: Mapping[str, Any], validation_dir: Any) -> Solver:
    """The conventions page's numbers under changed parameters, by the page's own calls (only the methods asked
    for: every bootstrap method draws from its own generator seeded with the page's seed)."""
    from ...methods.heterogeneity import heterogeneity
    from ..convention_comparison import convention_comparison, example_data, first_variants, ivw_floor

    needs = {"egger": "egger", "wm": "weighted_median", "ivw": "ivw", "ml": "ml"}

    def compute(p: dict[str, Any], names: tuple[str, ...]) -> Mapping[str, float]:
        data, _ = example_data(validation_dir, seed=int(p["seed"]))
        data = first_variants(data, p["n_variants"])
        methods = list(dict.fromkeys(needs[n.split("-")[0]] for n in names if n.split("-")[0] in needs
                                     and n != "ivw-q"))
        side = convention_comparison(data, seed=int(p["seed"]), methods=methods) if methods else None
        floor, sigma = (ivw_floor(data, float(p["outcome_se_factor"]), seed=int(p["seed"]))
                        if any(n.startswith("floor-") for n in names) else (None, None))
        het = heterogeneity(data) if {"ivw-q", "n-variants"} & set(names) else None
        obs = conventions_observed(side, floor, sigma, het)
        return obs
    return solver(parameters, compute)



_CONV = [
    Exercise(
        "conventions", 1, "Eight variants: t or normal?",
        "A paper reports MR-Egger's slope from eight variants. Re-run the page on the first eight lipids variants: "
        "what p-values do the two conventions give for the same slope and SE, and why?",
        {"n_variants": 8},
        ("egger-p-tsmr", "egger-p-mr"),
        lambda b, a: a["egger-p-tsmr"] > a["egger-p-mr"] and b["egger-p-tsmr"] > b["egger-p-mr"],
        lambda b, a, c: (
            f"With eight variants TwoSampleMR gives p = {sig(a['egger-p-tsmr'])} and MendelianRandomization "
            f"p = {sig(a['egger-p-mr'])} (with all the variants: {sig(b['egger-p-tsmr'])} and "
            f"{sig(b['egger-p-mr'])}). The slope and its SE are the same; TwoSampleMR takes the p-value from "
            "t(k − 2) = t(6), whose tails are heavier than the normal's MendelianRandomization uses, so its p is "
            "larger" + (", here on the other side of 0.05" if (a["egger-p-tsmr"] - 0.05) * (a["egger-p-mr"] - 0.05) < 0
                        else "") + ". With many variants t(k − 2) approaches the normal and the difference fades.")),
    Exercise(
        "conventions", 2, "When does the IVW floor bind?",
        "The IVW floor section doubles every outcome SE (`outcome_se_factor = 2`). Re-run it with the SEs as they "
        "are (1): what is σ̂ now, and do the floored (`ivw`) and unfloored (`ivw_mre`) random-effects SEs differ?",
        {"outcome_se_factor": 1.0},
        ("floor-sigma", "floor-ivw-se", "floor-ivw_mre-se"),
        lambda b, a: a["floor-sigma"] > 1 > b["floor-sigma"] and a["floor-ivw-se"] == a["floor-ivw_mre-se"]
        and b["floor-ivw-se"] > b["floor-ivw_mre-se"],
        lambda b, a, c: (
            f"σ̂ is {a['floor-sigma']:.3f} instead of {b['floor-sigma']:.3f}. Above 1 the floor max(1, σ̂) does not "
            f"bind: both random-effects SEs are {a['floor-ivw-se']:.4f}, the fixed-effect SE times σ̂. With doubled "
            f"SEs (σ̂ < 1) the floored SE stays at the fixed-effect one, {b['floor-ivw-se']:.4f}, and the unfloored "
            f"one falls below it, {b['floor-ivw_mre-se']:.4f}: only under-dispersed data tell the two models apart.")),
    Exercise(
        "conventions", 3, "What moves with the seed?",
        "Re-run the page with another `seed` (the seed of the bootstraps, one more than this page's). Which numbers "
        "of the side-by-side table change, and which cannot?",
        lambda p: {"seed": int(p.get("seed", 0)) + 1},
        ("wm-estimate-tsmr", "wm-se-tsmr", "ivw-se-tsmr"),
        lambda b, a: a["wm-estimate-tsmr"] == b["wm-estimate-tsmr"] and a["ivw-se-tsmr"] == b["ivw-se-tsmr"]
        and a["wm-se-tsmr"] != b["wm-se-tsmr"],
        lambda b, a, c: (
            f"The weighted median's estimate stays {b['wm-estimate-tsmr']:.4f} and IVW's SE "
            f"{b['ivw-se-tsmr']:.4f}: estimates and analytic SEs use no random draws. The weighted median's "
            f"bootstrap SE moves from {b['wm-se-tsmr']:.4f} to {a['wm-se-tsmr']:.4f}, by Monte Carlo error "
            "(1,000 draws under TwoSampleMR's convention); so do the simple median's and the modes' SEs and their "
            "p-values. A re-analysis that differs from a paper only in these is not a discrepancy.")),
    Exercise(
        "conventions", 4, "Maximum likelihood's SE, and fewer than four variants",
        "MendelianRandomization's maximum-likelihood SE is the Hessian SE times √max(1, Q_ML/(k − 1)), with Q_ML "
        "twice the minimised negative log-likelihood (`mr_maxlik`'s Heter.Stat), when k ≥ 4, and the plain "
        "Hessian SE below. From this page's two ML SEs, what is Q_ML, and how does it compare with "
        "{term}`Cochran's Q` of IVW? Then re-run on the first three variants: do the two SEs still differ?",
        {"n_variants": 3},
        ("ml-se-tsmr", "ml-se-mr", "ivw-q", "n-variants"),
        lambda b, a: a["ml-se-tsmr"] == a["ml-se-mr"] and b["ml-se-mr"] > b["ml-se-tsmr"],
        lambda b, a, c: (
            f"Here the ratio of the SEs is {b['ml-se-mr'] / b['ml-se-tsmr']:.4f}, so Q_ML/(k − 1) is its square, "
            f"{(b['ml-se-mr'] / b['ml-se-tsmr']) ** 2:.3f}, and with k = {b['n-variants']:.0f} variants Q_ML = "
            f"{(b['n-variants'] - 1) * (b['ml-se-mr'] / b['ml-se-tsmr']) ** 2:.1f}. Cochran's Q of IVW on "
            f"the same data is {b['ivw-q']:.1f}; Q_ML is smaller because the likelihood lets each variant's exposure "
            "effect move within its SE, absorbing part of what IVW's Q (which treats the exposure effects as "
            f"fixed) counts as heterogeneity. On three variants both SEs are {a['ml-se-tsmr']:.4f}: below four "
            "variants MendelianRandomization's default model is fixed-effect, as TwoSampleMR's always is.")),
]


TEACHING: list[Exercise] = [*_SIM, *_HARM, *_CONV]
