"""``mrkit.mr()``: run a set of MR estimators on harmonised data and return one tidy table.

The table has one row per exposure-outcome pair and method, with ``method, estimate, se,
ci_lower, ci_upper, p, nsnp`` and the labels that say how each number was made:
``convention`` (twosamplemr / mendelianrandomization), ``se_model`` (fixed, random_floored,
random_unfloored, bootstrap, bootstrap_mad, hessian, ...), ``distribution`` of the p-value
(normal or t(df)), ``ci_distribution`` (under twosamplemr every interval is TwoSampleMR's
``generate_odds_ratios`` one, estimate -/+ 1.96 se, labelled "normal (1.96)"), ``weights``, ``n_boot`` and
``seed`` (bootstrap rows) and
``note``. A method that cannot run on the input (e.g. MR-Egger with fewer than 3 SNPs) gets a row
with NaN numbers and the reason in ``note``; the others still run.

Reproducibility: every bootstrap method draws from its own generator seeded with ``seed``
(:data:`mrkit.rng.DEFAULT_SEED` when None), in SNP-id order after orienting every variant to a
positive ``bx``, so a result depends neither on row order, nor on the coded allele, nor on which
other methods were requested. The maximum-likelihood row, to reproduce R, runs R's Nelder-Mead
on the rows in the order given (see :mod:`mrkit.methods.ml`).

References
----------
Hemani G, Zheng J, Elsworth B, et al. (2018). eLife 7:e34408 (TwoSampleMR ``mr()``).
Yavorska OO, Burgess S (2017). Int J Epidemiol 46:1734-1739 (MendelianRandomization).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, NotEstimable
from ..rng import resolve_seed
from .conventions import Convention, confidence_interval, get_convention
from .mrdata import MRData, split_pairs
from .registry import Context, get_method, method_ids
from .replicates import NOT_ESTIMABLE, result_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["METHODS", "DEFAULT_METHODS", "NOT_AN_EFFECT", "TABLE_COLUMNS", "mr", "mr_rows", "odds_ratios",
           "method_rows"]

#: Method ids of the registry (:mod:`mrkit.methods.registry`), family by family.
METHODS = method_ids()
#: Ids whose ``estimate`` is not a causal effect (the sign concordance test's is a concordance in [-1, 1]): no odds
#: ratio, no bias in a simulation, no point in a forest plot.
NOT_AN_EFFECT = frozenset({"sign"})
#: TwoSampleMR ``mr()`` defaults plus ml and raps (the Wald ratio alone when k == 1).
DEFAULT_METHODS = ("egger", "weighted_median", "ivw", "simple_mode", "weighted_mode", "ml", "raps")
TABLE_COLUMNS = ("method", "estimate", "se", "ci_lower", "ci_upper", "p", "nsnp", "convention",
                 "se_model", "distribution", "ci_distribution", "weights", "n_boot", "seed",
                 "note")
_ROW_KEYS = tuple(c for c in TABLE_COLUMNS if c not in ("method", "convention"))


def _nan_row(k: int, reason: str) -> dict:
    return {"estimate": np.nan, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
            "p": np.nan, "nsnp": k, "se_model": "", "distribution": "", "ci_distribution": "",
            "weights": "", "n_boot": None, "seed": None, "note": f"not estimable: {reason}"}


def method_rows(data: MRData, methods: Iterable[str], conv: Convention, seed: int, n_boot: int,
                options: Mapping[str, Any] | None = None) -> list[dict]:
    """Result rows (dicts) of ``methods`` on one exposure-outcome pair, in the order asked.

    Each id runs through the registry (:func:`mrkit.methods.registry.get_method`) on the pair as a batch of
    one: on the canonical variants (sorted by SNP id, bx > 0) or on the rows as given, as the method says.
    A method that cannot run gives a row of NaN numbers with ``not estimable: <reason>`` in ``note``. When an LD
    matrix is given (option ``ld``), the rows of methods that assume independent variants say that they did not
    use it and which methods do (those registered with ``uses_ld``: ``ivw_correl``, ``egger_correl``, ...).
    """
    methods = list(methods)
    ld_users = ""
    if (options or {}).get("ld") is not None:
        users = [m for m in METHODS if get_method(m).uses_ld]
        ld_users = ", ".join(users[:-1]) + " and " + users[-1]
    pairs = {"canonical": data.canonical(), "given": data}
    contexts = {order: Context(convention=conv, seed=seed, n_boot=n_boot, options=dict(options or {}),
                               snp=pair.snp, inputs=pair.inputs, requested=tuple(methods))
                for order, pair in pairs.items()}
    rows = []
    for method_id in methods:
        method = get_method(method_id)
        pair = pairs[method.order]
        try:
            row = result_rows(method(tuple(a[None, :] for a in pair.arrays()), contexts[method.order]),
                              _ROW_KEYS + method.row_keys)[0]
            note = row.get("note") or ""
            if isinstance(row["estimate"], float) and math.isnan(row["estimate"]) and note.startswith(NOT_ESTIMABLE):
                row = _nan_row(data.k, note[len(NOT_ESTIMABLE):])
        except NotEstimable as exc:
            row = _nan_row(data.k, str(exc))
        if ld_users and not method.uses_ld:
            unused = f"the LD matrix is not used: {method_id} assumes independent variants ({ld_users} use it)"
            row = {**row, "note": "; ".join(n for n in (row.get("note") or "", unused) if n)}
        rows.append({**data.labels, "method": method_id, **{c: row.get(c) for c in TABLE_COLUMNS if c != "method"},
                     "convention": conv.name, **{c: row.get(c) for c in method.row_keys}})
    return rows


def _check_methods(methods) -> list[str] | None:
    if methods is None:
        return None
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    if list(methods) == ["all"]:
        return list(METHODS)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise InputError(f"unknown method(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(METHODS)} (or all)", column="methods")
    return list(dict.fromkeys(methods))


def _tidy(rows: list[dict], labels: list[str]) -> pd.DataFrame:
    import pandas as pd

    extras = list(dict.fromkeys(c for row in rows for c in row if c not in labels and c not in TABLE_COLUMNS))
    table = pd.DataFrame(rows, columns=[*labels, *TABLE_COLUMNS, *extras])
    for col in ("estimate", "se", "ci_lower", "ci_upper", "p"):
        table[col] = table[col].astype(float)
    table["nsnp"] = table["nsnp"].astype("int64")
    for col in ("n_boot", "seed"):
        table[col] = pd.array([None if v is None or (isinstance(v, float) and np.isnan(v))
                               else int(v) for v in table[col]], dtype="Int64")
    return table


def mr(data: Any, methods: Iterable[str] | str | None = None, convention: str = "twosamplemr",
       seed: int | None = None, n_boot: int | None = None, *, ml_optimizer: str = "nelder_mead",
       presso_n: int = 1000, options: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Two-sample MR estimates for every exposure-outcome pair of ``data``.

    Parameters
    ----------
    data : pandas.DataFrame, dict of arrays or MRData
        Harmonised input with TwoSampleMR (``SNP, beta.exposure, se.exposure, beta.outcome,
        se.outcome``, optional ``mr_keep``, ``exposure``, ``outcome``) or short names
        (``SNP, bx, bxse, by, byse``); rows with ``mr_keep == False`` are excluded.
    methods : list of str or comma-separated str, optional
        Ids from :data:`METHODS` (``"all"``: every one; a method that cannot run on the data, such as
        ``wald_ratio`` with more than one SNP or ``hetpen`` above 20, gives a row saying why); default
        :data:`DEFAULT_METHODS` (TwoSampleMR's defaults plus ``ml`` and ``raps``), or ``wald_ratio`` alone for a
        single SNP.
    convention : {"twosamplemr", "mendelianrandomization"}
        Which R package's standard errors, weights and p-value distributions to reproduce
        (:mod:`mrkit.methods.conventions`).
    seed : int, optional
        Seed of every bootstrap (default :data:`mrkit.rng.DEFAULT_SEED`), reported per row.
    n_boot : int, optional
        Bootstrap draws for medians and modes; default 1000 (TwoSampleMR) or 10000
        (MendelianRandomization).
    ml_optimizer : {"nelder_mead", "profile"}
        R's Nelder-Mead (reproduces R) or the exact maximum (:func:`mrkit.methods.ml.mr_ml`).
    presso_n : int
        MR-PRESSO null distributions for the optional ``presso`` method.
    options : mapping, optional
        Further method options by name (read by the methods that know them, see
        :class:`mrkit.methods.registry.Context`); ``ml_optimizer`` and ``presso_n`` are options too. Among them:
        ``lasso_lambda`` (MR-Lasso's fixed penalty, glmnet's scale), ``ld`` (a (k, k) LD matrix of the variants in
        the order given, for ``ivw_correl``, ``egger_correl``, ``clr`` and ``pcgmm``), ``pivw_n_boot``,
        ``hetpen_grid_min``/``max``, ``radial_n_boot``.

    Returns
    -------
    pandas.DataFrame
        Columns ``exposure``/``outcome`` (when the input has them), then
        :data:`TABLE_COLUMNS`, then the extra quantities the methods asked for put in their rows (NaN in the
        rows of other methods). ``attrs`` holds ``n_excluded`` (mr_keep) per pair.

    References
    ----------
    Hemani G, et al. (2018). eLife 7:e34408. Yavorska OO, Burgess S (2017). Int J Epidemiol
    46:1734-1739.
    """
    conv = get_convention(convention)
    used_seed = resolve_seed(seed)
    n_boot = _checked_n_boot(n_boot, conv)
    pairs = split_pairs(data)
    labels = list(dict.fromkeys(c for p in pairs for c in p.labels))
    rows = [row for pair in pairs for row in mr_rows(pair, methods, conv.name, used_seed, n_boot,
                                                      ml_optimizer=ml_optimizer, presso_n=presso_n,
                                                      options=options)]
    table = _tidy(rows, labels)
    table.attrs["n_excluded"] = [p.n_excluded for p in pairs]
    table.attrs["convention"] = conv.name
    table.attrs["seed"] = used_seed
    return table


