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

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display
from myst_nb import glue

import mrkit
from mrkit.paper import convention_comparison, labels, report, validation

vdir = validation.shared_validation_dir()

# %% [markdown]
# ## Two packages, one dataset, different numbers
#
# The two R packages most MR papers use, TwoSampleMR {cite:p}`hemani2018` and MendelianRandomization
# {cite:p}`yavorska2017`, agree on every point estimate but one, yet report different standard errors and
# p-values for most methods. Neither is wrong: each made a defensible choice, documented in its code rather
# than in its output. A reader comparing a paper made with one package against a re-analysis made with the
# other can be misled by differences that have nothing to do with the data. `mrkit` reproduces both, chosen
# by one argument, `convention`, and every result row says which choices produced it.
#
# The data: 28 variants associated with LDL cholesterol and their associations with coronary heart disease
# (log-odds), the example dataset of MendelianRandomization (Waterworth et al. 2010).

# %% tags=["remove-input"]
lipids, source = convention_comparison.example_data(vdir, seed=seed)
if vdir is None:
    display(HTML('<div class="admonition warning"><p class="admonition-title">Validation data not found</p>'
                 "<p>The shared validation folder (set MRKIT_SHARED) is absent where this page was built, so "
                 "the comparison below runs on a simulated dataset of 28 variants with heterogeneity instead "
                 "of the LDL-c and CHD data.</p></div>"))
display(Markdown(f"Data read from {source}: {len(lipids)} variants."))

# %% [markdown]
# Both conventions, side by side, with one seed for the bootstraps (each package's own default number of
# draws: 1,000 for TwoSampleMR, 10,000 for MendelianRandomization):

# %%
side = convention_comparison.convention_comparison(lipids, seed=seed)

# %% tags=["remove-input"]
shown = side.assign(method=side["method"].map(labels.method_labels(short=True) | {
    "ivw": "IVW (default)", "ivw_mre": "IVW (random effects, unfloored)"}))
report.table(shown[["method", "estimate_tsmr", "se_tsmr", "p_tsmr", "distribution_tsmr", "estimate_mr", "se_mr",
                    "p_mr", "distribution_mr", "differs"]],
             caption="Causal estimates of LDL-c on CHD (log-odds per unit LDL-c) under convention='twosamplemr' "
             "(_tsmr: TwoSampleMR 0.7.9 defaults) and convention='mendelianrandomization' (_mr: "
             "MendelianRandomization 0.10.0 defaults): estimate, standard error, p-value and the distribution "
             "the p-value comes from; the last column names what differs.")

# %% [markdown]
# ## Why each number differs
#
# The reasons, from the packages' source code (`R/mr.R` and `R/mr_mode.R` of TwoSampleMR,
# `R/mr_*-methods.R` of MendelianRandomization):

# %% tags=["remove-input"]
s = side.set_index("method")
reasons = pd.DataFrame([
    ("MR-Egger p-value", f"{s.loc['egger', 'p_tsmr']:.3g} vs {s.loc['egger', 'p_mr']:.3g}",
     "TwoSampleMR takes the p-value of the slope (and intercept) from a t distribution with k − 2 degrees "
     "of freedom, as lm does; MendelianRandomization uses the normal by default. Same estimate and SE."),
    ("Weighted median estimate", f"{s.loc['weighted_median', 'estimate_tsmr']:.4f} vs "
     f"{s.loc['weighted_median', 'estimate_mr']:.4f}",
     "The weights of the ratio estimates: TwoSampleMR uses second-order weights 1/(σY²/βX² + βY²σX²/βX⁴), "
     "which account for the uncertainty of the SNP-exposure effect; MendelianRandomization first-order "
     "weights (βX/σY)². The only point estimate on which the packages differ."),
    ("Maximum-likelihood SE", f"{s.loc['ml', 'se_tsmr']:.3f} vs {s.loc['ml', 'se_mr']:.3f}",
     "TwoSampleMR reports the Hessian (fixed-effect) SE; MendelianRandomization multiplies it by "
     "max(1, √(Q/(k − 1))) when k ≥ 4, a multiplicative random-effects correction for heterogeneity."),
    ("Mode SE and p", f"{s.loc['weighted_mode', 'se_tsmr']:.3f} vs {s.loc['weighted_mode', 'se_mr']:.3f}",
     "Both take the median absolute deviation of bootstrap modes, but from 1,000 (TwoSampleMR) or 10,000 "
     "(MendelianRandomization) draws, so the SEs differ by Monte Carlo error; TwoSampleMR's p-value uses "
     "t(k − 1) while its confidence interval uses the normal, so the two can disagree."),
    ("Median SEs", f"{s.loc['simple_median', 'se_tsmr']:.3f} vs {s.loc['simple_median', 'se_mr']:.3f} (simple)",
     "Parametric bootstrap in both; different numbers of draws (1,000 vs 10,000), hence Monte Carlo "
     "differences of a few per cent."),
    ("IVW SE", f"{s.loc['ivw', 'se_tsmr']:.3f} in both",
     "Both use multiplicative random effects with the SE floored at the fixed-effect one here. They part "
     "when k < 4 (MendelianRandomization switches to fixed effect) and TwoSampleMR's mr_ivw_mre drops the "
     "floor: see below."),
], columns=["quantity", "this dataset", "why"])
report.table(reasons, caption="Where the two conventions differ on this dataset, the values under each "
             "(TwoSampleMR first), and the reason.")

