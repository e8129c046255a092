# SPDX-License-Identifier: GPL-3.0-or-later
# Ported from TwoSampleMR 0.7.9 (MIT) harmonise_data and harmonise_22, R/harmonise.R.
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

Before that, both inputs go through the schema of :mod:`mrkit.gwas.schema`, in memory as from a file:
a row with an invalid value (SE <= 0 or infinite, p outside [0, 1], EAF outside (0, 1), a bad allele) is
dropped and counted by reason (``strict=True`` refuses instead); drops of the files' readers (in
``attrs["dropped"]``) are carried into the log too. Variants are matched on the id, then, for ids not
found, on the position and the unordered, strand-free allele pair (files without rsids build ids as
chrom:pos:A1:A2 in their own allele order), then through LD proxies. Several outcome records of one id
(a multi-allelic site) are resolved as TwoSampleMR does: the record whose alleles match the exposure's
is used (exact before strand-flipped). An exposure instrument at a multi-allelic site keeps its most
significant record.

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

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, shown
from .columns import resolve_columns
from .ld import complement, is_palindromic
from .schema import DropLog, allele_pair, check_rows, duplicate_records, normalise_chrom, variant_keys

__all__ = ["harmonise", "to_twosamplemr", "harmonisation_flow", "mr_input", "rows_with_ids", "LOG_KEYS",
           "OUTPUT_COLUMNS"]

#: Keys of ``attrs["log"]``, in flow-diagram order. Rows dropped as invalid are added as
#: ``"exposure_dropped: <reason>"`` / ``"outcome_dropped: <reason>"`` keys when there are any.
LOG_KEYS = ("candidate_instruments", "found_in_outcome", "found_by_position", "found_by_proxy",
            "absent_from_outcome", "invalid_in_outcome", "multiallelic_resolved", "swapped", "strand_flipped",
            "palindromic_flipped", "palindromic_ambiguous_removed", "palindromic_removed", "incompatible_removed",
            "missing_allele_removed", "missing_values_removed", "kept")
DROPPED_PREFIX = {"exposure": "exposure_dropped: ", "outcome": "outcome_dropped: "}

OUTPUT_COLUMNS = ("SNP", "effect_allele.exposure", "other_allele.exposure", "effect_allele.outcome",
                  "other_allele.outcome", "beta.exposure", "beta.outcome", "eaf.exposure", "eaf.outcome",
                  "se.exposure", "se.outcome", "pval.exposure", "pval.outcome", "samplesize.exposure",
                  "samplesize.outcome", "exposure", "outcome", "remove", "palindromic", "ambiguous", "mr_keep")
_PROXY_COLUMNS = ("proxy", "target_snp", "proxy_snp", "proxy_r2")
_VALUE_FIELDS = (("effect_allele", "effect_allele"), ("other_allele", "other_allele"), ("eaf", "eaf"),
                 ("beta", "beta"), ("se", "se"), ("p", "pval"), ("n", "samplesize"))


def _default_name(frame: pd.DataFrame, role: str) -> str:
    if role in frame.columns and frame[role].notna().any():
        return str(frame[role].dropna().iloc[0])
    for key in ("trait", "study"):
        if frame.attrs.get(key):
            return str(frame.attrs[key])
    if frame.attrs.get("source"):
        return Path(str(frame.attrs["source"])).name.split(".")[0]
    return role


def _floats(frame: pd.DataFrame, column: str | None, *, nr_is_missing: bool = False) -> np.ndarray:
    if column is None:
        return np.full(len(frame), np.nan)
    raw = frame[column]
    if nr_is_missing and not pd.api.types.is_numeric_dtype(raw):  # TwoSampleMR: EAF "NR" = not reported
        raw = raw.mask(raw.astype("str").str.strip().str.upper().eq("NR"))
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text = raw.notna().to_numpy() & np.isnan(values)
    if text.any():
        row = int(np.flatnonzero(text)[0])
        raise InputError(f"value {shown(raw.iloc[row])} is not a number", file=frame.attrs.get("source"), row=row,
                         column=column)
    return values


