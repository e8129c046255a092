# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
from mrkit.paper import DEFAULT_PANEL_SEED, DEFAULT_SEED

data = "none"
panel_size = "full"
panel_seed = DEFAULT_PANEL_SEED
seed = DEFAULT_SEED
results_dir = "book/generated/results"
quick = False
scenario = "all"  # one scenario's key, or "all"
pleiotropy_fraction = 0.3  # share of pleiotropic instruments (balanced, directional, InSIDE violated)
n_outliers = 3  # outliers among the 30 instruments (scenario "outliers")
mean_f = 10.0  # mean F statistic of the weak-instrument scenarios

# %% tags=["remove-cell"]
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.paper import downloads, exercises, report, simulation_report, simulation_study

# %% [markdown]
# ## Why simulate
#
# Every MR method trades one assumption for another. {term}`IVW` assumes that no instrument affects the outcome
# other than through the exposure (no {term}`horizontal pleiotropy`) {cite:p}`burgess2013`; {term}`MR-Egger`
# allows pleiotropy of any average size but needs it to be unrelated to instrument strength (the {term}`InSIDE`
# assumption) {cite:p}`bowden2015`; the {term}`weighted median` needs half of the weight to come from valid
# instruments {cite:p}`bowden2016median`; the weighted mode (a {term}`mode-based estimate`) needs the largest
# group of instruments with similar ratio estimates to be the valid ones {cite:p}`hartwig2017`; {term}`MR-RAPS`
# down-weights outlying instruments and models balanced pleiotropy {cite:p}`zhao2020`; {term}`MR-PRESSO`
# removes outliers and re-runs IVW {cite:p}`verbanck2018`.
#
# Those are the seven methods this chapter follows closely. The toolkit has {glue:text}`sim-n-methods` univariable
# methods in all (TwoSampleMR, RadialMR and MendelianRandomization 0.10, each equal to its R function; every one is
# described in the {doc}`methods chapter </book/methods>`), grouped by the assumption they trade: all of them run
# here too, and the summary at the end says which survive each scenario.
#
# On real data the truth is unknown, so these statements cannot be checked there. Here the data are
# simulated with a known causal effect, thousands of times, and each method is judged on four numbers
# {cite:p}`morris2019`:
#
# * **bias**: the average estimate minus the true effect;
# * **{term}`coverage`**: how often the 95 % confidence interval contains the true effect (should be 95 %);
# * **{term}`type-I error`**: how often p < 0.05 when the true effect is zero (should be 5 %);
# * **{term}`power`**: how often p < 0.05 when the effect is not zero (higher is better, but only means
#   something when the type-I error is controlled).
#
# Each of these is itself an estimate from a finite number of replicates, with a
# {term}`Monte Carlo standard error` (MCSE). Differences smaller than about two MCSEs are noise; the tables below give
# the MCSE beside every number.

# %% [markdown]
# ## The scenarios
#
# Each replicate is a two-sample summary-level dataset: SNP–exposure and SNP–outcome estimates with their
# standard errors for 30 instruments, both traits in standard-deviation units, from GWAS of 100,000 people
# each, drawn by `mrkit.simulate.scenarios.simulate_mr_summary`. The scenarios differ in how the
# instruments break the IV assumptions. Three settings are parameters of this page (`pleiotropy_fraction`,
# `n_outliers`, `mean_f`): change them in the command of the re-run box above (the exercises at the end do),
# never in the module, whose globals the worker processes that draw the data would not see.

# %% tags=["remove-input"]
chosen = list(simulation_study.SCENARIOS) if scenario == "all" else [scenario]
design = simulation_study.simulation_design(quick=quick, pleiotropy_fraction=pleiotropy_fraction,
                                            n_outliers=n_outliers, mean_f=mean_f)
report.table(simulation_report.scenario_table(chosen, design["settings"]),
             caption="Simulated scenarios and the page's settings that apply to each (pleiotropy_fraction: share "
             "of pleiotropic instruments; n_outliers: outliers; mean_f: mean F statistic of the weak instruments); "
             "the overlap scenario uses one sample for both GWAS with an exposure-outcome correlation of 0.4.")

# %% [markdown]
# Run it: the design, the call, and the seed. Every method is fitted to a block of 50 replicates at once by
# the estimators `mrkit.mr()` runs (written once for one dataset or many: `mrkit.methods.registry`);
# only MR-PRESSO runs once per replicate. The run is a Dask graph with one task per scenario, true effect
# and chunk of replicates; here it runs in this process, and `run_simulation(..., client=client)` runs the
# same graph on a cluster (see {doc}`/book/generated/phenome-scan`) with identical numbers, because every
# block of replicates draws from its own seed, spawned from the chapter's seed, never from the worker that
# happens to run it.

