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
n_variants = None  # the first n variants of the data (None: all 28)
outcome_se_factor = 2.0  # the IVW floor section multiplies every outcome SE by this

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display
from myst_nb import glue

import mrkit
from mrkit.paper import convention_comparison, exercises, labels, report, validation

vdir = validation.shared_validation_dir()

# %% [markdown]
# ## Two packages, one dataset, different numbers
#
# The two R packages most MR papers use, TwoSampleMR {cite:p}`hemani2018` and MendelianRandomization
# {cite:p}`yavorska2017`, agree on most point estimates, yet report different standard errors and p-values for
# most methods (which estimates differ on these data, the {term}`weighted median`'s among them, is counted under
# the table). Neither is wrong: each made a defensible choice, documented in its code rather
# than in its output. A reader comparing a paper made with one package against a re-analysis made with the
# other can be misled by differences that have nothing to do with the data. `mrkit` reproduces both, chosen
# by one argument, `convention` (see {term}`convention`), and every result row says which choices produced it.
#
# The data: 28 variants associated with LDL cholesterol and their associations with coronary heart disease
# (log-odds), the example dataset of MendelianRandomization (Waterworth et al. 2010).

# %% tags=["remove-input"]
lipids, source = convention_comparison.example_data(vdir, seed=seed)
lipids = convention_comparison.first_variants(lipids, n_variants)
if vdir is None:
    display(HTML('<div class="admonition warning"><p class="admonition-title">Validation data not found</p>'
                 "<p>The shared validation folder (set MRKIT_SHARED) is absent where this page was built, so "
                 "the comparison below runs on a simulated dataset of 28 variants with heterogeneity instead "
                 "of the LDL-c and CHD data.</p></div>"))
display(Markdown(f"Data read from {source}: {len(lipids)} variants"
                 + (f" (the first {n_variants}: parameter `n_variants`)." if n_variants is not None else ".")))

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
# The reasons, for {term}`MR-Egger`'s p-value, the median estimates, {term}`maximum likelihood`'s SE and the
# {term}`bootstrap` SEs, from the packages' source code (`R/mr.R` and `R/mr_mode.R` of TwoSampleMR,
# `R/mr_*-methods.R` of MendelianRandomization):

# %% tags=["remove-input"]
s = side.set_index("method")
display(Markdown(convention_comparison.estimates_sentence(side, labels.method_labels())))

# %% tags=["remove-input"]
report.table(convention_comparison.reasons_table(side), caption="Where the two conventions differ on this dataset, "
             "the values under each (TwoSampleMR first), and the reason.")

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
# The {term}`IVW` standard error is the {term}`fixed-effect <Fixed and random effects>` one multiplied by the residual
# standard error σ̂ of the weighted regression. When the variants are *less* heterogeneous than their standard errors
# imply (σ̂ < 1), TwoSampleMR's `mr_ivw` and MendelianRandomization keep the fixed-effect SE (the floor), but
# TwoSampleMR's `mr_ivw_mre` and {term}`MR-PRESSO`'s "Raw" row do not, and report an SE *smaller* than the
# fixed-effect one. The lipids data are heterogeneous (σ̂ > 1), so the floor does not bind there; multiplying every
# outcome standard error by `outcome_se_factor` (2 by default: as if the CHD study were a quarter of its size) makes
# σ̂ < 1:

# %%
ivw_rows, sigma = convention_comparison.ivw_floor(lipids, outcome_se_factor, seed=seed)

# %% tags=["remove-input"]
report.table(ivw_rows[["method", "estimate", "se", "p", "se_model"]],
             caption=f"IVW on the lipids data with every outcome SE multiplied by {outcome_se_factor:g} (residual SE "
             f"σ̂ = {sigma:.3f}): where σ̂ < 1 the floored random-effects SE (ivw) equals the fixed-effect SE and the "
             "unfloored one (ivw_mre) is smaller; where σ̂ > 1 the two random-effects SEs agree.")

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
# TwoSampleMR draws its bootstraps (`weighted_median_bootstrap`, the mode's bootstrap) from R's global
# random-number stream without setting a seed, so its median and mode SEs change from run to run unless the user
# calls `set.seed` first. MendelianRandomization's `mr_median` and `mr_mbe` take an argument `seed`, 314159265 by
# default: they call `set.seed(seed)` before drawing and put the caller's random state back afterwards (`seed =
# NA` leaves R's stream alone), so the same call gives the same SE on every run. `mrkit` draws with numpy from the
# page's `seed` (by default the same number, 314159265) and records the seed in each result row; numpy's
# generator is not R's, so its bootstrap SEs equal either package's only up to Monte Carlo error.
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

# %% tags=["remove-cell"]
out = Path(results_dir)
out.mkdir(parents=True, exist_ok=True)
side.assign(seed=seed).to_csv(out / "conventions_lipids.csv", index=False)

# %% [markdown]
# ## Exercises

# %% tags=["remove-input"]
page = {"n_variants": n_variants, "outcome_se_factor": outcome_se_factor, "seed": seed}
exercises.show("conventions", exercises.EXERCISES, page,
               exercises.conventions_observed(side, ivw_rows, sigma, mrkit.heterogeneity(lipids)),
               exercises.conventions_solver(page, vdir))
