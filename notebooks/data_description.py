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

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.paper import opengwas_data, plots, report
from mrkit.paper.labels import TRAITS
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, panel_seed=panel_seed)
genome_wide = data != "opengwas"  # the OpenGWAS API gives top hits, not whole GWAS files

# %% [markdown]
# ## The GWAS sources
#
# The study's six genome-wide association studies ({term}`GWAS`) as `data/sources.toml` describes the real sources.
# On the synthetic panel, each trait is simulated with the same sample size (or case and control counts) and written
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

# %% [markdown] tags=["opengwas-only"]
# ## What the OpenGWAS API gives
#
# This build read the study's datasets through the OpenGWAS API, which returns the *top hits* of a GWAS and the
# associations of chosen variants, not its genome-wide summary statistics. The Manhattan and quantile–quantile
# plots, the genomic inflation factor $\lambda_{GC}$ and the checks of allele frequencies and standard errors over
# every variant need the whole file, so they cannot be shown here. What the API does give follows: what it says of
# each dataset, and the variants below the study's p-value thresholds.

# %% tags=["remove-input", "opengwas-only"]
if not genome_wide:
    display(report.table(study.api.datasets_table(), caption="The study's datasets as the OpenGWAS API describes "
                         "them (gwasinfo): identifier, trait, author, year, population, sample size, cases and "
                         "controls (binary traits), number of variants in the full dataset, and unit of the effect "
                         "sizes."))

# %% tags=["remove-input", "opengwas-only"]
if not genome_wide:
    thresholds = {study.label(t): 5e-6 if t == "lbp" else 5e-8 for t in TRAITS}
    hits = {study.label(t): study.api.top_hits(t, thresholds[study.label(t)]) for t in TRAITS}
    fig = plots.top_hits(hits, thresholds)
    glue("tophits", fig, display=False)
    plt.close(fig)
    display(report.table(pd.DataFrame([
        {"trait": label, "p-value threshold": f"{thresholds[label]:.0e}", "variants": len(h),
         "chromosomes": h["chrom"].nunique(), "smallest p": h["p"].min() if len(h) else None,
         "EAF missing": int(h["eaf"].isna().sum())} for label, h in hits.items()]),
        caption="Top hits per trait as the API returns them (not clumped): the threshold (the study's instrument "
        "threshold: 5e-6 for low back pain, 5e-8 otherwise), the number of variants below it, the chromosomes they "
        "lie on, the smallest p-value and the variants without an allele frequency."))

# %% [markdown] tags=["opengwas-only"]
# ```{glue:figure} tophits
# :alt: Top hits of each trait along the genome.
#
# Top hits of each trait from the OpenGWAS API: $-\log_{10} p$ of every variant below the trait's threshold
# (dashed), by chromosome and position. Variants above the threshold are not returned by the API, which is why
# this is not a Manhattan plot of the whole GWAS.
# ```

# %% [markdown] tags=["genome-wide-only"]
# ## Association signals and calibration
#
# For each trait: a Manhattan plot (association $-\log_{10} p$ along the genome; the dashed line is genome-wide
# significance, $p = 5\times10^{-8}$) and a quantile–quantile plot with the genomic inflation factor
# $\lambda_{GC}$, the median $\chi^2$ statistic over its expected value under no association.

# %% tags=["remove-input", "genome-wide-only"]
checks = {}
for t in TRAITS if genome_wide else []:
    g = study.gwas(t)
    checks[t] = study.checks(t)
    fig = plots.manhattan(g, title=f"{study.label(t)}: association with each variant")
    glue(f"manhattan-{t}", fig, display=False)
    plt.close(fig)
    fig = plots.qq(g["p"].to_numpy(), title=study.label(t))
    glue(f"qq-{t}", fig, display=False)
    plt.close(fig)

# %% [markdown] tags=["genome-wide-only"]
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

# %% [markdown] tags=["genome-wide-only"]
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

# %% [markdown] tags=["genome-wide-only"]
# ## Allele-frequency and standard-error checks
#
# A standard error should follow from the sample size and the allele frequency: for a continuous trait
# $\mathrm{SE}\sqrt{2f(1-f)N}$ estimates the trait's standard deviation, and for a binary trait
# $\mathrm{SE}\sqrt{2f(1-f)N\phi(1-\phi)}$ (with $\phi$ the case fraction) is close to one. Variants far from the
# median (more than 50 % off) would point to a wrong sample size, a wrong allele frequency or a mis-scaled effect.

# %% tags=["remove-input", "genome-wide-only"]
qc = pd.DataFrame([{"trait": study.label(t), **c} for t, c in checks.items()]).rename(columns={
    "variants": "variants", "significant": "p < 5e-8", "lambda_gc": "λ_GC", "eaf_missing": "EAF missing",
    "maf_below_1pct": "MAF < 1 %", "implied_sd_median": "median SE·√(2f(1−f)N…)",
    "implied_sd_outlying": "variants > 50 % off"})
if genome_wide:
    display(report.table(qc, caption="Per trait: number of variants read, genome-wide significant variants, genomic "
                         "inflation λ_GC, variants without an allele frequency, rare variants, the median of the SE "
                         "rescaled by sample size and allele frequency (trait SD for continuous traits, about 1 for "
                         "binary ones) and the number of variants more than 50 % away from it."))

# %% tags=["remove-input", "genome-wide-only"]
if genome_wide:
    worst = max(checks, key=lambda t: checks[t]["lambda_gc"])
    display(Markdown(
        f"All six files were read by the real readers of their formats. Genomic inflation ranges from "
        f"{min(c['lambda_gc'] for c in checks.values()):.3f} to {checks[worst]['lambda_gc']:.3f} "
        f"({study.label(worst).lower()}); {sum(c['implied_sd_outlying'] for c in checks.values()):,} variants in all "
        f"have a standard error more than 50 % away from what their sample size and allele frequency imply."))

# %% tags=["remove-cell"]
if not genome_wide:  # the answers this page used, for the Reproducibility page and the data banner
    opengwas_data.save_queries(Path(results_dir) / "data-description.json", study.api.queries)