# %%
started = time.perf_counter()
fits = simulation_study.run_simulation(chosen, design, seed=seed, extra_methods=simulation_study.EXTRA_METHODS)
elapsed = time.perf_counter() - started
summary = simulation_study.summarise_simulation(fits)
display(design)

# %% tags=["remove-input"]
n_rep, n_extra = design["n_rep"], design["n_rep_extra"]
beta_alt = max(design["betas"])
every = [m for m in simulation_study.all_methods() if m in set(fits["method"])]
main_methods = summary[summary["method"].isin(simulation_study.SIM_METHODS)]
glue("sim-n-methods", len(every) + len(simulation_study.NOT_RUN), display=False)
mcse_cov = np.sqrt(0.95 * 0.05 / n_rep)
display(Markdown(
    f"Each scenario was simulated {n_rep:,} times at a true effect of 0 and {n_rep:,} times at "
    f"{beta_alt:g} SD of outcome per SD of exposure, {fits['method'].nunique()} methods each, in "
    f"{elapsed:.0f} seconds (seed {seed}: `numpy.random.SeedSequence({seed})` is spawned per scenario, per "
    f"true effect and per block of {design['seed_block']} replicates, and each block's seed is kept in the "
    f"results as `sim_seed`). "
    f"At this size a coverage near 95 % has a Monte Carlo SE of {100 * mcse_cov:.2f} percentage points, so "
    f"coverages between {100 * (0.95 - 2 * mcse_cov):.1f} % and {100 * (0.95 + 2 * mcse_cov):.1f} % are "
    f"consistent with nominal; the Monte Carlo SE of the bias ranges from {summary['bias_mcse'].min():.4f} "
    f"to {summary['bias_mcse'].max():.4f} across methods and scenarios. Bootstraps: {design['n_boot_median']:,} "
    f"draws for the weighted median SE (TwoSampleMR's default), {design['n_boot_mode']:,} for the weighted "
    f"mode SE (TwoSampleMR uses 1,000; fewer keep the chapter fast at the price of a noisier SE per "
    f"replicate); MR-PRESSO with {design['presso_n']:,} simulated distributions per replicate. Maximum "
    f"likelihood is the exact optimum of the likelihood with TwoSampleMR's Hessian (fixed-effect) SE."))
display(Markdown(
    f"**The other {len(simulation_study.EXTRA_METHODS)} methods** run on the first {n_extra:,} replicates of "
    f"each scenario and true effect (the same datasets), to keep the chapter's build within minutes: their "
    f"coverage, pooled over the two true effects, rests on {2 * n_extra:,} replicates, a Monte Carlo SE of "
    f"{100 * np.sqrt(0.95 * 0.05 / (2 * n_extra)):.2f} percentage points near the nominal 95 % (every table gives "
    f"each cell's own MCSE); their bootstraps (simple and penalised medians, bootstrap MR-Egger, pIVW's Fieller "
    f"interval, RadialMR's exact random-effects SE) use {design['n_boot_extra']:,} draws, the NOME modes the "
    f"modes' {design['n_boot_mode']:,}. cML, CLR and PC-GMM are given the simulated GWAS sample sizes. Not run: "
    + "; ".join(f"`{m}` ({why})" for m, why in simulation_study.NOT_RUN.items())
    + ". The sign concordance test has no effect estimate (its concordance is not one): only its type-I error and "
    "power count; the conditional likelihood-ratio interval (CLR) has no point estimate: only coverage and "
    "rejection (0 outside its interval). The figures show the seven methods above; the tables and the summary "
    "every method."))

# %% [markdown]
# ## Bias
#
# The last two scenarios follow {cite:t}`burgess2016overlap`: with weak instruments, two separate samples bias
# the estimate towards the null, one shared sample towards the confounded observational association.

# %% tags=["remove-input"]
report.table(simulation_report.measure_table(summary, "bias", beta_alt, chosen),
             caption=f"Bias (Monte Carlo SE) of each method at a true effect of {beta_alt:g}, in SD of outcome per "
             f"SD of exposure: {n_rep:,} simulated replicates per cell for the first seven methods, {n_extra:,} for "
             "the others; – where a method has no estimate (the sign test, CLR).")

# %% tags=["remove-input"]
fig = simulation_report.plot_measure(main_methods, "bias", xlabel="bias (SD outcome per SD exposure)",
                                     reference=0.0)
glue("sim-bias", fig, display=False)
plt.close(fig)
glue("sim-summary-data", downloads.save_csv(summary, "simulation-summary"), display=False)

