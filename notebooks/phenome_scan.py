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
panel_size = "small"
panel_seed = DEFAULT_PANEL_SEED
seed = DEFAULT_SEED
results_dir = "book/generated/results"
n_traits = 200
n_planted = 12
workers = 2
fdr_q = 0.05

# %% tags=["remove-cell"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from mrkit.paper import labels, phenome_scan, report

# %% [markdown]
# ## From one pair to a phenome
#
# The study asks about ten exposure-outcome pairs. The same machinery answers a much wider question: which of
# hundreds of traits does each sleep trait, or low back pain, cause? Each pair is analysed as on the MR pages:
# instruments {term}`clumped <clumping>` against the LD panel, LD {term}`proxies <proxy>` for missing ones,
# {term}`IVW`, {term}`MR-Egger` and the {term}`weighted median`. This is a phenome-wide MR scan, the
# kind run against every FinnGen endpoint or every UK Biobank trait. Two things change at that scale. The
# work no longer fits comfortably in one process, so it runs as a graph of tasks on Dask; and with
# thousands of tests, p < 0.05 means little, so discoveries are made at a controlled false discovery rate
# ({term}`multiple testing`)
# {cite:p}`benjamini1995`.
#
# Here the phenome is synthetic, so the truth is known: about 200 standardised quantitative traits drawn by
# `mrkit.simulate.phenome` over the variants of the small synthetic panel, a dozen of them caused by one of
# the study's six traits, the rest null. Because the study's traits cause each other in the panel (insomnia
# raises LBP), a trait caused by LBP is also, more weakly, caused by insomnia; the planted truth
# (`phenome_truth.tsv`) lists the total effect of every exposure on every trait, and a discovery is false
# only when that total effect is exactly zero.

# %%
scan = phenome_scan.run_phenome_scan(Path(results_dir) / "phenome-scan", n_traits=n_traits, n_planted=n_planted,
                                     size=panel_size, panel_seed=panel_seed, seed=seed,
                                     workers=workers)
print(scan["report"])

# %% tags=["remove-input"]
manifest, rep, results, truth = scan["manifest"], scan["report"], scan["results"], scan["truth"]
settings = manifest.settings
display(Markdown(
    f"The scan's manifest lists {len(manifest.exposures)} exposures and {len(manifest.outcomes)} outcomes, "
    f"{rep.n_pairs:,} pairs. Each GWAS file is read once: an exposure's file for its instruments "
    f"(p below its threshold, LD-clumped at r² < {settings.clump_r2:g} within {settings.clump_kb / 1000:g} Mb "
    f"against the panel's reference), an outcome's file for the union of the instruments of all six exposures. "
    f"Every pair is then harmonised and estimated with {', '.join(labels.method_label(m) for m in settings.methods)} "
    f"(convention {settings.convention}, seed {settings.seed}). The scan ran on "
    + (f"a Dask LocalCluster of {workers} worker processes" if workers else "one process, without Dask")
    + f" in {scan['seconds']:.0f} s of wall time, cluster start included, on a shared two-core machine; "
    f"{rep.failed} pairs failed. The table of results has one row per pair and method, {len(results):,} rows, "
    f"with every convention column."))

# %% [markdown]
# ## Discoveries at a controlled false discovery rate

# %% tags=["remove-input"]
table = phenome_scan.discoveries(results, truth, method="ivw", q=fdr_q)
summary = phenome_scan.fdr_summary(table)
fig = phenome_scan.manhattan(table, exposures=list(manifest.exposures))
glue("phenome-manhattan", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} phenome-manhattan
# :name: phenome-manhattan
# :alt: Manhattan-style plot of -log10 p of every exposure-trait pair of the phenome scan
#
# Phenome-wide scan on synthetic data: the IVW p-value (as −log10 p) of each of the six exposures against every
# phenome trait, traits in order along the x axis, one block per exposure. Red points are discoveries by the
# Benjamini–Hochberg procedure at a false discovery rate of 5 % over all pairs (dashed line: the largest
# p-value discovered); rings mark planted causal effects, crosses effects that exist only through the causal
# links between the study's traits.
# ```

