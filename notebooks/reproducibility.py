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
import platform
from importlib.metadata import version

import pandas as pd
from IPython.display import Markdown, display

from mrkit.paper import direction, opengwas_data, report, reproducibility
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, panel_seed=panel_seed)
plan = reproducibility.read_plan("book/runplan.toml")
directions = direction.load_directions(results_dir)

# %% [markdown]
# ## Software
#
# The versions below are those of the environment that executed this build; `requirements.lock` pins every
# package exactly, and `make book` creates the environment from it.

# %% tags=["remove-input"]
packages = ["mrkit", "numpy", "scipy", "pandas", "statsmodels", "matplotlib", "pyarrow", "bed-reader",
            "papermill", "jupytext", "jupyter-book", "myst-nb", "sphinx"]
versions = pd.DataFrame([{"package": "python", "version": platform.python_version()}]
                        + [{"package": p, "version": version(p)} for p in packages])
report.table(versions, caption="Software that executed this build: package and version.")

# %% tags=["remove-input"]
display(Markdown(f"The analysis code (`src/mrkit`, without the book machinery) has the SHA-256 fingerprint "
                 f"`{reproducibility.analysis_code_hash()[:16]}…`; a page is re-executed whenever it changes."))

# %% [markdown]
# ## Seeds and settings
#
# Two {term}`seeds <seed>`, each with one default in `mrkit`: `seed` draws the random numbers of an analysis
# (bootstrap standard errors, {term}`MR-PRESSO`'s simulated distributions, the teaching chapters' simulations),
# and `panel_seed` picks the synthetic panel, i.e. the data. Changing `seed` re-uses the panel and its cached
# tables and changes only the draws; changing `panel_seed` generates another panel. Every result row records the
# seed it used.

# %% tags=["remove-input"]
defaults = reproducibility.plan_defaults(plan)
display(report.table(reproducibility.defaults_table(plan),
                     caption="Default parameters of every page of the run plan (book/runplan.toml; seed and "
                     "panel_seed are mrkit's defaults where the plan sets none)."))
if data != defaults.get("data"):
    display(Markdown(f"This build ran its data pages with `data = \"{data}\"` (`mrkit book --data {data}`) instead "
                     "of the plan's default."))

# %% tags=["remove-input"]
report.table(reproducibility.runs_table(plan), caption="The run plan: each executed page of the book, the notebook "
             "it runs and the parameters it is given (on top of the defaults).")

# %% tags=["remove-input"]
report.table(reproducibility.direction_settings_table(directions),
             caption="What each MR page's saved result records: the direction, the convention, the seed of its "
             "random draws, the data and the synthetic panel's seed, the p-value threshold of the instruments, "
             "MR-PRESSO's simulated distributions and the number of instruments used.")

# %% [markdown]
# ## Data

# %% tags=["remove-input"]
if study.folder is not None:
    files, manifest = reproducibility.panel_files_table(study.folder)
    display(report.table(files, caption=f"Files of the synthetic panel (size {panel_size}, panel seed "
                         f"{manifest.get('seed', panel_seed)}): name, size in bytes and SHA-256 checksum. The same "
                         "panel seed gives the same bytes."))
elif data == "opengwas":
    queries = opengwas_data.queries_table(results_dir)
    display(Markdown(f"This build was computed on data from the OpenGWAS API ({len(queries)} answers). Each answer is "
                     "kept in the data cache (`opengwas/responses/<key>.json`) with its request, the time it was "
                     "retrieved and its SHA-256, so a second build asks nothing and gets the same bytes; "
                     "`mrkit book --data opengwas --refresh` asks again."))
    display(report.table(queries, caption="OpenGWAS API queries of this build, in the order the pages first used them: "
                         "endpoint, dataset ids, request parameters, when the answer was retrieved (UTC), its size in "
                         "bytes, its SHA-256 checksum and the start of its cache key."))
else:
    rows = [{"trait": t, "OpenGWAS id": s.opengwas_id, "url": s.url, "sha256": s.sha256 or "not published"}
            for t, s in study.sources.items()]
    display(report.table(pd.DataFrame(rows), caption="Real GWAS sources: identifier, download location and "
                         "checksum."))

# %% [markdown]
# ## Re-running
#
# Build the whole book, re-executing only what changed:
#
# ```sh
# make book
# ```
#
# Re-run one page with other parameters (papermill), for example insomnia → LBP with other random draws
# (`seed`: bootstraps and MR-PRESSO) on the same synthetic panel, which is re-used from the cache:
#
# ```sh
# .venv/bin/jupytext --to ipynb -o /tmp/mr.ipynb notebooks/mr_analysis.py
# .venv/bin/papermill /tmp/mr.ipynb /tmp/mr-seed.ipynb -p exposure insomnia -p outcome lbp \
#     -p seed 1 -p results_dir /tmp/mr-seed
# ```
#
# Change one thing at a time: `-p convention mendelianrandomization` (same data and draws, the other package's
# conventions) or `-p panel_seed 2` (other synthetic data: a new panel is generated once, about 200 MB at full
# size).
#
# Run on the real GWAS files: download them (or point `data/sources.toml` at local copies), then set
# `data = "real"` in the `[defaults]` of `book/runplan.toml` and build:
#
# ```sh
# .venv/bin/mrkit fetch
# make book
# ```
#
# Or run on OpenGWAS API data, with a free token from <https://api.opengwas.io/profile/> (answers are cached; a
# second build asks nothing):
#
# ```sh
# export OPENGWAS_JWT=<your token>
# .venv/bin/mrkit book --data opengwas
# ```
