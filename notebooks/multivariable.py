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
n_boot = 10000
p_threshold = 5e-8  # instruments of each exposure: genome-wide significant, clumped
sleep_traits = "insomnia,sleep_duration,daytime_sleepiness"  # the exposures of the sleep-trait model, comma-separated

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.paper import exercises, report
from mrkit.paper import multivariable as mvp
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, panel_seed=panel_seed)
SLEEP = mvp.exposure_list(sleep_traits)
sleep = mvp.mv_analysis(study, SLEEP, "lbp", p_threshold=p_threshold, n_boot=n_boot, seed=seed)
comparison = mvp.comparison_table(sleep, study, p_threshold=p_threshold)
synthetic = study.truth is not None

# %% [markdown]
# Insomnia, sleep duration and daytime sleepiness share genetic variants, so a variant chosen as an instrument
# for one of them can also act on another; each univariable estimate then carries part of the others' effects.
# {term}`Multivariable MR` (MVMR) regresses the variants' outcome associations on their associations with all the
# exposures at once and estimates each exposure's effect *not through the others*, with multivariable analogues
# of {term}`IVW`, {term}`MR-Egger` and the {term}`weighted median`
# {cite:p}`sanderson2019`. On the synthetic panel, a fifth of each of these traits' variants also act on the
# other two, in pairs of opposite sign (data/calibration.toml, `[shared_instruments]`), and insomnia's effect on
# LBP flows partly through body-mass index (BMI).

# %% [markdown]
# ## Sleep traits together → LBP
#
# Joint instruments as TwoSampleMR's `mv_extract_exposures` builds them: each trait's instruments at the page's
# `p_threshold` ({term}`clumped <clumping>`); their union clumped again; every trait's effect looked up for every
# variant and harmonised to one {term}`effect allele`. The model's exposures are the page's `sleep_traits`.

# %% tags=["remove-input"]
log = sleep.log
display(Markdown(
    "Instruments per trait: " + ", ".join(f"{study.label(k)} {v}" for k, v in log["instruments"].items())
    + f"; union {log['union']}, after joint clumping {log['after_joint_clumping']}, harmonised in every trait "
    f"{log['in_every_exposure']}, found in the LBP GWAS and kept {log['kept']}."))

# %%
report.table(comparison, caption="Per exposure: the planted total effect on LBP (what univariable MR estimates) "
             "and the planted effect not through the model's other sleep traits (what this MVMR estimates), the "
             "univariable IVW estimate, the MV-IVW, MV-Egger and MV weighted median estimates (log odds of LBP per "
             "unit of the exposure) with their SEs, and the conditional F-statistic of each exposure. Insomnia's "
             "effect is not mediated by the other two sleep traits, so here its MVMR target is its total effect, BMI's "
             "share included (BMI is not in this model).")

# %% tags=["remove-input"]
display(Markdown(mvp.recovery_text(sleep, comparison)))

# %% tags=["remove-input"]
fig = mvp.forest_figure(comparison)
glue("mv_forest", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} mv_forest
# :alt: Forest plot of univariable and multivariable estimates for three sleep traits on low back pain.
#
# Univariable IVW and multivariable (MV-IVW, MV-Egger, MV weighted median) estimates of each sleep trait's
# effect on LBP (log odds per unit: insomnia score, hours of sleep, daytime-dozing score) with 95 % CIs. Solid
# line: the planted effect this MVMR targets (not through the other two sleep traits); dotted: the planted total
# effect (the univariable target). They coincide here: no sleep trait acts on LBP through another.
# ```

# %% tags=["remove-input"]
d = sleep.table.attrs
pl = d["pleiotropy"]
display(Markdown(
    f"Heterogeneity of the MV-IVW fit: {{term}}`Cochran's Q` {d['heterogeneity']['q']:.1f} on "
    f"{d['heterogeneity']['df']} df "
    f"(p {d['heterogeneity']['p']:.2g}). Pleiotropy: $Q_A$ = {pl['q_a']:.1f} on {pl['df']} df (p {pl['p']:.2g}, "
    f"MVMR's `pleiotropy_mvmr`); the MV-Egger intercept is {pl['egger_intercept']:.4f} "
    f"(SE {pl['egger_intercept_se']:.4f}, p {pl['egger_intercept_p']:.2g}), no sign of directional pleiotropy "
    f"when its p is large. The heterogeneity is expected here: the panel plants balanced pleiotropy and one strong "
    f"outlier on insomnia's instruments."))

