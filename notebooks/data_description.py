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
data = "synthetic"
panel_size = "full"
seed = 314159265
results_dir = "book/generated/results"

# %% tags=["remove-cell"]
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.gwas.qc import summary_checks
from mrkit.paper import plots, report
from mrkit.paper.labels import BINARY_TRAITS, TRAITS
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, seed=seed)

# %% [markdown]
# ## The GWAS sources
#
# The study's six genome-wide association studies as `data/sources.toml` describes the real sources. On the
# synthetic panel, each trait is simulated with the same sample size (or case and control counts) and written
# in the same file format as its real source.

# %% tags=["remove-input"]
rows = []
for t in TRAITS:
    s = study.sources[t]
    rows.append({"trait": study.label(t), "source (OpenGWAS id)": s.opengwas_id,
                 "N or cases / controls": f"{s.n:,}" if s.n else f"{s.ncase:,} / {s.ncontrol:,}",
                 "ancestry": s.ancestry, "units": s.units, "real file format": s.format})
report.table(pd.DataFrame(rows), caption="GWAS summary statistics of the study: trait, OpenGWAS identifier of "
             "the real source, sample size (continuous traits) or cases / controls (binary traits), ancestry, "
             "units of the trait and the format of the real file.")

# %% [markdown]
# ## Association signals and calibration
#
# For each trait: a Manhattan plot (association $-\log_{10} p$ along the genome; the dashed line is genome-wide
# significance, $p = 5\times10^{-8}$) and a quantile–quantile plot with the genomic inflation factor
# $\lambda_{GC}$, the median $\chi^2$ statistic over its expected value under no association.

# %% tags=["remove-input"]
checks = {}
for t in TRAITS:
    g = study.gwas(t)
    checks[t] = summary_checks(g, binary=t in BINARY_TRAITS)
    fig = plots.manhattan(g, title=f"{study.label(t)}: association with each variant")
    glue(f"manhattan-{t}", fig, display=False)
    plt.close(fig)
    fig = plots.qq(g["p"].to_numpy(), title=study.label(t))
    glue(f"qq-{t}", fig, display=False)
    plt.close(fig)

# %% [markdown]
# ```{glue:figure} manhattan-insomnia
# :alt: Manhattan plot of insomnia.
#
# Insomnia: $-\log_{10} p$ of each variant's association by chromosome and position (variants with
# $p > 10^{-3}$ are thinned for drawing). Dashed: $p = 5\times10^{-8}$.
# ```
#
# ```{glue:figure} manhattan-sleep_duration
# :alt: Manhattan plot of sleep duration.
#
# Sleep duration (hours per day), as above.
# ```
#
# ```{glue:figure} manhattan-short_sleep
# :alt: Manhattan plot of short sleep duration.
#
# Short sleep duration (binary, log odds), as above.
# ```
#
# ```{glue:figure} manhattan-long_sleep
# :alt: Manhattan plot of long sleep duration.
#
# Long sleep duration (binary, log odds), as above.
# ```
#
# ```{glue:figure} manhattan-daytime_sleepiness
# :alt: Manhattan plot of daytime sleepiness.
#
# Daytime sleepiness, as above.
# ```
#
# ```{glue:figure} manhattan-lbp
# :alt: Manhattan plot of low back pain.
#
# Low back pain (binary, log odds), as above. Few variants reach genome-wide significance, which is why
# the reverse direction uses $p < 5\times10^{-6}$.
# ```

# %% [markdown]
# ::::{grid} 3
# :::{grid-item}
# ```{glue:figure} qq-insomnia
# :alt: QQ plot of insomnia.
#
# Insomnia.
# ```
# :::
# :::{grid-item}
# ```{glue:figure} qq-sleep_duration
# :alt: QQ plot of sleep duration.
#
# Sleep duration.
# ```
# :::
# :::{grid-item}
# ```{glue:figure} qq-short_sleep
# :alt: QQ plot of short sleep.
#
# Short sleep.
# ```
# :::
# :::{grid-item}
# ```{glue:figure} qq-long_sleep
# :alt: QQ plot of long sleep.
#
# Long sleep.
# ```
# :::
# :::{grid-item}
# ```{glue:figure} qq-daytime_sleepiness
# :alt: QQ plot of daytime sleepiness.
#
# Daytime sleepiness.
# ```
# :::
# :::{grid-item}
# ```{glue:figure} qq-lbp
# :alt: QQ plot of low back pain.
#
# Low back pain.
# ```
# :::
# ::::
#
# Quantile–quantile plots: observed against expected $-\log_{10} p$ under no association; the legend gives
# $\lambda_{GC}$.

# %% [markdown]
# ## Allele-frequency and standard-error checks
#
# A standard error should follow from the sample size and the allele frequency: for a continuous trait
# $\mathrm{SE}\sqrt{2f(1-f)N}$ estimates the trait's standard deviation, and for a binary trait
# $\mathrm{SE}\sqrt{2f(1-f)N\phi(1-\phi)}$ (with $\phi$ the case fraction) is close to one. Variants far from the
# median (more than 50 % off) would point to a wrong sample size, a wrong allele frequency or a mis-scaled effect.

# %% tags=["remove-input"]
qc = pd.DataFrame([{"trait": study.label(t), **c} for t, c in checks.items()]).rename(columns={
    "variants": "variants", "significant": "p < 5e-8", "lambda_gc": "λ_GC", "eaf_missing": "EAF missing",
    "maf_below_1pct": "MAF < 1 %", "implied_sd_median": "median SE·√(2f(1−f)N…)",
    "implied_sd_outlying": "variants > 50 % off"})
report.table(qc, caption="Per trait: number of variants read, genome-wide significant variants, genomic "
             "inflation λ_GC, variants without an allele frequency, rare variants, the median of the SE rescaled "
             "by sample size and allele frequency (trait SD for continuous traits, about 1 for binary ones) and the "
             "number of variants more than 50 % away from it.")

# %% tags=["remove-input"]
worst = max(checks, key=lambda t: checks[t]["lambda_gc"])
display(Markdown(
    f"All six files were read by the real readers of their formats. Genomic inflation ranges from "
    f"{min(c['lambda_gc'] for c in checks.values()):.3f} to {checks[worst]['lambda_gc']:.3f} "
    f"({study.label(worst).lower()}); {sum(c['implied_sd_outlying'] for c in checks.values()):,} variants in all "
    f"have a standard error more than 50 % away from what their sample size and allele frequency imply."))
