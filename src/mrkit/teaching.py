"""The teaching chapters' logic: simulation studies of MR methods and the R validation tables.

A simulation study is only as good as its Monte Carlo error: a coverage of 93 % from 200
replicates is not evidence of under-coverage. :func:`summarise_simulation` therefore reports,
for every performance measure, its Monte Carlo standard error (MCSE) with the formulas of
Morris, White & Crowther (2019): bias sqrt(var/n), coverage and rejection rate
sqrt(P(1-P)/n), empirical SE / sqrt(2(n-1)).

:func:`simulate_and_fit` draws a scenario with :func:`mrkit.simulate.scenarios.simulate_mr_summary`
and fits the batch estimators of :mod:`mrkit.batch` to all replicates at once, plus MR-PRESSO's
outlier-corrected IVW (one :func:`mrkit.presso.mr_presso` call per replicate: bounded, about
1 ms each).

:func:`validation_comparison` runs mrkit on the validation datasets of the shared folder and
sets every number beside the one the R packages printed (``expected/*.json``), with the
relative difference and the tolerance that applies to it.

References
----------
Morris TP, White IR, Crowther MJ (2019). Using simulation studies to evaluate statistical
methods. Stat Med 38:2074-2102.
Bowden J, Del Greco MF, Minelli C, Davey Smith G, Sheehan NA, Thompson JR (2016). Assessing the
suitability of summary data for two-sample Mendelian randomization analyses using MR-Egger
regression: the role of the I2 statistic. Int J Epidemiol 45:1961-1974.
Hartwig FP, Davey Smith G, Bowden J (2017). Int J Epidemiol 46:1985-1998.
Verbanck M, Chen CY, Neale B, Do R (2018). Nat Genet 50:693-698.
"""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from . import batch
from .errors import InputError, NotEstimable
from .paths import PROJECT_ROOT
from .presso import mr_presso
from .rng import make_rng, resolve_seed

__all__ = ["SIM_METHODS", "METHOD_LABELS", "SCENARIOS", "SCENARIO_LABELS", "SCENARIO_SETTINGS",
           "simulation_design", "run_simulation", "survivors", "plot_measure", "harmonisation_cases",
           "harmonisation_by_action", "allele_coding_example", "CONVENTION_METHODS",
           "convention_comparison", "presso_corrected_ivw", "simulate_and_fit", "summarise_simulation",
           "shared_validation_dir", "validation_comparison", "TOLERANCES"]

#: Methods of the simulation chapter, in display order.
SIM_METHODS = ("ivw", "egger", "weighted_median", "weighted_mode", "ml", "raps", "presso_ivw")

METHOD_LABELS = {"ivw": "IVW (random effects)", "ivw_fe": "IVW (fixed effect)",
                 "egger": "MR-Egger", "simple_median": "Simple median",
                 "weighted_median": "Weighted median",
                 "penalised_weighted_median": "Penalised weighted median",
                 "simple_mode": "Simple mode", "weighted_mode": "Weighted mode",
                 "ml": "Maximum likelihood", "raps": "MR-RAPS",
                 "presso_ivw": "MR-PRESSO corrected IVW"}

#: Scenario keys of :func:`mrkit.simulate.scenarios.simulate_mr_summary`, in teaching order.
SCENARIOS = ("valid", "balanced_pleiotropy", "directional_pleiotropy", "inside_violated",
             "outliers", "weak", "overlap_weak")

SCENARIO_LABELS = {"valid": "Valid instruments", "balanced_pleiotropy": "Balanced pleiotropy",
                   "directional_pleiotropy": "Directional pleiotropy (InSIDE holds)",
                   "inside_violated": "InSIDE violated", "outliers": "A few strong outliers",
                   "weak": "Weak instruments",
                   "overlap_weak": "Sample overlap with weak instruments"}