# %% tags=["remove-input"]
s = summary
display(Markdown(
    f"Over {s['tests']:,} IVW tests, the Benjamini–Hochberg procedure at q = {fdr_q:g} made "
    f"{s['discoveries']} discoveries, of which {s['false_discoveries']} were pairs with no causal effect at all: "
    f"a false discovery proportion of {100 * s['fdp']:.1f} % in this one realisation, against a nominal "
    f"{100 * fdr_q:g} % that bounds its expectation over realisations. Of the {s['planted_direct']} planted "
    f"effects, {s['planted_direct_found']} were found (effect sizes were drawn for an expected IVW z between 3 "
    f"and 7, so the weakest are expected to be missed). Another {s['indirect_non_null']} pairs have an effect "
    f"only through the causal links between the study's traits, mostly small; {s['indirect_found']} of them "
    f"were found, and finding them counts as a true discovery, not a false one: those effects are real."))

# %% tags=["remove-input"]
shown = table[table["discovered"] | (table["direct_effect"] != 0)].copy()
shown["truth"] = [("planted " if d != 0 else "indirect " if not n else "none ") + (f"{t:+.3f}" if not n else "")
                  for d, t, n in zip(shown["direct_effect"], shown["total_effect"], shown["null"])]
shown["exposure"] = shown["exposure"].map(labels.trait_label)
shown = shown.sort_values("p")[["exposure", "outcome", "estimate", "se", "p", "q_value", "discovered", "truth"]]
report.table(shown.rename(columns={"q_value": "BH q", "truth": "true total effect"}),
             caption="Discoveries and planted effects of the phenome scan: IVW estimate (SD of the phenome trait "
             "per unit of the exposure; log odds for the binary exposures), its SE and p, the Benjamini–Hochberg "
             "q-value over all pairs, and the true total causal effect planted by the simulation.")

# %% tags=["remove-cell"]
out = Path(results_dir)
out.mkdir(parents=True, exist_ok=True)
table.to_csv(out / "phenome_scan_discoveries.csv", index=False)
pd.DataFrame([summary]).to_csv(out / "phenome_scan_fdr.csv", index=False)

# %% [markdown]
# The scan's own folder (`phenome-scan/` in the results folder of the build) holds `results.parquet`, every
# pair's result and harmonisation log; `phenome_scan_discoveries.csv` and `phenome_scan_fdr.csv` hold the
# numbers of this section.
#
# ## Running it on real data, and on a cluster
#
# The same scan runs on real summary statistics from a manifest: one `[[exposure]]` or `[[outcome]]` entry per
# trait with its local file (FinnGen endpoint files, Neale lab UK Biobank tables, GWAS-VCF or GWAS-SSF files,
# in any mix), the thresholds and methods under `[settings]`, and a PLINK reference panel to clump against:
#
# ```sh
# # on a LocalCluster with one worker per CPU:
# mrkit scan finngen_endpoints.toml -o scan-out
# # on an existing cluster:
# mrkit scan finngen_endpoints.toml -o scan-out --scheduler tcp://10.0.0.5:8786
# ```
#
# Each file is read once, streaming, so a 16-million-row FinnGen file needs little memory on its worker;
# each pair's result is written as it finishes, so a scan that is stopped resumes where it stopped, and a
# pair that fails (a truncated download, too few instruments) is recorded with its reason while the others
# go on. On Slurm or PBS, dask-jobqueue starts the workers as batch jobs and gives the scheduler's address:
#
# ```python
# from dask_jobqueue import SLURMCluster
# cluster = SLURMCluster(cores=1, memory="4GB", walltime="02:00:00")
# cluster.scale(jobs=50)
# print(cluster.scheduler_address)    # pass it to mrkit scan --scheduler
# ```
#
# A trait can also be an IEU OpenGWAS dataset id in place of a file, mixed freely with files. The scan then
# asks the API as TwoSampleMR does: one `tophits` request per exposure id (clumped on the server), one
# `associations` lookup per outcome id for the union of the variants its exposures need (with LD proxies, in
# chunks of 64 variants), every answer cached, so a second run asks nothing. The token is read from
# `OPENGWAS_JWT` and written nowhere:
#
# ```toml
# [[exposure]]
# id = "insomnia"
# opengwas = "ukb-a-13"
# [[outcome]]
# id = "lbp"
# opengwas = "finn-b-M13_LOWBACKPAIN"
# [[outcome]]
# id = "M13_DORSALGIA"
# file = "finngen_R12_M13_DORSALGIA.gz"
# ```
#
# The cost of a scan of files is dominated by reading them: each outcome file is read once whatever the number
# of exposures, so scanning a phenome against many exposures costs little more than against one.
