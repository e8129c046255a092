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
exposure = "insomnia"
outcome = "lbp"
p_threshold = 5e-8
convention = "twosamplemr"
presso_n = 3000
data = "synthetic"
panel_size = "full"
seed = 314159265
results_dir = "book/generated/results"

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

import mrkit
from mrkit.methods.presso import mr_presso
from mrkit.methods.steiger import steiger_directionality
from mrkit.paper import downloads, plots, report
from mrkit.paper.labels import BINARY_TRAITS
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, seed=seed)
X, Y = study.label(exposure), study.label(outcome)
page = f"mr-{exposure}-to-{outcome}"
binary_outcome = outcome in BINARY_TRAITS

# %% [markdown]
# ## Instruments and harmonisation
#
# Instruments are the exposure's variants at the page's p-value threshold, clumped against the reference
# panel; their associations with the outcome are looked up (with an LD proxy where an instrument is missing)
# and harmonised to the same effect allele with TwoSampleMR's rules. The log counts what happened at each step.

# %%
h = study.harmonised(exposure, outcome, p_threshold=p_threshold)
kept = h[h["mr_keep"]]
report.table(report.harmonisation_log(h), caption=f"Harmonisation of {X} instruments with {Y}: "
             "number of variants at each step (STROBE-MR item 10a).")

# %% [markdown]
# ## Causal estimates
#
# All methods of the paper (IVW, MR-Egger, weighted median, penalised weighted median, maximum likelihood),
# plus the mode-based estimates and MR-RAPS, under the convention named in each row. The main estimate is the
# inverse-variance weighted mean of the per-variant Wald ratios,
# $\hat\theta_{IVW} = \sum_j w_j \hat\beta_{Xj}\hat\beta_{Yj} \big/ \sum_j w_j \hat\beta_{Xj}^2$ with
# $w_j = \sigma_{Yj}^{-2}$; for a binary outcome it is a log odds ratio and $\mathrm{OR} = e^{\hat\theta}$
# (see {doc}`/book/methods`).

# %%
results = mrkit.mr(h, methods=report.ALL_METHODS, convention=convention, seed=seed)
het = mrkit.heterogeneity(h, convention=convention)
pleio = mrkit.pleiotropy(h, convention=convention)
presso = mr_presso(kept["beta.exposure"].to_numpy(), kept["se.exposure"].to_numpy(),
                   kept["beta.outcome"].to_numpy(), kept["se.outcome"].to_numpy(),
                   snp=kept["SNP"].tolist(), n_distributions=presso_n, seed=seed)
steiger = steiger_directionality(kept)
report.estimates_table(results, binary_outcome=binary_outcome, exposure=X, outcome=Y,
                       units=study.units(exposure))

# %% tags=["remove-input"]
display(Markdown(report.scale_note(exposure, outcome, study)))

# %% [markdown]
# ## Heterogeneity, pleiotropy and direction

# %% tags=["remove-input"]
report.table(report.diagnostics_table(het, pleio, presso, steiger),
             caption="Cochran's Q (IVW) and Rücker's Q′ (MR-Egger) with their p-values; the MR-Egger intercept "
             "(average directional pleiotropy, outcome units per effect allele); I²_GX (reliability of MR-Egger); "
             "MR-PRESSO global test; Steiger directionality (variance explained in exposure and outcome).")

# %% [markdown]
# ## MR-PRESSO: before and after removing outliers

# %% tags=["remove-input"]
report.table(report.presso_table(presso, binary_outcome=binary_outcome),
             caption=f"MR-PRESSO with {presso_n:,} simulated distributions (seed {seed}): IVW on all instruments "
             "(raw) and without the outliers the outlier test found (corrected); the distortion test asks "
             "whether removing them changed the estimate.")
display(Markdown(report.presso_note(presso)))

# %% [markdown]
# ## Plots

# %% tags=["remove-input"]
single = mrkit.single_snp(h, convention=convention)
loo = mrkit.leave_one_out(h, convention=convention)
unit = report.effect_unit(outcome, study)
figures = {
    "scatter": plots.scatter(h, results, exposure=f"{X} ({study.units(exposure)})",
                             outcome=f"{Y} ({study.units(outcome)})", egger_intercept=pleio["intercept"],
                             methods=["ivw", "egger", "weighted_median", "penalised_weighted_median", "ml"],
                             outliers=presso.outliers),
    "forest": plots.forest(single, label_col="snp", xlabel=f"causal estimate ({unit} per unit {X})",
                           summary=results[results["method"].isin(["ivw", "egger", "weighted_median"])]),
    "funnel": plots.funnel(single, results, xlabel=f"Wald ratio ({unit} per unit {X})"),
    "loo": plots.forest(loo, label_col="snp", xlabel=f"IVW estimate without the variant ({unit})",
                        summary=results[results["method"] == "ivw"]),
}
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
# ## Summary

# %% tags=["remove-input"]
display(Markdown(report.direction_summary(results, het, pleio, presso, steiger, exposure=exposure,
                                          outcome=outcome, study=study, binary_outcome=binary_outcome)))
out = Path(results_dir)
out.mkdir(parents=True, exist_ok=True)
report.save_direction(out / f"{page}.json", results=results, het=het, pleio=pleio, presso=presso,
                      steiger=steiger, harmonised=h, exposure=exposure, outcome=outcome, study=study,
                      p_threshold=p_threshold, convention=convention)
