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
palindrome_eaf = 0.41  # outcome EAF of the A/T palindrome whose exposure EAF is 0.40
action = 2  # TwoSampleMR's harmonise_data action for the flow table: 1 (lenient), 2 (default), 3 (strict)
swap_fraction = 0.5  # share of the 30 instruments the outcome GWAS reports for the other allele

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

import mrkit
from mrkit.paper import exercises, harmonisation_examples, labels, report

# %% [markdown]
# ## Why alleles must be aligned
#
# A SNP–trait association is a per-allele effect: "each copy of allele A raises LDL-c by 0.03 mmol/L". Two
# GWAS of the same variant may report it for different alleles (A in one, G in the other), on different
# DNA strands (A/G in one, T/C in the other), or, for A/T and C/G variants, in a way that the alleles alone
# cannot resolve (a {term}`palindromic variant`). The ratio of the outcome to the exposure association (the
# {term}`Wald ratio`) only means something when both refer to the same {term}`effect allele`.
# {term}`Harmonisation` with TwoSampleMR's `harmonise_data` {cite:p}`hemani2018` resolves this with a fixed set
# of rules, which `mrkit.gwas.harmonise.harmonise` reproduces; this page runs each rule on a worked row.
#
# The rules, for exposure alleles A1/A2 (A1 the effect allele) and outcome alleles B1/B2:
#
# 1. **Swap**: if B1 = A2 and B2 = A1, the outcome reports the other allele: negate its beta and replace its
#    {term}`effect-allele frequency <Allele frequency (EAF)>` (EAF) $f$ by $1-f$.
# 2. **Strand flip**: if the variant is not palindromic and still does not match, take the complement of the
#    outcome alleles (A↔T, C↔G) and try again (including the swap).
# 3. **Incompatible**: anything still unmatched (e.g. A/G against A/C) is removed.
# 4. **Palindromic** variants (A/T, C/G) look the same on both strands, so the alleles cannot say whether the
#    outcome is on the other strand. With `action = 2` (the default), TwoSampleMR uses the EAFs: if the two
#    EAFs lie on opposite sides of 0.5 the outcome is flipped; if either EAF is within 0.5 ± 0.08 (strictly,
#    0.42 < f < 0.58) the variant is **ambiguous** and left out. A missing EAF counts as 0.5, so a palindrome
#    without an EAF is always ambiguous.
# 5. `action = 1` trusts that both GWAS are on the forward strand: it never flips palindromes and drops only
#    incompatible variants. `action = 3` drops every palindrome.
#
# Note that `action = 1` is the *lenient* option and `action = 3` the strict one: the numbering is a
# common source of confusion.

# %% [markdown]
# ## Ten worked rows
#
# Every variant below truly raises the exposure by 0.10 and the outcome by 0.05 per copy of the exposure's
# effect allele. The outcome table reports each variant as the case says (other allele, other strand, ...),
# so a **correct** harmonisation always ends with an outcome beta of +0.05.

# %%
exposure, outcome = harmonisation_examples.harmonisation_cases(palindrome_eaf=palindrome_eaf)
rows = exposure.merge(outcome, on="SNP")
report.table(pd.DataFrame({"case": rows["case"], "exposure EA/OA": rows["effect_allele.exposure"] + "/"
                           + rows["other_allele.exposure"], "exposure EAF": rows["eaf.exposure"],
                           "outcome EA/OA": rows["effect_allele.outcome"] + "/" + rows["other_allele.outcome"],
                           "outcome EAF": rows["eaf.outcome"], "outcome β": rows["beta.outcome"]}),
             caption="The ten worked rows (TwoSampleMR columns effect_allele, other_allele, eaf, beta): exposure and "
             "outcome alleles (effect/other), effect-allele frequencies (– where the outcome GWAS gives none) and the "
             "outcome β as reported, per copy of the outcome's effect allele.", precision=2)

# %% [markdown]
# Now each row through `harmonise` with each action:

# %%
by_action = harmonisation_examples.harmonisation_by_action(exposure, outcome)

# %% tags=["remove-input"]
shown = exposure[["SNP", "case"]].merge(by_action, on="SNP").drop(columns="SNP")
report.table(shown, caption="The worked rows after mrkit.gwas.harmonise.harmonise (TwoSampleMR harmonise_data rules): "
             "flags palindromic, ambiguous (palindromic with an EAF strictly between 0.42 and 0.58, or missing) "
             "and remove (incompatible alleles); then, for actions 1, 2 and 3, the outcome beta after "
             "alignment (correct = +0.05) and whether the variant is used in MR (mr_keep).")

