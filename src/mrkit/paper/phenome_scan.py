"""The phenome-scan page: the study's traits against a synthetic phenome, the false discovery rate
measured against the planted truth, and a Manhattan-style figure.

:func:`run_phenome_scan` builds (or reuses) the phenome of :mod:`mrkit.simulate.phenome` and scans it with
:func:`mrkit.scan.engine.run_scan`, on a Dask LocalCluster or serially. :func:`discoveries` applies the
Benjamini-Hochberg procedure to the p-values of one method over every (exposure, trait) pair and joins the
planted truth; :func:`fdr_summary` counts false discoveries (a discovery whose total causal effect is
exactly zero) and the planted effects found.

References
----------
Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate: a practical and powerful approach
to multiple testing. J R Stat Soc B 57:289-300.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..rng import resolve_seed
from .labels import trait_label

__all__ = ["run_phenome_scan", "discoveries", "fdr_summary", "manhattan"]


def run_phenome_scan(out_dir: str | Path, *, n_traits: int = 200, n_planted: int = 12, size: str = "small",
                     panel_seed: int | None = None, seed: int | None = None, workers: int = 2,
                     fresh: bool = True) -> dict[str, Any]:
    """Build the phenome and scan it into ``out_dir`` (emptied first when ``fresh``).

    ``panel_seed`` picks the synthetic panel and the phenome drawn over it (the data; default
    :data:`mrkit.rng.DEFAULT_PANEL_SEED`); ``seed`` the scan's random draws (bootstraps; default
    :data:`mrkit.rng.DEFAULT_SEED`), set in the manifest's settings.

    ``workers`` worker processes of a LocalCluster on 127.0.0.1 (0: the serial loop in this process).
    Returns ``folder`` (the phenome), ``manifest``, ``report`` (:class:`mrkit.scan.engine.ScanReport`),
    ``results`` (the scan's table), ``truth`` (:func:`mrkit.simulate.phenome.phenome_truth`) and
    ``seconds`` (wall time of the scan, cluster start included).
    """
    from ..scan.engine import run_scan
    from ..scan.manifest import load_manifest
    from ..simulate.phenome import MANIFEST_FILE, ensure_phenome, phenome_truth

    folder = ensure_phenome(n_traits, n_planted, size=size, seed=panel_seed)
    manifest = load_manifest(folder / MANIFEST_FILE)
    manifest = replace(manifest, settings=replace(manifest.settings, seed=resolve_seed(seed)))
    out = Path(out_dir)
    if fresh and out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    if workers:
        from ..scan.cluster import dask_client

        with dask_client(n_workers=workers) as client:
            report = run_scan(manifest, out, client=client, progress=False)
    else:
        report = run_scan(manifest, out, progress=False)
    seconds = time.perf_counter() - start
    return {"folder": folder, "manifest": manifest, "report": report, "seconds": seconds,
            "results": pd.read_parquet(report.table), "truth": phenome_truth(folder)}


def discoveries(results: pd.DataFrame, truth: pd.DataFrame, *, method: str = "ivw", q: float = 0.05
                ) -> pd.DataFrame:
    """Benjamini-Hochberg over every pair's ``method`` p-value, joined with the planted truth.

    Returns one row per (exposure, outcome): ``estimate, se, p, q_value, discovered`` (q_value <= q),
    ``direct_effect, total_effect, null, planted_exposure``. Failed pairs have no p and are not tested
    (counted in ``attrs["untested"]``).
    """
    from statsmodels.stats.multitest import multipletests

    rows = results[(results["method"] == method) & (results["status"] == "ok")]
    table = rows[["exposure", "outcome", "estimate", "se", "p"]].astype({"exposure": str, "outcome": str})
    table = table.merge(truth, on=["exposure", "outcome"], how="left", validate="one_to_one")
    if table["null"].isna().any():
        missing = table.loc[table["null"].isna(), ["exposure", "outcome"]].iloc[0].tolist()
        raise ValueError(f"pair {missing} has no planted truth")
    tested = np.isfinite(table["p"].to_numpy(dtype=float))
    table["q_value"] = np.nan
    if tested.any():
        table.loc[tested, "q_value"] = multipletests(table.loc[tested, "p"].to_numpy(dtype=float), method="fdr_bh")[1]
    table["discovered"] = table["q_value"] <= q
    table["null"] = table["null"].astype(bool)
    table.attrs.update(method=method, q=q, untested=int(len(truth) - tested.sum()))
    return table.reset_index(drop=True)


def fdr_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Tests, discoveries, false discoveries (total effect exactly zero), the false discovery proportion,
    and how many planted direct effects and non-null pairs were found."""
    found = table["discovered"].to_numpy(dtype=bool)
    null = table["null"].to_numpy(dtype=bool)
    direct = table["direct_effect"].to_numpy(dtype=float) != 0
    n_found = int(found.sum())
    false = int((found & null).sum())
    return {"tests": int(np.isfinite(table["p"].to_numpy(dtype=float)).sum()), "discoveries": n_found,
            "false_discoveries": false, "fdp": false / n_found if n_found else 0.0,
            "null_pairs": int(null.sum()), "non_null_pairs": int((~null).sum()),
            "planted_direct": int(direct.sum()), "planted_direct_found": int((found & direct).sum()),
            "indirect_non_null": int((~null & ~direct).sum()), "indirect_found": int((found & ~null & ~direct).sum()),
            "q": table.attrs.get("q"), "method": table.attrs.get("method")}


def manhattan(table: pd.DataFrame, *, exposures: list[str] | None = None):
    """-log10 p of every (exposure, trait) pair, traits along x grouped by exposure (Manhattan style);
    planted direct effects ringed, indirect (non-null through the study's causal graph) marked with a
    cross, discoveries filled; the dashed line is the Benjamini-Hochberg threshold."""
    import matplotlib.pyplot as plt

    exposures = exposures or list(dict.fromkeys(table["exposure"]))
    outcomes = sorted(table["outcome"].unique())
    width = len(outcomes) + max(4, len(outcomes) // 10)
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    colours = ["#1f77b4", "#7f7f7f"]
    centres = []
    for k, e in enumerate(exposures):
        d = table[table["exposure"] == e].set_index("outcome").reindex(outcomes)
        x = k * width + np.arange(len(outcomes))
        y = -np.log10(d["p"].to_numpy(dtype=float))
        found = d["discovered"].fillna(False).to_numpy(dtype=bool)
        ax.scatter(x[~found], y[~found], s=6, color=colours[k % 2], alpha=0.6, linewidths=0)
        ax.scatter(x[found], y[found], s=14, color="#d62728", zorder=3,
                   label="discovery (BH q ≤ 0.05)" if k == 0 else None)
        direct = d["direct_effect"].to_numpy(dtype=float) != 0
        indirect = ~d["null"].fillna(True).to_numpy(dtype=bool) & ~direct
        ax.scatter(x[direct], y[direct], s=70, facecolors="none", edgecolors="black", linewidths=1.0, zorder=4,
                   label="planted causal effect" if k == 0 else None)
        ax.scatter(x[indirect], y[indirect], s=40, marker="x", color="black", linewidths=0.8, zorder=4,
                   label="effect through the study's causal graph" if k == 0 else None)
        centres.append(k * width + len(outcomes) / 2)
    found = table["discovered"].to_numpy(dtype=bool)
    if found.any():
        ax.axhline(-np.log10(table.loc[found, "p"].max()), color="grey", ls="--", lw=0.8)
    ax.set_xticks(centres, [trait_label(e) for e in exposures], fontsize=7, rotation=20)
    ax.set_xlabel(f"exposure, then the {len(outcomes)} phenome traits in order")
    ax.set_ylabel(r"$-\log_{10}$ p (IVW)")
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig
