"""A multivariable table in TwoSampleMR's long format, aligned as ``mv_harmonise_data`` expects it: every
exposure and the outcome on the effect allele of the first exposure.

TwoSampleMR builds such a table with ``mv_extract_exposures`` (each exposure harmonised against the first
with ``harmonise_data(d1, d2, action)``, only variants kept for every exposure) and ``mv_harmonise_data``
(the outcome harmonised against the first exposure, ``mr_keep`` only); the long table a user brings may
hold each exposure coded on its own allele. Here each variant's rows are harmonised the same way: the
other exposures and the outcome against the first exposure (:func:`mrkit.gwas.harmonise.harmonise`: alleles
swapped, strand flips, palindromes by frequency with ``action`` 2, incompatible alleles), and a variant that
any of them cannot keep leaves, counted by reason in ``attrs["alignment"]``.

References
----------
Hemani G et al. (2018) eLife 7:e34408; TwoSampleMR R/multivariable_mr.R (``mv_extract_exposures``,
``mv_harmonise_data``), MRCIEU/TwoSampleMR.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .harmonised import _numbers

__all__ = ["align_long", "ALIGN_KEYS"]

#: Counts of :func:`mrkit.gwas.harmonise.harmonise` reported per exposure and for the outcome.
ALIGN_KEYS = ("swapped", "strand_flipped", "palindromic_flipped", "palindromic_ambiguous_removed",
              "palindromic_removed", "incompatible_removed", "missing_allele_removed")
_FIELDS = ("effect_allele", "other_allele", "eaf", "beta", "se", "pval")


def _side(frame: pd.DataFrame, rows: np.ndarray, source: str, target: str) -> pd.DataFrame:
    """The TwoSampleMR columns ``<field>.<source>`` of ``rows``, named ``<field>.<target>``."""
    out = pd.DataFrame({"SNP": frame["SNP"].to_numpy(dtype=object)[rows]})
    for name in _FIELDS:
        column = f"{name}.{source}"
        out[f"{name}.{target}"] = frame[column].to_numpy(dtype=object)[rows] if column in frame else None
    return out


def _text(values: np.ndarray) -> np.ndarray:
    """Floats as the text the file would hold (repr: exact), missing as None."""
    return np.array([None if np.isnan(v) else repr(float(v)) for v in values], dtype=object)


def align_long(frame: pd.DataFrame, names: tuple[str, ...], name_col: str, used: np.ndarray,
               action: int = 2) -> pd.DataFrame:
    """``frame`` (text columns, one row per variant and exposure, validated by ``as_mvdata``) with the effects of
    every exposure but the first, and of the outcome, re-expressed for the first exposure's effect allele;
    variants that cannot be aligned removed. ``used``: the rows ``as_mvdata`` uses (``mr_keep``).

    Returns the frame (``attrs``: the input's, plus ``alignment``: counts per exposure and for the outcome,
    ``variants`` and ``kept``).
    """
    from ..harmonise import harmonise

    lines = np.asarray(frame.attrs["lines"])
    path = frame.attrs.get("source")
    frame = frame.copy()
    for role in ("exposure", "outcome"):  # text that is not a number is refused here, naming its line
        for name in ("eaf", "pval"):
            column = f"{name}.{role}"
            if column in frame:
                frame[column] = _numbers(frame[column].to_numpy(dtype=object), column, lines, path)
        for name in ("beta", "se"):
            frame[f"{name}.{role}"] = pd.to_numeric(frame[f"{name}.{role}"], errors="coerce").to_numpy(float)
    exposure_of = frame[name_col].astype("str").to_numpy(dtype=object)
    first_rows = np.flatnonzero(used & (exposure_of == names[0]))
    reference = _side(frame, first_rows, "exposure", "exposure")
    log: dict = {"variants": int(len(first_rows))}
    kept = set(reference["SNP"])
    aligned: dict[str, pd.DataFrame] = {}
    sides = [(name, np.flatnonzero(used & (exposure_of == name)), "exposure") for name in names[1:]]
    if "effect_allele.outcome" in frame:
        sides.append(("outcome", first_rows, "outcome"))
    for name, rows, source in sides:
        h = harmonise(reference, _side(frame, rows, source, "outcome"), action=action,
                      exposure_name=names[0], outcome_name=name)
        ok = h.loc[h["mr_keep"].to_numpy(dtype=bool)].set_index("SNP")
        kept &= set(ok.index)
        aligned[name] = ok
        counts = {k: int(h.attrs["log"].get(k, 0)) for k in ALIGN_KEYS}
        counts["removed"] = int(len(reference) - len(ok))  # every reason, invalid values included
        log[name] = {k: v for k, v in counts.items() if v}
    snp = frame["SNP"].astype("str").to_numpy(dtype=object)
    keep = ~used | np.isin(snp, list(kept))
    for name, ok in aligned.items():
        source = "outcome" if name == "outcome" else "exposure"
        mine = np.ones(len(frame), dtype=bool) if source == "outcome" else exposure_of == name
        rows = np.flatnonzero(keep & used & mine)
        rows = rows[np.isin(snp[rows], ok.index)]
        matched = ok.loc[snp[rows]]
        for field in ("beta", "eaf"):
            frame.loc[frame.index[rows], f"{field}.{source}"] = matched[f"{field}.outcome"].to_numpy(float)
        for field in ("effect_allele", "other_allele"):
            frame.loc[frame.index[rows], f"{field}.{source}"] = matched[f"{field}.exposure"].to_numpy(dtype=object)
    for role in ("exposure", "outcome"):
        for name in ("beta", "se", "eaf", "pval"):
            column = f"{name}.{role}"
            if column in frame:
                frame[column] = _text(frame[column].to_numpy(dtype=float))
    log["kept"] = len(kept)
    out = frame.loc[keep].reset_index(drop=True)
    out.attrs.update(frame.attrs)
    out.attrs["lines"] = lines[keep]
    out.attrs["alignment"] = log
    return out
