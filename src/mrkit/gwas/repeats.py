"""The repeat rule of the engine (:mod:`mrkit.gwas.schema`): an exact repeat of a row counts once; copies of one
variant that disagree in any value are all dropped (keeping one would pick an association by file order, as
TwoSampleMR ``format_data`` does by keeping the first). numpy only.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .droplog import DropLog
from .normalise import allele_pair, missing, missing_value, objects, site_keys
from .rules import CONFLICTING_REPEAT, EXACT_REPEAT

__all__ = ["repeated", "repeats", "drop_repeats", "variant_repeats"]


def _cell(value):
    """A value as compared between copies of a row: NaN equals NaN."""
    return None if missing_value(value) else value


def _hashes(column: np.ndarray) -> np.ndarray:
    if column.dtype.kind == "f":
        return (column + 0.0).view(np.int64)  # + 0.0: -0.0 and 0.0 alike
    if column.dtype.kind in "iub":
        return column.astype(np.int64)
    return np.fromiter(map(hash, column.tolist()), dtype=np.int64, count=column.size)


def repeated(*columns: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Rows (among ``rows``) whose combination of values in ``columns`` occurs more than once there; a row with a
    missing value (None or NaN) in any column is never repeated.

    Hashes sorted with numpy find the candidates (linear-logarithmic, a fraction of a second for millions of
    rows); their values are then compared exactly.
    """
    from collections import Counter

    n = len(columns[0])
    known = np.ones(n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool).copy()
    for column in columns:
        if column.dtype.kind in "fO":
            known &= ~missing(column)
    index = np.flatnonzero(known)
    if index.size < 2:
        return np.zeros(n, dtype=bool)
    h = np.zeros(index.size, dtype=np.int64)
    with np.errstate(over="ignore"):
        for column in columns:
            h = h * np.int64(1000003) ^ _hashes(column[index])
    order = np.argsort(h)
    same = h[order][1:] == h[order][:-1]
    maybe = np.zeros(index.size, dtype=bool)
    maybe[order[1:][same]] = True
    maybe[order[:-1][same]] = True
    candidates = index[maybe]
    out = np.zeros(n, dtype=bool)
    if candidates.size:
        keys = list(zip(*(column[candidates].tolist() for column in columns)))
        counts = Counter(keys)
        out[candidates] = np.fromiter((counts[k] > 1 for k in keys), dtype=bool, count=len(keys))
    return out


def repeats(keys: Sequence[np.ndarray], values: Sequence[np.ndarray], rows: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks ``(exact, conflicting)`` over rows, and the ``group`` of each: which rows repeat one variant.

    ``keys``: arrays naming the variant of each row (None: no name); rows sharing a name in any of them are
    copies of one variant (e.g. the same id and allele pair, or the same position and allele pair).
    ``values``: the arrays that make up a row. ``exact`` marks every copy after the first of a row repeated
    with every value equal (it counts once); ``conflicting`` every copy of a variant whose copies disagree
    in any value: keeping one would pick an association arbitrarily, so all go. ``group`` numbers the
    copies of one variant (-1: not repeated). ``rows`` limits the search (the other rows are not looked at).
    """
    n = len(values[0])
    rows = np.ones(n, dtype=bool) if rows is None else np.asarray(rows, dtype=bool)
    group = np.full(n, -1, dtype=np.int64)
    conflicting = np.zeros(n, dtype=bool)
    exact = np.zeros(n, dtype=bool)
    groups: list[list[int]] = []
    for key in keys:
        key = np.asarray(key, dtype=object)
        shared = np.flatnonzero(repeated(key, rows=rows)).tolist()
        members: dict = {}
        for i in shared:
            members.setdefault(key[i], []).append(i)
        groups += members.values()
    if not groups:
        return exact, conflicting, group
    involved = sorted({i for g in groups for i in g})
    columns = [np.asarray(v, dtype=object) for v in values]
    row_of = {i: tuple(_cell(v[i]) for v in columns) for i in involved}
    for number, members in enumerate(groups):
        group[[i for i in members if group[i] < 0]] = number
        if len({row_of[i] for i in members}) > 1:
            conflicting[members] = True
    first: set = set()
    for i in involved:
        if not conflicting[i]:
            if row_of[i] in first:
                exact[i] = True
            else:
                first.add(row_of[i])
    return exact, conflicting, group


def drop_repeats(keys: Sequence[np.ndarray], values: Sequence[np.ndarray], log: DropLog, lines: np.ndarray,
                 column: str | None, ids: np.ndarray, rows: np.ndarray | None = None, shown_ids=None) -> np.ndarray:
    """:func:`repeats` applied: exact repeats counted once (:data:`~mrkit.gwas.rules.EXACT_REPEAT`), every copy
    of a variant repeated with different values dropped (:data:`~mrkit.gwas.rules.CONFLICTING_REPEAT`, the ids
    remembered as dropped); the message of the earliest names the lines (rows) of its copies. Returns the
    mask of rows to keep."""
    exact, conflicting, group = repeats(keys, values, rows)
    keep = np.ones(len(lines), dtype=bool)
    shown_ids = ids if shown_ids is None else shown_ids
    for reason, bad, record in ((EXACT_REPEAT, exact, False), (CONFLICTING_REPEAT, conflicting, True)):
        detail = ""
        if bad.any():
            first = int(np.flatnonzero(bad)[np.argmin(lines[bad])])
            copies = lines[group == group[first]]
            detail = f" ({log.unit}s {', '.join(map(str, copies))})"
        keep &= log.drop(reason, bad, lines, column, shown_ids, detail, ids=ids if record else None)
    return keep


def variant_repeats(columns: Mapping[str, np.ndarray], log: DropLog, lines: np.ndarray, column: str | None,
                    rows: np.ndarray, *, by_site: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The repeat rule on a table of schema fields: one variant is the same id and allele pair or (``by_site``)
    the same chromosome, position and allele pair; a row is all its fields (``columns``).

    Returns ``(keep, multiallelic)``: the rows to keep (:func:`drop_repeats`) and, among the kept rows, the
    records of one id with other alleles (a multi-allelic site: each a valid biallelic record). Only rows
    sharing an id or a position are looked at closely, so a whole GWAS is checked in a fraction of a second.
    """
    snp = columns["snp"]
    n = len(lines)
    shared = repeated(snp, rows=rows)
    if by_site:
        shared |= repeated(columns["chrom"], columns["pos"], rows=rows)
    keep = np.ones(n, dtype=bool)
    multiallelic = np.zeros(n, dtype=bool)
    if not shared.any():
        return keep, multiallelic
    sub = np.flatnonzero(shared)
    part = {name: values[sub] for name, values in columns.items()}
    ea = part["effect_allele"]
    pair = allele_pair(ea, part["other_allele"])
    pair = np.where(np.equal(pair, None), ea, pair)  # no other allele: the effect allele alone
    by_id = objects([None if s is None or a is None else (s, a) for s, a in zip(part["snp"].tolist(), pair.tolist())])
    keys = [by_id] + ([site_keys(part["chrom"], part["pos"], pair)] if by_site else [])
    keep[sub] = drop_repeats(keys, list(part.values()), log, lines[sub], column, part["snp"])
    multiallelic[sub] = repeated(part["snp"], rows=keep[sub])
    return keep, multiallelic
