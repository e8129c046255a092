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
presso_n = 3000

# %% tags=["remove-cell"]
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from mrkit.paper import report, validation

vdir = validation.shared_validation_dir()
out = Path(results_dir)
out.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## What is compared
#
# `mrkit` claims to print the numbers the reference R packages print: TwoSampleMR 0.7.9
# {cite:p}`hemani2018`, MendelianRandomization 0.10.0 {cite:p}`yavorska2017` and {term}`MR-PRESSO`
# {cite:p}`verbanck2018`. This appendix checks the claim at every build, on the classic example datasets
# those packages ship: 28 lipid variants with coronary heart disease (LDL-c → CHD, Waterworth et al. 2010),
# 79 body-mass-index variants with CHD (BMI → CHD, the TwoSampleMR vignette data), and MR-PRESSO's own
# simulated example. The R numbers were produced once in R 4.2.2 and are stored beside the data; this page
# reads both from the shared validation folder when it is built and runs `mrkit` on the data.
#
# Tolerances, by the kind of number:
#
# * **deterministic** quantities (estimates, analytic SEs, p-values, {term}`Cochran's Q` statistics, intercepts,
#   {term}`I²_GX`, the MR-PRESSO RSS and {term}`IVW` rows): relative difference at most 1e-6;
# * **{term}`bootstrap`** standard errors (medians, modes): relative difference at most 5 %, since R's and `mrkit`'s
#   10,000 draws come from different random streams (each carries 1–2 % Monte Carlo error);
# * **Monte Carlo** p-values (MR-PRESSO global test): both must fall in the same Monte Carlo band; R printed
#   "<1/3000", so `mrkit`'s p must be below 3/3000 with 3,000 distributions;
# * **exact**: MR-PRESSO's outliers must be the same variants.

# %% tags=["remove-input"]
if vdir is None:
    display(HTML('<div class="admonition warning"><p class="admonition-title">Validation data not found</p>'
                 "<p>The shared validation folder was not found where this page was built (it is looked up "
                 "as $MRKIT_SHARED/validation, else as the folder shared/validation beside the project). "
                 "The comparison with the R packages could not be run for this build; the test suite runs it "
                 "wherever the folder is present.</p></div>"))
    comparison = pd.DataFrame(columns=["dataset", "package", "method", "quantity", "mrkit", "R", "rel_diff",
                                       "kind", "tolerance", "within", "note"])
else:
    display(Markdown(f"Validation data found; bootstraps with 10,000 draws and MR-PRESSO with {presso_n:,} "
                     f"distributions, seed {seed}."))

# %%
if vdir is not None:
    comparison = validation.validation_comparison(vdir, seed=seed, n_boot=10000, presso_n=presso_n)
comparison.to_csv(out / "validation_comparison.csv", index=False)

# %% tags=["remove-input"]
if len(comparison):
    n_ok = int(comparison["within"].sum())
    det = comparison[comparison["kind"] == "deterministic"]
    boot = comparison[comparison["kind"] == "bootstrap"]
    display(Markdown(
        f"**{n_ok} of {len(comparison)} comparisons are within tolerance.** The largest relative difference "
        f"of a deterministic quantity is {det['rel_diff'].max():.1e} (tolerance 1e-6); bootstrap SEs differ "
        f"from R's by {100 * boot['rel_diff'].min():.2f} % to {100 * boot['rel_diff'].max():.2f} % "
        f"(tolerance 5 %). The full table is written to `validation_comparison.csv` in the results folder."))
else:
    display(Markdown("No comparison was run: the validation folder is absent (see the warning above)."))

# %% tags=["remove-input"]
def show(dataset_label, caption):
    d = comparison[comparison["dataset"] == dataset_label].copy()
    d["within"] = np.where(d["within"], "✓", "✗")
    d["rel_diff"] = [f"{v:.1e}" if np.isfinite(v) else "–" for v in d["rel_diff"].astype(float)]
    return report.table(d[["package", "method", "quantity", "mrkit", "R", "rel_diff", "kind", "within", "note"]],
                        caption=caption, precision=6)


# %% [markdown]
# ## LDL cholesterol → coronary heart disease
#
# 28 variants; exposure LDL-c (mmol/L per allele), outcome CHD (log-odds per allele). The numbers printed in
# the MendelianRandomization vignette (IVW 2.834, SE 0.530) are among them.

# %% tags=["remove-input"]
if len(comparison):
    display(show(comparison["dataset"].unique()[0],
                 "LDL-c -> CHD: each number from mrkit beside the one R printed (keys MR_*, TSMR_*, PRESSO of "
                 "expected/lipids_chd_ldlc.json), relative difference, kind of quantity and whether it is within "
                 "its tolerance."))

# %% [markdown]
# ## Body-mass index → coronary heart disease
#
# 79 variants from OpenGWAS `ieu-a-2` (BMI, SD units) with their associations with CHD (`ieu-a-7`,
# log-odds), the data of the TwoSampleMR vignette.

# %% tags=["remove-input"]
if len(comparison) and comparison["dataset"].nunique() > 1:
    display(show(comparison["dataset"].unique()[1],
                 "BMI -> CHD: each number from mrkit beside the one R printed (expected/bmi_chd.json), relative "
                 "difference, kind of quantity and whether it is within its tolerance."))

# %% [markdown]
# ## MR-PRESSO's simulated example
#
# MR-PRESSO ships 50 simulated variants (exposure E1, outcome Y) with planted pleiotropic outliers. Its
# README demonstrates them in a multivariable analysis (E1 and E2), which `mrkit` does not implement, and the
# validation folder holds no R output for them, so there is nothing to compare number for number. What can
# be checked is that the univariable analysis of E1 finds pleiotropy and that removing the outliers it flags
# shrinks the IVW standard error:

# %% tags=["remove-input"]
if vdir is not None:
    pr = validation.presso_simulated_example(vdir, presso_n=presso_n, seed=seed)
    display(report.table(pr.main_table(), caption=f"MR-PRESSO on the simulated example (E1 -> Y, "
                         f"{presso_n:,} distributions, seed {seed}): IVW on all 50 variants and without the "
                         "outliers (estimate, SD, t statistic and p-value as MR-PRESSO prints them)."))
    display(Markdown(
        f"Global test: RSS {pr.global_rss:.1f}, p {pr.global_p_text}; {len(pr.outliers)} outlier(s) at rows "
        f"{', '.join(str(i + 1) for i in pr.outliers)} (1-based, as R); distortion test p "
        f"{pr.distortion_p_text if pr.distortion_p_text is not None else 'not run'}."))
else:
    display(Markdown("Not run: the validation folder is absent."))

# %% [markdown]
# How the two R packages can disagree with each other on the same data, and why, is the subject of
# {doc}`/book/generated/conventions`.