# ---------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------
def presso_corrected_ivw(bx, bxse, by, byse, *, n_distributions: int = 500,
                         seed: int | None = None) -> pd.DataFrame:
    """MR-PRESSO's outlier-corrected IVW (its raw IVW when no outlier is found), per replicate.

    One :func:`mrkit.presso.mr_presso` call per row (the only loop over replicates in a
    simulation, bounded and about a millisecond each); replicate r is seeded with the r-th
    integer drawn from ``seed``. CI and p from t(k - n_outliers - 1), as MR-PRESSO's ``lm``.

    Returns
    -------
    pandas.DataFrame
        ``replicate, method ("presso_ivw"), estimate, se, ci_lower, ci_upper, p, n_outliers,
        global_p, seed`` (the seed of that replicate's MR-PRESSO run).
    """
    bx, bxse, by, byse = batch.as_batch(bx, bxse, by, byse, min_snps=4)
    n_rep, k = bx.shape
    seeds = make_rng(resolve_seed(seed)).integers(0, 2**31 - 1, n_rep)
    rows = []
    for r in range(n_rep):
        res = mr_presso(bx[r], bxse[r], by[r], byse[r], n_distributions=n_distributions,
                        seed=int(seeds[r]))
        fit = res.corrected if res.corrected is not None else res.raw
        n_out = len(res.outliers) if res.corrected is not None else 0
        q = stats.t.ppf(0.975, k - n_out - 1)
        rows.append((r, fit["estimate"], fit["sd"], fit["estimate"] - q * fit["sd"],
                     fit["estimate"] + q * fit["sd"], fit["p"], n_out, res.global_p,
                     int(seeds[r])))
    out = pd.DataFrame(rows, columns=["replicate", "estimate", "se", "ci_lower", "ci_upper", "p",
                                      "n_outliers", "global_p", "seed"])
    out.insert(1, "method", "presso_ivw")
    return out


def _field(sim: Any, name: str):
    return sim[name] if isinstance(sim, Mapping) else getattr(sim, name)


def simulate_and_fit(scenario: str, *, n_rep: int, n_snps: int, beta: float, seed: int,
                     methods: Iterable[str] = SIM_METHODS, n_boot_median: int = 1000,
                     n_boot_mode: int = 200, presso_n: int = 500,
                     **simulate_kwargs) -> pd.DataFrame:
    """Simulate ``n_rep`` datasets of one scenario and fit every method to each.

    Parameters
    ----------
    scenario : str
        One of :data:`SCENARIOS` (see :func:`mrkit.simulate.scenarios.simulate_mr_summary`).
    n_rep, n_snps, beta : int, int, float
        Replicates, instruments per dataset, true causal effect.
    seed : int
        Seed of the simulation; the bootstraps and MR-PRESSO use seeds derived from it.
    n_boot_median, n_boot_mode : int
        Bootstrap draws per replicate for the weighted median SE (TwoSampleMR: 1000) and the
        mode SE (TwoSampleMR: 1000; fewer here to keep the chapter fast: the MAD of 200 draws
        varies by roughly 10 % between replicates, which widens the CI's coverage spread a
        little but leaves the bias unchanged).
    presso_n : int
        MR-PRESSO's ``n_distributions`` per replicate.
    **simulate_kwargs
        Passed on to ``simulate_mr_summary`` (sample sizes, variance explained, ...).

    Returns
    -------
    pandas.DataFrame
        One row per (replicate, method): ``scenario, beta, replicate, method, estimate, se,
        ci_lower, ci_upper, p, seed``.
    """
    from .simulate.scenarios import simulate_mr_summary

    sim = simulate_mr_summary(n_rep, n_snps, beta=beta, scenario=scenario, seed=seed,
                              **simulate_kwargs)
    arrays = [np.asarray(_field(sim, name), dtype=float) for name in ("bx", "bxse", "by", "byse")]
    methods = list(methods)
    seeds = make_rng(seed).integers(0, 2**31 - 1, 3)
    frames = []
    fitted = [m for m in methods if m != "presso_ivw"]
    boot_mode = [m for m in fitted if m.endswith("_mode")]
    boot_rest = [m for m in fitted if m not in boot_mode]
    if boot_rest:
        frames.append(batch.fit_methods(*arrays, boot_rest, n_boot=n_boot_median,
                                        seed=int(seeds[0])))
    if boot_mode:
        frames.append(batch.fit_methods(*arrays, boot_mode, n_boot=n_boot_mode,
                                        seed=int(seeds[1])))
    if "presso_ivw" in methods:
        frames.append(presso_corrected_ivw(*arrays, n_distributions=presso_n,
                                           seed=int(seeds[2]))
                      [["replicate", "method", "estimate", "se", "ci_lower", "ci_upper", "p",
                        "seed"]])
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "beta", float(beta))
    out.insert(0, "scenario", scenario)
    order = {m: i for i, m in enumerate(methods)}
    out["_o"] = out["method"].map(order)
    return out.sort_values(["_o", "replicate"], kind="stable").drop(columns="_o") \
        .reset_index(drop=True)


