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

Rows are kept in exposure order and never dropped: ``mr_keep`` says which enter MR, the
``attrs["log"]`` counts say why the others do not (STROBE-MR item 10a, see :func:`harmonisation_flow`).
Only the both-alleles case (TwoSampleMR's "2-2") is ported; a row missing an allele is removed and
counted. D/I-coded indels are recoded as in ``recode_indels_22``.

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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from .columns import resolve_columns
from .ld import complement, is_palindromic

__all__ = ["harmonise", "to_twosamplemr", "harmonisation_flow", "mr_input", "rows_with_ids", "LOG_KEYS",
           "OUTPUT_COLUMNS"]

#: Keys of ``attrs["log"]``, in flow-diagram order.
LOG_KEYS = ("candidate_instruments", "found_in_outcome", "found_by_proxy", "absent_from_outcome", "swapped",
            "strand_flipped", "palindromic_flipped", "palindromic_ambiguous_removed", "palindromic_removed",
            "incompatible_removed", "missing_allele_removed", "missing_values_removed", "kept")

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
        raise InputError(f"{raw.iloc[row]!r} is not a number", file=frame.attrs.get("source"), row=row,
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
    ``se.<role>``, ``pval.<role>``, ``samplesize.<role>`` and ``<role>`` (the trait name); alleles
    upper-case, numbers as float (text in a numeric column is an error naming row and column).
    """
    if role not in ("exposure", "outcome"):
        raise InputError(f"role must be 'exposure' or 'outcome', got {role!r}", column="role")
    cols = resolve_columns(frame, role if f"beta.{role}" in frame.columns else None)
    if cols["snp"] is None or cols["beta"] is None:
        raise InputError(f"the {role} table needs a variant id and a beta column", file=frame.attrs.get("source"))
    out = pd.DataFrame({"SNP": frame[cols["snp"]].astype("str").to_numpy(dtype=object)})
    for field, tsmr in _VALUE_FIELDS:
        column = f"{tsmr}.{role}"
        if field in ("effect_allele", "other_allele"):
            out[column] = _alleles(frame, cols[field])
        else:
            out[column] = _floats(frame, cols[field], nr_is_missing=field == "eaf")
    out[role] = name if name is not None else _default_name(frame, role)
    for extra in _PROXY_COLUMNS:
        if extra in frame.columns:
            out[extra] = frame[extra].to_numpy()
    out.attrs = {"source": frame.attrs.get("source")}
    return out


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


def _outcome_rows_needed(outcome: pd.DataFrame, exposure_snps: pd.Series, proxies: pd.DataFrame | None,
                         name: str | None) -> pd.DataFrame:
    """The outcome in TwoSampleMR columns, converted only for the rows harmonisation can use.

    Only rows of the exposure's variants and of their proxies can enter the result, so the others are
    left out before the (costly) conversion; the index keeps each row's position in ``outcome``, so that
    errors name the caller's row as a conversion of the whole table would.
    """
    cols = resolve_columns(outcome, "outcome" if "beta.outcome" in outcome.columns else None)
    if cols["snp"] is None:
        return to_twosamplemr(outcome, "outcome", name)
    wanted = list(dict.fromkeys(str(s) for s in exposure_snps))
    if proxies is not None and len(proxies):
        wanted += [str(s) for s in proxies["proxy_snp"].dropna() if str(s) not in set(wanted)]
    rows = rows_with_ids(outcome, cols["snp"], wanted)
    subset = outcome.iloc[rows]
    subset.attrs = dict(outcome.attrs)
    try:
        y = to_twosamplemr(subset, "outcome", name)
    except InputError as exc:
        if exc.row is None or exc.file is not None and exc.line is not None:
            raise
        raise InputError(exc.message, file=exc.file, line=exc.line, row=int(rows[exc.row]),
                         column=exc.column) from None
    y.index = rows
    return y


def _check_unique(table: pd.DataFrame, role: str, source: Any) -> None:
    dup = table["SNP"].duplicated().to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])  # the first repeat, as a row of the caller's table
        row = int(table.index[pos])
        raise InputError(f"variant {table['SNP'].iloc[pos]!r} appears more than once in the {role} table",
                         file=source, row=row, column="SNP")


def _outcome_matching(exposure: pd.DataFrame, outcome: pd.DataFrame, source: Any) -> pd.DataFrame:
    """Outcome rows, one per SNP: among duplicates keep those whose alleles fit the exposure's."""
    dup = outcome["SNP"].duplicated(keep=False).to_numpy()
    if not dup.any():
        return outcome
    alleles = exposure.set_index("SNP")[["effect_allele.exposure", "other_allele.exposure"]]
    sub = outcome.loc[dup]
    ref = alleles.reindex(sub["SNP"])
    e1, e2 = ref["effect_allele.exposure"].to_numpy(dtype=object), ref["other_allele.exposure"].to_numpy(dtype=object)
    b1, b2 = sub["effect_allele.outcome"].to_numpy(dtype=object), sub["other_allele.outcome"].to_numpy(dtype=object)
    fits = ((b1 == e1) & (b2 == e2)) | ((b1 == e2) & (b2 == e1))
    c1, c2 = complement(b1), complement(b2)
    fits |= ((c1 == e1) & (c2 == e2)) | ((c1 == e2) & (c2 == e1))
    keep = np.ones(len(outcome), dtype=bool)
    keep[np.flatnonzero(dup)[~fits]] = False
    kept = outcome.loc[keep]
    _check_unique(kept, "outcome", source)
    return kept


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
              proxies: pd.DataFrame | None = None) -> pd.DataFrame:
    """Align outcome associations to the exposure's effect alleles (TwoSampleMR ``harmonise_data``).

    Parameters
    ----------
    exposure, outcome : internal-schema frames (from :func:`mrkit.gwas.io.read_sumstats`) or TwoSampleMR
        frames (``SNP, beta.exposure, ...`` / ``SNP, beta.outcome, ...``). Variant ids must agree.
    action : 1, 2 (default) or 3, as in TwoSampleMR (see the module docstring).
    tolerance : palindromes with an EAF strictly inside ``0.5 +/- tolerance`` are ambiguous (0.08).
    exposure_name, outcome_name : trait labels for the ``exposure``/``outcome`` columns.
    proxies : a :func:`mrkit.gwas.proxies.find_proxies` table; exposure variants absent from the outcome are
        replaced by their proxy's outcome association, re-expressed for the target's alleles.

    Returns
    -------
    DataFrame
        :data:`OUTPUT_COLUMNS` (plus ``proxy, target_snp, proxy_snp, proxy_r2`` when ``proxies`` is
        given), one row per exposure variant found in the outcome, in exposure order.
        ``attrs["log"]`` holds the counts :data:`LOG_KEYS`; ``attrs["harmonise"]`` the settings.

    References
    ----------
    Hemani G et al. (2018). eLife 7:e34408. Hartwig FP et al. (2016). Int J Epidemiol 45:1717-1726.
    """
    if action not in (1, 2, 3):
        raise InputError(f"action must be 1, 2 or 3, got {action!r}", column="action")
    if not (np.isfinite(tolerance) and 0.0 <= tolerance < 0.5):
        raise InputError(f"tolerance must be in [0, 0.5), got {tolerance!r}", column="tolerance")
    x = to_twosamplemr(exposure, "exposure", exposure_name)
    outcome_label = outcome_name if outcome_name is not None else _default_name(outcome, "outcome")
    y = _outcome_rows_needed(outcome, x["SNP"], proxies, outcome_label)
    _check_unique(x, "exposure", exposure.attrs.get("source"))
    y = _outcome_matching(x, y, outcome.attrs.get("source"))

    direct = x["SNP"].isin(y["SNP"]).to_numpy()
    outcome_rows = y.drop(columns=[c for c in _PROXY_COLUMNS if c in y.columns])
    if proxies is not None:
        from .proxies import proxy_outcome_rows

        wanted = proxies[proxies["target_snp"].isin(x.loc[~direct, "SNP"])]
        substitutes = proxy_outcome_rows(y, wanted)
        outcome_rows = outcome_rows.assign(proxy=False, target_snp=outcome_rows["SNP"], proxy_snp=None,
                                           proxy_r2=np.nan)
        outcome_rows = pd.concat([outcome_rows, substitutes[outcome_rows.columns]], ignore_index=True)
    by_proxy = x["SNP"].isin(outcome_rows["SNP"]).to_numpy() & ~direct
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
    columns = list(OUTPUT_COLUMNS) + ([c for c in _PROXY_COLUMNS] if proxies is not None else [])
    out = out[columns].reset_index(drop=True)

    log = {
        "candidate_instruments": int(len(x)),
        "found_in_outcome": int(direct.sum()),
        "found_by_proxy": int(by_proxy.sum()),
        "absent_from_outcome": int(len(x) - direct.sum() - by_proxy.sum()),
        "swapped": int(al["swapped"].sum()),
        "strand_flipped": int(al["strand_flipped"].sum()),
        "palindromic_flipped": int(al["palindrome_flip"].sum()),
        "palindromic_ambiguous_removed": int((ambiguous & ~remove).sum()) if action in (2, 3) else 0,
        "palindromic_removed": int((palindromic & ~ambiguous & ~remove).sum()) if action == 3 else 0,
        "incompatible_removed": int((remove & al["has_alleles"]).sum()),
        "missing_allele_removed": int((~al["has_alleles"]).sum()),
        "missing_values_removed": int((~excluded & missing_values).sum()),
        "kept": int(out["mr_keep"].sum()),
    }
    out.attrs = {"log": log, "harmonise": {"action": action, "tolerance": float(tolerance),
                                           "exposure": str(x["exposure"].iloc[0]) if len(x) else exposure_name,
                                           "outcome": str(outcome_label) if len(outcome) else outcome_name}}
    return out


def harmonisation_flow(log: dict[str, int]) -> pd.DataFrame:
    """The harmonisation log as a tidy flow-diagram table (STROBE-MR item 10a).

    Columns ``step``, ``stage``, ``n`` and ``kind``: "remaining" boxes of the main flow, "excluded"
    side boxes, and "detail" notes (alleles aligned without loss). The boxes add up: found - excluded =
    used in MR, which is checked.
    """
    missing = [k for k in LOG_KEYS if k not in log]
    if missing:
        raise InputError(f"not a harmonisation log: missing {missing}", column="log")
    found = log["found_in_outcome"] + log["found_by_proxy"]
    rows = [
        ("Candidate instruments", log["candidate_instruments"], "remaining"),
        ("Absent from the outcome GWAS (no proxy)", log["absent_from_outcome"], "excluded"),
        ("Found in the outcome GWAS", found, "remaining"),
        ("  of which directly", log["found_in_outcome"], "detail"),
        ("  of which through an LD proxy", log["found_by_proxy"], "detail"),
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
    table = pd.DataFrame(rows, columns=["stage", "n", "kind"])
    table.insert(0, "step", np.arange(1, len(table) + 1))
    lost = sum(log[k] for k in ("incompatible_removed", "missing_allele_removed", "palindromic_ambiguous_removed",
                                "palindromic_removed", "missing_values_removed"))
    if found - lost != log["kept"] or found + log["absent_from_outcome"] != log["candidate_instruments"]:
        raise InputError("harmonisation log does not add up (found - excluded != kept)", column="log")
    return table


def mr_input(harmonised: pd.DataFrame, *, keep_only: bool = True) -> pd.DataFrame:
    """The short estimator input ``SNP, bx, bxse, by, byse`` (rows with ``mr_keep`` by default)."""
    rows = harmonised[harmonised["mr_keep"].to_numpy(dtype=bool)] if keep_only else harmonised
    return pd.DataFrame({"SNP": rows["SNP"].to_numpy(), "bx": rows["beta.exposure"].to_numpy(dtype=float),
                         "bxse": rows["se.exposure"].to_numpy(dtype=float),
                         "by": rows["beta.outcome"].to_numpy(dtype=float),
                         "byse": rows["se.outcome"].to_numpy(dtype=float)})