def _alleles(frame: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(frame), None, dtype=object)
    values = frame[column].astype("str").str.strip().str.upper()
    values = values.where(frame[column].notna() & (values != ""), None)
    return values.to_numpy(dtype=object)


def to_twosamplemr(frame: pd.DataFrame, role: str, name: str | None = None) -> pd.DataFrame:
    """An internal-schema or TwoSampleMR frame as TwoSampleMR columns for ``role`` ("exposure"/"outcome").

    Columns: ``SNP``, ``effect_allele.<role>``, ``other_allele.<role>``, ``eaf.<role>``, ``beta.<role>``,
    ``se.<role>``, ``pval.<role>``, ``samplesize.<role>``, ``chr.<role>``, ``pos.<role>`` (missing where
    the frame has none) and ``<role>`` (the trait name); alleles stripped and upper-case, numbers as
    float (text in a numeric column is an error naming row and column). No row is checked or dropped
    here: :func:`harmonise` applies the schema.
    """
    if role not in ("exposure", "outcome"):
        raise InputError(f"role must be 'exposure' or 'outcome', got {role!r}", column="role")
    cols = resolve_columns(frame, role if f"beta.{role}" in frame.columns else None)
    if cols["snp"] is None or cols["beta"] is None:
        raise InputError(f"the {role} table needs a variant id and a beta column", file=frame.attrs.get("source"))
    snp = frame[cols["snp"]]
    out = pd.DataFrame({"SNP": snp.astype("str").str.strip().where(snp.notna()).to_numpy(dtype=object)})
    for field, tsmr in _VALUE_FIELDS:
        column = f"{tsmr}.{role}"
        if field in ("effect_allele", "other_allele"):
            out[column] = _alleles(frame, cols[field])
        else:
            out[column] = _floats(frame, cols[field], nr_is_missing=field == "eaf")
    chrom = frame[cols["chrom"]] if cols["chrom"] is not None else None
    out[f"chr.{role}"] = (normalise_chrom(chrom).where(chrom.notna()).to_numpy(dtype=object)
                          if chrom is not None else np.full(len(frame), None, dtype=object))
    out[f"pos.{role}"] = _floats(frame, cols["pos"])
    out[role] = name if name is not None else _default_name(frame, role)
    for extra in _PROXY_COLUMNS:
        column = extra if extra in frame.columns else f"{extra}.{role}"  # TwoSampleMR: proxy.outcome, ...
        if column in frame.columns:
            out[extra] = frame[column].to_numpy()
    out.attrs = {"source": frame.attrs.get("source")}
    return out


def _checked(table: pd.DataFrame, role: str, log: DropLog, rows: np.ndarray | None = None) -> pd.DataFrame:
    """The schema's per-row rules on a :func:`to_twosamplemr` table; returns the valid rows.

    Missing alleles, betas and SEs are not drops here: as in TwoSampleMR they stay in the harmonised
    table with ``mr_keep = FALSE`` and are counted in the log ("Missing allele", "Missing beta or SE").
    ``rows`` are the positions named in messages (default 0..n-1).
    """
    positions = np.arange(len(table)) if rows is None else rows
    frame = pd.DataFrame({"chrom": table[f"chr.{role}"], "pos": table[f"pos.{role}"],
                          **{field: table[f"{tsmr}.{role}"] for field, tsmr in _VALUE_FIELDS}})
    origin = {field: f"{tsmr}.{role}" for field, tsmr in _VALUE_FIELDS
              if table[f"{tsmr}.{role}"].notna().any()}
    keep = check_rows(frame, origin, log, positions, ids=table["SNP"].to_numpy(dtype=object), required=())
    keep &= log.drop("missing snp", table["SNP"].isna().to_numpy() & keep, positions, "SNP")
    log.raise_first()
    return table.loc[keep]


def rows_with_ids(frame: pd.DataFrame, column: str, wanted: list[str]) -> np.ndarray:
    """Positions of the rows of ``frame`` whose ``column`` (as text) is one of ``wanted``, in order.

    A hash look-up in arrow for text columns (a 500,000-row GWAS takes milliseconds); other columns are
    compared as their text, as :func:`to_twosamplemr` writes them.
    """
    values = frame[column]
    try:
        arr = pa.array(values, from_pandas=True)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            hit = pc.is_in(arr, value_set=pa.array(wanted, type=arr.type))
            return np.flatnonzero(pc.fill_null(hit, False).to_numpy(zero_copy_only=False))
    except (pa.ArrowException, TypeError, ValueError):
        pass
    return np.flatnonzero(values.astype("str").isin(wanted).to_numpy())


