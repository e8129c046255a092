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

exposure = "insomnia"
outcome = "lbp"
p_threshold = 5e-8
convention = "twosamplemr"
presso_n = 3000
data = "synthetic"
panel_size = "full"
panel_seed = DEFAULT_PANEL_SEED  # which synthetic panel (the data): another value generates other data
seed = DEFAULT_SEED  # the random draws of the analysis (bootstraps, MR-PRESSO) on the same data
results_dir = "book/generated/results"
own_data = ""  # mrkit report: a user's own data (a file of mrkit.paper.own_data); "" for the book's data
methods = []  # the methods of the estimates table (mrkit.mr ids); empty: every method of the page

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

import mrkit
from mrkit.paper import direction, downloads, exercises, plots, report, robust
from mrkit.paper.own_data import OwnData
from mrkit.paper.study import Study

study = OwnData.load(own_data) if own_data else Study(data=data, panel_size=panel_size, panel_seed=panel_seed)
X, Y = study.label(exposure), study.label(outcome)

# %% [markdown]
# ## Instruments and harmonisation
#
# On the book's data, instruments are the exposure's variants at the page's p-value threshold,
# {term}`clumped <clumping>` against the reference panel; their associations with the outcome are looked up (with an
# LD {term}`proxy` where an instrument is missing) and harmonised to the same {term}`effect allele` with
# TwoSampleMR's rules ({term}`harmonisation`). On your own data (`mrkit report`), they are the variants of your
# files as `mrkit report` selected and harmonised them, with the options it was given (the same rules). The log
# counts what happened at each step.

# %%
h = study.harmonised(exposure, outcome, p_threshold=p_threshold)
report.table(report.harmonisation_log(h.attrs["log"]), caption=f"Harmonisation of {X} instruments with {Y}: "
             "number of variants at each step (STROBE-MR item 10a).")

# %% [markdown]
# ## Causal estimates
#
# All methods of the paper ({term}`IVW`, {term}`MR-Egger`, {term}`weighted median`,
# {term}`penalised weighted median`, {term}`maximum likelihood`), plus the
# {term}`mode-based estimates <mode-based estimate>` and {term}`MR-RAPS`, under the {term}`convention` named in
# each row. The main estimate is the
# inverse-variance weighted mean of the per-variant {term}`Wald ratios <Wald ratio>`,
# $\hat\theta_{IVW} = \sum_j w_j \hat\beta_{Xj}\hat\beta_{Yj} \big/ \sum_j w_j \hat\beta_{Xj}^2$ with
# $w_j = \sigma_{Yj}^{-2}$; for a binary outcome it is a log odds ratio and $\mathrm{OR} = e^{\hat\theta}$ is an
# {term}`odds ratio <Odds ratio (OR)>`; for a continuous outcome it is in the outcome's units (see
# {doc}`/book/methods`). On any harmonised table, yours included, one call of the toolkit gives it:

# %%
mrkit.mr(h, methods=["ivw"], convention=convention)[["method", "nsnp", "estimate", "se", "p"]]

# %% [markdown]
# The page runs every method and diagnostic at once with `direction.analyse`, which calls `mrkit.mr`,
# `mrkit.heterogeneity`, `mrkit.pleiotropy`, `mrkit.leave_one_out` and `mrkit.single_snp`, {term}`MR-PRESSO` and
# {term}`Steiger's test <Steiger directionality>` on the same table and keeps everything in one result, saved for
# the results and limitations pages:

# %%
result = direction.analyse(h, study.trait(exposure), study.trait(outcome), convention=convention, seed=seed,
                           presso_n=presso_n, planted=study.planted(exposure, outcome),
                           methods=methods or direction.METHODS,
                           parameters={"p_threshold": p_threshold, "data": data, "panel_size": panel_size,
                                       "panel_seed": panel_seed},
                           opengwas_queries=study.opengwas_queries())
report.estimates_table(result)

# %% tags=["remove-input"]
display(Markdown(report.scale_note(result, book_study=not own_data)))

# %% [markdown]
# ## Heterogeneity, pleiotropy and direction
#
# {term}`Cochran's Q` measures how much the instruments' ratio estimates disagree; the MR-Egger intercept estimates
# directional {term}`horizontal pleiotropy`; {term}`I²_GX` says whether MR-Egger's slope can be trusted.

# %% tags=["remove-input"]
report.table(report.diagnostics_table(result),
             caption="Cochran's Q (IVW) and Rücker's Q′ (MR-Egger) with their p-values; the MR-Egger intercept "
             "(average directional pleiotropy, outcome units per effect allele); I²_GX (reliability of MR-Egger); "
             "MR-PRESSO global test; Steiger directionality (variance explained in exposure and outcome).")

# %% [markdown]
# ## MR-PRESSO: before and after removing outliers

# %% tags=["remove-input"]
display(report.table(report.presso_table(result),
                     caption=f"MR-PRESSO with {presso_n:,} simulated distributions (seed {result.seed}): IVW on all "
                     "instruments (raw) and without the outliers the outlier test found (corrected), on the "
                     "outcome's scale; the distortion test asks whether removing them changed the estimate."))