#: Extra arguments of ``simulate_mr_summary`` per scenario (others use its defaults).
SCENARIO_SETTINGS: dict[str, dict] = {"outliers": {"n_outliers": 3}}


def simulation_design(quick: bool = False) -> dict:
    """Sizes of the simulation chapter: the full design (a few minutes on 2 cores) or the quick
    one the tests and the small book build run (well under a minute).

    ``n_rep`` replicates per scenario and true effect, ``n_snps`` instruments, ``betas`` (null,
    for the type-I error, and non-null, for power), bootstrap sizes and MR-PRESSO's
    ``n_distributions``.
    """
    if quick:
        return {"n_rep": 100, "n_snps": 30, "betas": (0.0, 0.05), "n_boot_median": 200,
                "n_boot_mode": 50, "presso_n": 200}
    return {"n_rep": 1000, "n_snps": 30, "betas": (0.0, 0.05), "n_boot_median": 1000,
            "n_boot_mode": 200, "presso_n": 500}


def run_simulation(scenarios: Iterable[str], design: Mapping[str, Any], *, seed: int,
                   methods: Iterable[str] = SIM_METHODS) -> pd.DataFrame:
    """Every scenario at every true effect of ``design``: the stacked :func:`simulate_and_fit`
    tables, with the simulation seed of each arm in column ``sim_seed`` (``seed`` + 1000 i + j
    for scenario i of :data:`SCENARIOS` and effect j)."""
    frames = []
    methods = list(methods)
    for name in scenarios:
        if name not in SCENARIOS:
            raise InputError(f"unknown scenario {name!r}; choose 'all' or one of "
                             f"{', '.join(SCENARIOS)}", column="scenario")
        i = SCENARIOS.index(name)
        for j, beta in enumerate(design["betas"]):
            arm_seed = int(seed) + 1000 * i + j
            fit = simulate_and_fit(name, n_rep=design["n_rep"], n_snps=design["n_snps"],
                                   beta=beta, seed=arm_seed, methods=methods,
                                   n_boot_median=design["n_boot_median"],
                                   n_boot_mode=design["n_boot_mode"],
                                   presso_n=design["presso_n"],
                                   **SCENARIO_SETTINGS.get(name, {}))
            fit["sim_seed"] = arm_seed
            frames.append(fit)
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# summarising
# ---------------------------------------------------------------------------------------------
def summarise_simulation(fits: pd.DataFrame, *, truth: str = "beta", alpha: float = 0.05,
                         by: Iterable[str] = ("scenario", "beta", "method")) -> pd.DataFrame:
    """Bias, empirical and model SE, coverage and rejection rate, each with its Monte Carlo SE.

    Parameters
    ----------
    fits : pandas.DataFrame
        One row per replicate and method with ``estimate, se, ci_lower, ci_upper, p`` and the
        true value in column ``truth``.
    alpha : float
        Rejection threshold: the rejection rate is the power when the truth is non-zero and the
        type-I error when it is zero (column ``rejection_measure`` says which).

    Returns
    -------
    pandas.DataFrame
        Per group: ``n_rep, n_failed`` (non-finite estimates, excluded), ``mean_estimate``,
        ``bias``, ``bias_mcse``, ``empirical_se``, ``empirical_se_mcse``, ``model_se`` (mean of
        the reported SEs), ``coverage``, ``coverage_mcse``, ``rejection``, ``rejection_mcse``,
        ``rejection_measure``.

    References
    ----------
    Morris TP, White IR, Crowther MJ (2019). Stat Med 38:2074-2102 (Table 6).
    """
    by = list(by)
    needed = set(by) | {truth, "estimate", "se", "ci_lower", "ci_upper", "p"}
    missing = needed - set(fits.columns)
    if missing:
        raise InputError(f"simulation results lack column(s) {sorted(missing)}",
                         column=sorted(missing)[0])
    rows = []
    for key, g in fits.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        theta = g[truth].to_numpy(dtype=float)
        est = g["estimate"].to_numpy(dtype=float)
        ok = np.isfinite(est) & np.isfinite(g["se"].to_numpy(dtype=float))
        n = int(ok.sum())
        if n < 2:
            raise NotEstimable(f"group {dict(zip(by, key))} has fewer than 2 usable replicates")
        err = est[ok] - theta[ok]
        sd = float(np.std(est[ok], ddof=1))
        cover = (g["ci_lower"].to_numpy(dtype=float)[ok] <= theta[ok]) & \
            (theta[ok] <= g["ci_upper"].to_numpy(dtype=float)[ok])
        reject = g["p"].to_numpy(dtype=float)[ok] < alpha
        cov, rej = float(cover.mean()), float(reject.mean())
        null = bool(np.all(theta[ok] == 0))
        rows.append({**dict(zip(by, key)), "n_rep": n, "n_failed": int((~ok).sum()),
                     "mean_estimate": float(est[ok].mean()), "bias": float(err.mean()),
                     "bias_mcse": sd / np.sqrt(n), "empirical_se": sd,
                     "empirical_se_mcse": sd / np.sqrt(2.0 * (n - 1)),
                     "model_se": float(g["se"].to_numpy(dtype=float)[ok].mean()),
                     "coverage": cov, "coverage_mcse": float(np.sqrt(cov * (1 - cov) / n)),
                     "rejection": rej, "rejection_mcse": float(np.sqrt(rej * (1 - rej) / n)),
                     "rejection_measure": "type_i_error" if null else "power"})
    return pd.DataFrame(rows)