def mr_rows(pair: MRData, methods: Iterable[str] | str | None = None, convention: str = "twosamplemr",
            seed: int | None = None, n_boot: int | None = None, *, ml_optimizer: str = "nelder_mead",
            presso_n: int = 1000, options: Mapping[str, Any] | None = None) -> list[dict]:
    """The rows :func:`mr` gives for one exposure-outcome pair, as dicts with the keys of
    :data:`TABLE_COLUMNS` after the pair's labels, then each method's extra keys (no pandas needed: the command
    line uses this)."""
    conv = get_convention(convention)
    n_boot = _checked_n_boot(n_boot, conv)
    chosen = _check_methods(methods)
    todo = chosen or (["wald_ratio"] if pair.k == 1 else list(DEFAULT_METHODS))
    return method_rows(pair, todo, conv, resolve_seed(seed), n_boot,
                       {"ml_optimizer": ml_optimizer, "presso_n": presso_n, **(options or {})})


def _checked_n_boot(n_boot, conv: Convention) -> int:
    if n_boot is None:
        n_boot = conv.n_boot
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or n_boot < 2:
        raise InputError(f"n_boot must be an integer >= 2, got {n_boot!r}", column="n_boot")
    return int(n_boot)


def _df_of(label: str) -> float | None:
    if not isinstance(label, str) or not label.startswith("t("):
        return None
    return float(label[2:-1])