# %% [markdown]
# ## Confidence intervals: TwoSampleMR's 1.96 for every method
#
# TwoSampleMR's `mr()` reports an estimate, SE and p-value; the one interval its users see comes from
# `generate_odds_ratios()`: estimate ± 1.96 SE for **every** method, MR-Egger and the modes included, although
# `mr_egger_regression` takes its p-value from t(k − 2) and `mr_mode` from t(k − 1). A TwoSampleMR interval can
# therefore disagree with its own p-value (an MR-Egger p of 0.06 beside an interval that excludes 0). Under
# `convention="twosamplemr"` every row's interval of the form estimate ± q SE is that one, and the row says so
# (`ci_distribution` "normal (1.96)", while `distribution` keeps the p-value's). MendelianRandomization takes
# each interval from the method's own distribution (normal by default), so there the interval follows the
# p-value. Intervals of another kind (pIVW's bootstrap Fieller interval, ConMix's and HetPen's likelihood
# grids, the CLR test inversion) are the method's own under both conventions.

# %% tags=["remove-input"]
intervals = convention_comparison.interval_comparison(lipids, seed=seed)
report.table(intervals.assign(method=intervals["method"].map(labels.method_label)),
             caption="The 95 % interval of three methods under each convention on the lipids data (log-odds of CHD "
             "per unit LDL-c): estimate, SE, the distribution of the p-value, the interval's own rule "
             "(ci_distribution), its bounds and the p-value.", csv="convention-intervals")

# %% [markdown]
# Before issue 23, `mrkit` gave MR-Egger a t(k − 2) interval under the twosamplemr convention, which neither
# package reports. Every twosamplemr interval of the book moved by (1.96 − 1.959964) SE, in the fifth
# significant digit, and MR-Egger's narrowed from t(k − 2) to 1.96 SE (here qt(0.975, 26) = 2.056 → 1.96).

# %% [markdown]
# ## Why the two conventions give different I²_GX
#
# $I^2_{GX} = \max(0, (Q - (k - 1))/Q)$ measures how much of the spread of the variants' exposure effects is
# real rather than noise; below 0.9 MR-Egger is diluted {cite:p}`bowden2016i2`. $Q$ is Cochran's statistic of
# some "estimates" $y_j$ with standard errors $s_j$:
# $Q = \sum_j z_j^2 - (\sum_j w_j y_j)^2 / \sum_j w_j$ with $z_j = y_j/s_j$ and $w_j = s_j^{-2}$.
# TwoSampleMR (`Isq(abs(beta.exposure), se.exposure)`) takes $y_j = |\hat\beta_{Xj}|$, $s_j = \sigma_{Xj}$;
# MendelianRandomization (`mr_egger`) takes $y_j = |\hat\beta_{Xj}|/\sigma_{Yj}$, $s_j = \sigma_{Xj}/\sigma_{Yj}$.
# Dividing both by the same $\sigma_{Yj}$ leaves every $z_j$, hence the first term, unchanged; only the part
# explained by the one fitted constant changes:

# %% tags=["remove-input"]
i2 = convention_comparison.i2gx_decomposition(lipids)
report.table(i2, caption="Cochran's Q of the exposure effects under each convention on the lipids data: the sum "
             "of squared z-statistics (the same in both), the part the fitted mean explains, Q, the number of "
             "variants and I²_GX.", csv="i2gx-decomposition")

