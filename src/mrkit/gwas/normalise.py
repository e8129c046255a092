"""Text rules of the engine (:mod:`mrkit.gwas.schema`): ids, chromosomes and alleles normalised, and the keys that
say which rows are one variant (allele pairs, sites, ids made from chromosome, position and alleles).

Text columns are object arrays of ``str`` and None (missing); a rule runs once per distinct value where the values
repeat (alleles, chromosomes: a handful of values in millions of rows). numpy only.

References
----------
Hemani G et al. (2018) The MR-Base platform supports systematic causal inference across the human phenome.
eLife 7:e34408 (TwoSampleMR ``format_data``: ``toupper`` alleles; ``flip_alleles``).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["missing_value", "missing", "objects", "normalise_alleles", "normalise_chrom", "normalise_ids",
           "complement", "allele_pair", "site_keys", "fallback_ids"]


def missing_value(value) -> bool:
    """None, a float NaN, or pandas' NA/NaT (recognised by type name: the engine does not import pandas)."""
    return value is None or (isinstance(value, float) and value != value) or \
        type(value).__name__ in ("NAType", "NaTType")


def objects(items: list) -> np.ndarray:
    """A list as a one-dimensional object array (never a two-dimensional one, whatever the items)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _mapped(values, rule: Callable[[str], str | None], *, memo: bool = True) -> np.ndarray:
    """``rule`` on each text value (a non-text value as its ``str``), None where missing, as an object array.

    With ``memo`` the rule runs once per distinct value (alleles, chromosomes: a few values in millions of rows).
    """
    def apply(v):
        if type(v) is str:
            return rule(v)
        return None if missing_value(v) else rule(str(v))

    items = np.asarray(values, dtype=object).ravel().tolist()
    if not memo:
        return objects(list(map(apply, items)))
    table = {v: apply(v) for v in dict.fromkeys(items)}
    return objects(list(map(table.__getitem__, items)))


def _allele(value: str) -> str | None:
    value = value.strip().upper()
    return value or None


def normalise_alleles(values) -> np.ndarray:
    """Alleles stripped and upper-cased (TwoSampleMR ``toupper``); missing and "" are None."""
    return _mapped(values, _allele)


def _chrom(value: str) -> str:
    value = value.strip().upper().removeprefix("CHR")
    return "X" if value == "23" else value


def normalise_chrom(values) -> np.ndarray:
    """'chr1' -> '1', '23' -> 'X', 'x' -> 'X' (FinnGen and GWAS-SSF code X as 23); missing is None."""
    return _mapped(values, _chrom)


def _id(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", ".") else value


def normalise_ids(values) -> np.ndarray:
    """Variant ids stripped; "" and "." (VCF's missing value) are None."""
    items = np.asarray(values, dtype=object).ravel().tolist()
    try:
        out = objects(list(map(str.strip, items)))  # all text: the common case, without a Python call per id
    except TypeError:
        return _mapped(items, _id, memo=False)
    out[(out == "") | (out == ".")] = None
    return out


_COMPLEMENT = str.maketrans("ACGTacgt", "TGCAtgca")


def complement(alleles) -> np.ndarray:
    """Reverse-strand alleles, base by base (A<->T, C<->G), as TwoSampleMR ``flip_alleles`` (``chartr``)."""
    return _mapped(alleles, lambda a: a.translate(_COMPLEMENT))


def _sorted_pair(a: str, b: str) -> str:
    return f"{a}:{b}" if a <= b else f"{b}:{a}"


def allele_pair(a1, a2, *, strand: bool = False) -> np.ndarray:
    """The unordered allele pair "A:G" of each row (None where an allele is missing), alleles normalised.

    ``strand=True`` also makes the pair strand-free: the smaller of the pair and its complement
    (A/G and C/T both give "A:G"), as rsid matching followed by TwoSampleMR's strand flip would.
    """
    def pair(key: tuple[str | None, str | None]) -> str | None:
        a, b = key
        if a is None or b is None:
            return None
        out = _sorted_pair(a, b)
        return min(out, _sorted_pair(a.translate(_COMPLEMENT), b.translate(_COMPLEMENT))) if strand else out

    keys = list(zip(normalise_alleles(a1).tolist(), normalise_alleles(a2).tolist()))
    table = {k: pair(k) for k in dict.fromkeys(keys)}
    return objects(list(map(table.__getitem__, keys)))


def _position_text(pos) -> list[str | None]:
    """Positions (numbers, or text as a file has it) as whole-number text, None where missing or not whole."""
    out = []
    for p in np.asarray(pos, dtype=object).ravel().tolist():
        if isinstance(p, str):
            try:
                p = float(p)
            except ValueError:
                out.append(None)
                continue
        if missing_value(p):
            out.append(None)
        elif isinstance(p, (int, np.integer)):
            out.append(str(int(p)))
        else:
            p = float(p)
            out.append(str(int(p)) if math.isfinite(p) and p == int(p) else None)
    return out


def site_keys(chrom, pos, pair) -> np.ndarray:
    """``chrom:pos:pair`` of each row (None where a part is missing): one site and allele pair."""
    result = np.empty(len(pair), dtype=object)
    result[:] = [None if c is None or p is None or a is None else f"{c}:{p}:{a}"
                 for c, p, a in zip(normalise_chrom(chrom).tolist(), _position_text(pos), np.asarray(pair).tolist())]
    return result


def fallback_ids(chrom, pos, a1, a2) -> np.ndarray:
    """``chrom:pos:A1:A2`` with the two alleles in sorted order, so two files coding the same site with the
    effect and other alleles the other way round get the same id (the effect allele alone when the other is
    missing; "" when both are)."""
    pair = allele_pair(a1, a2)
    alone = normalise_alleles(a1)
    pair[:] = [p if p is not None else (a if a is not None else "") for p, a in zip(pair.tolist(), alone.tolist())]
    chrom = normalise_chrom(chrom)
    chrom[:] = ["" if c is None else c for c in chrom.tolist()]
    positions = ["" if p is None else p for p in _position_text(pos)]
    result = np.empty(len(pair), dtype=object)
    result[:] = [f"{c}:{p}:{a}" for c, p, a in zip(chrom.tolist(), positions, pair.tolist())]
    return result



def missing(values: np.ndarray) -> np.ndarray:
    """Missing values of a column: NaN in a float array, None in an object array."""
    if values.dtype.kind == "f":
        return np.isnan(values)
    return values == None  # noqa: E711 (elementwise on an object array; faster than np.equal)