display(Markdown(report.presso_note(result)))

# %% [markdown]
# ## Plots

# %% tags=["remove-input"]
figures = plots.direction_figures(result)
csv_names = {"scatter": "harmonised", "forest": "forest-single-snp", "funnel": "funnel-single-snp",
             "loo": "leave-one-out"}
for key, fig in figures.items():
    glue(key, fig, display=False)
    glue(f"{key}-data", downloads.figure_csv(fig, csv_names[key]), display=False)
    plt.close(fig)

# %% [markdown]
# ```{glue:figure} scatter
# :alt: Scatter plot of SNP-outcome against SNP-exposure associations with method lines.
#
# Each point is an instrument: its association with the exposure (x, oriented so that the effect allele
# increases the exposure) and with the outcome (y), with 95 % confidence intervals. Lines have the slopes of
# the causal estimates; MR-Egger's line has its intercept. MR-PRESSO outliers are in red.
# {glue}`scatter-data`
# ```

# %% [markdown]
# ```{glue:figure} forest
# :alt: Forest plot of single-SNP Wald ratios and summary estimates.
#
# Wald ratio of each instrument with its 95 % confidence interval (first-order standard error), ordered by
# estimate; below the rule, the IVW, MR-Egger and weighted-median estimates on all instruments, in colour.
# The dashed line is no effect. {glue}`forest-data`
# ```

# %% [markdown]
# ```{glue:figure} funnel
# :alt: Funnel plot of Wald ratios against their precision.
#
# Funnel plot: Wald ratios against their precision (1/SE). Without directional pleiotropy the points are
# symmetric around the IVW estimate; asymmetry suggests pleiotropy or small-study-like bias.
# {glue}`funnel-data`
# ```

# %% [markdown]
# ```{glue:figure} loo
# :alt: Leave-one-out IVW estimates.
#
# Leave-one-out analysis: the IVW estimate recomputed without each instrument in turn (labelled with the
# instrument left out), ordered by estimate, with 95 % intervals; below the rule, the IVW estimate on all
# instruments. One instrument that moves the estimate a lot would deserve scrutiny. {glue}`loo-data`
# ```

# %% [markdown]
# ## Robust methods
#
# Each method above rests on an assumption about which instruments are valid. Every univariable method of the
# toolkit (TwoSampleMR, RadialMR and MendelianRandomization 0.10, each equal to its R function) ran on the same
# instruments in the same call of `mrkit.mr`, grouped here by the assumption it trades: if the families that assume
# less agree with IVW, its estimate does not hinge on all instruments being valid. Each method's name links to its
# entry in the {doc}`methods chapter </book/methods>` (idea, formula, assumption, R function, when to use it).

# %% tags=["remove-input"]
robust.robust_table(result)

# %% tags=["remove-input"]
fig = robust.robust_forest(result)
glue("robust-forest", fig, display=False)
glue("robust-forest-data", downloads.figure_csv(fig, "robust-methods-forest"), display=False)
plt.close(fig)
verdict = robust.family_verdict(result)
report.table(verdict, caption="The robust families' verdict: methods of each assumption family that ran, how many "
             "exclude no effect (95 % interval), how many of those agree in direction with IVW, the family's median "
             "estimate (β on the outcome's scale) and the verdict (supports: all exclude 0 in IVW's direction; "
             "no evidence: none does; mixed; opposite: one excludes 0 the other way).", csv="robust-verdict")

# %% [markdown]
# ```{glue:figure} robust-forest
# :alt: Forest plot of every univariable MR method grouped by assumption family.
#
# Every univariable method's estimate (point) and 95 % interval (line), grouped by the assumption family named in
# bold, on the outcome's scale (log odds for a binary outcome); the dashed line is no effect. An arrow marks an
# interval end beyond the axis (an infinite Fieller or likelihood interval); the conditional likelihood-ratio
# interval (CLR) has no point estimate. {glue}`robust-forest-data`
# ```

# %% [markdown]
# ## Summary

# %% tags=["remove-input"]
display(Markdown(report.direction_summary(result)))
_ = result.save(Path(results_dir) / f"{result.page}.json")  # the path is not for the reader

# %% [markdown]
# ## Exercises

# %% tags=["remove-input"]
if own_data:  # a report on the user's own data: the exercises re-run the book's data
    display(Markdown("The book's version of this page ends with exercises that re-run it on the book's data with "
                     "other parameters; see the book's Exercises page."))
else:
    page = {"exposure": exposure, "outcome": outcome, "p_threshold": p_threshold, "convention": convention,
            "seed": seed, "presso_n": presso_n, "data": data, "panel_size": panel_size, "panel_seed": panel_seed}
    exercises.show("mr_analysis", exercises.EXERCISES, page, exercises.mr_observed(result),
                   exercises.mr_solver(page, study, h))
