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
import json
import platform
import tomllib
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from mrkit.book.fingerprint import analysis_code_hash
from mrkit.paper import opengwas_data, report
from mrkit.paper.study import Study

study = Study(data=data, panel_size=panel_size, seed=seed)

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
                 f"`{analysis_code_hash()[:16]}…`; a page is re-executed whenever it changes."))

# %% [markdown]
# ## Seeds and settings
#
# Every random draw (bootstrap standard errors, MR-PRESSO's simulated distributions, the synthetic panel) is
# seeded from the run plan's `seed` parameter, and every result row records the seed it used.

# %% tags=["remove-input"]
plan = tomllib.loads(Path("book/runplan.toml").read_text())
display(report.table(pd.DataFrame([{"parameter": k, "value": str(v)} for k, v in plan["defaults"].items()]),
                     caption="Default parameters of every page of the run plan (book/runplan.toml)."))
if data != plan["defaults"].get("data"):
    display(Markdown(f"This build ran its data pages with `data = \"{data}\"` (`mrkit book --data {data}`) instead of the "
                     "plan's default."))

# %% tags=["remove-input"]
runs = []
for spec in plan["run"]:
    for params in spec.get("for_each", [{}]):
        runs.append({"notebook": spec["notebook"], "page id": spec["id"].format(**{**spec.get("parameters", {}), **params}),
                     "parameters": ", ".join(f"{k}={v}" for k, v in {**spec.get("parameters", {}), **params}.items())})
report.table(pd.DataFrame(runs), caption="The run plan: each executed page of the book, the notebook it runs and "
             "the parameters it is given (on top of the defaults).")

# %% [markdown]
# ## Data

# %% tags=["remove-input"]
if study.folder is not None:
    manifest = json.loads((study.folder / "manifest.json").read_text())
    files = manifest.get("files", {})
    rows = [{"file": name, "bytes": info.get("bytes"), "sha256": info.get("sha256")}
            for name, info in (files.items() if isinstance(files, dict) else ((f["name"], f) for f in files))]
    display(report.table(pd.DataFrame(rows), caption=f"Files of the synthetic panel (size {panel_size}, seed "
                         f"{manifest.get('seed', seed)}): name, size in bytes and SHA-256 checksum. The same seed "
                         "gives the same bytes."))
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
# Re-run one page with other parameters (papermill), for example insomnia → LBP under the
# MendelianRandomization conventions:
#
# ```sh
# .venv/bin/jupytext --to ipynb -o /tmp/mr.ipynb notebooks/mr_analysis.py
# .venv/bin/papermill /tmp/mr.ipynb /tmp/mr-out.ipynb -p exposure insomnia -p outcome lbp \
#     -p convention mendelianrandomization -p results_dir /tmp
# ```
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
