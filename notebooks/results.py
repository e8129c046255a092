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

data = "synthetic"
panel_size = "full"
panel_seed = DEFAULT_PANEL_SEED
seed = DEFAULT_SEED
results_dir = "book/generated/results"
method = "ivw"  # the method tabulated for every direction (an id of mrkit.mr: ivw, egger, weighted_median, ml, ...)

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.paper import direction, downloads, exercises, labels, plots, report
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, panel_seed=panel_seed)
directions = direction.load_directions(results_dir)
t = report.directions_table(directions, method)
published = report.published_results()
luo = published[published["study"] == "luo2022"]
n_tests = len(t)
name = labels.method_label(method)

# %% [markdown]
# ## All directions
#
# The estimate of every direction computed in this build by the page's `method` (by default {term}`IVW`; the
# exercises try {term}`MR-Egger`, the {term}`weighted median` and {term}`maximum likelihood`), on the
# outcome's scale: an {term}`odds ratio <Odds ratio (OR)>` where the outcome is binary (LBP, short and long sleep),
# β in the outcome's units where it is continuous (the insomnia score, hours of sleep, the sleepiness score). For
# those the paper reported exp(β) as an "OR", but exp(β) of hours is not a ratio of odds, nor of anything a reader
# can use; the published numbers are shown here as β = log of what was reported. p-values are adjusted for the
# number of directions tested, by Bonferroni and by the Benjamini–Hochberg false discovery rate.

# %% tags=["remove-input"]
show = report.results_display(t, study.label, luo, planted=data == "synthetic")
report.table(show, precision=4, csv="all-directions", data=t, same_decimals=[["effect", "95% CI low", "95% CI high"]],
             caption=f"{name} estimates of the {n_tests} directions of this build: the effect per unit of the exposure "
             "(an odds ratio for a binary outcome, β in the outcome's units for a continuous one: column 'scale'), its "
             f"95 % CI, the p-value and the p-value adjusted for {n_tests} tests (Bonferroni; Benjamini–Hochberg FDR), "
             "the published estimate on the same scale and, on the synthetic panel, the planted effect.")

# %% tags=["remove-input"]
fig = plots.results_forest(t, study.label, luo, planted=data == "synthetic", method=method)
glue("forest-all", fig, display=False)
glue("forest-all-data", downloads.save_csv(t, "all-directions"), display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} forest-all
# :alt: Forest plot of the estimates of all directions.
#
# Estimates of every direction with 95 % confidence intervals (blue squares), the published estimates of
# {cite:t}`luo2022` where the paper gave numbers (orange diamonds) and, on the synthetic panel, the planted effect
# (black ticks). Top: binary outcomes, odds ratios on a log scale (dashed: OR = 1); bottom: continuous outcomes, β
# in the outcome's units (dashed: no effect). The insomnia → LBP effect is per unit of an ordinal score, the
# reverse effects per unit of log odds of LBP liability, so their sizes are not comparable.
# {glue}`forest-all-data`
# ```

# %% [markdown]
# ## Agreement

# %% tags=["remove-input"]
sig = t[t["p_bonferroni"] < 0.05]


def effect(r):
    """A direction's effect in words, on the outcome's scale."""
    return (f"OR {r.exp_estimate:.3f}" if r.binary_outcome else f"β {r.estimate:.4f}") + f", p = {r.p:.2g}"


text = (f"{len(sig)} of {n_tests} directions are significant after Bonferroni correction"
        + (": " + "; ".join(f"{study.label(r.exposure)} → {study.label(r.outcome)} ({effect(r)})"
                            for r in sig.itertuples()) if len(sig) else "") + ". ")
pos = {(e, o) for e, o, f in zip(luo["exposure"], luo["outcome"], luo["finding"]) if f == "positive"}
found = {(r.exposure, r.outcome) for r in t.itertuples() if r.p < 0.05}
both = list(zip(t["exposure"], t["outcome"]))
agree = sum(((e, o) in pos) == ((e, o) in found) for e, o in both)
text += (f"At p < 0.05, the significance pattern agrees with the published findings in {agree} of {len(both)} "
         "directions computed here. ")
if data == "synthetic":
    covered = [(r.exposure, r.outcome) for r in t.itertuples()
               if r.planted == r.planted and r.ci_lower <= r.planted <= r.ci_upper]
    text += (f"On the synthetic panel (simulated data, not the study's) the 95 % interval covers the planted effect "
             f"in {len(covered)} of {int(t['planted'].notna().sum())} directions. Agreement with the publication here "
             "shows that the pipeline recovers effects of the published size from data of the study's size; it is not "
             "a replication, which needs the real GWAS files.")
display(Markdown(text))

# %% [markdown]
# The published estimates themselves disagree: the same question with larger GWAS gave an insomnia → LBP odds
# ratio of 1.25 {cite:p}`shu2022`, against 1.954 in {cite:t}`luo2022`. Exposure definitions, the GWAS used and the
# choice of instruments all move an MR estimate; the {doc}`limitations` page returns to this.
#
# ## Exercises

# %% tags=["remove-input"]
page = {"method": method}
exercises.show("results", exercises.EXERCISES, page, exercises.results_observed(t),
               exercises.results_solver(page, directions))
