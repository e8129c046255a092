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
p_threshold = 5e-8
data = "synthetic"
panel_size = "full"
panel_seed = DEFAULT_PANEL_SEED
seed = DEFAULT_SEED
results_dir = "book/generated/results"

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.paper import plots, report
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, panel_seed=panel_seed)
X = study.label(exposure)

# %% [markdown]
# ## Selection
#
# Variants associated with the exposure below the p-value threshold are {term}`clumped <clumping>` against the
# {term}`LD <Linkage disequilibrium (LD)>` reference panel ($r^2 < 0.001$ within 10,000 kb): within each group of
# correlated variants only the most significant is kept, so the instruments are approximately independent.

# %%
inst = study.instruments(exposure, p_threshold=p_threshold)
table = inst.table

# %% tags=["remove-input"]
n_variants = inst.log.get("variants in the GWAS")  # unknown when OpenGWAS gwasinfo gives no count
display(Markdown(
    f"Threshold $p < {report.latex_number(p_threshold)}$: {inst.log['below the p-value threshold']:,} of "
    + (f"{n_variants:,}" if n_variants is not None else "all") + " variants; after clumping with the "
    f"**{inst.engine}** engine, {len(table):,} independent instruments. Their mean F statistic is "
    f"{table['F'].mean():.1f} (minimum {table['F'].min():.1f}); together they explain "
    f"R² = {table['r2'].sum():.4f} of the variance of {X.lower()} (R² = F/(N − 2 + F) per instrument"
    + (", with N the cases plus controls" if exposure in ('lbp', 'short_sleep', 'long_sleep') else "") + ")."))

# %% tags=["remove-input"]
fig = plots.flow([(k.replace("_", " "), v) for k, v in inst.log.items()],
                 title=f"Instruments for {X.lower()}")
glue("flow", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} flow
# :alt: Flow diagram of variant counts from the GWAS to the instruments.
#
# Flow of variants from the GWAS to the instruments (STROBE-MR item 10a): variants read, below the
# threshold, found in the reference panel, and kept after clumping.
# ```

# %% [markdown]
# ## Strength
#
# Each instrument's {term}`F statistic` $(\hat\beta/\mathrm{SE})^2$ and the variance it explains, $R^2$. Instruments
# with $F < 10$ are flagged as weak: {term}`weak instruments <weak instrument>` bias {term}`two-sample MR` towards the
# null.

# %% tags=["remove-input"]
fig, ax = plt.subplots(figsize=(7.5, 3.6))
ax.hist(table["F"], bins=30, color="#2166ac")
ax.axvline(10, color="#b2182b", ls="--", lw=1, label="F = 10")
ax.set_xlabel("F statistic of the instrument (dimensionless)")
ax.set_ylabel("number of instruments")
ax.legend(frameon=False)
fig.tight_layout()
glue("strength", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} strength
# :alt: Histogram of instrument F statistics.
#
# Distribution of the instruments' F statistics; the dashed line marks the conventional weak-instrument
# threshold F = 10.
# ```

# %% tags=["remove-input"]
cols = [c for c in ["snp", "chrom", "pos", "effect_allele", "other_allele", "eaf", "beta", "se", "p", "F", "r2", "weak"]
        if c in table]
report.table(table[cols].sort_values("p").reset_index(drop=True),
             caption=f"Instruments for {X.lower()}: variant (chrom:pos:ref:alt on the synthetic panel), effect and "
             f"other allele, effect-allele frequency, association β ({study.units(exposure)} per effect allele) with "
             "its SE and p-value, F statistic, variance explained R² and the weak-instrument flag (F < 10).")

# %% tags=["remove-cell"]
out = Path(results_dir)
out.mkdir(parents=True, exist_ok=True)
table[cols].to_csv(out / f"instruments-{exposure}.csv", index=False)