# %% tags=["remove-input"]
wrong1 = shown[shown["used (action 1)"] & (shown["beta.outcome (action 1)"] < 0)]["case"].tolist()
wrong2 = shown[shown["used (action 2)"] & (shown["beta.outcome (action 2)"] < 0)]["case"].tolist()
n_used = {a: int(shown[f"used (action {a})"].sum()) for a in (1, 2, 3)}
display(Markdown(
    f"Of the {len(shown)} rows, action 1 uses {n_used[1]}, action 2 uses {n_used[2]} and action 3 uses "
    f"{n_used[3]}. Action 1 keeps {len(wrong1)} variant(s) with the wrong sign "
    f"({'; '.join(wrong1) if wrong1 else 'none'}): it assumes both studies are on the forward strand, so a "
    f"palindrome reported on the other strand enters the analysis with its outcome effect reversed. "
    f"Action 2 keeps {len(wrong2)} wrongly signed variant(s); it pays by losing the ambiguous palindromes. "
    f"Action 3 is safest and loses most."))

# %% [markdown]
# The harmonisation log counts what happened, the source of the STROBE-MR flow diagram (item 10a)
# {cite:p}`skrivankova2021`, here with the page's `action`:

# %%
h = harmonisation_examples.harmonised(exposure, outcome, action=action)
report.table(harmonisation_examples.flow_table(h), caption=f"Harmonisation flow of the ten worked rows with "
             f"action {action}: variants remaining at each step, those excluded and why, and alignments made without "
             "loss.")

# %% [markdown]
# ## What goes wrong without it
#
# A realistic case: 30 valid instruments of a true causal effect, but the outcome GWAS happens to report
# about half of them for the other allele (a different reference genome or effect-allele convention is
# enough). Skipping harmonisation, i.e. merging the tables on the variant id and using the betas as they
# are, against harmonising first, with {term}`IVW`, {term}`MR-Egger` and the {term}`weighted median`:

# %%
true_beta = exercises.HARMONISATION_TRUTH
x, y, swapped = harmonisation_examples.allele_coding_example(n_snps=30, beta=true_beta, swap_fraction=swap_fraction,
                                                             seed=seed)
naive = x.merge(y, on="SNP")  # betas used as reported: no allele check
aligned = harmonisation_examples.harmonised(x, y, action=2)
fit_naive = mrkit.mr(naive, methods=["ivw", "egger", "weighted_median"], seed=seed)
fit_aligned = mrkit.mr(aligned, methods=["ivw", "egger", "weighted_median"], seed=seed)

# %% tags=["remove-input"]
both = pd.concat([fit_naive.assign(analysis="not harmonised"), fit_aligned.assign(analysis="harmonised")])
both["method"] = both["method"].map(labels.method_labels(short=True))
report.table(both[["analysis", "method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp"]],
             caption=f"Causal estimates (SD of outcome per SD of exposure; true value {true_beta}) from the "
             f"same 30 variants, {int(swapped.sum())} of them coded on the other allele in the outcome GWAS, "
             "without and with harmonisation (TwoSampleMR conventions; bootstrap seed as the page's seed).")

# %% tags=["remove-input"]
iv_n = fit_naive.set_index("method").loc["ivw"]
iv_h = fit_aligned.set_index("method").loc["ivw"]
display(Markdown(
    f"Without harmonisation IVW estimates {iv_n['estimate']:.3f} (95 % CI {iv_n['ci_lower']:.3f} to "
    f"{iv_n['ci_upper']:.3f}) for a true effect of {true_beta}; after harmonisation {iv_h['estimate']:.3f} "
    f"({iv_h['ci_lower']:.3f} to {iv_h['ci_upper']:.3f}). The {int(swapped.sum())} swapped variants pull "
    f"the naive estimate towards zero (or past it) and inflate the heterogeneity, which random-effects IVW "
    f"turns into a wide interval: the error is not visible as a warning, only as a wrong answer."))

# %% tags=["remove-input"]
fig = harmonisation_examples.coding_figure(naive, aligned, x.loc[swapped, "SNP"], fit_naive, fit_aligned, true_beta)
glue("harm-scatter", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} harm-scatter
# :name: harm-scatter
# :alt: Scatter of SNP-outcome against SNP-exposure effects before and after harmonisation
#
# SNP–outcome against SNP–exposure effects (SD per allele, bars ±1 SE) for the 30 simulated instruments.
# Left: betas as reported, with the variants coded on the other allele in the outcome GWAS (red squares)
# below the axis; right: after harmonisation, all on one line. Black: IVW fit; dashed: the true causal
# effect.
# ```

# %% tags=["remove-cell"]
out = Path(results_dir)
out.mkdir(parents=True, exist_ok=True)
both.assign(seed=seed).to_csv(out / "harmonisation_example.csv", index=False)

# %% [markdown]
# ## Exercises

# %% tags=["remove-input"]
page = {"palindrome_eaf": palindrome_eaf, "action": action, "swap_fraction": swap_fraction, "seed": seed}
exercises.show("harmonisation_by_example", exercises.EXERCISES, page,
               exercises.harmonisation_observed(shown, action, fit_naive, fit_aligned, swapped),
               exercises.harmonisation_solver(page))