def _stand_ins(outcome: pd.DataFrame) -> np.ndarray | None:
    """Which outcome rows already stand in for their target through an LD proxy (a true ``proxy`` column,
    as in OpenGWAS ``associations(proxies = 1)`` and TwoSampleMR ``extract_outcome_data``), or None."""
    if "proxy" not in outcome.columns:
        return None
    flag = outcome["proxy"].map(lambda v: str(v).strip().lower() in ("true", "1", "1.0"))
    return flag.to_numpy(dtype=bool)


def _stand_in_columns(outcome: pd.DataFrame, stand_in: np.ndarray) -> dict[str, np.ndarray]:
    """The proxy columns of the harmonised table for outcome rows flagged by :func:`_stand_ins`."""
    n = len(outcome)
    proxy_snp = outcome["proxy_snp"].to_numpy(dtype=object) if "proxy_snp" in outcome else np.full(n, None, object)
    r2 = (pd.to_numeric(outcome["proxy_r2"], errors="coerce").to_numpy(dtype=float) if "proxy_r2" in outcome
          else np.full(n, np.nan))
    return {"proxy": stand_in, "target_snp": outcome["SNP"].to_numpy(dtype=object),
            "proxy_snp": np.where(stand_in, proxy_snp, None), "proxy_r2": np.where(stand_in, r2, np.nan)}


def _pairs(table: pd.DataFrame, role: str) -> np.ndarray:
    ea = table[f"effect_allele.{role}"].to_numpy(dtype=object)
    pair = allele_pair(ea, table[f"other_allele.{role}"].to_numpy(dtype=object))
    return np.where(pd.isnull(pair), ea, pair)


def _keys(table: pd.DataFrame, role: str) -> np.ndarray:
    return variant_keys(table["SNP"].to_numpy(dtype=object), table[f"chr.{role}"].to_numpy(dtype=object),
                        table[f"pos.{role}"].to_numpy(dtype=float), table[f"effect_allele.{role}"].to_numpy(dtype=object),
                        table[f"other_allele.{role}"].to_numpy(dtype=object))


def _drop_duplicates(table: pd.DataFrame, role: str, log: DropLog, positions: np.ndarray) -> pd.DataFrame:
    """Every copy of a duplicated variant (same id and alleles, or same position and alleles) leaves."""
    site = table[f"chr.{role}"].astype("str") + ":" + pd.Series(table[f"pos.{role}"]).astype("str") + ":" + \
        pd.Series(_pairs(table, role), index=table.index).astype("str")
    site = site.where(table[f"chr.{role}"].notna() & table[f"pos.{role}"].notna())
    dup, _ = duplicate_records(table["SNP"].to_numpy(dtype=object), _pairs(table, role),
                               site.to_numpy(dtype=object))
    keep = log.drop("duplicated variant", dup, positions, "SNP", table["SNP"], ids=table["SNP"].to_numpy(dtype=object))
    log.raise_first()
    return table.loc[keep]


def _exposure_records(table: pd.DataFrame, log: DropLog) -> pd.DataFrame:
    """One record per exposure id: at a multi-allelic site the most significant one (as clumping keeps)."""
    positions = np.asarray(table.index)
    table = _drop_duplicates(table, "exposure", log, positions)
    several = table["SNP"].duplicated(keep=False).to_numpy()
    if several.any():
        p = table["pval.exposure"].fillna(np.inf).to_numpy(dtype=float)
        order = np.lexsort((np.arange(len(table)), p))
        best = np.zeros(len(table), dtype=bool)
        best[order[~table["SNP"].iloc[order].duplicated(keep="first").to_numpy()]] = True
        keep = log.drop("multi-allelic site: a more significant record of the variant kept", several & ~best,
                        np.asarray(table.index), "SNP", table["SNP"])
        table = table.loc[keep]
    return table


