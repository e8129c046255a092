"""The simulation chapter: how MR methods fail under each violation of the IV assumptions, and which survive.

A simulation study is only as good as its Monte Carlo error: a coverage of 93 % from 200
replicates is not evidence of under-coverage. :func:`summarise_simulation` therefore reports,
for every performance measure, its Monte Carlo standard error (MCSE) with the formulas of
Morris, White & Crowther (2019): bias sqrt(var/n), coverage and rejection rate
sqrt(P(1-P)/n), empirical SE / sqrt(2(n-1)).

:func:`simulate_and_fit` draws a scenario with :func:`mrkit.simulate.scenarios.simulate_mr_summary`
and runs the methods through the registry (:func:`mrkit.methods.registry.run_method`, the estimators ``mrkit.mr()``
runs) on all replicates at once; MR-PRESSO, a per-dataset algorithm, loops over them inside. The chapter's main
methods (:data:`SIM_METHODS`) run on every replicate; every other univariable method (:data:`EXTRA_METHODS`) on the
first ``n_rep_extra`` replicates of each arm (the same datasets), with smaller bootstraps (``n_boot_extra``): the
page says so, and their Monte Carlo SEs are in every table.

References
----------
Morris TP, White IR, Crowther MJ (2019). Using simulation studies to evaluate statistical
methods. Stat Med 38:2074-2102.
Bowden J, Del Greco MF, Minelli C, Davey Smith G, Sheehan NA, Thompson JR (2016). Assessing the
suitability of summary data for two-sample Mendelian randomization analyses using MR-Egger
regression: the role of the I2 statistic. Int J Epidemiol 45:1961-1974.
Hartwig FP, Davey Smith G, Bowden J (2017). Int J Epidemiol 46:1985-1998.
Verbanck M, Chen CY, Neale B, Do R (2018). Nat Genet 50:693-698.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, NotEstimable
from ..methods.conventions import get_convention
from ..methods.correlated import NEEDS_LD
from ..methods.registry import Context, run_method
from ..rng import make_rng
from .robust import NOT_AN_EFFECT

__all__ = ["SIM_METHODS", "EXTRA_METHODS", "NOT_RUN", "all_methods", "SCENARIOS", "SCENARIO_LABELS",
           "DEFAULT_SETTINGS", "SETTING_SCENARIOS", "SEED_BLOCK", "scenario_settings", "simulation_design",
           "block_seeds", "run_simulation", "simulate_and_fit", "summarise_simulation"]


#: Methods of the simulation chapter (ids of :mod:`mrkit.methods.registry`), in display order. ``ml`` is run to
#: the exact optimum (``ml_optimizer="profile"``); ``presso`` is MR-PRESSO's outlier-corrected IVW.
SIM_METHODS = ("ivw", "egger", "weighted_median", "weighted_mode", "ml", "raps", "presso")
#: Methods the chapter cannot run on its 30-instrument datasets, and why.
NOT_RUN = {"wald_ratio": "one instrument only", "hetpen": "HetPen enumerates all 2^J - 1 subsets of the J "
           "instruments and runs where J <= 20; the simulated datasets have 30",
           **{m: "it needs an LD matrix; the simulated variants are independent, where it is IVW or MR-Egger"
              for m in NEEDS_LD}}


def _extra_methods() -> tuple[str, ...]:
    from ..methods.registry import method_ids

    return tuple(m for m in method_ids() if m not in SIM_METHODS and m not in NOT_RUN)


#: Every other univariable method of the registry, run on the first ``n_rep_extra`` replicates of each arm.
EXTRA_METHODS = _extra_methods()


def all_methods() -> tuple[str, ...]:
    """The chapter's methods in display order: the registry's univariable ids, without :data:`NOT_RUN`."""
    from ..methods.registry import method_ids

    return tuple(m for m in method_ids() if m not in NOT_RUN)


#: Scenario keys of :func:`mrkit.simulate.scenarios.simulate_mr_summary`, in teaching order.
SCENARIOS = ("valid", "balanced_pleiotropy", "directional_pleiotropy", "inside_violated",
             "outliers", "weak", "overlap_weak")

SCENARIO_LABELS = {"valid": "Valid instruments", "balanced_pleiotropy": "Balanced pleiotropy",
                   "directional_pleiotropy": "Directional pleiotropy (InSIDE holds)",
                   "inside_violated": "InSIDE violated", "outliers": "A few strong outliers",
                   "weak": "Weak instruments",
                   "overlap_weak": "Sample overlap with weak instruments"}


# ---------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------
def _field(sim: Any, name: str):
    return sim[name] if isinstance(sim, Mapping) else getattr(sim, name)


def simulate_and_fit(scenario: str, *, n_rep: int, n_snps: int, beta: float, seed: int,
                     methods: Iterable[str] = SIM_METHODS, n_boot_median: int = 1000,
                     n_boot_mode: int = 200, presso_n: int = 500, extra_methods: Iterable[str] = (),
                     n_extra: int | None = None, n_boot_extra: int = 200, **simulate_kwargs) -> pd.DataFrame:
    """Simulate ``n_rep`` datasets of one scenario and fit every method to each.

    Parameters
    ----------
    scenario : str
        One of :data:`SCENARIOS` (see :func:`mrkit.simulate.scenarios.simulate_mr_summary`).
    n_rep, n_snps, beta : int, int, float
        Replicates, instruments per dataset, true causal effect.
    seed : int
        Seed of the simulation; the bootstraps and MR-PRESSO use seeds derived from it.
    n_boot_median, n_boot_mode : int
        Bootstrap draws per replicate for the weighted median SE (TwoSampleMR: 1000) and the
        mode SE (TwoSampleMR: 1000; fewer here to keep the chapter fast: the MAD of 200 draws
        varies by roughly 10 % between replicates, which widens the CI's coverage spread a
        little but leaves the bias unchanged).
    presso_n : int
        MR-PRESSO's ``n_distributions`` per replicate.
    extra_methods, n_extra, n_boot_extra : iterable of str, int, int
        Further methods, fitted to the first ``n_extra`` replicates only (default all), their bootstraps (the
        medians, bootstrap MR-Egger, pIVW's Fieller draws, RadialMR's exact random-effects SE) of ``n_boot_extra``
        draws; the NOME modes share the modes' ``n_boot_mode``. cML, CLR and PC-GMM get the simulated GWAS sample
        sizes.
    **simulate_kwargs
        Passed on to ``simulate_mr_summary`` (sample sizes, variance explained, ...).

    Returns
    -------
    pandas.DataFrame
        One row per (replicate, method), methods in the order given: ``scenario, beta, replicate, method,
        estimate, se, ci_lower, ci_upper, p, seed`` (the seed of that replicate's draws; for a method without
        draws, the seed of its group).
    """
    from ..simulate.scenarios import simulate_mr_summary

    sim = simulate_mr_summary(n_rep, n_snps, beta=beta, scenario=scenario, seed=seed,
                              **simulate_kwargs)
    arrays = [np.asarray(_field(sim, name), dtype=float) for name in ("bx", "bxse", "by", "byse")]
    methods, extra = list(methods), [m for m in extra_methods if m not in methods]
    n_extra = n_rep if n_extra is None else min(int(n_extra), n_rep)
    seeds = make_rng(seed).integers(0, 2**31 - 1, 4)
    conv = get_convention("twosamplemr")
    options = {"ml_optimizer": "profile", "presso_n": presso_n, "pivw_n_boot": n_boot_extra,
               "radial_n_boot": n_boot_extra}
    n_x = simulate_kwargs.get("n_exposure", 100_000)
    n_y = n_x if scenario == "overlap_weak" else simulate_kwargs.get("n_outcome", 100_000)
    inputs = {"samplesize.exposure": np.full(n_snps, float(n_x)), "samplesize.outcome": np.full(n_snps, float(n_y))}
    requested = tuple(methods + extra)
    # bootstraps: the medians from seeds[0], the modes from seeds[1] (replicate r: seed + r); MR-PRESSO
    # replicate r from the r-th integer drawn from seeds[2]; the further methods' draws from seeds[3]
    contexts = {
        "median": Context(convention=conv, seed=int(seeds[0]), n_boot=n_boot_median, options=options,
                          requested=requested),
        "mode": Context(convention=conv, seed=int(seeds[1]), n_boot=n_boot_mode, options=options,
                        requested=requested),
        "presso": Context(convention=conv, seed=make_rng(int(seeds[2])).integers(0, 2**31 - 1, n_rep),
                          options=options, requested=requested),
        "extra": Context(convention=conv, seed=int(seeds[3]), n_boot=n_boot_extra, options=options, inputs=inputs,
                         requested=requested),
    }
    frames = []
    for method in methods + extra:
        kind = ("mode" if "_mode" in method else "presso" if method == "presso" else
                "median" if method in methods else "extra")
        ctx, n = contexts[kind], n_rep if method in methods else n_extra
        if n == 0:
            continue
        try:
            if method in methods or n == n_rep:
                res = run_method(method, *arrays, ctx)
            else:  # the first n replicates: a context of its own, so that shared work is not mixed with the batch
                res = run_method(method, *(a[:n] for a in arrays),
                                 Context(convention=conv, seed=ctx.seed if np.ndim(ctx.seed) == 0 else ctx.seed[:n],
                                         n_boot=ctx.n_boot, options=options, inputs=inputs, requested=requested))
        except NotEstimable:  # the whole batch (e.g. HetPen above 20 instruments): a row of NaN per replicate
            res = {c: np.full(n, np.nan) for c in ("estimate", "se", "ci_lower", "ci_upper", "p")} | {"seed": None}
        seed_column = res["seed"] if res.get("seed") is not None else int(ctx.seed)
        if method in NOT_AN_EFFECT:  # the sign test's "estimate" is a concordance: no bias, only its p-value
            res = {**res, "estimate": np.full(n, np.nan)}
        frames.append(pd.DataFrame({"replicate": np.arange(n), "method": method,
                                    **{c: res[c] for c in ("estimate", "se", "ci_lower", "ci_upper", "p")},
                                    "seed": np.broadcast_to(np.asarray(seed_column, dtype=np.int64), n)}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "beta", float(beta))
    out.insert(0, "scenario", scenario)
    return out


#: The settings of the scenarios a page may change (its parameters of the same names), with their defaults,
#: and the scenarios each applies to; every other argument of ``simulate_mr_summary`` keeps its default.
DEFAULT_SETTINGS: dict[str, float] = {"pleiotropy_fraction": 0.3, "n_outliers": 3, "mean_f": 10.0}
SETTING_SCENARIOS: dict[str, tuple[str, ...]] = {
    "pleiotropy_fraction": ("balanced_pleiotropy", "directional_pleiotropy", "inside_violated"),
    "n_outliers": ("outliers",), "mean_f": ("weak", "overlap_weak")}


def scenario_settings(scenario: str, settings: Mapping[str, float] | None = None) -> dict[str, float]:
    """The arguments of ``simulate_mr_summary`` that ``settings`` (default :data:`DEFAULT_SETTINGS`) give
    ``scenario``: only those that apply to it (:data:`SETTING_SCENARIOS`)."""
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    return {k: settings[k] for k, used_by in SETTING_SCENARIOS.items() if scenario in used_by}


def simulation_design(quick: bool = False, **settings: float) -> dict:
    """Sizes and settings of the simulation chapter: the full design (a few minutes on 2 cores) or the quick
    one the tests and the small book build run (well under a minute).

    ``n_rep`` replicates per scenario and true effect for :data:`SIM_METHODS`, ``n_rep_extra`` (the first ones of
    each arm) for :data:`EXTRA_METHODS` (in the full design each one's coverage, pooled over the two true effects,
    rests on 2 x 250 = 500 replicates: a Monte Carlo SE of at most 0.98 percentage points near the nominal 95 %),
    ``n_snps`` instruments, ``betas`` (null, for the type-I error, and non-null, for power), bootstrap sizes
    (``n_boot_extra``: the further methods' bootstraps), MR-PRESSO's
    ``n_distributions``, ``seed_block``, the replicates that share one random stream (see
    :func:`run_simulation`), and ``settings``: :data:`DEFAULT_SETTINGS` with ``settings`` on top (the page's
    parameters ``pleiotropy_fraction``, ``n_outliers``, ``mean_f``). The design travels with every task of the
    simulation, so a setting reaches the worker processes that draw the data.

    Raises
    ------
    InputError
        A setting that is not one of :data:`DEFAULT_SETTINGS`, or out of its range.
    """
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        raise InputError(f"unknown simulation setting(s) {unknown}; the settings are {sorted(DEFAULT_SETTINGS)}",
                         column=unknown[0])
    settings = {**DEFAULT_SETTINGS, **settings}
    sizes = ({"n_rep": 100, "n_rep_extra": 20, "n_snps": 30, "betas": (0.0, 0.05), "n_boot_median": 200,
              "n_boot_mode": 50, "presso_n": 200, "n_boot_extra": 50} if quick else
             {"n_rep": 1000, "n_rep_extra": 250, "n_snps": 30, "betas": (0.0, 0.05), "n_boot_median": 1000,
              "n_boot_mode": 200, "presso_n": 500, "n_boot_extra": 100})
    if not 0.0 <= float(settings["pleiotropy_fraction"]) <= 1.0:
        raise InputError(f"pleiotropy_fraction must be between 0 and 1, got {settings['pleiotropy_fraction']!r}",
                         column="pleiotropy_fraction")
    if not float(settings["mean_f"]) > 1.0:
        raise InputError(f"mean_f must be above 1, got {settings['mean_f']!r}", column="mean_f")
    n_out = float(settings["n_outliers"])
    if n_out != int(n_out) or not 1 <= n_out < sizes["n_snps"]:
        raise InputError(f"n_outliers must be a whole number from 1 to {sizes['n_snps'] - 1}, got "
                         f"{settings['n_outliers']!r}", column="n_outliers")
    settings = {"pleiotropy_fraction": float(settings["pleiotropy_fraction"]),
                "n_outliers": int(settings["n_outliers"]), "mean_f": float(settings["mean_f"])}
    return {**sizes, "seed_block": SEED_BLOCK, "settings": settings}


#: Replicates per random stream: the unit of seeding, so that results depend on no chunking. 50 is
#: also the fastest batch size of the vectorised estimators on two cores (measured: 14 s CPU per
#: 1,000 replicates of one arm against 18 s in one batch of 1,000, which also peaks at 2 GB).
SEED_BLOCK = 50


def block_seeds(seed: int, scenario_index: int, effect_index: int, n_blocks: int) -> list[int]:
    """Seeds of the replicate blocks of one arm: ``numpy.random.SeedSequence(seed)``, spawned per
    scenario (its index in :data:`SCENARIOS`), then per true effect, then per block; each child's
    first 63 bits are the block's integer seed (recorded as ``sim_seed``).

    A pure function of (seed, scenario, effect, block): it does not depend on which other scenarios
    run, on how the blocks are grouped into tasks, or on which worker runs them.
    """
    root = np.random.SeedSequence(int(seed))
    arm = root.spawn(len(SCENARIOS))[scenario_index].spawn(effect_index + 1)[effect_index]
    return [int(child.generate_state(1, np.uint64)[0] >> np.uint64(1)) for child in arm.spawn(n_blocks)]


def _fit_blocks(scenario: str, beta: float, blocks: list[tuple[int, int, int]], design: Mapping[str, Any],
                methods: list[str], extra_methods: list[str]) -> pd.DataFrame:
    """One task of the simulation graph: the blocks ``(first replicate, replicates, seed)`` of one arm; the extra
    methods on the arm's first ``design["n_rep_extra"]`` replicates."""
    frames = []
    n_rep_extra = int(design.get("n_rep_extra", design["n_rep"]))
    for first, n_rep, block_seed in blocks:
        fit = simulate_and_fit(scenario, n_rep=n_rep, n_snps=design["n_snps"], beta=beta, seed=block_seed,
                               methods=methods, n_boot_median=design["n_boot_median"],
                               n_boot_mode=design["n_boot_mode"], presso_n=design["presso_n"],
                               extra_methods=extra_methods, n_extra=max(0, min(n_rep, n_rep_extra - first)),
                               n_boot_extra=design.get("n_boot_extra", 200),
                               **scenario_settings(scenario, design.get("settings")))
        fit["replicate"] += first
        fit["sim_seed"] = block_seed
        frames.append(fit)
    return pd.concat(frames, ignore_index=True)


def _start_method() -> str | None:
    """How the local worker processes start: ``spawn`` (dask's default, safe beside a Jupyter kernel's threads),
    except under a plain script (``python page.py``): a spawned worker imports the script again as its main
    module and, without an ``if __name__ == "__main__"`` guard, runs the simulation inside the worker, which
    breaks the pool (BrokenProcessPool). A script's workers are therefore forked where the platform forks safely
    (Linux), and elsewhere the tasks run in this process (None); the numbers are the same either way."""
    main = sys.modules.get("__main__")
    script = main is not None and getattr(main, "__spec__", None) is None and getattr(main, "__file__", None)
    if not script:
        return "spawn"
    return "fork" if sys.platform.startswith("linux") else None


def run_simulation(scenarios: Iterable[str], design: Mapping[str, Any], *, seed: int,
                   methods: Iterable[str] = SIM_METHODS, extra_methods: Iterable[str] = (),
                   chunk_size: int | None = None, client: Any = None, workers: int | None = None) -> pd.DataFrame:
    """Every scenario at every true effect of ``design``, as a Dask graph: the stacked
    :func:`simulate_and_fit` tables, one row per (scenario, effect, method, replicate).

    The replicates of each arm (scenario x effect) are cut into blocks of ``design["seed_block"]``
    (default :data:`SEED_BLOCK`); block b draws everything (data, bootstraps, MR-PRESSO) from its own
    seed, :func:`block_seeds`, recorded in column ``sim_seed`` (``replicate`` counts over the arm).
    A task fits a chunk of ``chunk_size`` replicates (a multiple of the block; default 250), so the
    graph has one task per scenario x effect x chunk, and the numbers are identical whatever the
    chunk size, the number of workers or the order they finish in (the table is sorted at the end).
    ``extra_methods`` run on the first ``design["n_rep_extra"]`` replicates of each arm (default all), with
    ``design["n_boot_extra"]`` bootstrap draws (:func:`simulate_and_fit`).

    Parameters
    ----------
    client : distributed.Client, optional
        Run the graph on this client's cluster (:func:`mrkit.scan.cluster.dask_client`).
    workers : int, optional
        Without a client: run the tasks in this many local processes (dask's multiprocessing
        scheduler; default one per core); 1 runs them in this process, one after the other.

    Raises
    ------
    InputError
        An unknown scenario, or a chunk size that is not a positive multiple of the seed block.
    """
    import dask

    methods = list(methods)
    extra_methods = [m for m in extra_methods if m not in methods]
    block = int(design.get("seed_block", SEED_BLOCK))
    chunk = int(chunk_size or 5 * block)
    if block < 1 or chunk < block or chunk % block:
        raise InputError(f"chunk_size must be a positive multiple of the seed block ({block}), got {chunk_size!r}",
                         column="chunk_size")
    scenarios = list(scenarios)
    for name in scenarios:
        if name not in SCENARIOS:
            raise InputError(f"unknown scenario {name!r}; choose 'all' or one of "
                             f"{', '.join(SCENARIOS)}", column="scenario")
    n_rep = int(design["n_rep"])
    firsts = list(range(0, n_rep, block))
    tasks = []
    for name in scenarios:
        i = SCENARIOS.index(name)
        for j, beta in enumerate(design["betas"]):
            blocks = [(first, min(block, n_rep - first), s)
                      for first, s in zip(firsts, block_seeds(seed, i, j, len(firsts)))]
            per_task = chunk // block
            for k in range(0, len(blocks), per_task):
                tasks.append(dask.delayed(_fit_blocks, pure=True)(name, float(beta), blocks[k:k + per_task],
                                                                   dict(design), methods, extra_methods))
    if client is not None:
        frames = dask.compute(*tasks, scheduler=client)
    else:
        workers = min(len(tasks), os.cpu_count() or 1) if workers is None else min(int(workers), len(tasks))
        context = _start_method() if workers > 1 else None
        if context is None:
            frames = dask.compute(*tasks, scheduler="synchronous")
        else:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(context)) as pool:
                frames = dask.compute(*tasks, scheduler="processes", pool=pool)
    out = pd.concat(frames, ignore_index=True)
    order = {m: k for k, m in enumerate(methods + extra_methods)}
    out["_s"] = out["scenario"].map({name: k for k, name in enumerate(scenarios)})
    out["_m"] = out["method"].map(order)
    return out.sort_values(["_s", "beta", "_m", "replicate"], kind="stable").drop(columns=["_s", "_m"]) \
        .reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# summarising