# %% tags=["remove-input"]
t, m = i2.iloc[0], i2.iloc[1]
display(Markdown(
    f"TwoSampleMR fits one common $|\\hat\\beta_X|$ (it explains {t['explained by the mean']:.2f}: "
    f"Q = {t['Q']:.2f}, I²_GX = {t['I²_GX']:.4f}); MendelianRandomization fits one common "
    f"$|\\hat\\beta_X|/\\sigma_Y$, i.e. $|\\hat\\beta_{{Xj}}|$ proportional to $\\sigma_{{Yj}}$ (it explains "
    f"{m['explained by the mean']:.2f}: Q = {m['Q']:.2f}, I²_GX = {m['I²_GX']:.4f}). On these data "
    f"$|\\hat\\beta_X|$ rises with $\\sigma_Y$ (correlation {i2.attrs['correlation |bx|, byse']:.2f}: the variants "
    "with the larger effects on the exposure have the less precise outcome associations), so the proportional fit "
    "explains more, Q is smaller and I²_GX lower; with a constant $\\sigma_Y$ the two are identical. The "
    "ratio-scale version belongs to MR-Egger as it is fitted: the weighted regression is ordinary least squares of "
    "$\\hat\\beta_Y/\\sigma_Y$ on $\\hat\\beta_X/\\sigma_Y$, whose error-prone regressor has error SD "
    "$\\sigma_X/\\sigma_Y$; TwoSampleMR's is the unweighted version."))

# %% [markdown]
# ## The IVW floor
#
# The IVW standard error is the fixed-effect one multiplied by the residual standard error σ̂ of the weighted
# regression. When the variants are *less* heterogeneous than their standard errors imply (σ̂ < 1),
# TwoSampleMR's `mr_ivw` and MendelianRandomization keep the fixed-effect SE (the floor), but TwoSampleMR's
# `mr_ivw_mre` and MR-PRESSO's "Raw" row do not, and report an SE *smaller* than the fixed-effect one. The
# lipids data are heterogeneous (σ̂ > 1), so the floor does not bind there; doubling every outcome standard
# error (as if the CHD study were a quarter of its size) makes σ̂ < 1:

# %%
under = lipids.assign(byse=2 * lipids["byse"])
ivw_rows = mrkit.mr(under, methods=["ivw", "ivw_fe", "ivw_mre"], seed=seed)
het = mrkit.heterogeneity(under)

# %% tags=["remove-input"]
sigma = float(np.sqrt(het.set_index("method").loc["ivw", "q"] / het.set_index("method").loc["ivw", "df"]))
report.table(ivw_rows[["method", "estimate", "se", "p", "se_model"]],
             caption=f"IVW on the lipids data with outcome SEs doubled (residual SE σ̂ = {sigma:.3f}): the "
             "floored random-effects SE (ivw) equals the fixed-effect SE; the unfloored one (ivw_mre) is smaller.")

# %% [markdown]
# ## With fewer than four variants
#
# MendelianRandomization's default IVW model is fixed effect when k < 4 and random effects otherwise;
# TwoSampleMR always uses (floored) random effects. On the first three lipids variants:

# %%
three = lipids.iloc[:3]
few = pd.concat([mrkit.mr(three, methods=["ivw"], convention=c, seed=seed)
                 for c in ("twosamplemr", "mendelianrandomization")])
report.table(few[["convention", "method", "estimate", "se", "p", "se_model"]],
             caption="IVW on three variants under each convention: the SE model differs.")

# %% [markdown]
# ## Maximum likelihood: what the optimiser returns
#
# Both packages maximise the joint likelihood of the causal effect and the 28 true SNP-exposure effects
# with R's Nelder–Mead simplex. In 29 dimensions Nelder–Mead stops before the maximum. `mrkit` ports R's
# optimiser step for step, so it prints what R prints, and also offers the exact maximum (the likelihood
# profiled over the nuisance parameters, `ml_optimizer="profile"`):

# %%
ml_r = mrkit.mr(lipids, methods=["ml"], seed=seed)
ml_exact = mrkit.mr(lipids, methods=["ml"], seed=seed, ml_optimizer="profile")

# %% tags=["remove-input"]
a, b = ml_r.iloc[0], ml_exact.iloc[0]
display(Markdown(
    f"R's Nelder–Mead optimum: {a['estimate']:.5f} (SE {a['se']:.5f}); the exact maximum-likelihood "
    f"estimate: {b['estimate']:.5f} (SE {b['se']:.5f}), a relative difference of "
    f"{100 * abs(a['estimate'] - b['estimate']) / abs(b['estimate']):.2f} %. The validation appendix compares "
    f"with R's number, so `mrkit` reproduces R by default, and the default row carries the maximum beside it "
    f"(`estimate_converged` {a['estimate_converged']:.5f}, `se_converged` {a['se_converged']:.5f}) with a note; "
    f"the simulation chapter uses the exact optimum."))

# %% tags=["remove-input"]
boot_n = [200, 500, 1000, 2000, 5000, 10000]
seeds = [seed + i for i in range(5)]
wm = pd.DataFrame([(n, sd, mrkit.mr(lipids, methods=["weighted_median"], seed=sd, n_boot=n)["se"].iloc[0])
                   for n in boot_n for sd in seeds], columns=["n_boot", "seed", "se"])
fig, ax = plt.subplots(figsize=(7.5, 3.4))
for sd, g in wm.groupby("seed"):
    ax.plot(g["n_boot"], g["se"], marker="o", ms=3, lw=0.8, label=f"seed {sd}")
ax.set_xscale("log")
ax.set_xlabel("bootstrap draws (n_boot, log scale)")
ax.set_ylabel("weighted-median SE\n(log-odds per unit LDL-c)")
ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
fig.tight_layout()
glue("conv-bootstrap", fig, display=False)
plt.close(fig)

# %% [markdown]
# ## Bootstrap standard errors move with the seed
#
# TwoSampleMR draws its bootstraps from R's global random-number stream without a seed, so its median and
# mode SEs change from run to run; MendelianRandomization fixes the seed 314159265. `mrkit` seeds every draw
# and records the seed in each result row.
#
# ```{glue:figure} conv-bootstrap
# :name: conv-bootstrap
# :alt: Weighted-median bootstrap SE against the number of bootstrap draws for five seeds
#
# Weighted-median standard error (TwoSampleMR convention; log-odds of CHD per unit LDL-c) against the number
# of bootstrap draws, for five seeds. With 1,000 draws (TwoSampleMR's default) the SE moves by a few per
# cent between seeds; the lines converge as the draws grow.
# ```

# %% [markdown]
# ## Quirks of R's code that `mrkit` reproduces
#
# Where the R packages' code does something its documentation does not say (a search interval that clips, a
# degrees of freedom its help page contradicts, an optimiser's unconverged answer), `mrkit` reproduces R by
# default, says so in the row's note where it matters for that row, and lists it here. Each is written once, in
# the module of the method (`QUIRKS`), and this table is made from them.

# %% tags=["remove-input"]
report.table(convention_comparison.quirks_table(),
             caption="R's quirks reproduced by default, per method (the method's name and id, and the quirk, with "
             "the R file or function it comes from).", csv="r-quirks")

# %% tags=["remove-input"]
from scipy import stats

z_ex1 = stats.norm.isf(0.03 / 2)
glue("conv-ex1-z", float(z_ex1), display=False)
glue("conv-ex1-p", float(2 * stats.t.sf(z_ex1, 6)), display=False)
out = Path(results_dir)
out.mkdir(parents=True, exist_ok=True)
side.assign(seed=seed).to_csv(out / "conventions_lipids.csv", index=False)

# %% [markdown]
# ## Exercises
#
# ```{admonition} Exercise 1
# A paper reports an MR-Egger slope with p = 0.03 computed with MendelianRandomization's defaults, on 8
# variants. Would TwoSampleMR report a larger or smaller p-value, and why?
# ```
# ```{dropdown} Solution
# Larger: TwoSampleMR uses a t distribution with k − 2 = 6 degrees of freedom, whose tails are heavier than
# the normal's. The statistic with normal p = 0.03 is |z| = {glue:text}`conv-ex1-z:.2f`; under t(6) the same
# statistic has p = {glue:text}`conv-ex1-p:.3f`. With many variants the difference vanishes.
# ```
#
# ```{admonition} Exercise 2
# Compute the maximum-likelihood SE under both conventions on the lipids data and check that their ratio
# equals √(Q/(k − 1)), with Q from the `ml` row's heterogeneity.
# ```
# ```{dropdown} Solution
# `mrkit.mr(lipids, methods=["ml"], convention=c)` for both conventions. The ratio of the SEs equals
# max(1, √(Q/27)), where Q is twice the minimised negative log-likelihood (TwoSampleMR's Q of the `ml` row);
# on these heterogeneous data Q/27 > 1, so MendelianRandomization's SE is the larger.
# ```
#
# ```{admonition} Exercise 3
# Why do the two packages agree exactly on the weighted mode *estimate* but not on the weighted median?
# ```
# ```{dropdown} Solution
# For the mode, both packages weight the ratio estimates by their second-order ("not assuming NOME")
# standard errors. For the median, TwoSampleMR uses second-order weights and MendelianRandomization
# first-order ones; different weights give a different weighted median.
# ```
