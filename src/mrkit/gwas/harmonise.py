# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) harmonise_data, R/harmonise.R.
"""Harmonisation of exposure and outcome associations to the same effect allele (TwoSampleMR rules).

An MR estimate is only meaningful when both associations of a variant refer to the same allele.
:func:`harmonise` ports TwoSampleMR 0.7.9 ``harmonise_data`` (``harmonise_22``, tolerance 0.08):

* merge on ``SNP``; alleles upper-cased; an outcome EAF of "NR" is missing;
* outcome alleles swapped relative to the exposure -> negate the outcome beta, EAF -> 1 - EAF;
* non-palindromic variants that still do not match -> complement the outcome alleles (strand flip)
  and try the swap again; anything still unmatched is ``remove`` (incompatible alleles);
* palindromic = A/T or C/G exposure alleles; **ambiguous** = palindromic and 0.42 < EAF < 0.58
  (strict) in either dataset, a missing EAF counting as 0.5;
* ``action = 1``: only ``remove`` leaves the analysis; ``action = 2`` (default): palindromes whose two
  EAFs lie on opposite sides of 0.5 are flipped, and ``remove | ambiguous`` leave; ``action = 3``:
  every palindrome leaves too;
* ``mr_keep`` is also False when a beta or SE is missing.

Rows are kept in exposure order: ``mr_keep`` says which enter MR, the ``attrs["log"]`` counts say why
the others do not (STROBE-MR item 10a, see :func:`harmonisation_flow`). Only the both-alleles case
(TwoSampleMR's "2-2") is ported; a row missing an allele is removed and counted. D/I-coded indels are
recoded as in ``recode_indels_22``.

Before that, both inputs go through the rule engine of :mod:`mrkit.gwas.schema`, in memory as from a file
(:mod:`mrkit.gwas.harmonise_input`): missing p-values and sample sizes are filled as TwoSampleMR
``format_data`` fills them (counted); a row with an invalid value (SE <= 0 or infinite, p outside [0, 1],
EAF outside (0, 1), a bad allele) is dropped and counted by reason (``strict=True`` refuses instead); an
exact repeat of a row counts once and a variant repeated with different values leaves; drops and fills
of the files' readers (in ``attrs``) are carried into the log too. Variants are matched on the id, then,
for ids not found, on the position and the unordered, strand-free allele pair, then through LD proxies
(:mod:`mrkit.gwas.matching`); a variant with several ids (FinnGen ``rsids``) matches under each
(:mod:`mrkit.gwas.io.aliases`). Several outcome records of one id (a multi-allelic site) are resolved as
TwoSampleMR does: the record whose alleles match the exposure's is used (exact before strand-flipped).
An exposure instrument at a multi-allelic site keeps its most significant record. The allele alignment
is :mod:`mrkit.gwas.alignment`, the log and its flow table :mod:`mrkit.gwas.flow`.

References
----------
Hemani G, Zheng J, Elsworth B, et al. (2018). The MR-Base platform supports systematic causal
inference across the human phenome. eLife 7:e34408.
Hartwig FP, Davies NM, Hemani G, Davey Smith G (2016). Two-sample Mendelian randomization:
avoiding the downsides of a powerful, widely applicable but potentially fallible technique.
Int J Epidemiol 45:1717-1726.
Skrivankova VW et al. (2021). Strengthening the reporting of observational studies in epidemiology
using Mendelian randomization: the STROBE-MR statement. JAMA 326:1614-1621.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .alignment import align_alleles
from .flow import DROPPED_PREFIX, LOG_KEYS, dropped_counts, dropped_ids, filled_counts, harmonisation_flow
from .harmonise_input import PROXY_COLUMNS, checked, default_name, exposure_records, to_twosamplemr
from .io.aliases import resolve_aliases
from .matching import (
    match_by_position,
    outcome_candidates,
    resolve_multiallelic,
    rows_with_ids,
    stand_in_columns,
    stand_ins,
)
from .schema import DropLog

__all__ = ["harmonise", "to_twosamplemr", "harmonisation_flow", "mr_input", "refuse_self_pair", "rows_with_ids",
           "LOG_KEYS", "OUTPUT_COLUMNS", "DROPPED_PREFIX"]

OUTPUT_COLUMNS = ("SNP", "effect_allele.exposure", "other_allele.exposure", "effect_allele.outcome",
                  "other_allele.outcome", "beta.exposure", "beta.outcome", "eaf.exposure", "eaf.outcome",
                  "se.exposure", "se.outcome", "pval.exposure", "pval.outcome", "samplesize.exposure",
                  "samplesize.outcome", "exposure", "outcome", "remove", "palindromic", "ambiguous", "mr_keep")


def harmonise(exposure: pd.DataFrame, outcome: pd.DataFrame, *, action: int = 2, tolerance: float = 0.08,
              exposure_name: str | None = None, outcome_name: str | None = None,
              proxies: pd.DataFrame | None = None, strict: bool = False) -> pd.DataFrame:
    """Align outcome associations to the exposure's effect alleles (TwoSampleMR ``harmonise_data``).

    Parameters
    ----------
    exposure, outcome : internal-schema frames (from :func:`mrkit.gwas.io.read_sumstats`) or TwoSampleMR
        frames (``SNP, beta.exposure, ...`` / ``SNP, beta.outcome, ...``). Variants are matched on the
        id, else on chromosome, position and the unordered allele pair (see the module docstring).
    action : 1, 2 (default) or 3, as in TwoSampleMR (see the module docstring).
    tolerance : palindromes with an EAF strictly inside ``0.5 +/- tolerance`` are ambiguous (0.08).
    exposure_name, outcome_name : trait labels for the ``exposure``/``outcome`` columns.
    proxies : a :func:`mrkit.gwas.proxies.find_proxies` table; exposure variants absent from the outcome are
        replaced by their proxy's outcome association, re-expressed for the target's alleles. Without it,
        outcome rows flagged ``proxy`` (``proxy.outcome``: OpenGWAS associations with proxies, already
        labelled with the target and its alleles) are used as they are and counted as found by proxy.
    strict : refuse (InputError naming the row and column) a row with an invalid value instead of
        dropping and counting it (policies: :data:`mrkit.gwas.rules.RULES`). Only the outcome rows of
        the instruments (and their proxies) are checked: the rest of an outcome GWAS is not used.

    Returns
    -------
    DataFrame
        :data:`OUTPUT_COLUMNS` (plus ``proxy, target_snp, proxy_snp, proxy_r2`` when ``proxies`` is
        given or the outcome flags proxy rows), one row per exposure variant found in the outcome, in exposure
        order. ``attrs["log"]`` holds the counts :data:`LOG_KEYS` (plus ``"exposure_dropped: <reason>"`` and
        ``"outcome_dropped: <reason>"`` counts of invalid rows, ``"exposure_filled: <reason>"`` and
        ``"outcome_filled: <reason>"`` counts of values filled in, the readers' included);
        ``attrs["harmonise"]`` the settings.

    Raises
    ------
    InputError
        Bad settings, text in a numeric column, no id or beta column; with ``strict``, any invalid row.

    References
    ----------
    Hemani G et al. (2018). eLife 7:e34408. Hartwig FP et al. (2016). Int J Epidemiol 45:1717-1726.
    """
    if action not in (1, 2, 3):
        raise InputError(f"action must be 1, 2 or 3, got {action!r}", column="action")
    if not (np.isfinite(tolerance) and 0.0 <= tolerance < 0.5):
        raise InputError(f"tolerance must be in [0, 0.5), got {tolerance!r}", column="tolerance")
    xlog = DropLog(None, strict, unit="row")
    ylog = DropLog(None, strict, unit="row")
    exposure, outcome = resolve_aliases(exposure, outcome)  # a variant with several ids (FinnGen rsids)
    x = exposure_records(checked(to_twosamplemr(exposure, "exposure", exposure_name), "exposure", xlog), xlog)
    x = x.reset_index(drop=True)
    positions = outcome_candidates(outcome, x, proxies)
    try:
        y = to_twosamplemr(outcome.iloc[positions], "outcome", outcome_name)
    except InputError as exc:  # name the caller's row, not the position in the subset
        if exc.row is None or exc.line is not None:
            raise
        raise InputError(exc.message, file=exc.file, row=int(positions[exc.row]), column=exc.column) from None
    y = checked(y.set_axis(positions), "outcome", ylog, positions)

    flagged = stand_ins(y) if proxies is None else None  # OpenGWAS rows already standing in for a target
    direct = x["SNP"].isin(y["SNP"] if flagged is None else y.loc[~flagged, "SNP"]).to_numpy()
    y, by_position = match_by_position(x, y, direct)
    y, multiallelic = resolve_multiallelic(x, y, ylog)
    y = y.reset_index(drop=True)
    stand_in = stand_ins(y) if proxies is None else None
    outcome_rows = y.drop(columns=[c for c in PROXY_COLUMNS if c in y.columns])
    if stand_in is not None:  # rows that are already a proxy's association, re-labelled as their target
        outcome_rows = outcome_rows.assign(**stand_in_columns(y, stand_in))
    if proxies is not None:
        from .proxies import proxy_outcome_rows

        wanted = proxies[proxies["target_snp"].isin(x.loc[~direct & ~by_position, "SNP"])]
        substitutes = proxy_outcome_rows(y, wanted)
        outcome_rows = outcome_rows.assign(proxy=False, target_snp=outcome_rows["SNP"], proxy_snp=None,
                                           proxy_r2=np.nan)
        outcome_rows = pd.concat([outcome_rows, substitutes[outcome_rows.columns]], ignore_index=True)
    found = x["SNP"].isin(outcome_rows["SNP"]).to_numpy()
    by_proxy = found & ~direct & ~by_position
    invalid_ids = dropped_ids(outcome, ylog)
    invalid = ~found & x["SNP"].isin(invalid_ids).to_numpy()
    merged = x.merge(outcome_rows, on="SNP", how="inner", sort=False)  # keeps exposure order

    al = align_alleles(merged, tolerance, action)
    remove, palindromic, ambiguous = al["remove"], al["palindromic"], al["ambiguous"]
    out = merged.copy()
    out["effect_allele.exposure"], out["other_allele.exposure"] = al["a1"], al["a2"]
    out["effect_allele.outcome"], out["other_allele.outcome"] = al["b1"], al["b2"]
    out["beta.outcome"], out["eaf.outcome"] = al["beta_b"], al["f_b"]
    out["remove"], out["palindromic"], out["ambiguous"] = remove, palindromic, ambiguous
    excluded = remove.copy()
    if action == 2:
        excluded |= ambiguous
    elif action == 3:
        excluded |= palindromic | ambiguous
    values = out[["beta.exposure", "beta.outcome", "se.exposure", "se.outcome"]].to_numpy(dtype=float)
    missing_values = np.isnan(values).any(axis=1)
    out["mr_keep"] = ~excluded & ~missing_values
    columns = list(OUTPUT_COLUMNS) + (list(PROXY_COLUMNS) if proxies is not None or stand_in is not None else [])
    out = out[columns].reset_index(drop=True)

    log: dict[str, int] = {}
    log.update(dropped_counts("exposure", exposure, xlog))
    log.update(filled_counts("exposure", exposure, xlog))
    log.update({
        "candidate_instruments": int(len(x)),
        "found_in_outcome": int(direct.sum()),
        "found_by_position": int(by_position.sum()),
        "found_by_proxy": int(by_proxy.sum()),
        "absent_from_outcome": int((~found & ~invalid).sum()),
        "invalid_in_outcome": int(invalid.sum()),
        "multiallelic_resolved": multiallelic,
        "swapped": int(al["swapped"].sum()),
        "strand_flipped": int(al["strand_flipped"].sum()),
        "palindromic_flipped": int(al["palindrome_flip"].sum()),
        "palindromic_ambiguous_removed": int((ambiguous & ~remove).sum()) if action in (2, 3) else 0,
        "palindromic_removed": int((palindromic & ~ambiguous & ~remove).sum()) if action == 3 else 0,
        "incompatible_removed": int((remove & al["has_alleles"]).sum()),
        "missing_allele_removed": int((~al["has_alleles"]).sum()),
        "missing_values_removed": int((~excluded & missing_values).sum()),
        "kept": int(out["mr_keep"].sum()),
    })
    log.update(filled_counts("outcome", outcome, ylog))
    log.update(dropped_counts("outcome", outcome, ylog))
    exposure_label = str(x["exposure"].iloc[0]) if len(x) else (exposure_name or default_name(exposure, "exposure"))
    outcome_label = str(y["outcome"].iloc[0]) if len(y) else (outcome_name or default_name(outcome, "outcome"))
    out.attrs = {"log": log, "harmonise": {"action": action, "tolerance": float(tolerance),
                                           "exposure": exposure_label, "outcome": outcome_label}}
    return out


def refuse_self_pair(harmonised: pd.DataFrame, exposure: str = "the exposure", outcome: str = "the outcome") -> None:
    """Refuse a harmonised table whose outcome associations are the exposure's own: every variant with
    ``mr_keep``, two or more, has the same beta and the same SE on both sides (one GWAS file, or one trait, given
    as both). Every estimator then returns exactly 1 (with a small SE), a number without meaning; TwoSampleMR
    does not check. One variant alike on both sides may be a coincidence of rounded numbers: it passes.
    ``exposure``/``outcome`` name the inputs in the message.

    Raises :class:`~mrkit.errors.InputError` (no file, line or column: the two inputs as a whole are wrong).
    """
    kept = harmonised[harmonised["mr_keep"].to_numpy(dtype=bool)]
    if len(kept) < 2:
        return
    columns = kept[["beta.exposure", "se.exposure", "beta.outcome", "se.outcome"]].to_numpy(dtype=float)
    if np.array_equal(columns[:, :2], columns[:, 2:]):
        raise InputError(f"{outcome} holds the exposure's own associations: all {len(kept)} instruments have the "
                         f"same beta and SE in {exposure} and {outcome} (one GWAS given as both?); an MR of a "
                         "trait on itself gives 1: give the outcome's GWAS")


def mr_input(harmonised: pd.DataFrame, *, keep_only: bool = True) -> pd.DataFrame:
    """The short estimator input ``SNP, bx, bxse, by, byse`` (rows with ``mr_keep`` by default)."""
    rows = harmonised[harmonised["mr_keep"].to_numpy(dtype=bool)] if keep_only else harmonised
    return pd.DataFrame({"SNP": rows["SNP"].to_numpy(), "bx": rows["beta.exposure"].to_numpy(dtype=float),
                         "bxse": rows["se.exposure"].to_numpy(dtype=float),
                         "by": rows["beta.outcome"].to_numpy(dtype=float),
                         "byse": rows["se.outcome"].to_numpy(dtype=float)})