# %% [markdown]
# ```{glue:figure} sim-bias
# :name: sim-bias
# :alt: Bias of seven MR methods in each simulated scenario
#
# Bias of each method (estimate minus truth, SD of outcome per SD of exposure) per scenario, at a true
# effect of zero (circles) and at the non-null effect (squares); bars are 95 % Monte Carlo intervals. The
# dashed line is no bias. Notice which methods move away from zero when pleiotropy is directional or
# violates InSIDE, and the shift towards the observational association under {term}`sample overlap`.
# {glue}`sim-summary-data`
# ```

# %% tags=["remove-input"]
s = summary.set_index(["scenario", "beta", "method"]).sort_index()
settings = design["settings"]


def bias_of(r, m):
    """'bias (MCSE x)' of method m in the summary rows r."""
    return f"{r.loc[m, 'bias']:.3f} (MCSE {r.loc[m, 'bias_mcse']:.3f})"


lines = []
if "directional_pleiotropy" in chosen:
    r = s.loc[("directional_pleiotropy", beta_alt)]
    lines.append(f"In these simulated data, with directional pleiotropy that respects InSIDE, IVW is biased by "
                 f"{bias_of(r, 'ivw')} while MR-Egger's bias is {bias_of(r, 'egger')}: Egger pays for this with an "
                 f"empirical SE of {r.loc['egger', 'empirical_se']:.3f} against IVW's "
                 f"{r.loc['ivw', 'empirical_se']:.3f}.")
if "inside_violated" in chosen:
    r = s.loc[("inside_violated", beta_alt)]
    lines.append(f"When the pleiotropy runs through a confounder, so that InSIDE fails, MR-Egger is biased too, "
                 f"{bias_of(r, 'egger')}, as are the weighted median, {bias_of(r, 'weighted_median')}, and the "
                 f"weighted mode, {bias_of(r, 'weighted_mode')}, against IVW's {bias_of(r, 'ivw')}: with "
                 f"{100 * settings['pleiotropy_fraction']:.0f} % of the instruments invalid and stronger than the "
                 f"rest, the valid ones no longer carry a clear majority of the weight.")
if "outliers" in chosen:
    r = s.loc[("outliers", beta_alt)]
    lines.append(f"{settings['n_outliers']} strong outlier(s) with random signs leave IVW's average bias at "
                 f"{bias_of(r, 'ivw')} but inflate its spread: empirical SE {r.loc['ivw', 'empirical_se']:.3f} "
                 f"against {r.loc['presso', 'empirical_se']:.3f} after MR-PRESSO removes them.")
if "overlap_weak" in chosen and "weak" in chosen:
    r0 = s.loc[("weak", beta_alt)]
    r1 = s.loc[("overlap_weak", 0.0)]
    lines.append(f"Weak instruments (mean F about {settings['mean_f']:g}) in separate samples bias IVW towards the "
                 f"null: at a true effect of {beta_alt:g} its bias is {bias_of(r0, 'ivw')}. In one overlapping "
                 f"sample the same instruments pull the estimate towards the confounded "
                 f"observational association instead: with no causal effect at all, IVW's bias is "
                 f"{bias_of(r1, 'ivw')}.")
display(Markdown(" ".join(lines) if lines else "Choose `scenario = \"all\"` to compare scenarios."))

# %% [markdown]
# ## Coverage of the 95 % confidence interval
#
# Why the two R packages report different maximum-likelihood standard errors is explained in
# {doc}`/book/generated/conventions`.

# %% tags=["remove-input"]
report.table(simulation_report.coverage_table(summary, chosen),
             caption=f"Coverage (%) of the 95 % confidence interval (Monte Carlo SE, percentage points) in the "
             f"simulated data, averaged over the two true effects ({2 * n_rep:,} replicates per cell for the first "
             f"seven methods, {2 * n_extra:,} for the others; – for the sign test, which has no interval).")

# %% tags=["remove-input"]
fig = simulation_report.plot_measure(main_methods, "coverage", xlabel="coverage of the 95 % CI (proportion)",
                                     reference=0.95)
glue("sim-coverage", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} sim-coverage
# :name: sim-coverage
# :alt: Coverage of the 95 % confidence intervals of seven MR methods in each scenario
#
# Coverage of the 95 % confidence interval (proportion of replicates whose interval contains the true
# effect) per method and scenario, at a true effect of zero (circles) and at the non-null effect
# (squares), with 95 % Monte Carlo intervals; the dashed line is the nominal 0.95. Biased methods lose
# coverage; so does maximum likelihood wherever the instruments are heterogeneous, because TwoSampleMR's
# ML standard error ignores over-dispersion. {glue}`sim-summary-data`
# ```

