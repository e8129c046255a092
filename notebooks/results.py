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
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.paper import direction, downloads, report
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, panel_seed=panel_seed)
directions = direction.load_directions(results_dir)
t = report.directions_table(directions, "ivw")
published = report.published_results()
n_tests = len(t)

# %% [markdown]
# ## All directions
#
# The inverse-variance weighted (IVW) estimate of every direction computed in this build, on the exponential
# scale the paper used: odds ratios for LBP, short and long sleep as outcomes, and $\exp(\beta)$ for the continuous
# sleep outcomes (which the paper also reported as "OR"). p-values are adjusted for the number of directions
# tested, by Bonferroni and by the Benjamini–Hochberg false discovery rate.

# %% tags=["remove-input"]
luo = published[published["study"] == "luo2022"].set_index(["exposure", "outcome"])


def pub(row):
    key = (row["exposure"], row["outcome"])
    if key not in luo.index:
        return "–"
    r = luo.loc[key]
    return f"{r['or']:.3f} ({r['or_lci95']:.3f}–{r['or_uci95']:.3f})" if pd.notna(r.get("or")) else r["finding"]


show = pd.DataFrame({
    "exposure": t["exposure"].map(study.label), "outcome": t["outcome"].map(study.label), "SNPs": t["nsnp"],
    "OR or exp(β)": t["exp_estimate"], "95% CI low": t["exp_ci_lower"], "95% CI high": t["exp_ci_upper"],
    "p": t["p"], "p Bonferroni": t["p_bonferroni"], "p FDR": t["p_fdr"],
    "published (Luo 2022)": t.apply(pub, axis=1)})
if data == "synthetic":
    show["planted exp(β)"] = t["exp_planted"]
report.table(show, precision=4, csv="all-directions", data=t,
             same_decimals=[["OR or exp(β)", "95% CI low", "95% CI high"]],
             caption=f"IVW estimates of the {n_tests} directions of this build: odds ratio (binary outcomes) "
             "or exp(β) (continuous outcomes) per unit of the exposure, 95 % CI, p-value, p adjusted for "
             f"{n_tests} tests (Bonferroni; Benjamini–Hochberg FDR), the published estimate and, on the synthetic "
             "panel, the planted effect.")

# %% tags=["remove-input"]
fig, ax = plt.subplots(figsize=(7.5, 0.45 * max(n_tests, 2) + 1.2))
labels = [f"{study.label(e)} → {study.label(o)}" for e, o in zip(t["exposure"], t["outcome"])]
y = np.arange(n_tests)[::-1]
ax.errorbar(t["exp_estimate"], y, xerr=[t["exp_estimate"] - t["exp_ci_lower"], t["exp_ci_upper"] - t["exp_estimate"]],
            fmt="s", color="#2166ac", ms=5, capsize=2, label="this build (IVW)")
for i, (e, o) in enumerate(zip(t["exposure"], t["outcome"])):
    if (e, o) in luo.index and pd.notna(luo.loc[(e, o)].get("or")):
        ax.plot(luo.loc[(e, o)]["or"], y[i] - 0.25, "D", color="#b35806", ms=5,
                label="published (Luo 2022)" if "published (Luo 2022)" not in ax.get_legend_handles_labels()[1] else None)
    if data == "synthetic" and pd.notna(t["exp_planted"].iloc[i]):
        ax.plot(t["exp_planted"].iloc[i], y[i] + 0.25, "|", color="k", ms=10,
                label="planted" if "planted" not in ax.get_legend_handles_labels()[1] else None)
ax.axvline(1, color="0.5", ls="--", lw=0.8)
ax.set_xscale("log")
ax.set_yticks(y)
ax.set_yticklabels(labels, fontsize=8)
ax.set_xlabel("OR (binary outcome) or exp(β) (continuous outcome) per unit of exposure, log scale")
ax.legend(frameon=False, fontsize=8, loc="best")
fig.tight_layout()
glue("forest-all", fig, display=False)
glue("forest-all-data", downloads.save_csv(t, "all-directions"), display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} forest-all
# :alt: Forest plot of the IVW estimates of all directions.
#
# IVW estimates of every direction with 95 % confidence intervals (blue squares), the published estimates of
# {cite:t}`luo2022` where the paper gave numbers (orange diamonds) and, on the synthetic panel, the planted effect
# (black ticks). The dashed line is no effect. Note the log scale: the insomnia → LBP effect is per unit of an
# ordinal score, the reverse effects per unit of log odds of LBP liability, so their sizes are not comparable.
# {glue}`forest-all-data`
# ```

# %% [markdown]
# ## Agreement

# %% tags=["remove-input"]
sig = t[t["p_bonferroni"] < 0.05]
text = (f"{len(sig)} of {n_tests} directions are significant after Bonferroni correction"
        + (": " + "; ".join(f"{study.label(r.exposure)} → {study.label(r.outcome)} (OR or exp(β) "
                            f"{r.exp_estimate:.3f}, p = {r.p:.2g})" for r in sig.itertuples()) if len(sig) else "")
        + ". ")
pos = {k for k, r in luo.iterrows() if r["finding"] == "positive"}
found = {(r.exposure, r.outcome) for r in t.itertuples() if r.p < 0.05}
both = [(e, o) for (e, o) in zip(t["exposure"], t["outcome"])]
agree = sum(((e, o) in pos) == ((e, o) in found) for e, o in both)
text += (f"At p < 0.05, the significance pattern agrees with the published findings in {agree} of {len(both)} "
         "directions computed here. ")
if data == "synthetic":
    covered = [(r.exposure, r.outcome) for r in t.itertuples()
               if pd.notna(r.planted) and r.ci_lower <= r.planted <= r.ci_upper]
    text += (f"On the synthetic panel the 95 % interval covers the planted effect in {len(covered)} of "
             f"{int(t['planted'].notna().sum())} directions. Agreement with the publication here shows that the "
             "pipeline recovers effects of the published size from data of the study's size; it is not a "
             "replication, which needs the real GWAS files.")
display(Markdown(text))

# %% [markdown]
# The published estimates themselves disagree: the same question with larger GWAS gave an insomnia → LBP odds
# ratio of 1.25 {cite:p}`shu2022`, against 1.954 in {cite:t}`luo2022`. Exposure definitions, the GWAS used and the
# choice of instruments all move an MR estimate; the {doc}`limitations` page returns to this.

# %% tags=["remove-cell"]
t.to_csv(f"{results_dir}/all-directions.csv", index=False)