# %% [markdown]
# ## Insomnia and BMI → LBP: how much goes through BMI?
#
# {cite:t}`lu2024` found that BMI mediates 7.12 % of the effect of insomnia on LBP ({term}`mediation`). The panel
# plants that share: BMI → LBP at their OR 1.18 per SD and an insomnia → BMI effect such that 7.12 % of the total goes
# through BMI. Two estimators of the indirect effect {cite:p}`carter2021`: the *product of coefficients* (insomnia →
# BMI from univariable MR, times BMI → LBP from the MVMR of insomnia and BMI) and the *difference* (total from
# univariable MR minus the direct effect from the MVMR), with delta-method SEs.

# %% tags=["remove-cell"]
med = mvp.mediation(study, p_threshold=p_threshold,
                    analysis=mvp.mv_analysis(study, ["insomnia", "bmi"], "lbp", p_threshold=p_threshold, n_boot=n_boot,
                                             seed=seed))

# %%
report.table(med["table"], caption="Mediation of insomnia → LBP by BMI: total effect (univariable IVW), direct "
             "effect (MV-IVW of insomnia and BMI), the indirect effect by the product and difference methods, and "
             "the proportion mediated (indirect / total, a share), each with its planted value, SE, normal 95 % CI "
             "and p. Effects in log odds of LBP per unit of the insomnia score.", precision=4)

# %% tags=["remove-input"]
prod = med["table"][(med["table"]["quantity"] == "proportion") & (med["table"]["method"] == "product")].iloc[0]
diff = med["table"][(med["table"]["quantity"] == "proportion") & (med["table"]["method"] == "difference")].iloc[0]
display(Markdown(
    f"Proportion mediated by BMI: product method {100 * prod['estimate']:.1f} % (95 % CI "
    f"{100 * prod['ci_lower']:.1f} to {100 * prod['ci_upper']:.1f} %), difference method "
    f"{100 * diff['estimate']:.1f} % ({100 * diff['ci_lower']:.1f} to {100 * diff['ci_upper']:.1f} %)"
    + (f"; planted {100 * med['planted']['proportion_mediated']:.2f} %." if synthetic else ".")
    + " The difference method subtracts two nearly equal, noisy estimates of the same outcome data, so its interval "
    "is far wider; the product method is the one to report for a small indirect effect."))

# %% [markdown]
# ## Conditional instrument strength
#
# In MVMR an instrument set must predict each exposure *conditionally on the others*. The
# {term}`conditional F statistic` {cite:p}`sanderson2021` measures that (MVMR's `strength_mvmr` with the covariance of
# the exposure effects set to 0, as for non-overlapping samples); below about 10 the exposure's estimate is weak.
# Restricting the sleep-trait MVMR to insomnia's own instruments leaves sleep duration and daytime sleepiness
# predicted only through the shared variants:

# %%
weak = mvp.weak_conditional(study, SLEEP, p_threshold=p_threshold, analysis=sleep)
report.table(weak, caption="MV-IVW of the three sleep traits on LBP with every joint instrument and with insomnia's "
             "instruments only: variants, conditional F of each exposure, estimate and SE (log odds per unit), and "
             "the planted effect the MVMR targets.")

# %% tags=["remove-input"]
display(Markdown(mvp.weak_conditional_text(weak, synthetic=synthetic)))

# %% [markdown]
# Weak conditional instruments bias two-sample MVMR estimates, and unlike univariable two-sample MR not
# necessarily towards the null (the estimation error of one exposure's associations leaks into the others'
# estimates), and make their confidence intervals unreliable {cite:p}`sanderson2021`; `qhet_mvmr` in MVMR
# offers a weak-instrument-robust estimator when that happens.

# %% [markdown]
# ## Exercises

# %% tags=["remove-input"]
page = {"p_threshold": p_threshold, "sleep_traits": sleep_traits, "n_boot": n_boot, "seed": seed}
exercises.show("multivariable", exercises.EXERCISES, page, exercises.multivariable_observed(sleep),
               exercises.multivariable_solver(page, study))