# ---------------------------------------------------------------------------------------------
def summarise_simulation(fits: pd.DataFrame, *, truth: str = "beta", alpha: float = 0.05,
                         by: Iterable[str] = ("scenario", "beta", "method")) -> pd.DataFrame:
    """Bias, empirical and model SE, coverage and rejection rate, each with its Monte Carlo SE.

    Parameters
    ----------
    fits : pandas.DataFrame
        One row per replicate and method with ``estimate, se, ci_lower, ci_upper, p`` and the
        true value in column ``truth``.
    alpha : float
        Rejection threshold: the rejection rate is the power when the truth is non-zero and the
        type-I error when it is zero (column ``rejection_measure`` says which).

    Returns
    -------
    pandas.DataFrame
        Per group: ``n_rep`` (replicates with an estimate, an interval or a p-value), ``n_failed`` (none: excluded),
        ``mean_estimate``, ``bias``, ``bias_mcse``, ``empirical_se``, ``empirical_se_mcse``, ``model_se`` (mean of
        the reported SEs), ``coverage``, ``coverage_mcse``, ``rejection``, ``rejection_mcse``,
        ``rejection_measure``. A method without point estimates (CLR: an interval only) has NaN bias and SEs; one
        without an interval (the sign concordance test) NaN coverage; where a replicate has no p-value but an
        interval, it rejects when the interval excludes 0 (CLR's test inversion). A measure with fewer than two
        replicates is NaN (a method that failed on every replicate of a group: NaN throughout).

    References
    ----------
    Morris TP, White IR, Crowther MJ (2019). Stat Med 38:2074-2102 (Table 6).
    """
    by = list(by)
    needed = set(by) | {truth, "estimate", "se", "ci_lower", "ci_upper", "p"}
    missing = needed - set(fits.columns)
    if missing:
        raise InputError(f"simulation results lack column(s) {sorted(missing)}",
                         column=sorted(missing)[0])
    nan = float("nan")
    rows = []
    for key, g in fits.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        theta = g[truth].to_numpy(dtype=float)
        est, se = g["estimate"].to_numpy(dtype=float), g["se"].to_numpy(dtype=float)
        lo, hi, p = (g[c].to_numpy(dtype=float) for c in ("ci_lower", "ci_upper", "p"))
        has_est = np.isfinite(est)  # (ConMix and HetPen give no SE: an estimate and an interval)
        has_ci = ~np.isnan(lo) & ~np.isnan(hi)  # an infinite end (a Fieller ray) is an interval
        usable = has_est | has_ci
        if not usable.any():  # a test without estimate or interval (the sign concordance test): its p-values
            usable = np.isfinite(p)
        n = int(usable.sum())
        row = {**dict(zip(by, key)), "n_rep": n, "n_failed": int((~usable).sum())}
        ne = int(has_est.sum())
        if ne >= 2:
            err = est[has_est] - theta[has_est]
            sd = float(np.std(est[has_est], ddof=1))
            finite_se = se[has_est][np.isfinite(se[has_est])]
            row.update(mean_estimate=float(est[has_est].mean()), bias=float(err.mean()), bias_mcse=sd / np.sqrt(ne),
                       empirical_se=sd, empirical_se_mcse=sd / np.sqrt(2.0 * (ne - 1)),
                       model_se=float(finite_se.mean()) if finite_se.size else nan)
        else:
            row.update(mean_estimate=nan, bias=nan, bias_mcse=nan, empirical_se=nan, empirical_se_mcse=nan,
                       model_se=nan)
        nc = int(has_ci.sum())
        if nc >= 2:
            cov = float(((lo[has_ci] <= theta[has_ci]) & (theta[has_ci] <= hi[has_ci])).mean())
            row.update(coverage=cov, coverage_mcse=float(np.sqrt(cov * (1 - cov) / nc)))
        else:
            row.update(coverage=nan, coverage_mcse=nan)
        reject = np.where(np.isfinite(p), p < alpha, (lo > 0) | (hi < 0))  # no p-value: does the interval exclude 0
        judged = usable & (np.isfinite(p) | has_ci)
        nr = int(judged.sum())
        rej = float(reject[judged].mean()) if nr else nan
        row.update(rejection=rej, rejection_mcse=float(np.sqrt(rej * (1 - rej) / nr)) if nr else nan,
                   rejection_measure="type_i_error" if bool(np.all(theta[usable] == 0)) else "power")
        rows.append(row)
    return pd.DataFrame(rows)