def _fits(e1, e2, b1, b2) -> tuple[np.ndarray, np.ndarray]:
    """(exact, after a strand flip): do outcome alleles b1/b2 name the exposure's pair e1/e2?"""
    exact = ((b1 == e1) & (b2 == e2)) | ((b1 == e2) & (b2 == e1))
    c1, c2 = complement(b1), complement(b2)
    flipped = ((c1 == e1) & (c2 == e2)) | ((c1 == e2) & (c2 == e1))
    return exact, flipped


def _outcome_matching(exposure: pd.DataFrame, outcome: pd.DataFrame, log: DropLog) -> tuple[pd.DataFrame, int]:
    """Outcome rows, one per SNP: at a multi-allelic site, the record whose alleles fit the exposure's.

    An exact allele match beats a strand-flipped one; a site where no record fits keeps its first
    record (harmonisation then removes it as incompatible, as TwoSampleMR does); a site where several
    fit equally is dropped and counted. Returns the rows and the number of sites resolved.
    """
    several = outcome["SNP"].duplicated(keep=False).to_numpy()
    if not several.any():
        return outcome, 0
    alleles = exposure.set_index("SNP")[["effect_allele.exposure", "other_allele.exposure"]]
    sub = outcome.loc[several]
    ref = alleles.reindex(sub["SNP"])
    exact, flipped = _fits(ref["effect_allele.exposure"].to_numpy(dtype=object),
                           ref["other_allele.exposure"].to_numpy(dtype=object),
                           sub["effect_allele.outcome"].to_numpy(dtype=object),
                           sub["other_allele.outcome"].to_numpy(dtype=object))
    rank = np.where(exact, 2, np.where(flipped, 1, 0))
    frame = pd.DataFrame({"snp": sub["SNP"].to_numpy(), "rank": rank})
    best = frame.groupby("snp")["rank"].transform("max").to_numpy()
    top = rank == best
    ties = frame.assign(top=top).groupby("snp")["top"].transform("sum").to_numpy()
    first = ~frame["snp"].duplicated(keep="first").to_numpy()
    # one best record: use it; nothing fits: keep the first (removed later as incompatible alleles)
    chosen = np.where(best > 0, top & (ties == 1), first)
    ambiguous = (best > 0) & (ties > 1)
    positions = np.asarray(sub.index)
    log.drop("multi-allelic site: several records match the exposure's alleles", ambiguous, positions, "SNP",
             sub["SNP"], ids=sub["SNP"].to_numpy(dtype=object))
    keep = np.ones(len(outcome), dtype=bool)
    keep[np.flatnonzero(several)[~chosen]] = False
    resolved = int(pd.unique(sub["SNP"].to_numpy()[chosen & (best > 0)]).size)
    return outcome.loc[keep], resolved


def _recode_indels(a1, a2, b1, b2) -> tuple[np.ndarray, ...]:
    """TwoSampleMR ``recode_indels_22``: D/I codes to sequences when the other dataset has them."""
    a1, a2, b1, b2 = (np.array(x, dtype=object) for x in (a1, a2, b1, b2))
    na1, na2 = np.array([len(x) for x in a1]), np.array([len(x) for x in a2])
    nb1, nb2 = np.array([len(x) for x in b1]), np.array([len(x) for x in b2])
    o1, o2, p1, p2 = a1.copy(), a2.copy(), b1.copy(), b2.copy()
    for longer, code in ((na1 > na2, ("I", "D")), (na1 < na2, ("D", "I"))):
        m = longer & (b1 == code[0]) & (b2 == code[1])
        p1[m], p2[m] = a1[m], a2[m]
        m = longer & (b1 == code[1]) & (b2 == code[0])
        p1[m], p2[m] = a2[m], a1[m]
    for longer, code in ((nb1 > nb2, ("I", "D")), (nb1 < nb2, ("D", "I"))):
        m = longer & (a1 == code[0]) & (a2 == code[1])
        o1[m], o2[m] = b1[m], b2[m]
        m = longer & (a1 == code[1]) & (a2 == code[0])
        o1[m], o2[m] = b2[m], b1[m]
    keep = np.ones(len(a1), dtype=bool)
    keep[(na1 > 1) & (na1 == na2) & ((b1 == "D") | (b1 == "I"))] = False
    keep[(nb1 > 1) & (nb1 == nb2) & ((a1 == "D") | (a1 == "I"))] = False
    keep[o1 == o2] = False
    keep[p1 == p2] = False
    return o1, o2, p1, p2, keep