def odds_ratios(table: pd.DataFrame, ci: str = "table", level: float = 0.95) -> pd.DataFrame:
    """Add ``or``, ``or_lci95``, ``or_uci95`` (exp of the estimate and of its CI).

    Parameters
    ----------
    ci : {"table", "twosamplemr", "matched"}
        ``table`` (default): exponentiate the table's own ``ci_lower``/``ci_upper``, i.e. the
        interval of the table's convention (under twosamplemr that is already
        ``TwoSampleMR::generate_odds_ratios``'s ``b -/+ 1.96 se`` for every method).
        ``twosamplemr``: ``b -/+ 1.96 se`` whatever the table's convention. ``matched``: the CI
        quantile follows each row's p-value ``distribution`` (t rows, such as TwoSampleMR's
        MR-Egger and mode rows, use the t quantile): what neither R package reports.
        A row without an SE whose interval is not ``b -/+ q se`` (a contamination-mixture or HetPen
        likelihood set, a CLR interval) keeps its own ``ci_lower``/``ci_upper`` under every rule, and a
        row of :data:`NOT_AN_EFFECT` (the sign concordance test) gets no odds ratio (NaN): its estimate
        is not on the log odds scale.

    References
    ----------
    Hemani G, et al. (2018). eLife 7:e34408 (``generate_odds_ratios``, format_mr_results2.R).
    """
    out = table.copy()
    b, se = out["estimate"].to_numpy(float), out["se"].to_numpy(float)
    if ci == "twosamplemr":
        lo, hi = b - 1.96 * se, b + 1.96 * se
    elif ci == "table":
        lo, hi = out["ci_lower"].to_numpy(float), out["ci_upper"].to_numpy(float)
    elif ci == "matched":
        bounds = [confidence_interval(bi, si, _df_of(d), level) if np.isfinite(si)
                  else (np.nan, np.nan) for bi, si, d in zip(b, se, out["distribution"])]
        lo = np.array([x[0] for x in bounds], dtype=float)
        hi = np.array([x[1] for x in bounds], dtype=float)
    else:
        raise InputError(f"ci must be 'matched', 'twosamplemr' or 'table', got {ci!r}",
                         column="ci")
    if ci != "table":  # no SE: the row's own interval (a likelihood set, a test inversion), not NaN
        own = ~np.isfinite(se)
        lo = np.where(own, out["ci_lower"].to_numpy(float), lo)
        hi = np.where(own, out["ci_upper"].to_numpy(float), hi)
    effect = ~out["method"].isin(NOT_AN_EFFECT).to_numpy() if "method" in out else np.ones(len(out), bool)
    out["or"], out["or_lci95"], out["or_uci95"] = (np.where(effect, np.exp(v), np.nan) for v in (b, lo, hi))
    return out