# %% tags=["remove-input"]
if "balanced_pleiotropy" in chosen:
    r = s.loc[("balanced_pleiotropy", beta_alt)]
    cells = simulation_report.coverage_cells(summary)  # the coverage table's own cells
    display(Markdown(
        f"In these simulated data, balanced pleiotropy leaves the point estimates unbiased but adds variance. The "
        f"random-effects IVW SE absorbs it (coverage {cells[('balanced_pleiotropy', 'ivw')].split()[0]} % in the "
        f"table above), maximum likelihood with TwoSampleMR's fixed-effect Hessian SE does not: at a true effect of "
        f"{beta_alt:g} its mean model SE is {r.loc['ml', 'model_se']:.3f} against an empirical SE of "
        f"{r.loc['ml', 'empirical_se']:.3f}, and its coverage falls to "
        f"{cells[('balanced_pleiotropy', 'ml')].split()[0]} %. MendelianRandomization scales the ML SE for "
        f"heterogeneity for this reason (see the chapter on conventions)."))

# %% [markdown]
# ## Type-I error and power

# %% tags=["remove-input"]
report.table(simulation_report.rejection_table(summary, chosen),
             caption=f"Percentage of simulated replicates with p < 0.05 (Monte Carlo SE, percentage points): "
             f"type-I error at a true effect of 0 (nominal 5 %) and power at {beta_alt:g}; {n_rep:,} replicates per "
             f"cell for the first seven methods, {n_extra:,} for the others (CLR: rejects when its interval "
             "excludes 0).")

# %% tags=["remove-input"]
fig = simulation_report.plot_measure(main_methods, "rejection", xlabel="proportion of replicates with p < 0.05",
                                     reference=0.05)
glue("sim-rejection", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} sim-rejection
# :name: sim-rejection
# :alt: Rejection rates (type-I error and power) of seven MR methods in each scenario
#
# Proportion of replicates with p < 0.05 per method and scenario: at a true effect of zero (circles)
# this is the type-I error, whose nominal value is the dashed line at 0.05; at the non-null effect
# (squares) it is the power. Bars are 95 % Monte Carlo intervals. Power only counts for a method whose
# circle sits near the dashed line in the same panel. {glue}`sim-summary-data`
# ```

# %% [markdown]
# ## Which methods survive
#
# A method "survives" a scenario here when, at both true effects, its bias is within 20 % of the
# non-null effect and its coverage is at least 90 % (CLR, without an estimate, on coverage alone; the sign test,
# without either, is not judged). The rule is a teaching device, not a standard: change it and see how the verdict
# moves. The figure is the one slide of the chapter: every method, grouped by the assumption it trades, against
# every scenario.

# %% tags=["remove-input"]
fig = simulation_report.survival_figure(summary, max_abs_bias=0.2 * beta_alt, min_coverage=0.90, methods=every)
glue("sim-survival", fig, display=False)
glue("sim-survival-data", downloads.save_csv(
    simulation_report.survival(summary, max_abs_bias=0.2 * beta_alt, min_coverage=0.90), "simulation-survival"),
    display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} sim-survival
# :name: sim-survival
# :alt: Which MR methods survive which simulated violation, every method grouped by assumption family
#
# Which methods survive which scenario in the simulated data: one row per method, grouped by the assumption it
# trades (bold), one column per scenario. Green: |bias| within 20 % of the non-null effect and coverage of the 95 %
# interval at least 90 % at both true effects; red: fails on bias; orange: fails on coverage; dark red: both; grey:
# not judged (the sign test has neither an estimate nor an interval). {glue}`sim-survival-data`
# ```

# %% tags=["remove-input"]
verdict = simulation_report.survivors(summary, max_abs_bias=0.2 * beta_alt, min_coverage=0.90)
report.table(verdict, caption=f"Methods with |bias| ≤ {0.2 * beta_alt:g} and coverage ≥ 90 % at both "
             "true effects in the simulated data, per scenario, and those that fail the rule (every method; short "
             "names as in the figure).")

# %% tags=["remove-cell"]
out = Path(results_dir)
out.mkdir(parents=True, exist_ok=True)
summary.assign(seed=seed, n_rep=n_rep).to_csv(out / "simulation_summary.csv", index=False)

# %% [markdown]
# The summary table (every scenario, effect and method, with Monte Carlo SEs) is written to
# `simulation_summary.csv` in the results folder of the build.
#
# ## Exercises
#
# Each exercise re-runs this page with its parameters changed; the command is complete (download the notebook
# from the box at the top of the page). The solutions' numbers were computed when this page was built, by the
# same functions, so a re-run shows the same numbers.

# %% tags=["remove-input"]
page = {"quick": quick, "scenario": scenario, "seed": seed, "pleiotropy_fraction": pleiotropy_fraction,
        "n_outliers": n_outliers, "mean_f": mean_f}
exercises.show("simulation_study", exercises.EXERCISES, page, exercises.simulation_observed(summary),
               exercises.simulation_solver(page))