def _harmonise_22(a1, a2, b1, b2, beta_b, f_a, f_b, tolerance: float, action: int) -> dict[str, np.ndarray]:
    """Vectorised TwoSampleMR ``harmonise_22`` (both alleles known in both datasets)."""
    a1, a2, b1, b2 = (np.array(x, dtype=object) for x in (a1, a2, b1, b2))
    beta_b, f_b = beta_b.copy(), f_b.copy()
    indel = np.array([len(x) > 1 for x in a1]) | np.array([len(x) > 1 for x in a2]) | (a1 == "D") | (a1 == "I")
    indel_keep = np.ones(len(a1), dtype=bool)
    if indel.any():
        r = _recode_indels(a1[indel], a2[indel], b1[indel], b2[indel])
        a1[indel], a2[indel], b1[indel], b2[indel] = r[:4]
        indel_keep[indel] = r[4]

    def swap(mask):
        b1[mask], b2[mask] = b2[mask], b1[mask].copy()
        beta_b[mask] *= -1
        f_b[mask] = 1 - f_b[mask]

    swapped = (a1 == b2) & (a2 == b1)
    swap(swapped)
    palindromic = is_palindromic(a1, a2)
    status = (a1 == b1) & (a2 == b2)
    tried_flip = ~palindromic & ~status
    b1[tried_flip], b2[tried_flip] = complement(b1[tried_flip]), complement(b2[tried_flip])
    swapped_after_flip = (a1 == b2) & (a2 == b1)
    swap(swapped_after_flip)
    status = (a1 == b1) & (a2 == b2)
    remove = ~status | ~indel_keep
    temp_a = np.where(np.isnan(f_a), 0.5, f_a)
    temp_b = np.where(np.isnan(f_b), 0.5, f_b)
    lo, hi = 0.5 - tolerance, 0.5 + tolerance
    ambiguous = (((temp_a > lo) & (temp_a < hi)) | ((temp_b > lo) & (temp_b < hi))) & palindromic
    palindrome_flip = np.zeros(len(a1), dtype=bool)
    if action == 2:
        opposite = ((temp_a < 0.5) & (temp_b > 0.5)) | ((temp_a > 0.5) & (temp_b < 0.5))
        palindrome_flip = opposite & palindromic & ~remove
        beta_b[palindrome_flip] *= -1
        f_b[palindrome_flip] = 1 - f_b[palindrome_flip]
    return {"a1": a1, "a2": a2, "b1": b1, "b2": b2, "beta_b": beta_b, "f_b": f_b, "remove": remove,
            "palindromic": palindromic, "ambiguous": ambiguous, "swapped": (swapped | swapped_after_flip) & ~remove,
            "strand_flipped": tried_flip & ~remove, "palindrome_flip": palindrome_flip}


