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

quick = False
data = "synthetic"
panel_size = "full"
panel_seed = DEFAULT_PANEL_SEED
seed = DEFAULT_SEED
results_dir = "book/generated/results"
assumed_or = None  # the effect assumed in every direction (OR, or exp(β)); None: the published one, else 1.1
power_level = 0.8  # the power of the minimum detectable effect
observational = 0.4  # the confounded observational correlation of exposure and outcome in the overlap simulation

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.paper import direction, exercises, limitations, report, robust
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, panel_seed=panel_seed)
directions = direction.load_directions(results_dir)
published = report.published_results()

# %% [markdown]
# ## Power
#
# Could each direction have detected an effect of the published size? Two answers: the {term}`power` of the
# {term}`IVW` test as performed (its achieved standard error against the published effect, or a 10 % change in odds
# where the paper gave no number; the page's `assumed_or` sets one effect for every direction instead), and the
# smallest odds ratio per standard deviation of the exposure detectable with the page's `power_level` (80 %) from
# the instruments' variance explained $R^2$ and the outcome's sample size and case fraction {cite:p}`brion2013`.
# Both use this build's standard errors and sample sizes: on the synthetic panel they say how well the pipeline
# could detect the planted effects, not how well the study could.

# %%
power = limitations.power_table(directions, published, study, assumed_or=assumed_or, power=power_level)
report.table(power.rename(columns=limitations.power_columns(power_level)),
             caption="Power per direction, from the standard errors of this build's data: instruments, variance of the "
             "exposure they explain (R²), outcome sample size, the effect assumed (β: "
             + ("the published log OR or log exp(β), else log 1.1" if assumed_or is None else f"log {assumed_or:g}")
             + "), the IVW standard error achieved, the power of a two-sided test at α = 0.05 and at the Bonferroni "
             f"level 0.005, and the minimum OR per SD of the exposure detectable with {100 * power_level:.0f} % power "
             "(Brion et al. 2013; binary outcomes).")

# %% tags=["remove-input"]
low = power[power["power"] < 0.8]
places = ", ".join(f"{study.label(r.exposure)} → {study.label(r.outcome)}" for r in low.itertuples())
display(Markdown(f"On {limitations.data_words(data)}, {len(low)} of {len(power)} directions computed in this build "
                 "have less than 80 % power for the assumed effect" + (f": {places}" if len(low) else "")
                 + ". This is a statement about these data's standard errors"
                 + (", not about the published study's: only a run on the real GWAS files measures that"
                    if data != "real" else "")
                 + ". A null result in an under-powered direction is absence of evidence, not evidence of absence."))

# %% [markdown]
# ## Weak instruments and sample overlap
#
# In two-sample MR with no {term}`sample overlap` between the samples, weak instruments bias the estimate towards the
# null, roughly by a factor $1/\bar F$ (see {term}`F statistic`); with complete overlap the bias is towards the
# confounded observational association instead, again about $1/\bar F$ of the way {cite:p}`burgess2016overlap`. The
# study's samples do not overlap (UK Biobank for the sleep traits, FinnGen for LBP), so the relevant bias is the mild
# dilution below. The simulation shows both, with a known truth and confounding.

# %%
sim = limitations.overlap_simulation(quick=quick, seed=seed, observational=observational)
report.table(sim.table, caption=f"Simulated IVW bias ({sim.n_rep:,} simulated replicates per row, seed {sim.seed}): "
             "mean F of the instruments, fraction of the outcome sample that overlaps the exposure sample, true "
             "effect, observational (confounded) association, mean IVW estimate with its Monte Carlo SE, relative bias "
             "and the 95 % CI coverage in the simulated data.")

# %% tags=["remove-input"]
fig = limitations.overlap_figure(sim)
glue("overlap", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} overlap
# :alt: Mean IVW estimate against sample overlap for weak and strong instruments.
#
# Mean IVW estimate (with Monte Carlo 95 % intervals) against the share of the outcome sample that overlaps the
# exposure sample, for weak and strong instruments. The dotted line is the true causal effect, the dashed line
# the confounded observational association. Without overlap weak instruments dilute towards zero; with overlap
# they pull towards the observational association.
# ```

# %% tags=["remove-input"]
report.table(limitations.strength_table(directions), caption="Instrument strength per direction: mean F of the "
             "instruments and the rough relative dilution towards the null it implies without sample overlap.")