def survivors(summary: pd.DataFrame, *, max_abs_bias: float, min_coverage: float = 0.90
              ) -> pd.DataFrame:
    """Which methods "survive" each scenario: at every true effect, |bias| <= ``max_abs_bias``
    and coverage >= ``min_coverage``. One row per scenario with the survivors and the others."""
    ok = (summary["bias"].abs() <= max_abs_bias) & (summary["coverage"] >= min_coverage)
    verdict = ok.groupby([summary["scenario"], summary["method"]], sort=False).all()
    rows = []
    for scen in summary["scenario"].unique():
        v = verdict.loc[scen]
        rows.append({"scenario": SCENARIO_LABELS.get(scen, scen),
                     "survive": ", ".join(METHOD_LABELS.get(m, m) for m in v.index[v]) or "none",
                     "fail": ", ".join(METHOD_LABELS.get(m, m) for m in v.index[~v]) or "none"})
    return pd.DataFrame(rows)


def plot_measure(summary: pd.DataFrame, measure: str, *, xlabel: str, beta: float | None = None,
                 reference: float | None = None, ncols: int = 3):
    """Small multiples, one panel per scenario: ``measure`` of each method with a 95 % Monte
    Carlo interval (1.96 MCSE). ``beta`` selects one true effect (default: all, as markers)."""
    import matplotlib.pyplot as plt

    data = summary if beta is None else summary[summary["beta"] == beta]
    scen = list(data["scenario"].unique())
    methods = [m for m in SIM_METHODS if m in set(data["method"])] +         [m for m in data["method"].unique() if m not in SIM_METHODS]
    ncols = min(ncols, len(scen))
    nrows = int(np.ceil(len(scen) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.5, 0.3 * len(methods) * nrows + 1.4),
                             sharey=True, squeeze=False)
    betas = sorted(data["beta"].unique())
    markers = ["o", "s", "^", "D"]
    y = np.arange(len(methods))
    for ax, name in zip(axes.flat, scen):
        d = data[data["scenario"] == name].set_index(["method", "beta"])
        for i, b in enumerate(betas):
            vals = np.array([d.loc[(m, b), measure] if (m, b) in d.index else np.nan
                             for m in methods])
            err = np.array([d.loc[(m, b), f"{measure}_mcse"] if (m, b) in d.index else np.nan
                            for m in methods])
            offset = (i - (len(betas) - 1) / 2) * 0.25
            ax.errorbar(vals, y + offset, xerr=1.96 * err, fmt=markers[i % 4], ms=4,
                        capsize=2, label=f"true effect {b:g}")
        if reference is not None:
            ax.axvline(reference, color="grey", lw=0.8, ls="--")
        ax.set_title(textwrap.fill(SCENARIO_LABELS.get(name, name), 30), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(scen):]:
        ax.axis("off")
    axes[0, 0].set_yticks(y, [METHOD_LABELS.get(m, m) for m in methods])
    axes[0, 0].invert_yaxis()
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.supxlabel(xlabel, fontsize=8)
    fig.legend(handles, labels, loc="lower right", fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# harmonisation by example
# ---------------------------------------------------------------------------------------------
#: Worked harmonisation cases: (case, exposure EA, OA, EAF, outcome EA, OA, EAF). Betas are set by
#: :func:`harmonisation_cases` so that a correct alignment always gives a positive outcome beta.
_CASES = [
    ("Same alleles, same order", "A", "G", 0.30, "A", "G", 0.31),
    ("Alleles swapped", "A", "G", 0.30, "G", "A", 0.69),
    ("Opposite strand", "A", "G", 0.30, "T", "C", 0.31),
    ("Opposite strand and swapped", "A", "G", 0.30, "C", "T", 0.69),
    ("Incompatible alleles", "A", "G", 0.30, "A", "C", 0.30),
    ("Palindromic A/T, low EAF in both", "A", "T", 0.20, "A", "T", 0.22),
    ("Palindromic A/T, EAFs on opposite sides of 0.5", "A", "T", 0.20, "A", "T", 0.79),
    ("Palindromic C/G, EAF 0.45 (ambiguous)", "C", "G", 0.45, "C", "G", 0.46),
    ("Palindromic A/T, EAF just outside 0.42-0.58", "A", "T", 0.40, "A", "T", 0.41),
    ("Palindromic A/T, outcome EAF missing", "A", "T", 0.20, "A", "T", np.nan),
]


def harmonisation_cases() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The worked cases of the harmonisation chapter as exposure and outcome TwoSampleMR tables.

    Every variant truly raises both traits (true outcome beta +0.05 per exposure effect allele);
    the outcome table reports it for whichever allele and strand the case says, so the sign of the
    harmonised outcome beta shows at a glance whether the alignment was right. Column ``case`` of the
    exposure table names the case.
    """
    comp = {"A": "T", "T": "A", "C": "G", "G": "C"}
    rows = []
    for i, (case, ea, oa, fa, eb, ob, fb) in enumerate(_CASES):
        if ea == comp[oa]:
            # palindromes: the outcome's effect allele is the exposure's when the EAFs are on the
            # same side of 0.5 (or the EAF is missing), otherwise the other allele
            same = bool(np.isnan(fb) or (fa < 0.5) == (fb < 0.5))
        else:
            same = eb in (ea, comp[ea])  # same allele, possibly on the other strand
        beta_y = 0.05 if same else -0.05
        rows.append((f"rs{1000 + i}", case, ea, oa, fa, 0.10, eb, ob, fb, beta_y))
    t = pd.DataFrame(rows, columns=["SNP", "case", "ea_x", "oa_x", "eaf_x", "beta_x", "ea_y", "oa_y",
                                    "eaf_y", "beta_y"])
    exposure = pd.DataFrame({"SNP": t["SNP"], "effect_allele.exposure": t["ea_x"],
                             "other_allele.exposure": t["oa_x"], "eaf.exposure": t["eaf_x"],
                             "beta.exposure": t["beta_x"], "se.exposure": 0.01,
                             "pval.exposure": 1e-20, "case": t["case"]})
    outcome = pd.DataFrame({"SNP": t["SNP"], "effect_allele.outcome": t["ea_y"],
                            "other_allele.outcome": t["oa_y"], "eaf.outcome": t["eaf_y"],
                            "beta.outcome": t["beta_y"], "se.outcome": 0.01, "pval.outcome": 1e-6})
    return exposure, outcome


def harmonisation_by_action(exposure: pd.DataFrame, outcome: pd.DataFrame) -> pd.DataFrame:
    """Each variant through :func:`mrkit.harmonise.harmonise` with actions 1, 2 and 3, side by side:
    the harmonised outcome beta and whether the variant enters MR (``mr_keep``) under each action,
    plus the ``palindromic``/``ambiguous``/``remove`` flags."""
    from .harmonise import harmonise

    out = None
    for action in (1, 2, 3):
        h = harmonise(exposure, outcome, action=action).set_index("SNP")
        part = pd.DataFrame({f"beta.outcome (action {action})": h["beta.outcome"],
                             f"used (action {action})": h["mr_keep"].astype(bool)})
        if out is None:
            out = h[["palindromic", "ambiguous", "remove"]].astype(bool).join(part)
        else:
            out = out.join(part)
    return out.reset_index()


def allele_coding_example(*, n_snps: int = 30, beta: float = 0.3, swap_fraction: float = 0.5,
                          seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """One valid-instrument dataset whose outcome GWAS codes a share of the variants on the other
    allele (swapped alleles, negated beta, EAF 1 - f): what harmonisation is there to undo.

    Returns the exposure and outcome TwoSampleMR tables (non-palindromic alleles) and the boolean
    mask of the swapped variants. The SNP-exposure effects are positive, as after orientation.
    """
    from .simulate.scenarios import simulate_mr_summary

    used = resolve_seed(seed)
    sim = simulate_mr_summary(1, n_snps, beta=beta, scenario="valid", n_exposure=200_000,
                              n_outcome=200_000, seed=used)
    rng = make_rng(used + 1)
    pairs = np.array([("A", "G"), ("A", "C"), ("T", "G"), ("T", "C"), ("G", "A"), ("C", "T")])
    allele = pairs[rng.integers(0, len(pairs), n_snps)]
    eaf = rng.uniform(0.1, 0.9, n_snps)
    swapped = rng.random(n_snps) < swap_fraction
    bx, bxse, by, byse = sim.bx[0], sim.bxse[0], sim.by[0], sim.byse[0]
    snp = [f"rs{2000 + j}" for j in range(n_snps)]
    exposure = pd.DataFrame({"SNP": snp, "effect_allele.exposure": allele[:, 0],
                             "other_allele.exposure": allele[:, 1], "eaf.exposure": eaf,
                             "beta.exposure": bx, "se.exposure": bxse,
                             "pval.exposure": 2 * stats.norm.sf(np.abs(bx / bxse))})
    outcome = pd.DataFrame({"SNP": snp,
                            "effect_allele.outcome": np.where(swapped, allele[:, 1], allele[:, 0]),
                            "other_allele.outcome": np.where(swapped, allele[:, 0], allele[:, 1]),
                            "eaf.outcome": np.where(swapped, 1 - eaf, eaf),
                            "beta.outcome": np.where(swapped, -by, by), "se.outcome": byse,
                            "pval.outcome": 2 * stats.norm.sf(np.abs(by / byse))})
    return exposure, outcome, swapped


# ---------------------------------------------------------------------------------------------
# conventions side by side
# ---------------------------------------------------------------------------------------------
CONVENTION_METHODS = ("ivw", "ivw_fe", "ivw_mre", "egger", "simple_median", "weighted_median",
                      "penalised_weighted_median", "simple_mode", "weighted_mode", "ml")


def convention_comparison(data: Any, *, seed: int | None = None,
                          methods: Iterable[str] = CONVENTION_METHODS) -> pd.DataFrame:
    """The same data through ``convention="twosamplemr"`` and ``"mendelianrandomization"``.

    Each package's own default bootstrap size is used (1,000 and 10,000 draws), with one seed.
    One row per method: estimate, SE, p, p-value distribution and weights under each convention
    (suffixes ``_tsmr`` and ``_mr``), and which of estimate, SE and p differ (relative 1e-9).
    """
    from .estimate import mr

    used = resolve_seed(seed)
    methods = list(methods)
    cols = ["method", "estimate", "se", "p", "distribution", "weights", "se_model", "n_boot"]
    a = mr(data, methods=methods, convention="twosamplemr", seed=used)[cols]
    b = mr(data, methods=methods, convention="mendelianrandomization", seed=used)[cols]
    out = a.merge(b, on="method", suffixes=("_tsmr", "_mr"))

    def differs(x, y):
        return ~np.isclose(out[x].to_numpy(float), out[y].to_numpy(float), rtol=1e-9, atol=0.0)

    out["differs"] = [", ".join(w for w, d in zip(("estimate", "SE", "p"), flags) if d) or "nothing"
                      for flags in zip(differs("estimate_tsmr", "estimate_mr"),
                                       differs("se_tsmr", "se_mr"), differs("p_tsmr", "p_mr"))]
    out.attrs["seed"] = used
    return out


# ---------------------------------------------------------------------------------------------
# validation against the R packages
# ---------------------------------------------------------------------------------------------
#: Relative tolerances of the validation appendix, by kind of quantity.
TOLERANCES = {"deterministic": 1e-6, "bootstrap": 0.05}


def shared_validation_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """``$MRKIT_SHARED/validation`` or ``<project root>/../shared/validation``; None if absent."""
    env = os.environ if environ is None else environ
    base = Path(env["MRKIT_SHARED"]) if env.get("MRKIT_SHARED") else PROJECT_ROOT.parent / "shared"
    path = base / "validation"
    return path if path.is_dir() else None


_DATASETS = {"lipids_chd_ldlc": "LDL-c -> CHD (Waterworth 2010, 28 SNPs)",
             "bmi_chd": "BMI -> CHD (ieu-a-2 / ieu-a-7, 79 SNPs)"}

# (expected key, mrkit method id, [(R field, mrkit column, kind)])
_TSMR = [
    ("TSMR_ivw", "ivw", [("b", "estimate", "d"), ("se", "se", "d"), ("pval", "p", "d")]),
    ("TSMR_ivw_fe", "ivw_fe", [("b", "estimate", "d"), ("se", "se", "d"), ("pval", "p", "d")]),
    ("TSMR_ivw_mre", "ivw_mre", [("b", "estimate", "d"), ("se", "se", "d")]),
    ("TSMR_egger", "egger", [("b", "estimate", "d"), ("se", "se", "d"), ("pval", "p", "d")]),
    ("TSMR_simple_median", "simple_median", [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_weighted_median", "weighted_median", [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_penalised_weighted_median", "penalised_weighted_median",
     [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_simple_mode", "simple_mode", [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_weighted_mode", "weighted_mode", [("b", "estimate", "d"), ("se", "se", "b")]),
    ("TSMR_ml", "ml", [("b", "estimate", "d"), ("se", "se", "d"), ("pval", "p", "d")]),
]
_MR = [
    ("MR_ivw_fixed", "ivw_fe", [("estimate", "estimate", "d"), ("se", "se", "d"),
                                ("p", "p", "d")]),
    ("MR_ivw_default", "ivw", [("estimate", "estimate", "d"), ("se", "se", "d"),
                               ("ci_lower", "ci_lower", "d"), ("p", "p", "d")]),
    ("MR_egger", "egger", [("estimate", "estimate", "d"), ("se", "se", "d"), ("p", "p", "d"),
                           ("ci_lower", "ci_lower", "d")]),
    ("MR_simple_median", "simple_median", [("estimate", "estimate", "d"), ("se", "se", "b")]),
    ("MR_weighted_median", "weighted_median", [("estimate", "estimate", "d"),
                                               ("se", "se", "b")]),
    ("MR_penalized_median", "penalised_weighted_median", [("estimate", "estimate", "d"),
                                                          ("se", "se", "b")]),
    ("MR_mbe_simple", "simple_mode", [("estimate", "estimate", "d"), ("se", "se", "b")]),
    ("MR_mbe_weighted", "weighted_mode", [("estimate", "estimate", "d"), ("se", "se", "b")]),
    ("MR_maxlik", "ml", [("estimate", "estimate", "d"), ("se", "se", "d"), ("p", "p", "d")]),
]
_KIND = {"d": "deterministic", "b": "bootstrap"}


def _row(dataset, package, method, quantity, mrkit_value, r_value, kind, note=""):
    r_value = float(r_value)
    mrkit_value = float(mrkit_value)
    rel = abs(mrkit_value - r_value) / abs(r_value) if r_value != 0 else abs(mrkit_value)
    tol = TOLERANCES[kind]
    return {"dataset": dataset, "package": package, "method": method, "quantity": quantity,
            "mrkit": mrkit_value, "R": r_value, "rel_diff": rel, "kind": kind,
            "tolerance": tol, "within": bool(rel <= tol), "note": note}


def validation_comparison(validation_dir: Path, *, seed: int | None = None,
                          n_boot: int = 10000, presso_n: int = 3000) -> pd.DataFrame:
    """Every number of ``expected/*.json`` beside mrkit's, with relative difference and verdict.

    Deterministic quantities must agree to a relative 1e-6; bootstrap SEs to 5 % (R used
    10,000 draws from its own random stream, so both carry 1-2 % Monte Carlo error); MR-PRESSO's
    global p-value agrees when both fall in the same Monte Carlo band: R printed
    ``"<1/NbDistribution"``, so mrkit's must be below 3/n_distributions; its outliers must be
    the same SNPs.

    Returns
    -------
    pandas.DataFrame
        ``dataset, package, method, quantity, mrkit, R, rel_diff, kind, tolerance, within,
        note``; ``attrs["seed"]`` holds the seed of the bootstraps and MR-PRESSO.
    """
    from .estimate import mr
    from .heterogeneity import heterogeneity, pleiotropy

    validation_dir = Path(validation_dir)
    used = resolve_seed(seed)
    rows = []
    all_methods = sorted({m for _, m, _ in _TSMR + _MR} | {"ivw_mre"})
    for name, label in _DATASETS.items():
        data = pd.read_csv(validation_dir / "harmonised" / f"{name}.csv")
        expected = json.loads((validation_dir / "expected" / f"{name}.json").read_text())
        for package, spec, conv in (("TwoSampleMR 0.7.9", _TSMR, "twosamplemr"),
                                    ("MendelianRandomization 0.10.0", _MR,
                                     "mendelianrandomization")):
            table = mr(data, methods=all_methods, convention=conv, seed=used,
                       n_boot=n_boot).set_index("method")
            for key, method, fields in spec:
                for r_field, col, kind in fields:
                    rows.append(_row(label, package, method, col, table.loc[method, col],
                                     expected[key][r_field], _KIND[kind]))
            het = heterogeneity(data, convention=conv).set_index("method")
            ple = pleiotropy(data, convention=conv).iloc[0]
            if conv == "twosamplemr":
                e = expected["TSMR_egger"]
                pairs = [("ivw", "Cochran Q", het.loc["ivw", "q"], expected["TSMR_ivw"]["Q"]),
                         ("ivw", "Cochran Q p", het.loc["ivw", "p"],
                          expected["TSMR_ivw"]["Q_pval"]),
                         ("egger", "Rucker Q'", het.loc["egger", "q"], e["Q"]),
                         ("egger", "intercept", ple["intercept"], e["b_i"]),
                         ("egger", "intercept se", ple["se"], e["se_i"]),
                         ("egger", "intercept p", ple["p"], e["pval_i"]),
                         ("ml", "Q", None, expected["TSMR_ml"]["Q"])]
            else:
                e = expected["MR_egger"]
                pairs = [("ivw", "Cochran Q", het.loc["ivw", "q"],
                          expected["MR_ivw_fixed"]["heter_q"]),
                         ("egger", "Rucker Q'", het.loc["egger", "q"], e["heter_q"]),
                         ("egger", "intercept", ple["intercept"], e["intercept"]),
                         ("egger", "intercept se", ple["se"], e["intercept_se"]),
                         ("egger", "intercept p", ple["p"], e["intercept_p"]),
                         ("egger", "I2_GX", ple["i2gx"], e["i2gx"])]
            for method, quantity, value, r_value in pairs:
                if value is None:
                    continue
                rows.append(_row(label, package, method, quantity, value, r_value,
                                 "deterministic"))

        # MR-PRESSO (R: NbDistribution = 3000)
        e = expected["PRESSO"]
        res = mr_presso(data["bx"], data["bxse"], data["by"], data["byse"],
                        snp=data["SNP"].tolist(), n_distributions=presso_n, seed=used)
        pkg = "MR-PRESSO"
        rows.append(_row(label, pkg, "presso", "global RSS", res.global_rss, e["global_rss"],
                         "deterministic"))
        for got, ref, what in ((res.raw, e["main"][0], "raw"),
                               (res.corrected, e["main"][1], "corrected")):
            if got is None:
                continue
            rows.append(_row(label, pkg, f"presso_{what}", "estimate", got["estimate"],
                             ref["Causal Estimate"], "deterministic"))
            rows.append(_row(label, pkg, f"presso_{what}", "se", got["sd"], ref["Sd"],
                             "deterministic"))
            rows.append(_row(label, pkg, f"presso_{what}", "p", got["p"], ref["P-value"],
                             "deterministic"))
        r_text = str(e["global_p"])
        bound = float(r_text.lstrip("<")) if r_text.startswith("<") else float(r_text)
        mc = 3.0 / presso_n
        agree = (res.global_p <= max(bound, mc)) if r_text.startswith("<") else \
            abs(res.global_p - bound) <= 3 * np.sqrt(bound * (1 - bound) / presso_n)
        rows.append({"dataset": label, "package": pkg, "method": "presso", "quantity": "global p",
                     "mrkit": res.global_p, "R": bound, "rel_diff": np.nan,
                     "kind": "monte_carlo", "tolerance": np.nan, "within": bool(agree),
                     "note": f"R printed {r_text}; mrkit {res.global_p_text} "
                             f"({presso_n} distributions)"})
        r_out = sorted(data["SNP"].iloc[i - 1] for i in e["outliers"])
        rows.append({"dataset": label, "package": pkg, "method": "presso", "quantity": "outliers",
                     "mrkit": float(len(res.outliers)), "R": float(len(r_out)),
                     "rel_diff": np.nan, "kind": "exact",
                     "tolerance": np.nan, "within": sorted(res.outliers) == r_out,
                     "note": f"R: {', '.join(r_out)}; mrkit: {', '.join(res.outliers)}"})
    out = pd.DataFrame(rows)
    out.attrs["seed"] = used
    return out
