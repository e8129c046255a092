"""The exercises of the study's pages: the MR pages, the results, the limitations and the multivariable page. For
each page: what it observes and how it solves an exercise (:mod:`mrkit.paper.exercises`)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ...errors import MRKitError
from .core import Exercise, Solver, fmt, moved, pct, sig, solver

__all__ = ["STUDY", "mr_observed", "mr_solver", "results_observed", "results_solver", "limitations_observed",
           "limitations_solver", "multivariable_observed", "multivariable_solver"]


# -- The MR pages (notebooks/mr_analysis.py) -----------------------------------------------------------------
_MR_ROWS = {"ivw": "ivw", "wm": "weighted_median", "ml": "ml", "egger": "egger"}


def _estimate_values(estimates: pd.DataFrame, names: tuple[str, ...] | None = None) -> dict[str, float]:
    t = estimates.set_index("method")
    out = {}
    for short, method in _MR_ROWS.items():
        if method in t.index:
            for col in ("estimate", "se", "p"):
                out[f"{short}-{col}"] = float(t.loc[method, col])
    return out


def mr_observed(result: Any) -> dict[str, float]:
    """An MR page's numbers (:class:`~mrkit.paper.direction.DirectionResult`): ``<method>-estimate|se|p`` for IVW,
    the weighted median (``wm``), maximum likelihood and MR-Egger, ``nsnp`` and ``mean-f`` of the instruments."""
    return {**_estimate_values(result.estimates), "nsnp": float(result.instruments.nsnp),
            "mean-f": float(result.instruments.mean_f)}


def mr_solver(parameters: Mapping[str, Any], study: Any, harmonised: pd.DataFrame) -> Solver:
    """An MR page's numbers under changed parameters: the instruments again when the threshold changes
    (:meth:`mrkit.paper.study.Study.harmonised`), then :func:`mrkit.mr` on the methods asked for (each draws from its
    own generator seeded with the seed, so alone it gives the page's number)."""
    from ...methods.estimate import mr
    from ..direction import mean_f, used_instruments

    def compute(p: dict[str, Any], names: tuple[str, ...]) -> Mapping[str, float]:
        if p["p_threshold"] == parameters["p_threshold"]:
            h = harmonised
        elif p.get("data") == "opengwas":
            raise MRKitError("on OpenGWAS data other instruments need new queries of the API, which a book build "
                             "does not make for an exercise")
        else:
            h = study.harmonised(p["exposure"], p["outcome"], p_threshold=float(p["p_threshold"]))
        methods = list(dict.fromkeys(_MR_ROWS[n.split("-")[0]] for n in names if n.split("-")[0] in _MR_ROWS))
        out = _estimate_values(mr(h, methods=methods, convention=p["convention"], seed=int(p["seed"])))
        kept = used_instruments(h)
        out |= {"nsnp": float(len(kept)), "mean-f": mean_f(kept)}
        return out
    return solver(parameters, compute)


def _looser(parameters: Mapping[str, Any]) -> float:
    """A p-value threshold a hundred times looser than the page's, at most 0.01 (OpenGWAS's loosest)."""
    return min(float(f"{float(parameters.get('p_threshold', 5e-8)) * 100:.0e}"), 1e-2)


_MR = [
    Exercise(
        "mr_analysis", 1, "The other package's conventions",
        "Re-run this direction under MendelianRandomization's conventions (`convention = "
        "\"mendelianrandomization\"`). Which numbers of the estimates table change, and which cannot?",
        {"convention": "mendelianrandomization"},
        ("ivw-estimate", "wm-estimate", "egger-p", "ml-se"),
        lambda b, a: a["ivw-estimate"] == b["ivw-estimate"] and a["egger-p"] < b["egger-p"],
        lambda b, a, c: (
            f"IVW's estimate stays {b['ivw-estimate']:.4f}: both packages compute it the same way. The weighted "
            f"median's {moved(b['wm-estimate'], a['wm-estimate'], 'moves', 'moves')} from {b['wm-estimate']:.4f} to "
            f"{a['wm-estimate']:.4f} (first-order weights instead of second-order). MR-Egger's p-value goes from "
            f"{sig(b['egger-p'])} to {sig(a['egger-p'])}: the same slope and SE, a normal distribution instead of "
            f"t(k − 2). Maximum likelihood's SE goes from {b['ml-se']:.4f} to {a['ml-se']:.4f}: "
            "MendelianRandomization scales it by √max(1, Q_ML/(k − 1)) for heterogeneity "
            "(see {doc}`/book/generated/conventions`).")),
    Exercise(
        "mr_analysis", 2, "A looser instrument threshold",
        "Select instruments at a p-value threshold a hundred times looser than this page's (`p_threshold`). How "
        "many instruments are there, how strong are they on average, and what happens to the IVW estimate and "
        "its SE?",
        lambda p: {"p_threshold": _looser(p)},
        ("nsnp", "mean-f", "ivw-estimate", "ivw-se"),
        lambda b, a: a["nsnp"] > b["nsnp"] and a["mean-f"] < b["mean-f"],
        lambda b, a, c: (
            f"{a['nsnp']:.0f} instruments instead of {b['nsnp']:.0f}, with a mean {{term}}`F statistic` of "
            f"{a['mean-f']:.1f} instead of {b['mean-f']:.1f}: the variants added are weaker. IVW's estimate goes "
            f"from {b['ivw-estimate']:.4f} (SE {b['ivw-se']:.4f}) to {a['ivw-estimate']:.4f} (SE "
            f"{a['ivw-se']:.4f}). More instruments usually buy precision, but weak ones dilute a two-sample estimate "
            "towards the null (by roughly 1/F̄) and are more likely to include pleiotropic variants; the study used "
            "5×10⁻⁸ where it could and 5×10⁻⁶ for LBP, whose GWAS has few genome-wide significant variants.")),
    Exercise(
        "mr_analysis", 3, "Another seed, the same data",
        "Re-run the page with another `seed` (one more than this page's): the same data, other random draws. What "
        "changes in the estimates table?",
        lambda p: {"seed": int(p.get("seed", 0)) + 1},
        ("wm-estimate", "wm-se", "ivw-se"),
        lambda b, a: a["wm-estimate"] == b["wm-estimate"] and a["ivw-se"] == b["ivw-se"] and a["wm-se"] != b["wm-se"],
        lambda b, a, c: (
            f"Only numbers drawn at random: the weighted median's bootstrap SE goes from {b['wm-se']:.4f} to "
            f"{a['wm-se']:.4f}, while its estimate ({b['wm-estimate']:.4f}) and IVW's SE ({b['ivw-se']:.4f}) stay "
            "to the last digit. The modes' and medians' SEs, their p-values and MR-PRESSO's p-values move the same "
            "way. `seed` chooses the draws of the analysis; `panel_seed` would choose other data.")),
]


# -- Results: all directions (notebooks/results.py) --------------------------------------------------------
def results_observed(t: pd.DataFrame) -> dict[str, float]:
    """From :func:`mrkit.paper.report.directions_table`: ``estimate-<exposure>-<outcome>`` (β) and
    ``width-<exposure>-<outcome>`` (width of the 95 % CI of β) of each direction, and ``n-bonferroni``, the
    directions significant after Bonferroni correction."""
    out = {"n-bonferroni": float((t["p_bonferroni"] < 0.05).sum())}
    for r in t.itertuples():
        out[f"estimate-{r.exposure}-{r.outcome}"] = float(r.estimate)
        out[f"width-{r.exposure}-{r.outcome}"] = float(r.ci_upper - r.ci_lower)
    return out


def results_solver(parameters: Mapping[str, Any], directions: list[Any]) -> Solver:
    """The results page's numbers with another ``method``: the same saved directions, another row of each."""
    from ..report import directions_table

    def compute(p: dict[str, Any], names: tuple[str, ...]) -> Mapping[str, float]:
        obs = results_observed(directions_table(directions, p["method"]))
        return obs
    return solver(parameters, compute)


_FIRST = "insomnia-lbp"  # the study's main direction, on every build of the results page

_RESULTS = [
    Exercise(
        "results", 1, "MR-Egger for every direction",
        "Tabulate MR-Egger instead of IVW (`method = \"egger\"`). How wide is the 95 % interval of insomnia → LBP "
        "now, and why?",
        {"method": "egger"},
        (f"estimate-{_FIRST}", f"width-{_FIRST}", "n-bonferroni"),
        lambda b, a: a[f"width-{_FIRST}"] > b[f"width-{_FIRST}"],
        lambda b, a, c: (
            f"The interval of β is {a[f'width-{_FIRST}']:.3f} wide instead of {b[f'width-{_FIRST}']:.3f} "
            f"({a[f'width-{_FIRST}'] / b[f'width-{_FIRST}']:.1f} times), around {a[f'estimate-{_FIRST}']:.4f} "
            f"instead of {b[f'estimate-{_FIRST}']:.4f}; {a['n-bonferroni']:.0f} direction(s) stay significant after "
            f"Bonferroni correction instead of {b['n-bonferroni']:.0f}. {{term}}`MR-Egger` estimates an intercept "
            "too, from the spread of the instruments' strengths; with instruments of similar strength (a low "
            "{term}`I²_GX`) the slope is poorly determined. Its robustness to directional pleiotropy is paid for in "
            "precision.")),
    Exercise(
        "results", 2, "The weighted median",
        "Tabulate the weighted median (`method = \"weighted_median\"`), valid when at least half of the weight "
        "comes from valid instruments. Does insomnia → LBP keep its direction?",
        {"method": "weighted_median"},
        (f"estimate-{_FIRST}", "n-bonferroni"),
        lambda b, a: (a[f"estimate-{_FIRST}"] > 0) == (b[f"estimate-{_FIRST}"] > 0),
        lambda b, a, c: (
            f"β is {a[f'estimate-{_FIRST}']:.4f} against IVW's {b[f'estimate-{_FIRST}']:.4f}: the same direction. "
            f"{a['n-bonferroni']:.0f} direction(s) are significant after Bonferroni correction "
            f"(IVW: {b['n-bonferroni']:.0f}). Agreement between methods that rest on different assumptions "
            "({term}`IVW`: no pleiotropy or balanced pleiotropy; {term}`weighted median`: a valid majority of the "
            "weight) is what a sensitivity analysis looks for; it is not proof, since both can be biased the "
            "same way.")),
    Exercise(
        "results", 3, "Maximum likelihood's narrower interval",
        "Tabulate maximum likelihood (`method = \"ml\"`) under this page's TwoSampleMR convention. Is its "
        "interval for insomnia → LBP narrower or wider than IVW's, and should you prefer it for that?",
        {"method": "ml"},
        (f"width-{_FIRST}",),
        lambda b, a: a[f"width-{_FIRST}"] < b[f"width-{_FIRST}"],
        lambda b, a, c: (
            f"{'Narrower' if a[f'width-{_FIRST}'] < b[f'width-{_FIRST}'] else 'Not narrower'}: "
            f"{a[f'width-{_FIRST}']:.3f} against IVW's {b[f'width-{_FIRST}']:.3f}. TwoSampleMR's "
            "{term}`maximum likelihood` SE is the fixed-effect (Hessian) one, while IVW's is scaled up for the "
            "heterogeneity between instruments (multiplicative random effects). Where the instruments disagree more "
            "than chance allows ({term}`Cochran's Q`), the narrower interval is too narrow: the simulation chapter "
            "shows its coverage falling below 95 % under balanced pleiotropy.")),
]


# -- Limitations (notebooks/limitations.py) ----------------------------------------------------------------
def limitations_observed(power: pd.DataFrame, sim: Any) -> dict[str, float]:
    """``power-<exposure>-<outcome>`` (power at α = 0.05) and ``min-or-<exposure>-<outcome>`` of each direction,
    ``n-underpowered`` (power below 80 %), and from the overlap simulation ``mean-<weak|stronger>-<overlap>`` (mean
    IVW estimate) and ``truth``."""
    out = {"n-underpowered": float((power["power"] < 0.8).sum())}
    for r in power.itertuples():
        out[f"power-{r.exposure}-{r.outcome}"] = float(r.power)
        out[f"min-or-{r.exposure}-{r.outcome}"] = float(r.min_or_per_sd)
    rows = sim.table if sim is not None else pd.DataFrame(columns=["instruments", "overlap", "mean IVW", "true effect"])
    for label, overlap, mean, truth in zip(rows["instruments"], rows["overlap"], rows["mean IVW"],
                                           rows["true effect"]):
        out[f"mean-{label}-{overlap:g}"] = float(mean)
        out["truth"] = float(truth)
    return out


def limitations_solver(parameters: Mapping[str, Any], directions: list[Any], published: pd.DataFrame,
                       study: Any) -> Solver:
    """The limitations page's numbers under changed parameters, by the page's own calls (the overlap simulation
    only when its numbers are asked for)."""
    from ..limitations import overlap_simulation, power_table

    def compute(p: dict[str, Any], names: tuple[str, ...]) -> Mapping[str, float]:
        out: dict[str, float] = {}
        power = power_table(directions, published, study, assumed_or=p["assumed_or"], power=float(p["power_level"]))
        if any(n.startswith(("mean-", "truth")) for n in names):
            sim = overlap_simulation(quick=bool(p["quick"]), seed=int(p["seed"]),
                                     observational=float(p["observational"]))
            out |= limitations_observed(power, sim)
        else:
            out |= limitations_observed(power, None)
        return out
    return solver(parameters, compute)


_LIMITS = [
    Exercise(
        "limitations", 1, "Power for a modest effect",
        "This page assumes the published effect in each direction (an odds ratio of 1.954 for insomnia → LBP). "
        "Assume an odds ratio of 1.1 in every direction instead (`assumed_or`). What is the power for insomnia → LBP "
        "now, and how many directions are under-powered?",
        {"assumed_or": 1.1},
        (f"power-{_FIRST}", "n-underpowered"),
        lambda b, a: a[f"power-{_FIRST}"] < b[f"power-{_FIRST}"],
        lambda b, a, c: (
            f"The power for insomnia → LBP {moved(b[f'power-{_FIRST}'], a[f'power-{_FIRST}'])} from "
            f"{pct(b[f'power-{_FIRST}'])} to {pct(a[f'power-{_FIRST}'])}, and {a['n-underpowered']:.0f} "
            f"direction(s) of this build have less than 80 % power (with the published effects: "
            f"{b['n-underpowered']:.0f}). The standard error is the same; power depends on the effect one hopes to "
            "detect, so a power statement must name it. These are this build's standard errors: on the synthetic "
            "panel they describe the simulated data, not the study.")),
    Exercise(
        "limitations", 2, "Confounding of the other sign",
        "In the overlap simulation the confounded observational correlation is +0.4 (`observational`). Make it "
        "−0.4. Where do weak instruments pull the IVW estimate with complete sample overlap now, and without "
        "overlap?",
        {"observational": -0.4},
        ("mean-weak-1", "mean-weak-0", "truth"),
        lambda b, a: a["mean-weak-1"] < a["truth"] < b["mean-weak-1"] and a["mean-weak-0"] == b["mean-weak-0"],
        lambda b, a, c: (
            "With complete overlap the mean IVW estimate of the weak instruments is "
            f"{fmt(a['mean-weak-1'])} instead of {fmt(b['mean-weak-1'])}, for a true effect of {a['truth']:g}: "
            "the bias follows the observational association, now below the truth. Without overlap the two "
            "samples' errors are independent, so the sign of the confounding does not matter: "
            f"{fmt(a['mean-weak-0'])} both times (the same draws), diluted towards zero by the weak instruments. "
            "In the simulated data the direction of a weak-instrument bias is set by the overlap, which is why "
            "the study's separate samples (UK Biobank, FinnGen) matter.")),
    Exercise(
        "limitations", 3, "A stricter power target",
        "The minimum detectable odds ratio is computed for 80 % power (`power_level`). Ask for 90 %: what is the "
        "minimum detectable odds ratio per SD of insomnia for LBP now?",
        {"power_level": 0.9},
        (f"min-or-{_FIRST}",),
        lambda b, a: a[f"min-or-{_FIRST}"] > b[f"min-or-{_FIRST}"],
        lambda b, a, c: (
            f"It {moved(b[f'min-or-{_FIRST}'], a[f'min-or-{_FIRST}'])} from {b[f'min-or-{_FIRST}']:.3f} to "
            f"{a[f'min-or-{_FIRST}']:.3f}: to detect an effect more often, it must be larger (or the sample bigger). "
            "The computation (Brion et al. 2013) uses the variance the instruments explain and the outcome's sample "
            "size and case fraction of this build's data.")),
]


# -- Multivariable MR and mediation (notebooks/multivariable.py) ----------------------------------------------
def multivariable_observed(analysis: Any) -> dict[str, float]:
    """From the sleep-trait MVMR (:class:`mrkit.paper.multivariable.MVAnalysis`): ``kept`` (joint instruments),
    and per exposure ``f-<exposure>`` (conditional F), ``mv_ivw-<exposure>``, ``mv_median-<exposure>`` and
    ``mv_median_se-<exposure>`` (those of the methods the analysis ran)."""
    out = {"kept": float(analysis.log.get("kept", len(analysis.data)))}
    methods = set(analysis.table["method"])
    for e in analysis.exposures:
        out[f"f-{e}"] = float(analysis.strength[e])
        if "mv_ivw" in methods:
            out[f"mv_ivw-{e}"] = float(analysis.estimate(e, "mv_ivw")["estimate"])
        if "mv_median" in methods:
            median = analysis.estimate(e, "mv_median")
            out[f"mv_median-{e}"], out[f"mv_median_se-{e}"] = float(median["estimate"]), float(median["se"])
    return out


def multivariable_solver(parameters: Mapping[str, Any], study: Any) -> Solver:
    """The multivariable page's numbers under changed parameters: the sleep-trait MVMR again, by the methods asked
    for only (the MV median's bootstrap when its numbers are asked for; the other numbers draw nothing at random)."""
    from ..multivariable import exposure_list, mv_analysis

    def compute(p: dict[str, Any], names: tuple[str, ...]) -> Mapping[str, float]:
        methods = ["mv_ivw"] + (["mv_median"] if any(n.startswith("mv_median") for n in names) else [])
        analysis = mv_analysis(study, exposure_list(p["sleep_traits"]), "lbp", p_threshold=float(p["p_threshold"]),
                               n_boot=int(p["n_boot"]), seed=int(p["seed"]), methods=methods)
        return multivariable_observed(analysis)
    return solver(parameters, compute)


_MV = [
    Exercise(
        "multivariable", 1, "A looser threshold for the joint instruments",
        "Select every exposure's instruments at a threshold a hundred times looser (`p_threshold`). How many joint "
        "instruments does the sleep-trait model get, and what happens to insomnia's {term}`conditional F statistic` "
        "and its MV-IVW estimate?",
        lambda p: {"p_threshold": _looser(p)},
        ("kept", "f-insomnia", "mv_ivw-insomnia"),
        lambda b, a: a["kept"] > b["kept"],
        lambda b, a, c: (
            f"{a['kept']:.0f} joint instruments instead of {b['kept']:.0f}. Insomnia's conditional F goes from "
            f"{b['f-insomnia']:.1f} to {a['f-insomnia']:.1f} and its MV-IVW estimate from "
            f"{b['mv_ivw-insomnia']:.4f} to {a['mv_ivw-insomnia']:.4f} (log odds of LBP per unit of the score). The "
            "added variants are weaker on average; what matters in MVMR is whether they predict each exposure "
            "conditionally on the others, which the conditional F measures, not their number.")),
    Exercise(
        "multivariable", 2, "Leave daytime sleepiness out",
        "Fit the sleep-trait model without daytime sleepiness (`sleep_traits = \"insomnia,sleep_duration\"`). How "
        "many joint instruments are left, and how do insomnia's conditional F and estimate change?",
        {"sleep_traits": "insomnia,sleep_duration"},
        ("kept", "f-insomnia", "mv_ivw-insomnia"),
        lambda b, a: a["kept"] < b["kept"],
        lambda b, a, c: (
            f"{a['kept']:.0f} joint instruments instead of {b['kept']:.0f}: daytime sleepiness's own instruments "
            f"leave the union. Insomnia's conditional F goes from {b['f-insomnia']:.1f} to {a['f-insomnia']:.1f}, "
            f"its MV-IVW estimate from {b['mv_ivw-insomnia']:.4f} to {a['mv_ivw-insomnia']:.4f}. An MVMR estimate "
            "is the effect *not through the model's other exposures*: change the model and the question changes. "
            "Here no sleep trait acts on LBP through another, so insomnia's target is the same and the estimates "
            "differ by noise and instrument choice.")),
    Exercise(
        "multivariable", 3, "Fewer bootstrap draws",
        "The MV weighted median's SE is a bootstrap with `n_boot` draws. Re-run with a tenth as many (at least 100). "
        "What changes?",
        lambda p: {"n_boot": max(100, int(p.get("n_boot", 10000)) // 10)},
        ("mv_median-insomnia", "mv_median_se-insomnia"),
        lambda b, a: a["mv_median-insomnia"] == b["mv_median-insomnia"]
        and a["mv_median_se-insomnia"] != b["mv_median_se-insomnia"],
        lambda b, a, c: (
            f"Insomnia's MV weighted-median estimate stays {b['mv_median-insomnia']:.4f}; its SE goes from "
            f"{b['mv_median_se-insomnia']:.4f} to {a['mv_median_se-insomnia']:.4f} with {c['n_boot']:,} draws. The "
            "estimate uses no random draws; the SE is a Monte Carlo estimate whose own error shrinks like one over "
            "the square root of the draws.")),
]


STUDY: list[Exercise] = [*_MR, *_RESULTS, *_LIMITS, *_MV]