# %% [markdown]
# ## Pleiotropy
#
# The {term}`exclusion restriction` cannot be tested, only probed. Four diagnostics per direction: heterogeneity of
# the variant-specific estimates ({term}`Cochran's Q`), the {term}`MR-Egger` intercept (directional
# {term}`horizontal pleiotropy`), {term}`I²_GX` (whether MR-Egger is reliable: below 0.9 its slope is diluted), and
# the {term}`MR-PRESSO` global test with its outliers.

# %% tags=["remove-input"]
report.table(limitations.pleiotropy_table(directions),
             caption="Pleiotropy diagnostics per direction: Cochran's Q p-value, MR-Egger intercept and its p-value, "
             "I²_GX, MR-PRESSO global p-value (< 1/n where no simulated distribution reached the observed one, n the "
             "number of distributions) and number of outliers.")

# %% [markdown]
# ### The robust families' verdict
#
# Every MR page also ran every univariable method of the toolkit, grouped by the assumption each trades for IVW's
# "all instruments valid" (its section *Robust methods*; each method in the {doc}`methods chapter </book/methods>`).
# Per direction and family: *supports* when every method of the family excludes no effect in IVW's direction, *no
# evidence* when none does, *mixed* in between, *opposite* when one excludes it the other way; in brackets, how many
# of the family's methods exclude no effect, of those that ran.

# %% tags=["remove-input"]
verdicts = robust.verdict_table(directions)
report.table(verdicts, caption="The robust families' verdict per direction: IVW's estimate (β on the outcome's "
             "scale) and p-value, then for each assumption family the verdict and, in brackets, the methods whose 95 % "
             "interval excludes 0 of the family's methods that ran.", csv="robust-verdicts")

# %% tags=["remove-input"]
robust_note = robust.verdict_sentence(verdicts)
display(Markdown(robust_note))

# %% [markdown]
# What remains untestable: pleiotropy that is *balanced* and independent of instrument strength only adds noise,
# but pleiotropy through a shared factor (for example variants acting on both sleep and pain through depression,
# body-mass index or socioeconomic position) can violate {term}`InSIDE` and bias every method in the same direction. The
# genetic correlation between insomnia and LBP ($r_g$ = 0.57 in {cite:t}`shu2022`) is large enough for such a
# shared factor to matter; multivariable MR with the suspected mediators would be the next step.

# %% [markdown]
# ## Reverse causation
#
# Both directions were estimated for every pair, and {term}`Steiger's test <Steiger directionality>` asks whether the
# instruments explain more variance in their exposure than in their outcome, as a causal chain from exposure to
# outcome implies {cite:p}`hemani2017`.

# %% tags=["remove-input"]
report.table(limitations.steiger_table(directions),
             caption="Steiger directionality per direction: variance explained by the instruments in the exposure and "
             "in the outcome (R²), whether the direction is as assumed, and the p-value of the difference.")

# %% [markdown]
# ## Population, definitions and scale
#
# * **Ancestry.** All sources are of European ancestry (UK Biobank, FinnGen); the effects may not transport to other
#   ancestries, whose LD patterns and allele frequencies differ (instruments may not even be associated there).
# * **Sex.** LBP is more common in women, and sleep traits differ by sex; no sex-stratified GWAS were used, so the
#   estimate averages over sexes and a sex-specific effect would be missed.
# * **The LBP definition.** FinnGen's LBP cases are hospital-register diagnoses (ICD codes of dorsalgia), a
#   selected, more severe subset of the back pain people report; controls include people with unrecorded back
#   pain. Misclassified controls bias associations towards the null.
# * **The insomnia exposure is ordinal.** UK Biobank's "sleeplessness / insomnia" question has three answers coded 1–3
#   and was analysed by linear regression. The published OR of 1.954 (for LBP, a binary outcome) is per unit of this
#   score (for example from "sometimes" to "usually"), not for clinical insomnia; scaling it to a clinically
#   meaningful contrast requires assumptions about the score's relation to insomnia disorder.
# * **Binary exposures.** Estimates with LBP, short or long sleep as exposure are per unit increase in the log odds
#   of genetic liability, not the effect of having the condition.

# %% [markdown]
# ## Exercises

# %% tags=["remove-input"]
page = {"assumed_or": assumed_or, "power_level": power_level, "observational": observational, "quick": quick,
        "seed": seed}
exercises.show("limitations", exercises.EXERCISES, page, exercises.limitations_observed(power, sim),
               exercises.limitations_solver(page, directions, published, study))