def _align_alleles(merged: pd.DataFrame, tolerance: float, action: int) -> dict[str, np.ndarray]:
    """Alleles, outcome beta and EAF after alignment, and the flags of each row, for the rows of an
    exposure-outcome merge (TwoSampleMR ``harmonise_22``); rows lacking an allele stay ``remove``."""
    a1, a2 = merged["effect_allele.exposure"].to_numpy(dtype=object), merged["other_allele.exposure"].to_numpy(dtype=object)
    b1, b2 = merged["effect_allele.outcome"].to_numpy(dtype=object), merged["other_allele.outcome"].to_numpy(dtype=object)
    has_alleles = np.array([all(isinstance(v, str) for v in row) for row in zip(a1, a2, b1, b2)], dtype=bool)
    n = len(merged)
    out = {"a1": a1.copy(), "a2": a2.copy(), "b1": b1.copy(), "b2": b2.copy(),
           "beta_b": merged["beta.outcome"].to_numpy(dtype=float).copy(),
           "f_b": merged["eaf.outcome"].to_numpy(dtype=float).copy(),
           "remove": np.ones(n, dtype=bool), "has_alleles": has_alleles,
           **{k: np.zeros(n, dtype=bool) for k in ("palindromic", "ambiguous", "swapped", "strand_flipped",
                                                   "palindrome_flip")}}
    if has_alleles.any():
        h = has_alleles
        res = _harmonise_22(a1[h], a2[h], b1[h], b2[h], out["beta_b"][h],
                            merged["eaf.exposure"].to_numpy(dtype=float)[h], out["f_b"][h], tolerance, action)
        for key in ("a1", "a2", "b1", "b2", "beta_b", "f_b", "remove", "palindromic", "ambiguous", "swapped",
                    "strand_flipped", "palindrome_flip"):
            out[key][h] = res[key]
    return out


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
        dropping and counting it (policies: :data:`mrkit.gwas.schema.RULES`). Only the outcome rows of
        the instruments (and their proxies) are checked: the rest of an outcome GWAS is not used.

    Returns
    -------
    DataFrame
        :data:`OUTPUT_COLUMNS` (plus ``proxy, target_snp, proxy_snp, proxy_r2`` when ``proxies`` is
        given or the outcome flags proxy rows), one row per exposure variant found in the outcome, in exposure
        order. ``attrs["log"]`` holds the counts :data:`LOG_KEYS` (plus ``"exposure_dropped: <reason>"`` and
        ``"outcome_dropped: <reason>"`` counts of invalid rows, the readers' included);
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
    x = _exposure_records(_checked(to_twosamplemr(exposure, "exposure", exposure_name), "exposure", xlog), xlog)
    x = x.reset_index(drop=True)
    positions = _outcome_candidates(outcome, x, proxies)
    try:
        y = to_twosamplemr(outcome.iloc[positions], "outcome", outcome_name)
    except InputError as exc:  # name the caller's row, not the position in the subset
        if exc.row is None or exc.line is not None:
            raise
        raise InputError(exc.message, file=exc.file, row=int(positions[exc.row]), column=exc.column) from None
    y = _checked(y.set_axis(positions), "outcome", ylog, positions)
    y = _drop_duplicates(y, "outcome", ylog, np.asarray(y.index))

    flagged = _stand_ins(y) if proxies is None else None  # OpenGWAS rows already standing in for a target
    direct = x["SNP"].isin(y["SNP"] if flagged is None else y.loc[~flagged, "SNP"]).to_numpy()
    y, by_position = _match_by_position(x, y, direct)
    y, multiallelic = _outcome_matching(x, y, ylog)
    y = y.reset_index(drop=True)
    stand_in = _stand_ins(y) if proxies is None else None
    outcome_rows = y.drop(columns=[c for c in _PROXY_COLUMNS if c in y.columns])
    if stand_in is not None:  # rows that are already a proxy's association, re-labelled as their target
        outcome_rows = outcome_rows.assign(**_stand_in_columns(y, stand_in))
    if proxies is not None:
        from .proxies import proxy_outcome_rows

        wanted = proxies[proxies["target_snp"].isin(x.loc[~direct & ~by_position, "SNP"])]
        substitutes = proxy_outcome_rows(y, wanted)
        outcome_rows = outcome_rows.assign(proxy=False, target_snp=outcome_rows["SNP"], proxy_snp=None,
                                           proxy_r2=np.nan)
        outcome_rows = pd.concat([outcome_rows, substitutes[outcome_rows.columns]], ignore_index=True)
    found = x["SNP"].isin(outcome_rows["SNP"]).to_numpy()
    by_proxy = found & ~direct & ~by_position
    invalid_ids = _dropped_ids(outcome, ylog)
    invalid = ~found & x["SNP"].isin(invalid_ids).to_numpy()
    merged = x.merge(outcome_rows, on="SNP", how="inner", sort=False)  # keeps exposure order

    al = _align_alleles(merged, tolerance, action)
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
    columns = list(OUTPUT_COLUMNS) + (list(_PROXY_COLUMNS) if proxies is not None or stand_in is not None else [])
    out = out[columns].reset_index(drop=True)

    log: dict[str, int] = {}
    log.update(_dropped_counts("exposure", exposure, xlog))
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
    log.update(_dropped_counts("outcome", outcome, ylog))
    exposure_label = str(x["exposure"].iloc[0]) if len(x) else (exposure_name or _default_name(exposure, "exposure"))
    outcome_label = str(y["outcome"].iloc[0]) if len(y) else (outcome_name or _default_name(outcome, "outcome"))
    out.attrs = {"log": log, "harmonise": {"action": action, "tolerance": float(tolerance),
                                           "exposure": exposure_label, "outcome": outcome_label}}
    return out


def _outcome_candidates(outcome: pd.DataFrame, x: pd.DataFrame, proxies: pd.DataFrame | None) -> np.ndarray:
    """Positions of the outcome rows that can serve an instrument: its id, a proxy's id, or (for instruments
    whose id is not there) its position and alleles. The rest of an outcome GWAS is neither converted
    nor checked (it would cost seconds per harmonisation of a whole GWAS)."""
    cols = resolve_columns(outcome, "outcome" if "beta.outcome" in outcome.columns else None)
    if cols["snp"] is None or cols["beta"] is None:
        raise InputError("the outcome table needs a variant id and a beta column", file=outcome.attrs.get("source"))
    ids = outcome[cols["snp"]].astype("str").str.strip()
    wanted = set(x["SNP"]) | (set(proxies["proxy_snp"].dropna()) if proxies is not None else set())
    relevant = ids.isin(wanted).to_numpy().copy()
    unmatched = ~x["SNP"].isin(set(ids[relevant])).to_numpy()
    if unmatched.any():  # look for them by position and alleles (computed only when needed)
        x_keys = set(_keys(x.loc[unmatched], "exposure")) - {None}
        if x_keys:
            column = {f: (outcome[cols[f]].to_numpy(dtype=object) if cols[f] is not None else None)
                      for f in ("chrom", "pos", "effect_allele", "other_allele")}
            keys = variant_keys(ids.to_numpy(dtype=object), column["chrom"], column["pos"],
                                column["effect_allele"], column["other_allele"])
            relevant |= pd.Series(keys).isin(x_keys).to_numpy()
    return np.flatnonzero(relevant)


def _match_by_position(x: pd.DataFrame, y: pd.DataFrame, direct: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Outcome records of exposure variants not found by id, found by position and allele pair instead.

    Their ``SNP`` becomes the exposure's id. Returns the outcome rows and the mask of exposure rows
    matched this way.
    """
    x_keys = _keys(x, "exposure")
    y_keys = _keys(y, "outcome")
    taken = y["SNP"].isin(x.loc[direct, "SNP"]).to_numpy()
    key_to_snp = {k: snp for k, snp, d in zip(x_keys, x["SNP"], direct) if k is not None and not d}
    new_ids = np.array([key_to_snp.get(k) if (k is not None and not t) else None
                        for k, t in zip(y_keys, taken)], dtype=object)
    hit = ~pd.isnull(new_ids)
    if not hit.any():
        return y, np.zeros(len(x), dtype=bool)
    y = y.copy()
    y.loc[hit, "SNP"] = new_ids[hit]
    return y, x["SNP"].isin(set(new_ids[hit])).to_numpy() & ~direct


def _dropped_ids(outcome: pd.DataFrame, log: DropLog) -> set[str]:
    """Ids of outcome rows dropped as invalid, here or by the reader of the outcome file."""
    ids = set(log.dropped_variants().ids.tolist())
    invalid = outcome.attrs.get("invalid")
    if invalid is not None and len(invalid):
        ids |= set(invalid.ids.tolist())
    return ids


def _dropped_counts(role: str, frame: pd.DataFrame, log: DropLog) -> dict[str, int]:
    """``{"<role>_dropped: <reason>": n}``: the reader's drops (``attrs["dropped"]``) plus harmonise's."""
    counts = dict(frame.attrs.get("dropped") or {})
    for reason, n in log.counts.items():
        counts[reason] = counts.get(reason, 0) + n
    return {DROPPED_PREFIX[role] + reason: int(n) for reason, n in sorted(counts.items()) if n}


def harmonisation_flow(log: dict[str, int]) -> pd.DataFrame:
    """The harmonisation log as a tidy flow-diagram table (STROBE-MR item 10a).

    Columns ``step``, ``stage``, ``n`` and ``kind``: "remaining" boxes of the main flow, "excluded"
    side boxes, "detail" notes (alleles aligned without loss, how variants were found) and "dropped"
    boxes: rows of the exposure or outcome data dropped as invalid before harmonisation (by reason;
    outside the arithmetic of the flow). The boxes add up: found - excluded = used in MR, and
    candidates = found + absent + invalid in the outcome, which is checked.
    """
    missing = [k for k in LOG_KEYS if k not in log]
    if missing:
        raise InputError(f"not a harmonisation log: missing {missing}", column="log")
    found = log["found_in_outcome"] + log["found_by_position"] + log["found_by_proxy"]
    dropped = {role: [(k[len(prefix):], v) for k, v in log.items() if k.startswith(prefix)]
               for role, prefix in DROPPED_PREFIX.items()}
    rows = [(f"Exposure rows dropped as invalid: {reason}", n, "dropped") for reason, n in dropped["exposure"]]
    rows += [
        ("Candidate instruments", log["candidate_instruments"], "remaining"),
        ("Absent from the outcome GWAS (no proxy)", log["absent_from_outcome"], "excluded"),
        ("In the outcome GWAS but invalid there (dropped)", log["invalid_in_outcome"], "excluded"),
        ("Found in the outcome GWAS", found, "remaining"),
        ("  of which by variant id", log["found_in_outcome"], "detail"),
        ("  of which by position and alleles (ids differ)", log["found_by_position"], "detail"),
        ("  of which through an LD proxy", log["found_by_proxy"], "detail"),
        ("  of which at a multi-allelic site (record matching the exposure's alleles)",
         log["multiallelic_resolved"], "detail"),
        ("Alleles swapped (outcome beta negated)", log["swapped"], "detail"),
        ("Strand flipped", log["strand_flipped"], "detail"),
        ("Palindromes flipped using EAF", log["palindromic_flipped"], "detail"),
        ("Incompatible alleles", log["incompatible_removed"], "excluded"),
        ("Missing allele", log["missing_allele_removed"], "excluded"),
        ("Palindromic with intermediate EAF (ambiguous)", log["palindromic_ambiguous_removed"], "excluded"),
        ("Palindromic (action 3)", log["palindromic_removed"], "excluded"),
        ("Missing beta or SE", log["missing_values_removed"], "excluded"),
        ("Used in MR", log["kept"], "remaining"),
    ]
    rows += [(f"Outcome rows dropped as invalid: {reason}", n, "dropped") for reason, n in dropped["outcome"]]
    table = pd.DataFrame(rows, columns=["stage", "n", "kind"])
    table.insert(0, "step", np.arange(1, len(table) + 1))
    lost = sum(log[k] for k in ("incompatible_removed", "missing_allele_removed", "palindromic_ambiguous_removed",
                                "palindromic_removed", "missing_values_removed"))
    if (found - lost != log["kept"]
            or found + log["absent_from_outcome"] + log["invalid_in_outcome"] != log["candidate_instruments"]):
        raise InputError("harmonisation log does not add up (found - excluded != kept)", column="log")
    return table


def mr_input(harmonised: pd.DataFrame, *, keep_only: bool = True) -> pd.DataFrame:
    """The short estimator input ``SNP, bx, bxse, by, byse`` (rows with ``mr_keep`` by default)."""
    rows = harmonised[harmonised["mr_keep"].to_numpy(dtype=bool)] if keep_only else harmonised
    return pd.DataFrame({"SNP": rows["SNP"].to_numpy(), "bx": rows["beta.exposure"].to_numpy(dtype=float),
                         "bxse": rows["se.exposure"].to_numpy(dtype=float),
                         "by": rows["beta.outcome"].to_numpy(dtype=float),
                         "byse": rows["se.outcome"].to_numpy(dtype=float)})
